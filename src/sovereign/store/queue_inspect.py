"""The queue's tables, read and administered (pgqueuer's ``pgqueuer`` and ``pgqueuer_log``, our attempts
and workers): list, show, retry, cancel, purge, counts, past-due detection, finished jobs.

States as Sovereign reports them (pgqueuer's in brackets):
``pending`` [queued], ``running`` [picked], ``failed`` [failed, held],
``done`` (logged successful; the row itself is gone), ``past_due`` (pending
longer than the threshold after its run time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import asyncpg

from sovereign.store.job_attempts import Attempt, JobAttempts
from sovereign.store.queue_sql import queries_for_pool
from sovereign.store.workers import WorkerRows

__all__ = ["Attempt", "DoneJob", "JobRow", "QueueInspector"]

_STATE_SQL = {"pending": "queued", "running": "picked", "failed": "failed"}

_JOB_COLUMNS = """
    id, entrypoint AS "group", status::text AS status, priority, attempts, created, updated,
    execute_after, heartbeat, dedupe_key, queue_manager_id, headers,
    convert_from(payload, 'UTF8')::jsonb AS envelope
"""


@dataclass(frozen=True)
class JobRow:
    id: int
    name: str
    group: str
    state: str
    attempts: int
    created: datetime
    run_at: datetime
    dedupe_key: str | None
    args: dict[str, Any]
    worker: str | None
    takeovers: int

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> "JobRow":
        env = json.loads(r["envelope"]) if r["envelope"] else {}
        headers = json.loads(r["headers"]) if r["headers"] else {}
        state = {"queued": "pending", "picked": "running"}.get(r["status"], r["status"])
        return cls(
            id=r["id"],
            name=env.get("job", "?"),
            group=r["group"],
            state=state,
            attempts=r["attempts"],
            created=r["created"],
            run_at=r["execute_after"],
            dedupe_key=r["dedupe_key"],
            args=env.get("args", {}),
            worker=str(r["queue_manager_id"]) if r["queue_manager_id"] else None,
            takeovers=int(headers.get("takeovers", 0)) if isinstance(headers, dict) else 0,
        )


@dataclass(frozen=True)
class DoneJob:
    """A job that finished well: its row has left the queue, pgqueuer's log keeps when and in which group."""

    id: int
    group: str
    queued_at: datetime | None
    done_at: datetime

    @property
    def seconds(self) -> float | None:
        return (self.done_at - self.queued_at).total_seconds() if self.queued_at else None


class QueueInspector:
    def __init__(self, pool: asyncpg.Pool, past_due_after_s: float = 300.0) -> None:
        self.pool = pool
        self.past_due_after_s = past_due_after_s

    async def counts(self) -> dict[str, dict[str, int]]:
        """{group: {pending, running, failed, past_due}} for every group that has rows."""
        rows = await self.pool.fetch(
            """
            SELECT entrypoint AS grp,
                   count(*) FILTER (WHERE status = 'queued') AS pending,
                   count(*) FILTER (WHERE status = 'picked') AS running,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'queued'
                        AND execute_after < now() - make_interval(secs => $1)) AS past_due
            FROM pgqueuer GROUP BY entrypoint ORDER BY entrypoint
            """,
            self.past_due_after_s,
        )
        return {r["grp"]: {k: r[k] for k in ("pending", "running", "failed", "past_due")} for r in rows}

    async def oldest_due(self) -> dict[str, float]:
        """{group: seconds} the oldest job that is due has waited, per group with due jobs."""
        rows = await self.pool.fetch(
            "SELECT entrypoint AS grp, extract(epoch FROM now() - min(execute_after))::float8 AS age "
            "FROM pgqueuer WHERE status = 'queued' AND execute_after <= now() GROUP BY entrypoint"
        )
        return {r["grp"]: max(0.0, r["age"]) for r in rows}

    async def past_due(self) -> int:
        return await self.pool.fetchval(
            "SELECT count(*) FROM pgqueuer WHERE status = 'queued' "
            "AND execute_after < now() - make_interval(secs => $1)",
            self.past_due_after_s,
        )

    async def list(self, state: str | None = None, *, name: str | None = None, limit: int = 50) -> list[JobRow]:
        where, args = ["TRUE"], []
        if state == "past_due":
            args.append(self.past_due_after_s)
            where.append(f"status = 'queued' AND execute_after < now() - make_interval(secs => ${len(args)})")
        elif state is not None:
            if state not in _STATE_SQL:
                raise ValueError(f"unknown state {state!r}; use pending, running, failed, past_due or done")
            args.append(_STATE_SQL[state])
            where.append(f"status = ${len(args)}::pgqueuer_status")
        if name:
            args.append(name)
            where.append(f"convert_from(payload, 'UTF8')::jsonb->>'job' = ${len(args)}")
        args.append(limit)
        sql = f"SELECT {_JOB_COLUMNS} FROM pgqueuer WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ${len(args)}"
        return [JobRow.from_record(r) for r in await self.pool.fetch(sql, *args)]

    async def done_count(self, since_s: float | None = None) -> int:
        if since_s is None:
            return await self.pool.fetchval("SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'")
        return await self.pool.fetchval(
            "SELECT count(*) FROM pgqueuer_log WHERE status = 'successful' AND created > now() - make_interval(secs => $1)",
            since_s,
        )

    async def get(self, job_id: int) -> JobRow | None:
        r = await self.pool.fetchrow(f"SELECT {_JOB_COLUMNS} FROM pgqueuer WHERE id = $1", job_id)
        return JobRow.from_record(r) if r else None

    async def attempts(self, job_id: int) -> list[Attempt]:
        return await JobAttempts(self.pool).of_job(job_id)

    async def history(self, job_id: int) -> list[tuple[datetime, str]]:
        rows = await self.pool.fetch(
            "SELECT created, status::text AS status FROM pgqueuer_log WHERE job_id = $1 ORDER BY id", job_id
        )
        return [(r["created"], r["status"]) for r in rows]

    async def final_status(self, job_id: int) -> str | None:
        """The last logged state of a job, also after its row left the queue (``successful``...)."""
        return await self.pool.fetchval(
            "SELECT status::text FROM pgqueuer_log WHERE job_id = $1 ORDER BY id DESC LIMIT 1", job_id
        )

    async def retry(self, job_ids: list[int]) -> int:
        """Put failed jobs back in the queue with a fresh attempt budget. Returns how many moved."""
        async with self.pool.acquire() as conn, conn.transaction():
            n = await conn.fetchval(
                "SELECT count(*) FROM pgqueuer WHERE id = ANY($1::bigint[]) AND status = 'failed'", job_ids
            )
            # A fresh budget: takeovers recorded so far no longer count.
            await conn.execute(
                "UPDATE pgqueuer SET headers = headers - 'takeovers' - 'lost_worker' "
                "WHERE id = ANY($1::bigint[]) AND status = 'failed' AND jsonb_typeof(headers) = 'object'",
                job_ids,
            )
            await JobAttempts.mark_before_retry(conn, job_ids)
        await queries_for_pool(self.pool).requeue_jobs(job_ids)
        return int(n)

    async def cancel(self, job_ids: list[int]) -> int:
        """Cancel pending or failed jobs (removed) and ask running ones to stop. Returns how many matched."""
        async with self.pool.acquire() as conn, conn.transaction():
            removed = await conn.fetch(
                "DELETE FROM pgqueuer WHERE id = ANY($1::bigint[]) AND status IN ('queued', 'failed') "
                "RETURNING id, entrypoint, priority",
                job_ids,
            )
            if removed:
                await conn.executemany(
                    "INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority) VALUES ($1, 'canceled', $2, $3)",
                    [(r["id"], r["entrypoint"], r["priority"]) for r in removed],
                )
            running = await conn.fetch(
                "SELECT id FROM pgqueuer WHERE id = ANY($1::bigint[]) AND status = 'picked'", job_ids
            )
        if running:
            await queries_for_pool(self.pool).notify_job_cancellation([r["id"] for r in running])
        return len(removed) + len(running)

    async def purge(self, *, failed_older_than_s: float | None = None, log_older_than_s: float | None = None) -> dict[str, int]:
        out = {"failed": 0, "log": 0}
        if failed_older_than_s is not None:
            res = await self.pool.execute(
                "DELETE FROM pgqueuer WHERE status = 'failed' AND updated < now() - make_interval(secs => $1)",
                failed_older_than_s,
            )
            out["failed"] = int(res.split()[-1])
        if log_older_than_s is not None:
            res = await self.pool.execute(
                "DELETE FROM pgqueuer_log WHERE created < now() - make_interval(secs => $1)", log_older_than_s
            )
            out["log"] = int(res.split()[-1])
        return out

    async def workers(self, fresh_within_s: float) -> list[dict[str, Any]]:
        return await WorkerRows(self.pool).live(fresh_within_s)

    async def done(self, *, group: str | None = None, limit: int = 50) -> list[DoneJob]:
        """The latest jobs that finished well (their arguments left with their row)."""
        rows = await self.pool.fetch(
            "SELECT d.job_id, d.entrypoint, d.created AS done_at, "
            "(SELECT min(q.created) FROM pgqueuer_log q WHERE q.job_id = d.job_id AND q.status = 'queued') AS queued_at "
            "FROM pgqueuer_log d WHERE d.status = 'successful' AND ($1::text IS NULL OR d.entrypoint = $1) "
            "ORDER BY d.id DESC LIMIT $2",
            group, limit,
        )
        return [DoneJob(int(r["job_id"]), r["entrypoint"], r["queued_at"], r["done_at"]) for r in rows]

    @staticmethod
    async def waiting_id(conn: asyncpg.Pool | asyncpg.Connection, dedupe_key: str) -> int | None:
        """The job with this key that has not started yet, if any."""
        value = await conn.fetchval("SELECT id FROM pgqueuer WHERE dedupe_key = $1 AND status = 'queued'", dedupe_key)
        return int(value) if value is not None else None

    @staticmethod
    async def pending_ids(conn: asyncpg.Pool | asyncpg.Connection, keys: Iterable[str | None]) -> dict[str, int]:
        """{dedupe_key: id} of the waiting or running jobs holding these keys."""
        rows = await conn.fetch(
            "SELECT dedupe_key, id FROM pgqueuer WHERE dedupe_key = ANY($1::text[]) AND status IN ('queued', 'picked')",
            list(keys),
        )
        return {r["dedupe_key"]: r["id"] for r in rows}
