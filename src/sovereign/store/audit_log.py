"""The hash-chained audit log's storage: append under the chain-head lock, read a consistent snapshot.

The chain logic (what a row holds, how it is hashed, what a break means) is in
``sovereign.audit``; this module only moves rows in and out of PostgreSQL.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Sequence

import asyncpg

__all__ = ["ChainSnapshot", "append", "snapshot"]

_HEAD = "SELECT last_id, last_hash FROM sovereign_audit_head WHERE id = 1 FOR UPDATE"
_MOVE = "UPDATE sovereign_audit_head SET last_id = $1, last_hash = $2 WHERE id = 1"
_ROWS = (
    "SELECT * FROM sovereign_audit_log WHERE ($1::timestamptz IS NULL OR at >= $1) "
    "AND ($2::timestamptz IS NULL OR at < $2) ORDER BY id"
)

Link = Callable[[int, str], tuple[list[tuple[Any, ...]], int, str]]


async def append(pool: asyncpg.Pool, columns: Sequence[str], link: Link) -> None:
    """One transaction: lock the chain head, ``link(last_id, last_hash)`` gives the records to copy in and
    the new head, both are written. Concurrent writers (every process) queue on the head row."""
    async with pool.acquire() as conn, conn.transaction():
        head = await conn.fetchrow(_HEAD)
        records, last_id, last_hash = link(int(head["last_id"]), str(head["last_hash"]))
        await conn.copy_records_to_table("sovereign_audit_log", records=records, columns=list(columns))
        await conn.execute(_MOVE, last_id, last_hash)


class ChainSnapshot:
    def __init__(self, conn: asyncpg.Connection, head: asyncpg.Record) -> None:
        self._conn = conn
        self.head = head

    def rows(self, since: datetime | None = None, until: datetime | None = None) -> AsyncIterator[asyncpg.Record]:
        """Rows with ``since <= at < until`` in chain order, through a server-side cursor (constant memory)."""
        return self._conn.cursor(_ROWS, since, until, prefetch=1000).__aiter__()


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[ChainSnapshot]:
    """A read-only, repeatable-read view of the head and the rows (writers go on meanwhile)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow("SELECT last_id, last_hash FROM sovereign_audit_head WHERE id = 1")
        yield ChainSnapshot(conn, head)
