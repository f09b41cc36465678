"""Fixtures for audit tests: a writer on a fresh database, and a connection allowed to tamper."""

from __future__ import annotations

from typing import AsyncIterator

import asyncpg
import pytest

from sovereign.audit import AuditWriter


@pytest.fixture
async def audit(pool: asyncpg.Pool) -> AsyncIterator[AuditWriter]:
    writer = AuditWriter(pool, batch_size=50, flush_interval_s=0.05)
    writer.start()
    yield writer
    await writer.aclose()


@pytest.fixture
async def tamper(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of someone with the database owner's rights: the append-only triggers are off for it."""
    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        yield conn
        await conn.execute("SET session_replication_role = DEFAULT")
