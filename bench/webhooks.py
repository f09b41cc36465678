"""Webhook ingestion: signed WooCommerce deliveries posted concurrently to a running `sovereign serve`.

For 20 s (``--seconds``), ``--concurrency`` clients post order deliveries built
from the captured ``order.created`` body (the order id changed per delivery and
re-signed, as WooCommerce would sign it). Each order is delivered twice, as
WooCommerce does for a REST-created order (order.created then the identical
order.updated). Then the database is read back:
``lost`` = orders acknowledged with 200 that have no stored event or no job;
``duplicate_jobs`` = orders with more than one fraud job.

Prints one JSON object. The server runs as a real `sovereign serve --no-worker`
process (jobs stay queued, so every scheduled job is counted) on a fresh
embedded PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if p not in ("", str(Path(__file__).resolve().parent))]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx  # noqa: E402

from sovereign.store.database import create_pool  # noqa: E402
from sovereign.store.stores import StoreRepository  # noqa: E402
from sovereign_testkit.fixtures import load_json  # noqa: E402
from sovereign_testkit.pg import TestPostgres  # noqa: E402
from sovereign.woo.webhooks import signature_for  # noqa: E402

SECRET = "bench-secret"
TEMPLATE = load_json("webhook_order_created.json")


def delivery(order_id: int, topic: str) -> tuple[bytes, dict[str, str]]:
    body = TEMPLATE["body_raw"].replace('{"id":85,', f'{{"id":{order_id},', 1).encode()
    headers = {k: v for k, v in TEMPLATE["header_list"] if k.lower() not in ("host", "content-length", "connection")}
    headers["X-WC-Webhook-Topic"] = topic
    headers["X-WC-Webhook-Event"] = topic.split(".")[1]
    headers["X-WC-Webhook-Signature"] = signature_for(body, SECRET)
    return body, headers


async def wait_ready(url: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient() as c:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if (await c.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("sovereign serve did not come up")


async def load(url: str, seconds: float, concurrency: int) -> tuple[list[float], dict[int, int], int]:
    """The load generator shares the 2 cores with the server, so it uses aiohttp (much lighter per
    request than httpx) and pre-signs nothing it does not need: signing is part of the cost
    WooCommerce pays, not us, but it is cheap either way."""
    import aiohttp

    latencies: list[float] = []
    acked: dict[int, int] = {}
    errors = 0
    next_id = iter(range(100_000, 10_000_000))
    stop = time.monotonic() + seconds
    target = url + "/webhooks/woocommerce/bench"

    async def client_loop(session: "aiohttp.ClientSession") -> None:
        nonlocal errors
        while time.monotonic() < stop:
            oid = next(next_id)
            for topic in ("order.created", "order.updated"):
                body, headers = delivery(oid, topic)
                t0 = time.perf_counter()
                try:
                    async with session.post(target, data=body, headers=headers) as r:
                        await r.read()
                        status = r.status
                except aiohttp.ClientError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if status == 200:
                    acked[oid] = acked.get(oid, 0) + 1
                else:
                    errors += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        await asyncio.gather(*(client_loop(session) for _ in range(concurrency)))
    return latencies, acked, errors


async def main(a: argparse.Namespace) -> dict:
    pg = TestPostgres()
    db_url = await pg.new_database("webhooks")
    pool = await create_pool(db_url, max_size=4)
    await StoreRepository(pool).upsert(
        "bench", url="http://127.0.0.1:8080", consumer_key="ck_bench", consumer_secret="cs_bench", webhook_secret=SECRET
    )
    env = {**os.environ, "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_LOG_LEVEL": "WARNING", "SOVEREIGN_EMBEDDED_MODEL": "none",
           "SOVEREIGN_DB_POOL_MAX": "20"}
    port = a.port
    server = subprocess.Popen(
        [sys.executable, "-m", "sovereign.cli", "serve", "--no-worker", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        t0 = time.perf_counter()
        latencies, acked, errors = await load(url, a.seconds, a.concurrency)
        elapsed = time.perf_counter() - t0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    events = {r["resource_id"] for r in await pool.fetch("SELECT resource_id FROM sovereign_webhook_events")}
    jobs = await pool.fetch(
        "SELECT (convert_from(payload, 'UTF8')::jsonb->'args'->>'order_id')::bigint AS oid, count(*) AS n "
        "FROM pgqueuer GROUP BY 1"
    )
    per_order = {r["oid"]: r["n"] for r in jobs}
    await pool.close()
    await pg.drop_database(db_url)
    lost = sum(1 for oid in acked if oid not in events or oid not in per_order)
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [max(latencies)] * 99
    return {
        "deliveries": len(latencies),
        "seconds": round(elapsed, 1),
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(q[98], 2),
        "errors": errors,
        "orders": len(acked),
        "lost": lost,
        "duplicate_jobs": sum(n - 1 for n in per_order.values() if n > 1),
        "concurrency": a.concurrency,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--port", type=int, default=18787)
    print(json.dumps(asyncio.run(main(ap.parse_args()))))
