"""History for the console's charts: weeks of gateway calls, breaker trips and degraded periods written through
the real ``AuditWriter`` (with its clock set back), and a job log of any size for the queue charts.

    await gateway_history(pool, ["local", "cloud"], start, end, every_s=120)
    await job_history(pool, {"fraud": 60_000, "webhooks": 40_000}, start, end)

Deterministic (seeded ``random``). Used by the console tests, the screenshots and ``bench/console.py``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Sequence

import asyncpg

from sovereign.audit import AuditWriter
from sovereign.gateway.events import BreakerChanged, CallFinished, DegradedEntered, DegradedLeft

__all__ = ["SALES", "gateway_history", "job_history", "sales_history", "webhook_history"]

FEATURES = ("fraud", "descriptions", "forecasts")


def _call(feature: str, provider: str, outcome: str, latency_ms: float, cached: bool = False) -> CallFinished:
    return CallFinished(
        feature=feature, data_class="customer_personal" if feature == "fraud" else "public", outcome=outcome,
        provider=provider, jurisdiction="local" if provider == "local" else "eu", model=f"{provider}-model",
        model_version="1", latency_ms=latency_ms, input_tokens=300, output_tokens=60, cached=cached, attempts=1,
    )


async def gateway_history(
    pool: asyncpg.Pool, providers: Sequence[str], start: datetime, end: datetime, *, every_s: float = 120.0,
    outage: tuple[str, datetime, datetime] | None = None, degraded: tuple[str, datetime, datetime | None] | None = None,
    seed: int = 7,
) -> int:
    """Calls on every provider every ``every_s`` seconds; ``outage`` fails one provider (breaker open, then
    closed) and ``degraded`` puts one feature in degraded mode (``None`` end: still degraded). Returns rows written."""
    rng = random.Random(seed)
    now = [start.timestamp()]
    writer = AuditWriter(pool, batch_size=2000, clock=lambda: now[0])
    marks: list[tuple[float, object]] = []
    if outage is not None:
        name, a, b = outage
        marks += [(a.timestamp(), BreakerChanged(name, "closed", "open", "5 consecutive failures")),
                  (b.timestamp(), BreakerChanged(name, "open", "closed", "probe succeeded"))]
    if degraded is not None:
        feature, a, b = degraded
        marks.append((a.timestamp(), DegradedEntered(feature, "availability below SLO", 0.91)))
        if b is not None:
            marks.append((b.timestamp(), DegradedLeft(feature, "availability back above SLO")))
    marks.sort(key=lambda m: m[0])
    written, t, step = 0, start.timestamp(), every_s
    base = {p: 120.0 + 180.0 * i for i, p in enumerate(providers)}
    while t < end.timestamp():
        while marks and marks[0][0] <= t:
            now[0], event = marks.pop(0)
            writer(event)  # type: ignore[arg-type]
        for p in providers:
            now[0] = t + rng.random() * step
            down = outage is not None and outage[0] == p and outage[1].timestamp() <= now[0] < outage[2].timestamp()
            hour = datetime.fromtimestamp(now[0]).hour
            slow = 1.0 + 0.6 * (9 <= hour <= 18)  # busier in the day
            ok = not down and rng.random() > 0.004
            latency = base[p] * slow * rng.lognormvariate(0, 0.35) if ok else 30_000.0 if down else 900.0
            writer(_call(rng.choice(FEATURES), p, "ok" if ok else "timeout", round(latency, 1)))
        if len(writer._buffer) >= 2000:  # noqa: SLF001 - flush in big batches, the writer's own path
            written += await writer.flush()
        t += step
    for at, event in marks:
        now[0] = at
        writer(event)  # type: ignore[arg-type]
    written += await writer.flush()
    return written


async def job_history(pool: asyncpg.Pool, groups: dict[str, int], start: datetime, end: datetime, *,
                      pending: int = 0, seed: int = 11) -> int:
    """``groups[g]`` finished jobs spread over the window in ``pgqueuer_log`` (queued, picked, successful or
    exception, as pgqueuer logs them), and ``pending`` jobs still queued in each group. Returns jobs."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    rows: list[tuple[int, datetime, str, str]] = []
    job_id = int(await pool.fetchval("SELECT COALESCE(max(job_id), 0) FROM pgqueuer_log")) + 1_000_000
    for group, n in groups.items():
        for _ in range(n):
            queued = start + timedelta(seconds=rng.random() * span)
            picked = queued + timedelta(seconds=rng.expovariate(1 / 4.0))
            ended = picked + timedelta(seconds=rng.lognormvariate(0, 0.8))
            if ended >= end:
                continue
            status = "successful" if rng.random() > 0.01 else "exception"
            rows += [(job_id, queued, "queued", group), (job_id, picked, "picked", group), (job_id, ended, status, group)]
            job_id += 1
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "pgqueuer_log", records=[(j, c, s, 0, g, True) for j, c, s, g in rows],
            columns=["job_id", "created", "status", "priority", "entrypoint", "aggregated"],
        )
        if pending:
            for group in groups:
                await conn.execute(
                    "INSERT INTO pgqueuer (priority, entrypoint, payload, status, execute_after) "
                    "SELECT 0, $1, convert_to('{\"job\": \"bench.noop\", \"args\": {}}', 'UTF8'), 'queued', now() "
                    "FROM generate_series(1, $2)", group, pending,
                )
    return len(rows) // 3


async def webhook_history(pool: asyncpg.Pool, store_id: str, start: datetime, end: datetime, *,
                          per_hour: int = 30, seed: int = 13) -> int:
    """Delivery rows (as the webhook endpoint records them) for an already connected store."""
    rng = random.Random(seed)
    rows = []
    t, i = start, 0
    while t < end:
        for _ in range(rng.randint(per_hour // 2, per_hour * 3 // 2)):
            at = t + timedelta(seconds=rng.random() * 3600)
            outcome = "scheduled" if rng.random() > 0.15 else "ignored"
            rows.append((store_id, "order.updated", "order", 10_000 + i, f"{i:064x}", outcome, "{}", at))
            i += 1
        t += timedelta(hours=1)
    await pool.executemany(
        "INSERT INTO sovereign_webhook_events (store_id, topic, resource, resource_id, body_sha256, outcome, body, "
        "received_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)", rows,
    )
    return len(rows)


# Daily demand per product for ``sales_history``: (mean units per day, weekly swing, stock on hand or None).
SALES = {
    30: (3.0, 0.5, 18),     # T-Shirt with Logo: steady, short on stock
    22: (1.4, 0.3, 25),     # Cap: the captured store's one stock-managed product
    24: (2.2, 0.4, 9),      # Hoodie with Pocket: runs out within days
    19: (0.35, 0.0, 30),    # T-Shirt: intermittent, covered
    31: (0.9, 0.2, 12),     # Beanie with Logo
}


def sales_history(state: object, today: date, *, days: int = 90, seed: int = 17) -> int:
    """Orders in a fake store's state (``FakeWooStore().state``) selling ``SALES`` products every day for
    ``days`` days before ``today``, and their stock set; the forecast then reads them over REST."""
    import copy
    import math

    rng = random.Random(seed)
    orders = state.orders  # type: ignore[attr-defined]
    template = copy.deepcopy(next(iter(orders.values())))
    item = dict(template["line_items"][0])
    next_id = max(orders) + 1000
    added = 0
    for pid, (mean, swing, stock) in SALES.items():
        product = state.products[pid]  # type: ignore[attr-defined]
        product["manage_stock"], product["stock_quantity"] = stock is not None, stock
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            rate = mean * (1 + swing * math.sin(2 * math.pi * day.weekday() / 7)) * (0.8 + 0.4 * (days - back) / days)
            units = sum(1 for _ in range(20) if rng.random() < rate / 20)
            if not units:
                continue
            order = copy.deepcopy(template)
            stamp = f"{day.isoformat()}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00"
            order.update(id=next_id, status="completed", date_created=stamp, date_created_gmt=stamp,
                         date_modified=stamp, date_modified_gmt=stamp)
            order["line_items"] = [{**item, "id": next_id, "product_id": pid, "variation_id": 0, "quantity": units,
                                    "name": product["name"]}]
            orders[next_id] = order
            next_id += 1
            added += 1
    return added
