"""The console against the real service: app + lifespan on a real database, served over TCP on 127.0.0.1,
with a WooCommerce-shaped fake store and a fake LLM (both real HTTP servers)."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, Pricing, RetrySettings, Timeouts
from sovereign.jobs import JobContext
from sovereign.metrics import GatewayMetrics
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.web.app import create_app
from sovereign.web.console import ConsoleUsers

STORE = "shop"
SECRET = "shop-webhook-secret"
USER, PASSWORD = "alice", "correct horse battery staple"
EXPLODE = "console_test.explode"


class ExplodeArgs(BaseModel):
    n: int = 1


def providers_for(llm: FakeLLM) -> list[ProviderConfig]:
    return [ProviderConfig(
        name="fake", kind="openai_compatible", endpoint=llm.openai_url, model="fake-model", model_version="fake-1",
        jurisdiction="local", data_classes=["public", "customer_personal"], max_retries=0,
        timeouts=Timeouts(connect=0.5, first_token=2.0, total=2.0),
        pricing=Pricing(input_per_1k=0.5, output_per_1k=1.5),
    )]


def gateway_for(llm: FakeLLM) -> Gateway:
    providers = providers_for(llm)
    return Gateway(
        providers,
        settings=GatewaySettings(
            retry=RetrySettings(base_s=0.01, cap_s=0.02),
            breaker=BreakerSettings(consecutive_failures=1000, failure_rate=1.0),
            degraded=DegradedSettings(min_samples=1000),
        ),
        on_event=GatewayMetrics.for_providers(providers),
    )


class Console:
    """The running service plus an HTTP client that talks to it over TCP like a browser (cookies kept)."""

    def __init__(self, app: FastAPI, url: str, woo: FakeWooStore, llm: FakeLLM, http: httpx.AsyncClient) -> None:
        self.app, self.url, self.woo, self.llm, self.http = app, url, woo, llm, http
        self.fail = True  # what the test job does on its next run

    @property
    def rt(self) -> Any:
        return self.app.state.runtime

    async def login(self, name: str = USER, password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/console/login")
        return await self.http.post("/console/login", data={
            "csrf": csrf_of(form.text), "name": name, "password": password, "next": "/console/jobs",
        })

    async def csrf(self, path: str = "/console/jobs") -> str:
        page = await self.http.get(path)
        assert page.status_code == 200, page.text[:300]
        return csrf_of(page.text)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, from_page: str = "/console/jobs"
    ) -> httpx.Response:
        return await self.http.post(path, data={"csrf": await self.csrf(from_page), **(data or {})})

    async def work_until(self, check: Callable[[], Awaitable[Any]], groups: list[str], timeout: float = 20.0) -> Any:
        """Run a worker on ``groups`` until ``check`` is truthy."""
        worker = self.rt.worker(groups=groups, run_crons=False)
        task = asyncio.create_task(worker.run())
        try:
            return await eventually(check, timeout)
        finally:
            worker.request_stop()
            await task

    async def failed_job(self) -> int:
        """A job that really ran and failed (its traceback recorded), via a worker."""
        scheduled = await self.rt.queue.schedule(EXPLODE, {"n": 1})

        async def failed() -> bool:
            row = await self.rt.inspector.get(scheduled.job_id)
            return row is not None and row.state == "failed"

        await self.work_until(failed, ["default"])
        return scheduled.job_id


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def console_service(
    db_url: str, make_gateway: Callable[[FakeLLM], Gateway] = gateway_for, **settings: Any
) -> AsyncIterator[Console]:
    async with FakeWooStore(safe_ports="any") as woo, FakeLLM(reply='{"risk": 20, "reasons": ["Looks ordinary."]}') as llm:
        woo.state.orders[85]["status"] = "pending"
        config = Settings(database_url=db_url, dequeue_poll_s=0.2, heartbeat_timeout_s=3.0, shutdown_grace_s=3.0,
                          **settings)
        app = create_app(config, run_worker=False, gateway=make_gateway(llm))
        async with app.router.lifespan_context(app), LocalServer(app) as server:
            rt = app.state.runtime
            svc = Console(app, server.url, woo, llm, httpx.AsyncClient(base_url=server.url, timeout=15.0))

            async def explode(args: ExplodeArgs, ctx: JobContext) -> None:
                if svc.fail:
                    raise RuntimeError(f"boom on attempt {ctx.attempt}")

            rt.registry.job(EXPLODE, group="default", max_attempts=1)(explode)
            await rt.stores.upsert(STORE, url=woo.url, consumer_key=woo.consumer_key,
                                   consumer_secret=woo.consumer_secret, webhook_secret=SECRET)
            for topic in ("order.created", "order.updated"):
                woo.add_webhook(topic, f"{server.url}/webhooks/woocommerce/{STORE}", SECRET)
            await ConsoleUsers(rt.db.pool).add(USER, PASSWORD)
            try:
                yield svc
            finally:
                await svc.http.aclose()
                await woo.drain()


@pytest.fixture
async def svc(db_url: str) -> AsyncIterator[Console]:
    async with console_service(db_url) as s:
        yield s
