"""What the demo and the lockout drills read back to report what happened (queries only, no writes but
``fresh_database``): queue counts, fraud results, drafts, takeovers, audit rows."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import asyncpg

__all__ = [
    "audit_rows", "count_jobs", "description_drafts", "fraud_results", "fresh_database", "job_finish_times",
    "job_states", "latest_fraud_results", "picked_jobs_by_worker_pid", "scheduled_jobs", "takeovers",
]

_JOB = "convert_from(payload, 'UTF8')::jsonb->>'job'"


async def fresh_database(admin: asyncpg.Connection, name: str) -> None:
    """Drop and create database ``name`` (the demo's own; ``name`` is a constant of the caller)."""
    if not name.isidentifier():
        raise ValueError(f"not a database name: {name!r}")
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")


async def count_jobs(
    pool: asyncpg.Pool, *, groups: Sequence[str] | None = None, jobs: Sequence[str] | None = None,
    exclude_job: str | None = None, statuses: Sequence[str] | None = ("queued", "picked"),
) -> int:
    """Jobs in ``statuses`` (None: any), optionally only of these groups (entrypoints) or job names, or
    without one job name."""
    return int(await pool.fetchval(
        f"SELECT count(*) FROM pgqueuer WHERE ($1::text[] IS NULL OR status::text = ANY($1::text[])) "
        f"AND ($2::text[] IS NULL OR entrypoint = ANY($2::text[])) "
        f"AND ($3::text[] IS NULL OR {_JOB} = ANY($3::text[])) "
        f"AND ($4::text IS NULL OR {_JOB} <> $4)",
        list(statuses) if statuses is not None else None, list(groups) if groups is not None else None, list(jobs) if jobs is not None else None,
        exclude_job,
    ))


async def scheduled_jobs(pool: asyncpg.Pool, groups: Sequence[str]) -> int:
    """Distinct jobs ever scheduled in these groups (the demo's progress total)."""
    return int(await pool.fetchval(
        "SELECT count(DISTINCT job_id) FROM pgqueuer_log WHERE entrypoint = ANY($1::text[])", list(groups)))


async def latest_fraud_results(pool: asyncpg.Pool, store_id: str) -> dict[int, asyncpg.Record]:
    rows = await pool.fetch(
        "SELECT DISTINCT ON (order_id) order_id, score, decision, llm, reasons FROM sovereign_fraud_results "
        "WHERE store_id = $1 ORDER BY order_id, id DESC", store_id)
    return {int(r["order_id"]): r for r in rows}


async def fraud_results(pool: asyncpg.Pool, store_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT order_id, source, llm, created_at FROM sovereign_fraud_results WHERE store_id = $1 ORDER BY id",
        store_id)


async def description_drafts(pool: asyncpg.Pool, store_id: str) -> dict[int, asyncpg.Record]:
    rows = await pool.fetch(
        "SELECT product_id, draft, source, status, reason FROM sovereign_description_drafts WHERE store_id = $1",
        store_id)
    return {int(r["product_id"]): r for r in rows}


async def job_states(pool: asyncpg.Pool) -> list[tuple[str, dict[str, Any]]]:
    """Every job in the queue: (status, its decoded envelope)."""
    rows = await pool.fetch("SELECT status::text AS status, convert_from(payload, 'UTF8') AS env FROM pgqueuer")
    return [(r["status"], json.loads(r["env"]) if r["env"] else {}) for r in rows]


async def takeovers(pool: asyncpg.Pool) -> list[Any]:
    """When a lost worker's job was taken over."""
    return [r["at"] for r in await pool.fetch(
        "SELECT at FROM sovereign_job_attempts WHERE kind = 'worker_lost' ORDER BY at")]


async def job_finish_times(pool: asyncpg.Pool, job_ids: Iterable[int]) -> dict[int, Any]:
    ids = list(job_ids)
    if not ids:
        return {}
    rows = await pool.fetch(
        "SELECT job_id, max(created) AS at FROM pgqueuer_log WHERE job_id = ANY($1::bigint[]) "
        "AND status = 'successful' GROUP BY job_id", ids)
    return {int(r["job_id"]): r["at"] for r in rows}


async def audit_rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT at, kind, feature, provider, jurisdiction, outcome, redactions::text AS red, detail::text AS detail "
        "FROM sovereign_audit_log ORDER BY id")


async def picked_jobs_by_worker_pid(pool: asyncpg.Pool, pids: Sequence[int]) -> list[asyncpg.Record]:
    """Running jobs of the workers with these process ids: (pid, job id, envelope)."""
    return await pool.fetch(
        "SELECT w.pid, q.id, convert_from(q.payload, 'UTF8')::jsonb AS env FROM pgqueuer q "
        "JOIN sovereign_workers w ON w.id = q.queue_manager_id WHERE q.status = 'picked' AND w.pid = ANY($1::int[])",
        list(pids))
