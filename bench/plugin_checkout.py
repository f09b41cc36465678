"""Latency the WordPress plugin adds to a checkout: its PHP hook timed inside PHP, per order.

The plugin's PHP (tests/wordpress/driver.php: small WordPress/WooCommerce stubs, the plugin, the
``woocommerce_checkout_order_processed`` hook run for each order in one PHP process, HTTP through
PHP's curl) calls:

* healthy: the real app (``create_app``, history from the captured webhook deliveries, a fresh
  embedded PostgreSQL, a fake model answering at once) served over TCP on 127.0.0.1;
* down: a closed port; breaker after 3 failures: the rest of the checkouts make no call
  (target p99 <= 50 ms once it is open);
* hanging: a server that never answers: the hook is cut at the 4 s timeout (target <= 4200 ms).

Baselines in the same run: the same requests sent from Python (httpx, one connection per request,
as the plugin does) to the same server, and the hook with the plugin not configured (no call).

Prints one JSON object on stdout. Usage: ``python bench/plugin_checkout.py [--orders N] [--hangs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import DegradedSettings, RetrySettings, Timeouts
from sovereign.settings import Settings
from sovereign.web.app import create_app
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_sovereign import FakeSovereign, closed_port
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign_testkit.fixtures import load_deliveries, load_json
from sovereign_testkit.pg import TestPostgres

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tests" / "wordpress" / "driver.php"
STORE = "bench"
SECRET = "fixture-secret-1"  # the captured deliveries are signed with it


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def checkout_orders(n: int) -> list[dict[str, Any]]:
    captured = itertools.cycle(load_json("orders.json"))
    return [next(captured) | {"status": "pending", "created_via": "checkout"} for _ in range(n)]


async def php(spec: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        shutil.which("php") or "php", str(DRIVER),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(json.dumps(spec).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"driver failed: {err.decode()}")
    return json.loads(out)


def options(url: str, key: str = "sk-sov-bench", **extra: Any) -> dict[str, Any]:
    return {"sovereign_connector_url": url, "sovereign_connector_api_key": key} | {
        f"sovereign_connector_{k}": v for k, v in extra.items()
    }


def gateway(fake: FakeLLM) -> Gateway:
    provider = ProviderConfig(
        name="fake", kind="openai_compatible", endpoint=fake.openai_url, model="fake-model", jurisdiction="local",
        data_classes=["public", "customer_personal"], max_retries=0, timeouts=Timeouts(connect=1.0, total=3.0),
    )
    settings = GatewaySettings(retry=RetrySettings(base_s=0.01, cap_s=0.02), degraded=DegradedSettings(min_samples=10**6))
    return Gateway([provider], settings=settings)


async def healthy(db_url: str, n: int) -> tuple[list[float], list[float], dict[str, int]]:
    """The hook against the real app, and the same requests from Python as the baseline."""
    async with FakeLLM(reply=json.dumps({"risk": 20, "reasons": ["Nothing unusual."]})) as fake:
        app = create_app(Settings(database_url=db_url, log_level="WARNING"), run_worker=False, gateway=gateway(fake))
        async with app.router.lifespan_context(app), LocalServer(app) as server:
            rt = app.state.runtime
            await rt.stores.upsert(STORE, url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                                   webhook_secret=SECRET)
            _, key = await rt.api_keys.create("bench", features=["fraud"], rate_per_minute=10_000_000)
            async with httpx.AsyncClient(base_url=server.url) as client:
                for d in load_deliveries():
                    headers = {k: v for k, v in d["header_list"] if k.lower() not in ("host", "content-length", "connection")}
                    r = await client.post(f"/webhooks/woocommerce/{STORE}", content=d["body_raw"].encode(), headers=headers)
                    r.raise_for_status()
            orders = checkout_orders(n)
            await php({"options": options(server.url, key, store=STORE), "orders": orders[:5]})  # warm
            out = await php({"options": options(server.url, key, store=STORE), "orders": orders})
            outcomes: dict[str, int] = {}
            for r in out["results"]:
                outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
            baseline: list[float] = []
            headers = {"Authorization": f"Bearer {key}"}
            for order in orders:
                async with httpx.AsyncClient(base_url=server.url, timeout=4.0) as client:  # a new connection, like PHP's
                    t0 = time.perf_counter()
                    r = await client.post("/v1/fraud/score", json={"store": STORE, "order": order}, headers=headers)
                    baseline.append((time.perf_counter() - t0) * 1000.0)
                    r.raise_for_status()
    return [r["hook_ms"] for r in out["results"]], baseline, outcomes


async def main(n: int, hangs: int) -> dict[str, Any]:
    pg = TestPostgres()
    db_url = await pg.new_database()
    try:
        hook_healthy, python_baseline, outcomes = await healthy(db_url, n)
    finally:
        await pg.drop_database(db_url)
    log(f"healthy: p50={pct(hook_healthy, 0.5)} p99={pct(hook_healthy, 0.99)} python p50={pct(python_baseline, 0.5)}")

    unconfigured = await php({"options": options("", ""), "orders": checkout_orders(n)})
    hook_unconfigured = [r["hook_ms"] for r in unconfigured["results"]]

    down = await php({"options": options(f"http://127.0.0.1:{closed_port()}", breaker_failures=3), "orders": checkout_orders(n)})
    first = [r["hook_ms"] for r in down["results"][:3]]
    open_ = [r["hook_ms"] for r in down["results"][3:]]
    down_calls = sum(r["http_calls"] for r in down["results"][3:])
    log(f"down: first failures {first}, breaker open p99={pct(open_, 0.99)} calls={down_calls}")

    async with FakeSovereign("hang") as fake:
        hang = await php({"options": options(fake.url, breaker_failures=hangs), "orders": checkout_orders(hangs + 50)})
        hang_server_calls = fake.calls
    hang_cut = [r["hook_ms"] for r in hang["results"][:hangs]]
    hang_open = [r["hook_ms"] for r in hang["results"][hangs:]]
    log(f"hanging: cut at {hang_cut}, then breaker open p99={pct(hang_open, 0.99)}")

    return {
        "orders": n,
        "healthy_hook_p50_ms": pct(hook_healthy, 0.5),
        "healthy_hook_p99_ms": pct(hook_healthy, 0.99),
        "healthy_outcomes": outcomes,
        "baseline_python_http_p50_ms": pct(python_baseline, 0.5),
        "baseline_python_http_p99_ms": pct(python_baseline, 0.99),
        "healthy_p50_ratio_to_python_http": round(pct(hook_healthy, 0.5) / max(pct(python_baseline, 0.5), 0.01), 2),
        "baseline_unconfigured_hook_p99_ms": pct(hook_unconfigured, 0.99),
        "down_first_failures_ms": [round(x, 2) for x in first],
        "down_breaker_open_p50_ms": pct(open_, 0.5),
        "down_breaker_open_p99_ms": pct(open_, 0.99),
        "down_calls_while_open": down_calls,
        "hanging_cut_ms": [round(x, 1) for x in hang_cut],
        "hanging_breaker_open_p99_ms": pct(hang_open, 0.99),
        "hanging_server_calls": hang_server_calls,
        "target_down_breaker_open_p99_ms": 50,
        "target_hanging_ms": 4200,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--hangs", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    json.dump(asyncio.run(main(args.orders, args.hangs)), sys.stdout)
    sys.stdout.write("\n")
