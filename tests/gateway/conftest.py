"""Fixtures for gateway tests: fake upstreams on 127.0.0.1 and a gateway factory with quick settings."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from sovereign.gateway import GatewaySettings
from sovereign_testkit.fake_llm import FakeLLM

from .support import quick_settings


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as f:
        yield f


@pytest.fixture
async def fake2() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="second") as f:
        yield f


@pytest.fixture
def gateway_settings() -> GatewaySettings:
    return quick_settings()
