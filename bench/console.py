"""The console's overview page on a month of history: renders in < 300 ms (p95) with 30 days of gateway calls
for 5 providers and 100k jobs in a real embedded PostgreSQL.

Seeding: gateway calls on 5 providers every 2 minutes for 30 days (~108k audit rows, written through the
real ``AuditWriter`` with its clock set back, hash chain and all), a breaker outage and a degraded period;
100k finished jobs in 4 groups in ``pgqueuer_log`` (queued, picked, done: ~300k rows, COPY) plus a live
backlog; ~21k webhook deliveries. Then the service (``create_app``, lifespan, real TCP) serves the pages
to a logged-in client.

Baseline in the same run: the console's jobs page (a plain table page) on the same database;
``overview_vs_jobs`` is the ratio of p50s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[:] = [p for p in sys.path if p not in ("", str(Path(__file__).resolve().parent))]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx  # noqa: E402

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig  # noqa: E402
from sovereign.gateway.config import Timeouts  # noqa: E402
from sovereign.settings import Settings  # noqa: E402
from sovereign.store.database import create_pool  # noqa: E402
from sovereign.store.stores import StoreRepository  # noqa: E402
from sovereign.web.app import create_app  # noqa: E402
from sovereign.web.console import ConsoleUsers  # noqa: E402
from sovereign_testkit.console_history import gateway_history, job_history, webhook_history  # noqa: E402
from sovereign_testkit.fake_woo_server import LocalServer  # noqa: E402
from sovereign_testkit.pg import TestPostgres  # noqa: E402

PROVIDERS = ["local", "eu-small", "eu-large", "us-large", "backup"]
GROUPS = {"fraud": 40_000, "webhooks": 35_000, "descriptions": 15_000, "forecasts": 10_000}
TARGET_MS = 300.0


def gateway() -> Gateway:
    # never called: the page reads the live breaker states only
    return Gateway([
        ProviderConfig(name=n, kind="openai_compatible", endpoint="http://127.0.0.1:9/v1", model=f"{n}-model",
                       model_version="1", jurisdiction="local" if n == "local" else "eu",
                       data_classes=["public", "customer_personal"], timeouts=Timeouts(connect=0.2, total=0.5))
        for n in PROVIDERS
    ], settings=GatewaySettings())


async def seed(db_url: str, days: int, every_s: float) -> dict[str, int]:
    end = datetime.now(timezone.utc)
    start = end - timedelta(days=days)
    pool = await create_pool(db_url, min_size=1, max_size=4)
    try:
        calls = await gateway_history(
            pool, PROVIDERS, start, end, every_s=every_s,
            outage=("eu-large", end - timedelta(hours=7), end - timedelta(hours=5, minutes=30)),
            degraded=("fraud", end - timedelta(days=3), end - timedelta(days=3) + timedelta(hours=2)),
        )
        jobs = await job_history(pool, GROUPS, start, end, pending=60)
        await StoreRepository(pool).upsert("shop", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                                           webhook_secret="s")
        hooks = await webhook_history(pool, "shop", start, end, per_hour=30)
        await pool.execute("ANALYZE")
        return {"audit_rows": calls, "jobs": jobs, "webhook_events": hooks}
    finally:
        await pool.close()


async def timed(http: httpx.AsyncClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = await http.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 1),
            "max_ms": round(ms[-1], 1)}


async def main(args: argparse.Namespace) -> dict[str, object]:
    pg = TestPostgres()
    db_url = await pg.new_database("console")
    try:
        t = time.perf_counter()
        seeded = await seed(db_url, args.days, args.every_s)
        seed_s = time.perf_counter() - t
        app = create_app(Settings(database_url=db_url), run_worker=False, gateway=gateway())
        async with app.router.lifespan_context(app), LocalServer(app) as server:
            await ConsoleUsers(app.state.runtime.db.pool).add("bench", "bench password 123")
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                form = await http.get("/console/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
                await http.post("/console/login", data={"csrf": csrf, "name": "bench", "password": "bench password 123"})
                page = (await http.get("/console/overview")).text  # warm-up, and a check of what is drawn
                charts = re.findall(r'<figure class="chart" id="chart-([^"]+)"', page)
                await timed(http, "/console/jobs", 2)
                jobs_ms = await timed(http, "/console/jobs", args.n)
                day_ms = await timed(http, "/console/overview", args.n)
                week_ms = await timed(http, "/console/overview?window=7d", args.n)
    finally:
        await pg.drop_database(db_url)
    day, week, jobs = summary(day_ms), summary(week_ms), summary(jobs_ms)
    return {
        "bench": "console_overview",
        "history_days": args.days, "providers": len(PROVIDERS), **seeded, "seed_s": round(seed_s, 1),
        "charts": charts, "requests_each": args.n,
        "overview_24h": day, "overview_7d": week, "baseline_jobs_page": jobs,
        "overview_vs_jobs": round(day["p50_ms"] / jobs["p50_ms"], 2),
        "overview_7d_vs_jobs": round(week["p50_ms"] / jobs["p50_ms"], 2),
        "target_ms": TARGET_MS, "ok": day["p95_ms"] < TARGET_MS and week["p95_ms"] < TARGET_MS,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--every-s", type=float, default=120.0, help="seconds between calls on each provider")
    ap.add_argument("-n", type=int, default=20, help="requests per page")
    print(json.dumps(asyncio.run(main(ap.parse_args()))))
