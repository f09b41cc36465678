"""Latency of POST /v1/fraud/score: degraded, breaker open, healthy fake model, hanging model.

The real app (``create_app``: auth, store lookup, history from the database,
result recording, re-score scheduling) on a fresh embedded PostgreSQL, called
in-process over ``httpx.ASGITransport``. The store's history is the captured
webhook deliveries, posted through the real receiver first. Requests cycle
through the 44 captured orders, one at a time (latency, not throughput).

* degraded: ``force_degraded("fraud")``; target p99 < 50 ms.
* breaker open: the fake model answers 500, the breaker opened on the first call.
* healthy: the fake model answers at once with a valid risk JSON.
* deadline: the fake model never answers; the max latency must stay <= 4000 ms + slack.

Prints one JSON object on stdout. Usage: ``python bench/fraud_inline.py [--requests N] [--hangs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import statistics
import sys
import time
from typing import Any

import httpx

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign.settings import Settings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fixtures import load_deliveries, load_json
from sovereign_testkit.pg import TestPostgres
from sovereign.web.app import create_app

STORE = "bench"
SECRET = "fixture-secret-1"  # the captured deliveries are signed with it


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def gateway(fake: FakeLLM, *, breaker_failures: int = 1000, total_s: float = 30.0) -> Gateway:
    provider = ProviderConfig(
        name="fake", kind="openai_compatible", endpoint=fake.openai_url, model="fake-model", jurisdiction="local",
        data_classes=["public", "customer_personal"], max_retries=0,
        timeouts=Timeouts(connect=1.0, first_token=total_s, total=total_s),
    )
    settings = GatewaySettings(
        retry=RetrySettings(base_s=0.01, cap_s=0.02),
        breaker=BreakerSettings(consecutive_failures=breaker_failures, failure_rate=1.0, cooldown_s=3600),
        degraded=DegradedSettings(min_samples=1_000_000),
    )
    return Gateway([provider], settings=settings)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


async def measure(db_url: str, gw: Gateway, n: int, label: str) -> tuple[list[float], dict[str, int]]:
    app = create_app(Settings(database_url=db_url, log_level="WARNING"), run_worker=False, gateway=gw)
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        await rt.stores.upsert(STORE, url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                               webhook_secret=SECRET)
        _, key = await rt.api_keys.create("bench", features=["fraud"], rate_per_minute=10_000_000)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sovereign.bench") as client:
            if not await rt.db.fetchval("SELECT count(*) FROM sovereign_webhook_events"):
                await _load_history(client)
            orders = itertools.cycle(load_json("orders.json"))
            headers = {"Authorization": f"Bearer {key}"}
            await client.post("/v1/fraud/score", json={"store": STORE, "order": next(orders)}, headers=headers)  # warm
            walls: list[float] = []
            llm_states: dict[str, int] = {}
            for _ in range(n):
                body = {"store": STORE, "order": next(orders)}
                t0 = time.perf_counter()
                r = await client.post("/v1/fraud/score", json=body, headers=headers)
                walls.append((time.perf_counter() - t0) * 1000.0)
                if r.status_code != 200:
                    raise RuntimeError(f"{label}: HTTP {r.status_code}: {r.text}")
                state = r.json()["llm"]
                llm_states[state] = llm_states.get(state, 0) + 1
    log(f"{label}: n={n} p50={pct(walls, 0.5)}ms p99={pct(walls, 0.99)}ms max={max(walls):.1f}ms llm={llm_states}")
    return walls, llm_states


async def _load_history(client: httpx.AsyncClient) -> None:
    for d in load_deliveries():
        headers = {k: v for k, v in d["header_list"] if k.lower() not in ("host", "content-length", "connection")}
        r = await client.post(f"/webhooks/woocommerce/{STORE}", content=d["body_raw"].encode(), headers=headers)
        if r.status_code != 200:
            raise RuntimeError(f"history delivery refused: {r.status_code} {r.text}")


async def main(n: int, hangs: int) -> dict[str, Any]:
    pg = TestPostgres()
    db_url = await pg.new_database()
    try:
        async with FakeLLM(reply=json.dumps({"risk": 20, "reasons": ["Nothing unusual."]})) as fake:
            degraded_gw = gateway(fake)
            degraded_gw.overrides.force_degraded("fraud", reason="bench")
            degraded, _ = await measure(db_url, degraded_gw, n, "degraded")
            calls_while_degraded = fake.calls

            fake.set_mode("error")
            broken, _ = await measure(db_url, gateway(fake, breaker_failures=1), n, "breaker_open")
            calls_while_open = fake.calls - calls_while_degraded

            fake.set_mode("fast")
            healthy, healthy_states = await measure(db_url, gateway(fake), n, "healthy")

            fake.set_mode("hang")
            hanging, hang_states = await measure(db_url, gateway(fake), hangs, "deadline")
    finally:
        await pg.drop_database(db_url)
    return {
        "requests": n,
        "degraded_p50_ms": pct(degraded, 0.5),
        "degraded_p99_ms": pct(degraded, 0.99),
        "degraded_max_ms": round(max(degraded), 2),
        "breaker_open_p50_ms": pct(broken, 0.5),
        "breaker_open_p99_ms": pct(broken, 0.99),
        "healthy_p50_ms": pct(healthy, 0.5),
        "healthy_p99_ms": pct(healthy, 0.99),
        "healthy_mean_ms": round(statistics.fmean(healthy), 2),
        "healthy_llm_ok": healthy_states.get("ok", 0),
        "deadline_ms": round(max(hanging), 2),
        "deadline_requests": hangs,
        "deadline_llm_states": hang_states,
        "provider_calls_while_degraded": calls_while_degraded,
        "provider_calls_while_breaker_open": calls_while_open,
        "target_p99_ms": 50,
        "target_deadline_ms": 4000,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--hangs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = asyncio.run(main(args.requests, args.hangs))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
