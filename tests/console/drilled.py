"""The service as `sovereign demo` and a total-outage drill leave it, built in this process from their own parts.

* the drill's topology (``drills.topology.ServiceConfig``): a US cloud provider first, a local one as fallback,
  both fake OpenAI-compatible servers on 127.0.0.1, drill-sized breaker and degraded-mode windows, the drill's
  store settings (every order gets the AI review, re-scores start after 2 s);
* a week of history before it (``sovereign_testkit.console_history``: gateway calls with a cloud outage and a
  degraded period, the job log, webhook deliveries), so the charts have something to draw over 24 h and 7 days;
* the demo: the captured store connected with ``connect_store``, its orders and products sent as signed
  webhooks, scored, held and drafted by a real worker; one held order released by a reviewer;
* a forecast run over 90 days of sales (``console_history.sales_history``);
* the drill: the ``total-outage`` scenario's faults on both providers while a Black-Friday burst
  (``drills.burst``) goes through checkout scoring and webhooks; breakers open, fraud enters degraded mode and
  queues re-scores; the faults clear, the re-scores run;
* one job that failed (its traceback on the job page).

    async with drilled_service(db_url, tmp_path) as svc:
        svc.url, svc.rt, svc.failed_job, svc.woo
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

from pydantic import BaseModel

from sovereign.demo import WATCHED_GROUPS
from sovereign.drills.burst import run_burst
from sovereign.drills.orders import burst_orders
from sovereign.drills.scenarios import CLOUD, LOCAL, SCENARIOS
from sovereign.drills.topology import FRAUD_ANSWER, STORE_SETTINGS, ServiceConfig
from sovereign.features.fraud.decisions import decide_held_order
from sovereign.features.storesync.connect import connect_store
from sovereign.features.forecasts.run import run_forecast
from sovereign.jobs import JobContext
from sovereign.settings import Settings
from sovereign.store import evidence
from sovereign.store.api_keys import ApiKeyRepository
from sovereign.store.held_orders import HeldOrders
from sovereign.web.app import create_app
from sovereign.web.console import ConsoleUsers
from sovereign_testkit.console_history import gateway_history, job_history, sales_history, webhook_history
from sovereign_testkit.fake_llm import FakeLLM, Step
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import eventually

STORE = "demo"
USER, PASSWORD = "alice", "correct horse battery staple"
EXPLODE = "screens.explode"
DEMO_ORDERS = 16
BURST_ORDERS = 18
# A grounded description answer (sentences citing the product's facts, ``domain.grounded``): products with few
# facts keep it (a model draft), products with many refuse it as too short for them (a template, a refusal).
DESCRIPTION_ANSWER = json.dumps({"sentences": [
    {"text": "Meet this lovely product, a new piece in our range.", "facts": ["F1"]},
]})


class ExplodeArgs(BaseModel):
    n: int = 1


@dataclass
class Drilled:
    url: str
    app: Any
    woo: FakeWooStore
    providers: dict[str, FakeLLM]
    failed_job: int = 0
    released: int = 0

    @property
    def rt(self) -> Any:
        return self.app.state.runtime


until = eventually  # the features tests' poller: check until truthy, or fail naming what it waited for


async def _idle(pool: Any) -> bool:
    """The demo's own test: nothing left to run but re-scores waiting for a provider."""
    return await evidence.count_jobs(pool, groups=WATCHED_GROUPS, exclude_job="fraud.rescore") == 0


async def _history(svc: Drilled, end: datetime) -> None:
    pool = svc.rt.db.pool
    start = end - timedelta(days=8)
    await gateway_history(
        pool, [CLOUD, LOCAL], start, end, every_s=1800,
        outage=(CLOUD, end - timedelta(hours=20), end - timedelta(hours=19)),
        degraded=("fraud", end - timedelta(hours=9), end - timedelta(hours=8, minutes=15)),
    )
    await job_history(pool, {"fraud": 400, "webhooks": 700, "descriptions": 60}, start, end)
    await webhook_history(pool, STORE, end - timedelta(hours=30), end, per_hour=12)


async def _demo(svc: Drilled) -> None:
    """`sovereign demo`'s loop: orders, then products, as signed webhooks; the worker scores and drafts."""
    pool, woo = svc.rt.db.pool, svc.woo
    for oid in sorted(woo.state.orders)[:DEMO_ORDERS]:
        await woo.deliver("order.created", oid)
    await woo.drain()
    await until(lambda: _idle(pool), 60, "the demo's orders to be scored")
    for llm in svc.providers.values():
        llm.reply = DESCRIPTION_ANSWER
    for pid, p in sorted(woo.state.products.items()):
        if p.get("type") != "variation":
            await woo.deliver("product.created", pid)
    await woo.drain()
    await until(lambda: _idle(pool), 60, "the demo's descriptions to be drafted")
    for llm in svc.providers.values():
        llm.reply = FRAUD_ANSWER
    held = await HeldOrders(pool).list(STORE, limit=50)
    assert held, "the demo held no order"
    first = held[-1]
    await decide_held_order(svc.rt, STORE, first.order_id, "release", shown_result=str(first.result_id), actor=USER)
    svc.released = first.order_id


async def _drill(svc: Drilled, api_key: str) -> None:
    """The total-outage scenario: both providers down during a burst; degraded mode, then recovery."""
    rt, pool = svc.rt, svc.rt.db.pool
    scenario = SCENARIOS["total-outage"]
    for fault in scenario.faults:
        svc.providers[fault.provider].set_mode(Step(**fault.step))
    orders = burst_orders(load_json("orders.json"), BURST_ORDERS, first_id=200_000, now=datetime.now(timezone.utc))
    burst = await run_burst(svc.woo, svc.url, STORE, api_key, orders, rate=6.0, origin=time.monotonic())
    assert not [c for c in burst.checkouts if c.blocked], "a checkout was blocked during the drill"

    async def degraded() -> bool:
        return rt.gateway.is_degraded("fraud")

    await until(degraded, 30, "fraud to enter degraded mode")
    await until(lambda: evidence.count_jobs(pool, jobs=["fraud.rescore"], statuses=None), 30, "re-scores")
    for llm in svc.providers.values():
        llm.set_mode("fast")

    async def recovered() -> bool:
        return not rt.gateway.is_degraded("fraud") and await evidence.count_jobs(pool, jobs=["fraud.rescore"]) == 0

    await until(recovered, 60, "fraud to recover and the re-scores to run")
    await until(lambda: _idle(pool), 60, "the burst's jobs")


async def _failed_job(svc: Drilled) -> int:
    scheduled = await svc.rt.queue.schedule(EXPLODE, {"n": 1})

    async def failed() -> bool:
        row = await svc.rt.inspector.get(scheduled.job_id)
        return row is not None and row.state == "failed"

    await until(failed, 30, "the failing job")
    return int(scheduled.job_id)


@asynccontextmanager
async def drilled_service(db_url: str, work_dir: Path) -> AsyncIterator[Drilled]:
    async with FakeWooStore(safe_ports="any") as woo, FakeLLM(reply=FRAUD_ANSWER) as cloud, \
            FakeLLM(reply=FRAUD_ANSWER) as local:
        topology = ServiceConfig(database_url=db_url, port=0, cloud_url=cloud.openai_url, local_url=local.openai_url,
                                 data_dir=str(work_dir / "data"))
        settings = Settings(
            database_url=db_url, data_dir=work_dir / "data", providers=topology.providers(),
            gateway=topology.gateway(), embedded_model="none", probe_interval_s=1.0, dequeue_poll_s=0.2,
            heartbeat_timeout_s=3.0, shutdown_grace_s=3.0,
        )
        app = create_app(settings, run_worker=False)
        async with app.router.lifespan_context(app), LocalServer(app) as server:
            svc = Drilled(server.url, app, woo, {CLOUD: cloud, LOCAL: local})
            rt = svc.rt

            async def explode(args: ExplodeArgs, ctx: JobContext) -> None:
                raise RuntimeError(f"boom on attempt {ctx.attempt}")

            rt.registry.job(EXPLODE, group="default", max_attempts=1)(explode)
            await ConsoleUsers(rt.db.pool).add(USER, PASSWORD)
            await connect_store(
                rt.stores, url=woo.url, consumer_key=woo.consumer_key, consumer_secret=woo.consumer_secret,
                public_url=server.url, store_id=STORE,
                settings={"description_mode": "review", "tone": "friendly", "currency": "USD", **STORE_SETTINGS},
            )
            await rt.stores.mark_synced(STORE, datetime.now(timezone.utc))
            _, api_key = await ApiKeyRepository(rt.db.pool).create("drill-checkout", features=["fraud"],
                                                                    rate_per_minute=1_000_000)
            await _history(svc, datetime.now(timezone.utc) - timedelta(minutes=20))
            worker = rt.worker(run_crons=False)
            task = asyncio.create_task(worker.run())
            try:
                await _demo(svc)
                today = datetime.now(timezone.utc).date()
                sales_history(woo.state, today)
                await run_forecast(rt, STORE, today=today)
                await _drill(svc, api_key)
                svc.failed_job = await _failed_job(svc)
                yield svc
            finally:
                worker.request_stop()
                await task
                await woo.drain()
