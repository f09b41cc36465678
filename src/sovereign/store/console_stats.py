"""What the console's overview charts read: provider calls, breaker and degraded marks, the queue, webhooks.

All from tables Sovereign already writes:

* ``sovereign_audit_log``: one ``call`` row per gateway call (provider that
  answered or failed last, outcome, latency), plus ``breaker``,
  ``degraded_entered``/``degraded_left`` and ``override`` rows. Failed *tries*
  that another provider then answered (``AttemptFailed``) are only in the
  process's metrics, not in the database, so a provider's availability here is
  per call, not per try.
* ``pgqueuer_log``: every job transition (queued, picked, successful, exception...)
  and ``pgqueuer`` for the live queue.
* ``sovereign_webhook_events``: one row per distinct delivery with its outcome
  (deliveries refused for a bad signature are counted in metrics only).

Times are bucketed in SQL (``floor(epoch / step) * step``), so the page moves a
few hundred rows, never the raw history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["ConsoleStats", "Mark", "ProviderBucket"]


def _bucket(column: str, arg: str) -> str:
    # date_bin works on timestamps directly (epoch arithmetic would go through numeric: several times slower)
    return f"date_bin(make_interval(secs => {arg}), {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


@dataclass(frozen=True, slots=True)
class ProviderBucket:
    provider: str
    at: datetime
    calls: int
    ok: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class Mark:
    """A breaker change, a degraded switch or an override, as the audit log recorded it."""

    at: datetime
    kind: str  # breaker | degraded_entered | degraded_left | override
    feature: str
    provider: str
    detail: dict[str, Any]


_PROVIDERS = f"""
SELECT provider, {_bucket('at', '$3')} AS bucket, count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'ok') AS ok,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome = 'ok') AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome = 'ok') AS p95
FROM sovereign_audit_log
WHERE kind = 'call' AND provider <> '' AND NOT cached AND outcome <> 'degraded' AND at >= $1 AND at < $2
GROUP BY 1, 2 ORDER BY 1, 2
"""

# The marks inside the window, and the last one of each breaker / feature before it (the state it started in).
_MARKS = """
(SELECT DISTINCT ON (left(kind, 3), provider, feature) at, kind, feature, provider, detail::text AS detail, id
 FROM sovereign_audit_log
 WHERE kind <> 'call' AND at < $1 AND (kind = 'breaker' OR kind LIKE 'degraded%'
       OR (kind = 'override' AND detail->>'name' = 'force_degraded'))
 ORDER BY left(kind, 3), provider, feature, at DESC, id DESC)
UNION ALL
(SELECT at, kind, feature, provider, detail::text, id FROM sovereign_audit_log
 WHERE kind <> 'call' AND at >= $1 AND at < $2)
ORDER BY at, id
"""

_SLO = """
SELECT feature, count(*) AS calls, count(*) FILTER (WHERE outcome <> 'ok') AS bad
FROM sovereign_audit_log
WHERE kind = 'call' AND NOT cached AND outcome <> 'degraded' AND at >= $1 AND at < $2
GROUP BY 1 ORDER BY 1
"""

_QUEUE_FLOW = f"""
SELECT entrypoint AS grp, {_bucket('created', '$3')} AS bucket,
       count(*) FILTER (WHERE status = 'queued') AS came,
       count(*) FILTER (WHERE status IN ('picked', 'canceled', 'deleted')) AS went
FROM pgqueuer_log WHERE created >= $1 AND created < $2
GROUP BY 1, 2 ORDER BY 1, 2
"""

_QUEUE_NOW = """
SELECT entrypoint AS grp, count(*) FILTER (WHERE status = 'queued') AS pending,
       count(*) FILTER (WHERE status = 'queued' AND dedupe_key LIKE 'fraud-rescore:%') AS rescores
FROM pgqueuer GROUP BY 1
"""

# Latency of a job from queued to its end, by the bucket it ended in (jobs queued more than a day
# before the window lose their pair and are left out).
_JOB_LATENCY = f"""
WITH ended AS (
    SELECT job_id, entrypoint, created FROM pgqueuer_log
    WHERE created >= $1 AND created < $2 AND status IN ('successful', 'exception', 'failed', 'canceled')
), queued AS (
    SELECT job_id, min(created) AS created FROM pgqueuer_log
    WHERE created >= $1 - interval '1 day' AND created < $2 AND status = 'queued'
    GROUP BY job_id
)
SELECT e.entrypoint AS grp, {_bucket('e.created', '$3')} AS bucket, count(*) AS jobs,
       extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY e.created - q.created))::float8 AS p50,
       extract(epoch FROM percentile_cont(0.95) WITHIN GROUP (ORDER BY e.created - q.created))::float8 AS p95
FROM ended e JOIN queued q USING (job_id)
GROUP BY 1, 2 ORDER BY 1, 2
"""

_WEBHOOKS = f"""
SELECT {_bucket('received_at', '$3')} AS bucket, outcome, count(*) AS n
FROM sovereign_webhook_events WHERE received_at >= $1 AND received_at < $2
GROUP BY 1, 2 ORDER BY 1, 2
"""


class ConsoleStats:
    """Read-only aggregates for the overview; ``step_s`` is the bucket width in seconds."""

    # The planner cannot know a date_bin has a few hundred values, so with the default 4 MB it sorts
    # a week of job log on disk; with room it hashes (or sorts in memory). Read-only, per statement.
    WORK_MEM = "32MB"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL work_mem = '{self.WORK_MEM}'")
            return await conn.fetch(sql, *args)

    async def providers(self, since: datetime, until: datetime, step_s: int) -> list[ProviderBucket]:
        rows = await self._fetch(_PROVIDERS, since, until, float(step_s))
        return [ProviderBucket(r["provider"], r["bucket"], r["calls"], r["ok"], r["p50"], r["p95"]) for r in rows]

    async def marks(self, since: datetime, until: datetime) -> list[Mark]:
        rows = await self.pool.fetch(_MARKS, since, until)
        return [Mark(r["at"], r["kind"], r["feature"], r["provider"], json.loads(r["detail"] or "{}")) for r in rows]

    async def slo(self, since: datetime, until: datetime) -> dict[str, tuple[int, int]]:
        """{feature: (calls, failed calls)}: the calls the availability SLO counts (not cached, not refused)."""
        return {r["feature"]: (r["calls"], r["bad"]) for r in await self._fetch(_SLO, since, until)}

    async def queue_flow(self, since: datetime, until: datetime, step_s: int) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._fetch(_QUEUE_FLOW, since, until, float(step_s))]

    async def queue_now(self) -> dict[str, dict[str, int]]:
        """{group: {"pending": n, "rescores": n}} from the live queue."""
        return {r["grp"]: {"pending": r["pending"], "rescores": r["rescores"]} for r in await self.pool.fetch(_QUEUE_NOW)}

    async def job_latency(self, since: datetime, until: datetime, step_s: int) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._fetch(_JOB_LATENCY, since, until, float(step_s))]

    async def webhooks(self, since: datetime, until: datetime, step_s: int) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._fetch(_WEBHOOKS, since, until, float(step_s))]
