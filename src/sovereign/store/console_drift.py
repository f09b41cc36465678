"""What the console's drift page compares, week against week, read from the features' own records.

* Every model call: ``sovereign_audit_log`` (``kind = 'call'``, not served from the cache), per feature
  and ``provider/model``: calls, successes, latency p95 of the successful ones.
* Descriptions: ``sovereign_description_drafts`` (the latest draft per product): drafts, drafts a model
  wrote, and template drafts the validator refused a model text for (``reason`` ``invalid:…``).
* Fraud: ``sovereign_fraud_results`` with an AI review (``llm = 'ok'``): how often the final score equals
  the rules' score (the review agreed with the rules), and how often it raised it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["CallRow", "DraftRow", "DriftRows", "ReviewRow"]

_CALLS = """
SELECT feature, provider || '/' || model AS model, count(*) AS calls, count(*) FILTER (WHERE outcome = 'ok') AS ok,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome = 'ok') AS p95_ms
FROM sovereign_audit_log
WHERE kind = 'call' AND provider <> '' AND NOT cached AND at >= $1 AND at < $2
GROUP BY 1, 2 ORDER BY 1, 2
"""
_DRAFTS = """
SELECT count(*) AS drafts, count(*) FILTER (WHERE source = 'llm') AS by_model,
       count(*) FILTER (WHERE source = 'template' AND reason LIKE 'invalid:%') AS refused
FROM sovereign_description_drafts WHERE updated_at >= $1 AND updated_at < $2
"""
_REVIEWS = """
SELECT count(*) AS reviewed, count(*) FILTER (WHERE score = rules_score) AS agreed,
       count(*) FILTER (WHERE score > rules_score) AS raised
FROM sovereign_fraud_results WHERE llm = 'ok' AND created_at >= $1 AND created_at < $2
"""


@dataclass(frozen=True, slots=True)
class CallRow:
    feature: str
    model: str
    calls: int
    ok: int
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class DraftRow:
    drafts: int
    by_model: int
    refused: int


@dataclass(frozen=True, slots=True)
class ReviewRow:
    reviewed: int
    agreed: int
    raised: int


class DriftRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def calls(self, since: datetime, until: datetime) -> list[CallRow]:
        rows = await self.pool.fetch(_CALLS, since, until)
        return [CallRow(r["feature"], r["model"], int(r["calls"]), int(r["ok"]), r["p95_ms"]) for r in rows]

    async def drafts(self, since: datetime, until: datetime) -> DraftRow:
        r = await self.pool.fetchrow(_DRAFTS, since, until)
        return DraftRow(int(r["drafts"]), int(r["by_model"]), int(r["refused"]))

    async def reviews(self, since: datetime, until: datetime) -> ReviewRow:
        r = await self.pool.fetchrow(_REVIEWS, since, until)
        return ReviewRow(int(r["reviewed"]), int(r["agreed"]), int(r["raised"]))
