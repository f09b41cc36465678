"""The one connector boundary to PostgreSQL: resolve the URL, open a pool, prove it works.

``SOVEREIGN_DATABASE_URL`` set: use that server and start nothing.
Unset: start (or reuse) the embedded server under ``<data_dir>/pg``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg

from sovereign.settings import Settings
from sovereign.store.migrations import migrate as run_migrations

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    pass


# What a lost or refused database connection raises (a restart, a failover, the network): callers that can
# still serve something useful without the database catch these and nothing else.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError,
)


def resolve_url(settings: Settings) -> tuple[str, bool]:
    """Return (url, embedded?). Starts the embedded server when no URL is configured."""
    if settings.database_url:
        return settings.database_url, False
    from sovereign.store.embedded import ensure_running

    return ensure_running(settings.pgdata).uri, True


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10, attempts: int = 10) -> asyncpg.Pool:
    """Open a pool, retrying while the server comes up (a restart, a failover).

    No type codecs are installed: pgqueuer passes JSON as text, so json/jsonb
    values travel as ``str`` and callers use ``json.loads``/``json.dumps``.
    """
    delay = 0.2
    last: Exception | None = None
    for _ in range(attempts):
        try:
            pool = await asyncpg.create_pool(
                url, min_size=min_size, max_size=max_size, command_timeout=60
            )
            await pool.fetchval("select 1")
            return pool
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError) as exc:
            last = exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)
    raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {last}")


@dataclass
class Database:
    url: str
    pool: asyncpg.Pool
    embedded: bool

    async def close(self) -> None:
        await self.pool.close()

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.pool.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self.pool.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        return await self.pool.execute(sql, *args)


async def open_database(settings: Settings, *, migrate: bool = True, max_size: int | None = None) -> Database:
    url, embedded = await asyncio.to_thread(resolve_url, settings)
    pool = await create_pool(url, min_size=settings.db_pool_min, max_size=max_size or settings.db_pool_max)
    db = Database(url=url, pool=pool, embedded=embedded)
    if migrate:

        await run_migrations(db)
    return db
