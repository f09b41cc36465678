"""`sovereign db`: status, migrate, stop (the embedded server)."""

from __future__ import annotations

import typer

from sovereign.commands.common import console, run
from sovereign.settings import get_settings
from sovereign.store import embedded
from sovereign.store.database import open_database
from sovereign.store.migrations import applied, available, migrate as apply_migrations

app = typer.Typer(help="The PostgreSQL database (embedded unless SOVEREIGN_DATABASE_URL is set).", no_args_is_help=True)


@app.command()
def status() -> None:
    """Where the database is, whether it answers, and which migrations are applied."""

    async def go() -> None:
        s = get_settings()
        db = await open_database(s, migrate=False)
        try:
            version = await db.fetchval("show server_version")
            done = await applied(db.pool)
            where = f"embedded under {s.pgdata.resolve()}" if db.embedded else "external (SOVEREIGN_DATABASE_URL)"
            console.print(f"PostgreSQL {version}, {where}")
            for m in available():
                mark = "[green]applied[/green]" if m.version in done else "[yellow]pending[/yellow]"
                console.print(f"  {m.version:04d}_{m.name}: {mark}")
        finally:
            await db.close()

    run(go())


@app.command()
def migrate() -> None:
    """Apply pending schema migrations (also done on every start)."""

    async def go() -> None:
        db = await open_database(get_settings(), migrate=False)
        try:
            ran = await apply_migrations(db)
            console.print(f"applied {len(ran)} migration(s)" + (": " + ", ".join(f"{m.version:04d}_{m.name}" for m in ran) if ran else ""))
        finally:
            await db.close()

    run(go())


@app.command()
def stop() -> None:
    """Stop the embedded PostgreSQL server of this data folder."""
    s = get_settings()
    if s.database_url:
        console.print("SOVEREIGN_DATABASE_URL is set: the database is not ours to stop")
        raise typer.Exit(1)
    console.print("stopped" if embedded.stop(s.pgdata) else "no embedded server was running")
