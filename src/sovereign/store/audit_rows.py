"""A filtered page of ``sovereign_audit_log`` for the console (the chain itself: ``audit_log``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["AuditFilter", "AuditRows"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    kind: str | None = None
    feature: str | None = None
    provider: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def args(self) -> list[Any]:
        return [self.kind, self.feature, self.provider, self.outcome, self.since, self.until]


_AUDIT = """
SELECT id, at, kind, feature, data_class, provider, jurisdiction, model, model_version, outcome, latency_ms,
       input_tokens, output_tokens, cached, attempts, redactions::text AS redactions, flags, detail::text AS detail,
       hash
FROM sovereign_audit_log
WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR feature = $2)
  AND ($3::text IS NULL OR provider = $3) AND ($4::text IS NULL OR outcome = $4)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::bigint IS NULL OR id < $7)
ORDER BY id DESC
LIMIT $8
"""


class AuditRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def page(self, f: AuditFilter, *, before_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` continues a previous page."""
        rows = await self.pool.fetch(_AUDIT, *f.args(), before_id, limit)
        out = []
        for r in rows:
            row = dict(r)
            row["redactions"] = json.loads(row["redactions"] or "{}")
            row["detail"] = json.loads(row["detail"] or "{}")
            row["flags"] = list(row["flags"] or ())
            out.append(row)
        return out

    async def choices(self) -> dict[str, list[str]]:
        """The kinds, features, providers and outcomes of recent rows, for the filter's menus."""
        out: dict[str, list[str]] = {}
        for column in ("kind", "feature", "provider", "outcome"):
            rows = await self.pool.fetch(  # the recent rows only: a full scan of a large log is not a menu's job
                f"SELECT DISTINCT v FROM (SELECT {column} AS v FROM sovereign_audit_log ORDER BY id DESC LIMIT 5000) t "
                "WHERE v <> '' ORDER BY 1 LIMIT 100"
            )
            out[column] = [r["v"] for r in rows]
        return out
