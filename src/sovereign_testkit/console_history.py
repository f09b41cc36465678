"""History for the console's charts: weeks of gateway calls, breaker trips and degraded periods written through
the real ``AuditWriter`` (with its clock set back), and a job log of any size for the queue charts.

    await gateway_history(pool, ["local", "cloud"], start, end, every_s=120)
    await job_history(pool, {"fraud": 60_000, "webhooks": 40_000}, start, end)

Deterministic (seeded ``random``). Used by the console tests, the screenshots and ``bench/console.py``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Sequence

import asyncpg

from sovereign.audit import AuditWriter
from sovereign.gateway.events import BreakerChanged, CallFinished, DegradedEntered, DegradedLeft

__all__ = ["gateway_history", "job_history", "webhook_history"]

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
