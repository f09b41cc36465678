"""`sovereign keys`: create, list and revoke API keys for the OpenAI-compatible endpoint."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

import typer
from rich.table import Table

from sovereign.commands.common import console, run
from sovereign.settings import get_settings
from sovereign.store.api_keys import ApiKeyRepository
from sovereign.store.database import open_database

app = typer.Typer(help="API keys (hashed at rest, shown once) and their scopes.", no_args_is_help=True)


@asynccontextmanager
async def repository() -> AsyncIterator[ApiKeyRepository]:
    db = await open_database(get_settings())
    try:
        yield ApiKeyRepository(db.pool)
    finally:
        await db.close()


def _split(value: Optional[str]) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@app.command()
def create(
    name: str = typer.Argument(..., help="who or what the key is for"),
    models: Optional[str] = typer.Option(None, help="comma-separated provider names or models (default: all)"),
    data_class: str = typer.Option("public", "--data-class", help="the data class every request on this key carries"),
    features: Optional[str] = typer.Option(None, help="comma-separated features, e.g. gateway,fraud (default: all)"),
    rate: int = typer.Option(60, min=0, help="requests per minute (0: unlimited)"),
    cache_sampled: bool = typer.Option(
        False, "--cache-sampled", help="answer sampled requests (temperature > 0, no seed) from the response cache too"
    ),
) -> None:
    """Create a key and print it: this is the only time the full key is shown."""

    async def go() -> None:
        async with repository() as keys:
            key, secret = await keys.create(
                name, models=_split(models), data_class=data_class, features=_split(features), rate_per_minute=rate,
                cache_sampled=cache_sampled,
            )
        console.print(f"created key {key.id} ({key.name}); store it now, it is not shown again:", style="bold")
        print(secret)

    run(go())


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every key with its scopes (never the secret)."""

    async def go() -> None:
        async with repository() as keys:
            rows = await keys.list()
        if as_json:
            print(json.dumps([
                {"id": k.id, "name": k.name, "models": list(k.models), "data_class": k.data_class,
                 "features": list(k.features), "rate_per_minute": k.rate_per_minute, "revoked": k.revoked}
                for k in rows
            ]))
            return
        t = Table("id", "name", "models", "data class", "features", "rate/min", "state")
        for k in rows:
            t.add_row(k.id, k.name, ",".join(k.models) or "all", k.data_class, ",".join(k.features) or "all",
                      str(k.rate_per_minute or "unlimited"), "revoked" if k.revoked else "active")
        console.print(t)

    run(go())


@app.command()
def revoke(key_id: str = typer.Argument(..., help="the key's id (the part after sk-sov-)")) -> None:
    """Revoke a key: refused from now on (processes that cached it refuse it within seconds)."""

    async def go() -> None:
        async with repository() as keys:
            done = await keys.revoke(key_id)
        if not done:
            console.print(f"[red]no active key {key_id}[/red]")
            raise typer.Exit(1)
        console.print(f"revoked {key_id}")

    run(go())
