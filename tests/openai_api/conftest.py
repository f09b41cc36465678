"""The real app (lifespan, database, API keys) served by uvicorn on 127.0.0.1, with a gateway over fake upstreams."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable

import openai
import pytest

from sovereign.audit import AuditWriter
from sovereign.gateway import Gateway, MemoryCache, ProviderConfig
from sovereign.gateway.config import EmbeddingSettings, GatewaySettings, RetrySettings, Timeouts
from sovereign.gateway.residency import ResidencyPolicy
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.web.app import create_app

EVERYTHING = ["public", "customer_personal", "hr_personal"]
RULES = {"customer_personal": {"raw": ["local", "EU-*"], "redacted": ["US"]}}


def provider(fake: FakeLLM | str, name: str, jurisdiction: str, priority: int, **kw: Any) -> ProviderConfig:
    endpoint = fake if isinstance(fake, str) else fake.openai_url
    kw.setdefault("data_classes", EVERYTHING)
    return ProviderConfig(
        name=name, kind="openai_compatible", model=f"{name}-model", endpoint=endpoint, jurisdiction=jurisdiction,
        priority=priority, max_retries=0, timeouts=Timeouts(connect=0.5, first_token=2.0, total=2.0), **kw,
    )


class Service:
    def __init__(self, url: str, app: Any, audit: AuditWriter) -> None:
        self.url, self.app, self.audit = url, app, audit

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    async def key(self, name: str = "test", **scopes: Any) -> str:
        return (await self.runtime.api_keys.create(name, **scopes))[1]

    def client(self, key: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key=key, max_retries=0, timeout=10)


@pytest.fixture
async def cloud() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="Hello from the cloud.") as f:
        yield f


@pytest.fixture
async def local() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="Hello from here.") as f:
        yield f


@pytest.fixture
async def start(db_url: str, pool: Any) -> AsyncIterator[Callable[..., Awaitable[Service]]]:
    """Start the service over ``configs``; ``embeddings`` names the embedding provider and model."""
    stack: list[Any] = []

    async def go(
        configs: list[ProviderConfig], embeddings: EmbeddingSettings | None = None, cache: MemoryCache | None = None
    ) -> Service:
        audit = AuditWriter(pool, flush_interval_s=0.05)
        audit.start()
        settings = GatewaySettings(retry=RetrySettings(base_s=0.01, cap_s=0.02), embeddings=embeddings)
        gateway = Gateway(configs, settings=settings, policy=ResidencyPolicy(RULES), on_event=audit, cache=cache)
        app = create_app(Settings(database_url=db_url), run_worker=False, gateway=gateway)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        server = LocalServer(app)
        await server.start()
        stack.append((lifespan, server, audit))
        return Service(server.url, app, audit)

    yield go
    for lifespan, server, audit in reversed(stack):
        await server.stop()
        await lifespan.__aexit__(None, None, None)
        await audit.aclose()
