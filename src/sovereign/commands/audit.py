"""`sovereign audit`: verify the gateway's hash-chained audit log, export it for a data protection officer."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer

from sovereign.audit import export_jsonl, verify as verify_chain
from sovereign.commands.common import console, err, run
from sovereign.settings import get_settings
from sovereign.store.database import open_database

app = typer.Typer(help="The gateway's tamper-evident audit log.", no_args_is_help=True)


def _date(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date or time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@app.command()
def verify() -> None:
    """Check the whole chain; name every edited, inserted or deleted row. Exit 1 if any."""

    async def go() -> int:
        db = await open_database(get_settings())
        try:
            report = await verify_chain(db.pool)
        finally:
            await db.close()
        for p in report.problems:
            console.print(f"[red]row {p.row_id}: {p.kind}[/red]: {p.message}")
        state = "[green]intact[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"
        console.print(f"{report.rows} rows, chain {state}; head: row {report.head_id} {report.head_hash}")
        return 0 if report.ok else 1

    code = run(go())
    if code:
        raise typer.Exit(code)


@app.command()
def export(
    since: Optional[str] = typer.Option(None, help="first day or time to include (ISO 8601, UTC unless given)"),
    until: Optional[str] = typer.Option(None, help="first day or time to leave out"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="file to write (default: stdout)"),
) -> None:
    """Write the rows as JSON Lines, one row per line, hashes included (no raw request or answer text)."""
    start, end = _date(since), _date(until)

    async def go() -> int:
        db = await open_database(get_settings())
        try:
            if output is None:
                return await export_jsonl(db.pool, sys.stdout, since=start, until=end)
            with output.open("w", encoding="utf-8") as fh:
                return await export_jsonl(db.pool, fh, since=start, until=end)
        finally:
            await db.close()

    n = run(go())
    err.print(f"exported {n} rows" + (f" to {output}" if output else ""))
