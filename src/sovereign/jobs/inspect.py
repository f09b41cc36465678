"""An inspectable queue: list, show, retry, cancel, purge, counts and past-due detection.

States as Sovereign reports them (pgqueuer's in brackets):
``pending`` [queued], ``running`` [picked], ``failed`` [failed, held],
``done`` (logged successful; the row itself is gone), ``past_due`` (pending
longer than the threshold after its run time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sovereign.jobs.sql import queries_for_pool

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
class Attempt:
    attempt: int
    kind: str
    error: str
    traceback: str | None
    at: datetime
    worker: str | None


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
                raise ValueError(
                    f"unknown state {state!r}; use pending, running, failed or past_due "
                    "(done jobs leave the queue: `sovereign jobs show ID` prints a job's final state)"
                )
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
        rows = await self.pool.fetch(
            "SELECT attempt, kind, error, traceback, at, worker_id FROM sovereign_job_attempts "
            "WHERE job_id = $1 ORDER BY id",
            job_id,
        )
        return [
            Attempt(r["attempt"], r["kind"], r["error"], r["traceback"], r["at"], str(r["worker_id"]) if r["worker_id"] else None)
            for r in rows
        ]

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
            await conn.execute(
                "UPDATE sovereign_job_attempts SET kind = kind || ':before_retry' "
                "WHERE job_id = ANY($1::bigint[]) AND kind = 'worker_lost'",
                job_ids,
            )
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
        rows = await self.pool.fetch(
            "SELECT id, hostname, pid, groups, state, heartbeat, "
            "heartbeat > now() - make_interval(secs => $1) AS fresh FROM sovereign_workers "
            "WHERE state <> 'stopped' ORDER BY started_at",
            fresh_within_s,
        )
        return [dict(r) for r in rows]
