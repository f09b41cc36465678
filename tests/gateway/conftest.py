"""Fixtures for gateway tests: fake upstreams on 127.0.0.1 and a gateway factory with quick settings."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

import pytest

from sovereign.gateway import Gateway, ProviderConfig
from sovereign.gateway.events import Event
from sovereign.testing.fake_llm import FakeLLM

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
def events() -> list[Event]:
    return []


@pytest.fixture
async def make_gateway(events: list[Event]) -> AsyncIterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def make(configs: list[ProviderConfig], **kw: Any) -> Gateway:
        kw.setdefault("settings", quick_settings())
        kw.setdefault("on_event", events.append)
        gw = Gateway(configs, **kw)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        await gw.aclose()
