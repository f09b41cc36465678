"""Usage per feature, month and provider, read from the audit log (what ``sovereign costs`` prices)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from sovereign.domain.costs import UsageRow

__all__ = ["usage"]

_USAGE = """
SELECT to_char(date_trunc('month', at), 'YYYY-MM') AS month, feature, provider,
       count(*) AS calls, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       count(*) FILTER (WHERE cached) AS cached, avg(latency_ms) AS mean_latency_ms
FROM sovereign_audit_log
WHERE kind = 'call' AND outcome = 'ok' AND ($1::timestamptz IS NULL OR at >= $1)
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def usage(pool: asyncpg.Pool, since: datetime | None = None) -> list[UsageRow]:
    return [
        UsageRow(
            month=r["month"], feature=r["feature"], provider=r["provider"], calls=r["calls"],
            input_tokens=int(r["input_tokens"] or 0), output_tokens=int(r["output_tokens"] or 0),
            cached=r["cached"], mean_latency_ms=float(r["mean_latency_ms"] or 0.0),
        )
        for r in await pool.fetch(_USAGE, since)
    ]
