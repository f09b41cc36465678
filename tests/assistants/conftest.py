"""The assistants on the real app: a real database, the real local embedding model, a fake LLM upstream and the
WooCommerce-shaped store, all over real HTTP on 127.0.0.1."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign.web.app import create_app

DATA = Path(__file__).parent / "data"
STORE = "shop"


def llm_gateway(fake: FakeLLM | None, *, jurisdiction: str = "local", classes: tuple[str, ...] | None = None) -> Gateway:
    """One provider on the fake upstream (none when ``fake`` is None); short timeouts, no retries."""
    providers = [] if fake is None else [ProviderConfig(
        name="fake-" + jurisdiction.lower(), kind="openai_compatible", endpoint=fake.openai_url, model="fake-model",
        jurisdiction=jurisdiction, data_classes=list(classes or ("public", "customer_personal", "hr_personal")),
        max_retries=0, timeouts=Timeouts(connect=0.5, first_token=5.0, total=5.0),
    )]
    settings = GatewaySettings(
        retry=RetrySettings(base_s=0.01, cap_s=0.02),
        breaker=BreakerSettings(consecutive_failures=1000, failure_rate=1.0),
        degraded=DegradedSettings(min_samples=1000),
    )
    return Gateway(providers, settings=settings)


class Service:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def pool(self) -> Any:
        return self.runtime.db.pool

    @property
    def parts(self) -> Any:
        from sovereign.features.assistants.parts import assistants

        return assistants(self.runtime)

    async def key(self, features: list[str], collections: list[str] | None = None) -> str:
        key, full = await self.runtime.api_keys.create("test", features=features, rate_per_minute=100_000)
        if collections:
            await self.parts.store.grant(key.id, collections)
        return full

    async def ingest(self, collection: str, folder: Path, *, prune: bool = False) -> Any:
        """Stage the folder's documents and index them (the job's own function, run here)."""
        from sovereign.features.assistants.ingest import index_run, read_documents

        parts = self.parts
        run = await parts.store.stage(collection, read_documents(folder), prune=prune)
        return await index_run(parts.store, parts.embedder, run.id, parts.settings)

    async def ask(self, key: str, question: str, **body: Any) -> httpx.Response:
        return await self.client.post("/v1/policies/ask", json={"question": question, **body},
                                      headers={"Authorization": f"Bearer {key}"})

    async def support(self, key: str, question: str, **body: Any) -> httpx.Response:
        return await self.client.post("/v1/support/answer", json={"store": STORE, "question": question, **body},
                                      headers={"Authorization": f"Bearer {key}"})

    async def audit(self) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.pool.fetch("SELECT * FROM sovereign_assistant_audit ORDER BY id")]


@asynccontextmanager
async def running(
    db_url: str, gateway: Gateway, woo: FakeWooStore | None = None, **settings: Any
) -> AsyncIterator[Service]:
    app = create_app(Settings(database_url=db_url, **settings), run_worker=False, gateway=gateway)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sovereign.test") as c:
            await app.state.runtime.stores.upsert(
                STORE, url=woo.url if woo else "http://127.0.0.1:9", consumer_key=woo.consumer_key if woo else "ck",
                consumer_secret=woo.consumer_secret if woo else "cs", webhook_secret="s",
            )
            yield Service(app, c)


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="NOT_IN_POLICIES") as fake:
        yield fake


@pytest.fixture
async def hr(db_url: str, llm: FakeLLM) -> AsyncIterator[Service]:
    """The service with hr-eu and hr-us ingested and a local provider on the fake LLM."""
    async with running(db_url, llm_gateway(llm)) as svc:
        await svc.ingest("hr-eu", DATA / "hr-eu")
        await svc.ingest("hr-us", DATA / "hr-us")
        yield svc
