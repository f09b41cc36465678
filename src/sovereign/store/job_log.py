"""pgqueuer's log (``pgqueuer_log``) read for job latency: each successful job's final pick to done."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

__all__ = ["FinishedJob", "JobLog"]

_PICK_TO_DONE = """
SELECT s.id, s.entrypoint, extract(epoch FROM s.created - p.created)::float8 AS seconds
FROM pgqueuer_log s
LEFT JOIN LATERAL (
    SELECT created FROM pgqueuer_log p
    WHERE p.job_id = s.job_id AND p.status = 'picked' AND p.id < s.id
    ORDER BY p.created DESC, p.id DESC LIMIT 1
) p ON TRUE
WHERE s.id > $1 AND s.status = 'successful' AND s.created <= now() - make_interval(secs => $2)
ORDER BY s.id
LIMIT $3
"""


@dataclass(frozen=True)
class FinishedJob:
    log_id: int
    group: str
    seconds: float | None  # None when its pick was not logged (purged)


class JobLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def cursor_before(self, age_s: float) -> int:
        """The last log id older than ``age_s`` (where a fresh reader starts)."""
        return int(await self.pool.fetchval(
            "SELECT coalesce(max(id), 0) FROM pgqueuer_log WHERE created < now() - make_interval(secs => $1)", age_s
        ))

    async def finished_after(self, cursor: int, settle_s: float, limit: int) -> list[FinishedJob]:
        """Successful jobs logged after ``cursor`` and at least ``settle_s`` ago, oldest first."""
        rows = await self.pool.fetch(_PICK_TO_DONE, cursor, settle_s, limit)
        return [FinishedJob(int(r["id"]), r["entrypoint"], r["seconds"]) for r in rows]
