"""Job handlers used by the queue tests, in-process and in worker subprocesses.

Each handler writes what it did into the ``probe`` table, so tests observe
behaviour through the database, across processes.
"""

from __future__ import annotations

import asyncio
import os
import signal

import asyncpg
from pydantic import BaseModel

from sovereign.jobs import JobContext, JobRegistry

PROBE_DDL = """
CREATE TABLE IF NOT EXISTS probe (
    id serial PRIMARY KEY, job_id bigint, name text, tag text, attempt int, pid int,
    started timestamptz NOT NULL DEFAULT clock_timestamp(), finished timestamptz
)
"""


class Tag(BaseModel):
    tag: str = ""
    seconds: float = 0.0


registry = JobRegistry()


async def _start(ctx: "JobContext[asyncpg.Pool]", args: Tag) -> int:
    pool = ctx.services
    return await pool.fetchval(
        "INSERT INTO probe (job_id, name, tag, attempt, pid) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        ctx.job_id, ctx.name, args.tag, ctx.attempt, os.getpid(),
    )


async def _finish(ctx: "JobContext[asyncpg.Pool]", row: int) -> None:
    await ctx.services.execute("UPDATE probe SET finished = clock_timestamp() WHERE id = $1", row)


@registry.job("test.sleep", group="capped")
async def sleep_job(args: Tag, ctx: JobContext) -> None:
    row = await _start(ctx, args)
    await asyncio.sleep(args.seconds)
    await _finish(ctx, row)


@registry.job("test.noop", group="default")
async def noop(args: Tag, ctx: JobContext) -> None:
    await _finish(ctx, await _start(ctx, args))


@registry.job("test.poison", group="default", max_attempts=3, backoff_base_s=0.05, backoff_max_s=0.1)
async def poison(args: Tag, ctx: JobContext) -> None:
    await _start(ctx, args)
    raise RuntimeError(f"poison attempt {ctx.attempt}")


@registry.job("test.flaky", group="default", max_attempts=5, backoff_base_s=0.05, backoff_max_s=0.1)
async def flaky(args: Tag, ctx: JobContext) -> None:
    """Fails until its third attempt."""
    row = await _start(ctx, args)
    if ctx.attempt < 3:
        raise ConnectionError(f"upstream down (attempt {ctx.attempt})")
    await _finish(ctx, row)


@registry.job("test.hang_first", group="default", max_attempts=3)
async def hang_first(args: Tag, ctx: JobContext) -> None:
    """The first attempt hangs (its worker gets killed); a later attempt finishes at once."""
    row = await _start(ctx, args)
    if ctx.attempt == 1:
        await asyncio.sleep(3600)
    await _finish(ctx, row)


@registry.job("test.kill_worker", group="default", max_attempts=2)
async def kill_worker(args: Tag, ctx: JobContext) -> None:
    """Kills the process running it, every time: a job that can never succeed."""
    await _start(ctx, args)
    os.kill(os.getpid(), signal.SIGKILL)
