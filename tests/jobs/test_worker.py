"""Worker semantics on a real PostgreSQL, with real worker processes where the test is about processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pgqueuer.adapters.persistence.queries import Queries

from sovereign.jobs import BulkItem, JobQueue, QueueInspector
from sovereign.jobs.registry import encode_payload
from sovereign.store.queue_sql import queries_for_pool
from tests.jobs.conftest import wait_for


async def _status_is(inspector: QueueInspector, job_id: int, status: str) -> bool:
    return await inspector.final_status(job_id) == status


async def test_group_cap_holds_across_two_worker_processes(queue: JobQueue, jpool, spawn_worker) -> None:
    """Cap 2 on the group, two worker processes, 10 jobs: never more than 2 run at once (measured)."""
    workers = [spawn_worker("capped"), spawn_worker("capped")]
    await wait_for(lambda: jpool.fetchval("SELECT count(*) = 2 FROM sovereign_workers WHERE state = 'running'"), 30)
    await queue.schedule_many("test.sleep", [BulkItem({"tag": f"s{i}", "seconds": 0.6}) for i in range(10)])

    async def all_finished() -> bool:
        return await jpool.fetchval("SELECT count(*) FROM probe WHERE finished IS NOT NULL") == 10

    await wait_for(all_finished, 60)
    rows = await jpool.fetch("SELECT started, finished, pid FROM probe ORDER BY started")
    events = sorted([(r["started"], 1) for r in rows] + [(r["finished"], -1) for r in rows], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2, f"peak concurrency {peak}"
    assert len({r["pid"] for r in rows}) == 2, "both worker processes took jobs"
    for w in workers:
        w.stop()


async def test_poison_job_ends_failed_after_max_attempts_with_every_traceback(
    queue: JobQueue, run_worker, inspector: QueueInspector
) -> None:
    job = await queue.schedule("test.poison", {"tag": "p"})
    run_worker(groups=["default"])
    await wait_for(lambda: _status_is(inspector, job.job_id, "failed"), 15)
    row = await inspector.get(job.job_id)
    assert row is not None and row.state == "failed"
    attempts = await inspector.attempts(job.job_id)
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert all(a.kind == "error" and "poison attempt" in a.error for a in attempts)
    assert all(a.traceback and "RuntimeError" in a.traceback for a in attempts)
    assert (await inspector.counts())["default"]["failed"] == 1


async def test_flaky_job_retries_with_backoff_then_succeeds(queue: JobQueue, run_worker, inspector, jpool) -> None:
    job = await queue.schedule("test.flaky", {"tag": "f"})
    run_worker(groups=["default"])
    await wait_for(lambda: _status_is(inspector, job.job_id, "successful"), 15)
    starts = [r["started"] for r in await jpool.fetch("SELECT started FROM probe ORDER BY id")]
    assert len(starts) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(g >= timedelta(seconds=0.025) for g in gaps), gaps  # backoff, not a hot loop
    assert [a.kind for a in await inspector.attempts(job.job_id)] == ["error", "error"]


async def test_failed_job_can_be_retried_from_the_inspector(queue: JobQueue, run_worker, inspector, jpool) -> None:
    job = await queue.schedule("test.poison", {"tag": "again"})
    run_worker(groups=["default"])
    await wait_for(lambda: _status_is(inspector, job.job_id, "failed"), 15)
    assert await inspector.retry([job.job_id]) == 1
    await wait_for(lambda: jpool.fetchval("SELECT count(*) = 6 FROM probe"), 15)  # a fresh budget of 3 runs
    await wait_for(lambda: _status_is(inspector, job.job_id, "failed"), 15)


async def test_unknown_job_name_fails_with_a_clear_error(jpool, run_worker, inspector: QueueInspector) -> None:
    # Written by something else (an older release, raw SQL): the worker must not drop it silently.
    (job_id,) = await queries_for_pool(jpool).enqueue("default", encode_payload("renamed.job", {}))
    run_worker(groups=["default"])
    await wait_for(lambda: _status_is(inspector, job_id, "failed"), 10)
    (attempt,) = await inspector.attempts(job_id)
    assert attempt.kind == "unknown_job" and "renamed.job" in attempt.error


async def test_sigkilled_worker_job_finishes_elsewhere_within_15s_with_attempt_counted(
    queue: JobQueue, jpool, spawn_worker, inspector: QueueInspector
) -> None:
    job = await queue.schedule("test.hang_first", {"tag": "k"})
    victim = spawn_worker("default")
    await wait_for(lambda: jpool.fetchval("SELECT count(*) = 1 FROM probe"), 30)
    spawn_worker("default")
    await asyncio.sleep(0.5)
    victim.kill()
    took = await wait_for(lambda: _status_is(inspector, job.job_id, "successful"), 15, interval=0.1)
    assert took < 15
    runs = await jpool.fetch("SELECT attempt, pid FROM probe ORDER BY id")
    assert [r["attempt"] for r in runs] == [1, 2]  # the takeover counted as an attempt
    assert runs[0]["pid"] != runs[1]["pid"]
    lost = [a for a in await inspector.attempts(job.job_id) if a.kind == "worker_lost"]
    assert len(lost) == 1


async def test_job_that_keeps_killing_its_worker_ends_failed(queue: JobQueue, jpool, spawn_worker, inspector) -> None:
    job = await queue.schedule("test.kill_worker", {"tag": "doom"})  # max_attempts=2
    for _ in range(3):
        w = spawn_worker("default")
        try:
            w.wait(30)  # dies by its own hand, or (third) keeps running after failing the job
        except Exception:
            break
    await wait_for(lambda: _status_is(inspector, job.job_id, "failed"), 20)
    assert await jpool.fetchval("SELECT count(*) FROM probe") == 2
    kinds = [a.kind for a in await inspector.attempts(job.job_id)]
    assert kinds.count("worker_lost") == 2 and kinds[-1] == "gave_up"


async def test_sigterm_lets_the_running_job_finish_and_takes_no_new_one(
    queue: JobQueue, jpool, spawn_worker, inspector: QueueInspector
) -> None:
    job = await queue.schedule("test.sleep", {"tag": "long", "seconds": 1.5})
    w = spawn_worker("capped")
    await wait_for(lambda: jpool.fetchval("SELECT count(*) = 1 FROM probe"), 30)
    w.terminate()
    later = await queue.schedule("test.sleep", {"tag": "after", "seconds": 0})
    assert w.wait(20) == 0
    assert await inspector.final_status(job.job_id) == "successful"
    assert (await inspector.get(later.job_id)).state == "pending"


async def test_sigterm_past_the_grace_hands_the_job_back(queue: JobQueue, jpool, spawn_worker, inspector) -> None:
    job = await queue.schedule("test.sleep", {"tag": "too long", "seconds": 60})
    w = spawn_worker("capped", SOVEREIGN_SHUTDOWN_GRACE_S="1")
    await wait_for(lambda: jpool.fetchval("SELECT count(*) = 1 FROM probe"), 30)
    w.terminate()
    assert w.wait(20) == 0
    row = await inspector.get(job.job_id)
    assert row is not None and row.state == "pending"  # not lost: back in the queue
    assert [a.kind for a in await inspector.attempts(job.job_id)] == ["interrupted"]


async def test_past_due_jobs_are_counted(queue: JobQueue, inspector: QueueInspector) -> None:
    await queue.schedule("test.sleep", {"tag": "nobody runs capped"})
    assert await inspector.past_due() == 0
    await asyncio.sleep(1.0)
    assert await inspector.past_due() == 1
    assert (await inspector.counts())["capped"]["past_due"] == 1
    assert [j.name for j in await inspector.list("past_due")] == ["test.sleep"]


async def test_cancel_removes_pending_jobs(queue: JobQueue, inspector: QueueInspector) -> None:
    job = await queue.schedule("test.noop", {"tag": "c"}, delay=60)
    assert await inspector.cancel([job.job_id]) == 1
    assert await inspector.get(job.job_id) is None
    assert await inspector.final_status(job.job_id) == "canceled"
