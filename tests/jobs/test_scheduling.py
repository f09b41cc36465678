"""Scheduling semantics on a real PostgreSQL: now, at, delay, staggered bulk, dedupe (also racing)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from sovereign.jobs import BulkItem, JobQueue, QueueInspector, UnknownJobError
from sovereign.jobs.queue import follow_key
from tests.jobs.conftest import wait_for


async def _run_at(pool, job_id: int) -> datetime:
    return await pool.fetchval("SELECT execute_after FROM pgqueuer WHERE id = $1", job_id)


async def test_schedule_now_at_and_after_delay(queue: JobQueue, jpool) -> None:
    now = datetime.now(timezone.utc)
    a = await queue.schedule("test.noop", {"tag": "now"})
    b = await queue.schedule("test.noop", {"tag": "delay"}, delay=90)
    at = now + timedelta(hours=2)
    c = await queue.schedule("test.noop", {"tag": "at"}, at=at)
    assert abs((await _run_at(jpool, a.job_id)) - now) < timedelta(seconds=2)
    assert abs((await _run_at(jpool, b.job_id)) - (now + timedelta(seconds=90))) < timedelta(seconds=2)
    assert abs((await _run_at(jpool, c.job_id)) - at) < timedelta(seconds=2)
    with pytest.raises(ValueError):
        await queue.schedule("test.noop", {}, at=datetime(2030, 1, 1))  # naive datetimes are refused


async def test_400_staggered_schedules_create_exactly_400_jobs(queue: JobQueue, jpool) -> None:
    items = [BulkItem({"tag": f"p{i}"}, dedupe_key=f"product:{i}") for i in range(400)]
    results = await queue.schedule_many("test.noop", items, interval=timedelta(seconds=2))
    assert sum(r.created for r in results) == 400
    assert await jpool.fetchval("SELECT count(*) FROM pgqueuer") == 400
    rows = await jpool.fetch("SELECT dedupe_key, execute_after FROM pgqueuer ORDER BY id")
    first = rows[0]["execute_after"]
    for i, r in enumerate(rows):
        assert r["dedupe_key"] == f"product:{i}"
        assert abs((r["execute_after"] - first) - timedelta(seconds=2 * i)) < timedelta(milliseconds=50)


async def test_one_key_scheduled_ten_times_while_pending_creates_one(queue: JobQueue, jpool) -> None:
    results = [await queue.schedule("test.noop", {"tag": "x"}, dedupe_key="order:85", delay=60) for _ in range(10)]
    assert [r.created for r in results] == [True] + [False] * 9
    assert {r.job_id for r in results} == {results[0].job_id}  # duplicates report the existing job
    assert await jpool.fetchval("SELECT count(*) FROM pgqueuer") == 1


async def test_dedupe_holds_when_two_processes_race(queue: JobQueue, jpool, db_url: str) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).resolve().parents[2])!r})
        from sovereign.store.database import create_pool
        from sovereign.jobs import JobQueue
        from tests.jobs.handlers import registry
        async def main():
            pool = await create_pool({db_url!r}, max_size=8)
            q = JobQueue(pool, registry)
            res = await asyncio.gather(*(q.schedule("test.noop", {{"tag": "r"}}, dedupe_key=f"k{{i % 25}}", delay=60)
                                         for i in range(100)))
            print(sum(r.created for r in res))
            await pool.close()
        asyncio.run(main())
        """
    )
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [await p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1].decode()[-2000:] for o in outs]
    created = sum(int(o[0].decode().strip()) for o in outs)
    assert created == 25
    assert await jpool.fetchval("SELECT count(*) FROM pgqueuer") == 25


async def test_dedupe_key_is_free_again_after_the_job_finished(queue: JobQueue, run_worker, inspector: QueueInspector) -> None:
    first = await queue.schedule("test.noop", {"tag": "a"}, dedupe_key="product:20")
    run_worker(groups=["default"])

    async def finished() -> bool:
        return await inspector.final_status(first.job_id) == "successful"

    await wait_for(finished, 10)
    again = await queue.schedule("test.noop", {"tag": "b"}, dedupe_key="product:20")
    assert again.created and again.job_id != first.job_id


async def test_unknown_names_and_bad_args_are_refused_when_scheduling(queue: JobQueue, jpool) -> None:
    with pytest.raises(UnknownJobError, match="no job handler named 'nope'"):
        await queue.schedule("nope", {})
    with pytest.raises(ValidationError):
        await queue.schedule("test.sleep", {"seconds": "not a number"})
    assert await jpool.fetchval("SELECT count(*) FROM pgqueuer") == 0


async def test_a_change_announced_while_its_job_runs_gets_one_follow_up_run(queue: JobQueue, jpool, run_worker) -> None:
    """A webhook says "product 31 changed" while the check of 31 is running (it may have read the old
    product): the schedule must not be swallowed by the running job. One follow-up waits behind it."""
    first = await queue.schedule("test.sleep", {"tag": "first", "seconds": 8}, dedupe_key="images:s:31")  # long enough on a loaded machine
    run_worker(groups=["capped"])

    async def running() -> bool:
        return await jpool.fetchval("SELECT count(*) FROM probe WHERE tag = 'first'") == 1

    await wait_for(running, 20)
    plain = await queue.schedule("test.sleep", {"tag": "dropped"}, dedupe_key="images:s:31")
    assert not plain.created and plain.job_id == first.job_id  # without follow_running: deduplicated as before
    follow = await queue.schedule("test.sleep", {"tag": "again", "seconds": 8}, dedupe_key="images:s:31",
                                  follow_running=True)
    assert follow.created and follow.dedupe_key == follow_key("images:s:31")
    more = [await queue.schedule("test.sleep", {"tag": "again"}, dedupe_key="images:s:31", follow_running=True)
            for _ in range(3)]
    # While it waits (or runs: the group runs two at once), more announcements share one run behind it.
    later = {m.job_id for m in more}
    assert len(later) == 1 and (later == {follow.job_id} or all(m.dedupe_key == follow_key(follow_key("images:s:31"))
                                                                 for m in more))
    runs = 2 if later == {follow.job_id} else 3

    async def all_done() -> bool:
        return await jpool.fetchval("SELECT count(*) FROM probe WHERE finished IS NOT NULL") == runs

    await wait_for(all_done, 60)
    rows = await jpool.fetch("SELECT tag, started, finished FROM probe ORDER BY id")
    assert [r["tag"] for r in rows] == ["first"] + ["again"] * (runs - 1)
    assert all(later["started"] >= rows[0]["started"] for later in rows[1:])


async def test_a_change_announced_while_the_follow_up_runs_too_gets_its_own(
    queue: JobQueue, jpool, run_worker
) -> None:
    """Two checks of 31 running at once (the group runs two): a change now must still get a run after both."""
    first = await queue.schedule("test.sleep", {"tag": "first", "seconds": 8}, dedupe_key="images:s:31")
    run_worker(groups=["capped"])
    await wait_for(lambda: _started(jpool, "first"), 20)
    follow = await queue.schedule("test.sleep", {"tag": "second", "seconds": 8}, dedupe_key="images:s:31",
                                  follow_running=True)
    await wait_for(lambda: _started(jpool, "second"), 20)  # the follow-up runs beside the first
    third = await queue.schedule("test.sleep", {"tag": "third"}, dedupe_key="images:s:31", follow_running=True)
    assert third.created and third.dedupe_key == follow_key(follow_key("images:s:31"))
    assert len({first.job_id, follow.job_id, third.job_id}) == 3

    async def third_done() -> bool:
        return await jpool.fetchval("SELECT count(*) FROM probe WHERE tag = 'third' AND finished IS NOT NULL") == 1

    await wait_for(third_done, 60)


async def _started(jpool, tag: str) -> bool:
    return await jpool.fetchval("SELECT count(*) FROM probe WHERE tag = $1", tag) == 1


async def test_follow_running_deduplicates_onto_a_job_that_has_not_started(queue: JobQueue, jpool) -> None:
    waiting = await queue.schedule("test.noop", {"tag": "w"}, dedupe_key="images:s:20", delay=60)
    again = await queue.schedule("test.noop", {"tag": "w"}, dedupe_key="images:s:20", delay=60, follow_running=True)
    assert not again.created and again.job_id == waiting.job_id
    assert await jpool.fetchval("SELECT count(*) FROM pgqueuer") == 1


async def test_finished_jobs_are_listed_with_their_group_and_run_time(queue: JobQueue, run_worker, inspector: QueueInspector) -> None:
    jobs = [await queue.schedule("test.noop", {"tag": f"d{i}"}) for i in range(3)]
    run_worker(groups=["default"])

    async def all_done() -> bool:
        return all([await inspector.final_status(j.job_id) == "successful" for j in jobs])

    await wait_for(all_done, 20)
    done = await inspector.done(limit=10)
    assert [d.id for d in done] == sorted((j.job_id for j in jobs), reverse=True)  # newest first
    assert all(d.group == "default" and d.seconds is not None and d.seconds >= 0 for d in done)
    assert await inspector.done(group="capped") == []
    with pytest.raises(ValueError, match="pending, running, failed, past_due or done"):
        await inspector.list("finished")
