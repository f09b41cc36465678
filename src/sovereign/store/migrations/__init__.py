"""Versioned schema migrations, applied in order under an advisory lock.

Each migration is a numbered ``NNNN_name.sql`` file in this folder or a Python
step registered in ``_PYTHON_STEPS``. Applied versions are recorded in
``sovereign_schema_migrations`` with a checksum; a changed file that was already
applied is reported, never silently re-run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

import asyncpg

log = logging.getLogger(__name__)

_DIR = Path(__file__).parent
_LOCK_KEY = 0x50BE2E16  # advisory lock id for migrations


async def _install_pgqueuer(conn: asyncpg.Connection) -> None:
    from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

    exists = await conn.fetchval("select to_regclass('pgqueuer') is not null")
    if not exists:
        await conn.execute(QueryBuilderEnvironment().build_install_query())


_PYTHON_STEPS: dict[int, tuple[str, Callable[[asyncpg.Connection], Awaitable[None]]]] = {
    1: ("pgqueuer", _install_pgqueuer),
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    checksum: str
    sql: str | None
    step: Callable[[asyncpg.Connection], Awaitable[None]] | None


def available() -> list[Migration]:
    out: list[Migration] = []
    for version, (name, step) in _PYTHON_STEPS.items():
        out.append(Migration(version, name, hashlib.sha256(name.encode()).hexdigest()[:16], None, step))
    for path in sorted(_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:4])
        sql = path.read_text(encoding="utf-8")
        out.append(Migration(version, path.stem[5:], hashlib.sha256(sql.encode()).hexdigest()[:16], sql, None))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return out


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS sovereign_schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def applied(conn_or_pool: asyncpg.Connection | asyncpg.Pool) -> dict[int, str]:
    exists = await conn_or_pool.fetchval("select to_regclass('sovereign_schema_migrations') is not null")
    if not exists:
        return {}
    rows = await conn_or_pool.fetch("select version, checksum from sovereign_schema_migrations")
    return {r["version"]: r["checksum"] for r in rows}


async def pending(conn_or_pool: asyncpg.Connection | asyncpg.Pool) -> list[Migration]:
    done = await applied(conn_or_pool)
    return [m for m in available() if m.version not in done]


async def migrate(db: object) -> list[Migration]:
    """Apply every pending migration; returns those applied. Safe to call from many processes at once."""
    pool: asyncpg.Pool = getattr(db, "pool", db)  # type: ignore[assignment]
    ran: list[Migration] = []
    async with pool.acquire() as conn:
        await conn.execute("select pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(_BOOKKEEPING)
            done = await applied(conn)
            for m in available():
                if m.version in done:
                    if done[m.version] != m.checksum:
                        log.warning("migration %04d_%s changed after it was applied", m.version, m.name)
                    continue
                async with conn.transaction():
                    if m.step is not None:
                        await m.step(conn)
                    else:
                        await conn.execute(m.sql)
                    await conn.execute(
                        "insert into sovereign_schema_migrations(version, name, checksum) values ($1, $2, $3)",
                        m.version,
                        m.name,
                        m.checksum,
                    )
                log.info("applied migration %04d_%s", m.version, m.name)
                ran.append(m)
        finally:
            await conn.execute("select pg_advisory_unlock($1)", _LOCK_KEY)
    return ran
