from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, TypeVar

from rich.console import Console

from sovereign import logs
from sovereign.runtime import Runtime, open_runtime
from sovereign.settings import get_settings

T = TypeVar("T")
# Piped or logged output is not a terminal: rich would assume 80 columns and squeeze the tables.
console = Console() if sys.stdout.isatty() else Console(width=150)
err = Console(stderr=True)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def setup_logging(verbose: bool = False) -> None:
    s = get_settings()
    logs.configure("DEBUG" if verbose else ("WARNING" if s.log_level.upper() == "INFO" else s.log_level), s.log_json)


@asynccontextmanager
async def runtime(migrate: bool = True) -> AsyncIterator[Runtime]:
    from sovereign.store.secrets_box import SecretKeyError

    try:
        rt = await open_runtime(get_settings(), migrate=migrate)
    except SecretKeyError as exc:  # a missing or wrong key: say so, no stack trace
        import typer

        err.print(f"[red]secret key:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        yield rt
    finally:
        await rt.close()


def fmt_ts(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"
