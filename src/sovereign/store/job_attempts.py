"""Failed attempts of jobs (``sovereign_job_attempts``): what pgqueuer's own log does not keep.

The executor writes one row per failed attempt (with its traceback) and one
``worker_lost`` row per takeover; ``sovereign jobs show`` reads them back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["Attempt", "JobAttempts"]


@dataclass(frozen=True)
class Attempt:
    attempt: int
    kind: str
    error: str
    traceback: str | None
    at: datetime
    worker: str | None


class JobAttempts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(
        self, job_id: int, name: str, attempt: int, kind: str, error: str, traceback: str | None,
        worker_id: uuid.UUID | None,
    ) -> None:
        await self.pool.execute(
            "INSERT INTO sovereign_job_attempts (job_id, job_name, attempt, kind, error, traceback, worker_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            job_id, name, attempt, kind, error, traceback, worker_id,
        )

    async def worker_lost_count(self, job_id: int) -> int:
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM sovereign_job_attempts WHERE job_id = $1 AND kind = 'worker_lost'", job_id
        ))

    async def of_job(self, job_id: int) -> list[Attempt]:
        rows = await self.pool.fetch(
            "SELECT attempt, kind, error, traceback, at, worker_id FROM sovereign_job_attempts "
            "WHERE job_id = $1 ORDER BY id",
            job_id,
        )
        return [
            Attempt(r["attempt"], r["kind"], r["error"], r["traceback"], r["at"], str(r["worker_id"]) if r["worker_id"] else None)
            for r in rows
        ]

    @staticmethod
    async def mark_before_retry(conn: asyncpg.Connection, job_ids: list[int]) -> None:
        """Takeovers recorded before a manual retry no longer count against the fresh budget."""
        await conn.execute(
            "UPDATE sovereign_job_attempts SET kind = kind || ':before_retry' "
            "WHERE job_id = ANY($1::bigint[]) AND kind = 'worker_lost'",
            job_ids,
        )
