"""`sovereign gdpr export|erase`: what Sovereign holds about one person (by email or order), as JSON, or gone."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from sovereign.commands.common import console, err, run, runtime

app = typer.Typer(help="Personal data: export or erase what Sovereign holds about one person.", no_args_is_help=True)

EMAIL = typer.Option(None, "--email", help="the customer's email (billing or account)")
ORDER = typer.Option(None, "--order", help="an order number")
STORE = typer.Option(None, "--store", help="with --order: only this store's order")


def _subject(email: Optional[str], order: Optional[int], store: Optional[str]):  # noqa: ANN202
    from sovereign.features.gdpr.subject import subject

    try:
        return subject(email=email, order=order, store_id=store)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def export(email: Optional[str] = EMAIL, order: Optional[int] = ORDER, store: Optional[str] = STORE) -> None:
    """Print, as one JSON document, every event body, fraud result, review, transcript and cached answer about them."""
    from sovereign.features.gdpr import subject as gdpr

    s = _subject(email, order, store)

    async def go() -> None:
        async with runtime() as rt:
            doc = await gdpr.export(rt.db.pool, s)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")

    run(go())


@app.command()
def erase(email: Optional[str] = EMAIL, order: Optional[int] = ORDER, store: Optional[str] = STORE,
          yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Blank their event bodies and delete their fraud results, reviews, transcripts and cached answers;
    the audit log records the erasure by hash."""
    from sovereign.features.gdpr import subject as gdpr

    s = _subject(email, order, store)
    if not yes and not typer.confirm(f"erase what Sovereign holds about {s.email or f'order {s.order}'}?"):
        raise typer.Exit(1)

    async def go() -> None:
        async with runtime() as rt:
            out = await gdpr.erase(rt.db.pool, s)
        console.print(json.dumps(out))

    run(go())
