"""The whole service for feature tests: the real app (receiver, worker, API) on a real database, a fake
WooCommerce store and a fake LLM, all real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.web.app import create_app

STORE = "shop"
SECRET = "shop-webhook-secret"


def answer(risk: int, *reasons: str) -> str:
    """What the fake model says: the JSON object the fraud prompt asks for."""
    return json.dumps({"risk": risk, "reasons": list(reasons)})


def gateway_for(fake: FakeLLM | None, *, total_s: float = 2.0, breaker: BreakerSettings | None = None) -> Gateway:
    """One local provider on the fake LLM (none when ``fake`` is None); retries short, no degraded mode
    unless a test forces it, breakers that only open when a test asks for it."""
    providers = [] if fake is None else [ProviderConfig(
        name="fake", kind="openai_compatible", endpoint=fake.openai_url, model="fake-model", jurisdiction="local",
        data_classes=["public", "customer_personal"], max_retries=0,
        timeouts=Timeouts(connect=0.5, first_token=total_s, total=total_s),
    )]
    settings = GatewaySettings(
        retry=RetrySettings(base_s=0.01, cap_s=0.02),
        breaker=breaker or BreakerSettings(consecutive_failures=1000, failure_rate=1.0),
        degraded=DegradedSettings(min_samples=1000),
    )
    return Gateway(providers, settings=settings)


class Service:
    """The app with its lifespan: in-process client (``client``), TCP address (``url``), its runtime."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, url: str, woo: FakeWooStore | None) -> None:
        self.app, self.client, self.url, self.woo = app, client, url, woo

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def db(self) -> Any:
        return self.runtime.db

    async def results(self, order_id: int | None = None) -> list[dict[str, Any]]:
        rows = await self.db.pool.fetch(
            "SELECT * FROM sovereign_fraud_results WHERE store_id = $1 AND ($2::bigint IS NULL OR order_id = $2) "
            "ORDER BY id", STORE, order_id,
        )
        return [dict(r) | {"reasons": json.loads(r["reasons"])} for r in rows]

    async def jobs(self, name: str, state: str | None = None) -> list[Any]:
        return await self.runtime.inspector.list(state, name=name, limit=1000)

    async def key(self, features: list[str] | None = None) -> str:
        _, full = await self.runtime.api_keys.create("test", features=features or ["fraud"], rate_per_minute=100_000)
        return full

    async def run_due_now(self, name: str) -> int:
        """Make pending ``name`` jobs due now, as if their delay or backoff had passed."""
        status = await self.db.pool.execute(
            "UPDATE pgqueuer SET execute_after = now() WHERE status = 'queued' "
            "AND convert_from(payload, 'UTF8')::jsonb->>'job' = $1", name,
        )
        return int(status.split()[-1])


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


# These tests exercise the AI review's wiring, so the store asks it for every order and lets it
# raise the score freely (the defaults ask only when it could change the decision, +25 at most).
# The description tests script free-text answers (the fake LLM replies with prose); the grounded mode,
# the default for stores, has its own tests (test_descriptions_grounded.py).
LLM_PLUMBING = {"fraud": {"llm_review": "always", "llm_max_raise": 100}, "description_grounded": False}


@asynccontextmanager
async def running(
    db_url: str, gateway: Gateway, woo: FakeWooStore | None = None, *, store_settings: dict[str, Any] | None = None,
    worker: bool = True,
) -> AsyncIterator[Service]:
    settings = Settings(database_url=db_url, dequeue_poll_s=0.2, heartbeat_timeout_s=3.0)
    app = create_app(settings, run_worker=worker, gateway=gateway)
    async with app.router.lifespan_context(app):
        async with LocalServer(app) as server:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sovereign.test") as client:
                await app.state.runtime.stores.upsert(
                    STORE, url=woo.url if woo else "http://127.0.0.1:9", consumer_key=woo.consumer_key if woo else "ck",
                    consumer_secret=woo.consumer_secret if woo else "cs", webhook_secret=SECRET,
                    settings={**LLM_PLUMBING, **(store_settings or {})},
                )
                if woo is not None:
                    for topic in ("order.created", "order.updated"):
                        woo.add_webhook(topic, f"{server.url}/webhooks/woocommerce/{STORE}", SECRET)
                yield Service(app, client, server.url, woo)
                if woo is not None:
                    await woo.drain()


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=answer(10, "Nothing unusual.")) as fake:
        yield fake


@pytest.fixture
async def woo() -> AsyncIterator[FakeWooStore]:
    """The captured store, with the showcase order 85 back in the state it was created in (pending)."""
    async with FakeWooStore(safe_ports="any") as store:  # Sovereign on a random port: the filter allows it
        store.state.orders[85]["status"] = "pending"
        yield store
