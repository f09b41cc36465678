"""What the fraud and description pages chart, read from the features' own tables.

* Fraud: ``sovereign_fraud_results`` (every scoring; holds the store applied) and
  ``sovereign_console_fraud_reviews`` (release / keep decisions). A released hold
  is the closest thing to a known false positive Sovereign has.
* Descriptions: ``sovereign_description_drafts`` keeps the latest draft per
  product (source ``llm`` or ``template``, the validator's refusal in
  ``reason``, the model), so rates are over the products drafted per day; the
  model latency comes from the audit log's ``descriptions`` calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["DraftStats", "FraudStats"]

_STORE = "($2::text IS NULL OR store_id = $2)"

_HOLDS = f"""
SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day,
       count(DISTINCT (store_id, order_id)) FILTER (WHERE decision = 'hold' AND applied) AS held,
       count(DISTINCT (store_id, order_id)) AS scored
FROM sovereign_fraud_results
WHERE source <> 'inline' AND created_at >= $1 AND {_STORE}
GROUP BY 1 ORDER BY 1
"""

_SCORES = f"""
SELECT least(score / $3, 100 / $3 - 1) AS bin, count(*) AS n
FROM (SELECT DISTINCT ON (store_id, order_id) score FROM sovereign_fraud_results
      WHERE source <> 'inline' AND created_at >= $1 AND {_STORE}
      ORDER BY store_id, order_id, id DESC) latest
GROUP BY 1 ORDER BY 1
"""

_RELEASES = f"""
WITH held AS (
    SELECT store_id, order_id, min(created_at) AS held_at FROM sovereign_fraud_results
    WHERE decision = 'hold' AND applied AND source <> 'inline' AND created_at >= $1 AND {_STORE}
    GROUP BY 1, 2
), decided AS (
    SELECT h.held_at, bool_or(r.decision = 'release') AS released, bool_or(r.decision = 'keep') AS kept
    FROM held h LEFT JOIN sovereign_console_fraud_reviews r USING (store_id, order_id)
    GROUP BY h.store_id, h.order_id, h.held_at
)
SELECT date_trunc('week', held_at AT TIME ZONE 'UTC') AS week, count(*) AS held,
       count(*) FILTER (WHERE released) AS released, count(*) FILTER (WHERE kept AND NOT released) AS kept
FROM decided GROUP BY 1 ORDER BY 1
"""


class FraudStats:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def holds_per_day(self, since: datetime, store_id: str | None = None) -> list[dict[str, Any]]:
        """[{day, held, scored}]: orders put on hold and orders scored, per UTC day."""
        return [dict(r) for r in await self.pool.fetch(_HOLDS, since, store_id)]

    async def score_bins(self, since: datetime, store_id: str | None = None, width: int = 5) -> dict[int, int]:
        """{bin: orders}: each order's latest score, in bins of ``width`` points (bin 0 is 0..width-1)."""
        return {int(r["bin"]): int(r["n"]) for r in await self.pool.fetch(_SCORES, since, store_id, width)}

    async def releases_per_week(self, since: datetime, store_id: str | None = None) -> list[dict[str, Any]]:
        """[{week, held, released, kept}]: orders first held that week, and what review decided."""
        return [dict(r) for r in await self.pool.fetch(_RELEASES, since, store_id)]


_DRAFTS = """
SELECT date_trunc('day', updated_at AT TIME ZONE 'UTC') AS day, count(*) AS drafts,
       count(*) FILTER (WHERE source = 'llm') AS by_model
FROM sovereign_description_drafts WHERE updated_at >= $1
GROUP BY 1 ORDER BY 1
"""

_REASONS = """
SELECT reason, count(*) AS n FROM sovereign_description_drafts
WHERE updated_at >= $1 AND source = 'template' AND reason IS NOT NULL
GROUP BY 1
"""

_MODELS = """
SELECT date_trunc('day', at AT TIME ZONE 'UTC') AS day, provider || '/' || model AS model, count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'ok') AS ok,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome = 'ok') AS p50
FROM sovereign_audit_log
WHERE kind = 'call' AND feature = 'descriptions' AND provider <> '' AND NOT cached AND at >= $1
GROUP BY 1, 2 ORDER BY 1, 2
"""


class DraftStats:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def per_day(self, since: datetime) -> list[dict[str, Any]]:
        """[{day, drafts, by_model}]: products whose draft was last written that day, and how many by a model."""
        return [dict(r) for r in await self.pool.fetch(_DRAFTS, since)]

    async def template_reasons(self, since: datetime) -> dict[str, int]:
        """{reason text: drafts}: why the template was used (validator refusals, gateway errors)."""
        return {r["reason"]: int(r["n"]) for r in await self.pool.fetch(_REASONS, since)}

    async def model_calls(self, since: datetime) -> list[dict[str, Any]]:
        """[{day, model, calls, ok, p50}]: the descriptions feature's gateway calls per model and day."""
        return [dict(r) for r in await self.pool.fetch(_MODELS, since)]
