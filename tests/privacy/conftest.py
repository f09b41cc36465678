"""Fake upstreams on 127.0.0.1 for residency tests: a cloud one abroad and a local one."""

from __future__ import annotations

from typing import Any, AsyncIterator

import pytest

from sovereign.gateway import ProviderConfig
from sovereign.gateway.config import Timeouts
from sovereign.privacy import Redactor
from sovereign_testkit.fake_llm import FakeLLM

EVERYTHING = ["public", "customer_personal", "hr_personal", "supplier_contracts"]


def provider(fake: FakeLLM, name: str, jurisdiction: str, priority: int, **kw: Any) -> ProviderConfig:
    kw.setdefault("data_classes", EVERYTHING)
    kw.setdefault("max_retries", 0)
    return ProviderConfig(
        name=name, kind="openai_compatible", model=f"{name}-model", endpoint=fake.openai_url, jurisdiction=jurisdiction,
        priority=priority, timeouts=Timeouts(connect=0.5, first_token=2.0, total=2.0), **kw,
    )


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    r = Redactor()
    r.warm()
    return r


@pytest.fixture
async def cloud() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="cloud answer") as f:
        yield f


@pytest.fixture
async def local() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="local answer") as f:
        yield f


