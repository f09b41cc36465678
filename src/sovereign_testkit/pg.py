"""A real PostgreSQL for tests and benchmarks: the embedded server, one fresh database per use.

The server starts once (under ``SOVEREIGN_TEST_PGDATA`` or a temp folder) and a
migrated template database is built once; each test then gets its own database
cloned from the template (``CREATE DATABASE ... TEMPLATE``), which takes
milliseconds and isolates tests completely.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import urllib.parse
from pathlib import Path

import asyncpg

from sovereign.store.embedded import EmbeddedServer, ensure_running

_TEMPLATE = "sovereign_template"
_counter = itertools.count()


def with_database(uri: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


class TestPostgres:
    def __init__(self, pgdata: Path | None = None) -> None:
        root = pgdata or Path(os.environ.get("SOVEREIGN_TEST_PGDATA") or tempfile.mkdtemp(prefix="sovereign-pg-")) / "pg"
        self.server: EmbeddedServer = ensure_running(root)
        self._template_ready = False

    @property
    def admin_url(self) -> str:
        return self.server.uri

    async def _ensure_template(self) -> None:
        if self._template_ready:
            return
        from sovereign.store.database import create_pool
        from sovereign.store.migrations import migrate

        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {_TEMPLATE}")
        finally:
            await conn.close()
        pool = await create_pool(with_database(self.admin_url, _TEMPLATE), min_size=1, max_size=2)
        try:
            await migrate(pool)
        finally:
            await pool.close()
        self._template_ready = True

    async def new_database(self, prefix: str = "t") -> str:
        """Create a fresh migrated database and return its URL."""
        await self._ensure_template()
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
        finally:
            await conn.close()
        return with_database(self.admin_url, name)

    async def drop_database(self, url: str) -> None:
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


def new_database_sync(pg: TestPostgres) -> str:
    return asyncio.run(pg.new_database())
