"""Queue throughput: enqueue 10,000 no-op jobs and drain them with Sovereign's worker,
then the same workload on huey with its SQLite storage (the peer), in the same run.

Prints one JSON object. Sovereign runs on a real embedded PostgreSQL (started
here in a temp folder) with one in-process worker, as `sovereign worker` does.
Every job is recorded when it runs, so lost and duplicated jobs are counted,
and the peak number of jobs of the capped group running at once is measured.

usage: python bench/queue.py (this file's shim) [--jobs 10000] [--cap 64]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse
import asyncio
import json
import logging
import os
import tempfile
import threading
import time

import uvloop  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from sovereign.jobs import BulkItem, JobContext, JobQueue, JobRegistry, Worker  # noqa: E402
from sovereign.settings import GroupConfig, Settings  # noqa: E402
from sovereign.store.database import create_pool  # noqa: E402
from sovereign_testkit.pg import TestPostgres  # noqa: E402


class Noop(BaseModel):
    i: int


async def sovereign_run(n: int, cap: int, batch: int = 0) -> dict:
    pg = TestPostgres()
    url = await pg.new_database("bench")
    pool = await create_pool(url, min_size=4, max_size=12)
    registry = JobRegistry()
    seen: list[int] = []
    state = {"running": 0, "peak": 0}
    all_done = asyncio.Event()

    @registry.job("bench.noop", group="bench")
    async def noop(args: Noop, ctx: JobContext) -> None:
        state["running"] += 1
        state["peak"] = max(state["peak"], state["running"])
        await asyncio.sleep(0)
        seen.append(args.i)
        state["running"] -= 1
        if len(seen) >= n:
            all_done.set()

    queue = JobQueue(pool, registry)
    t0 = time.perf_counter()
    chunk = 1000
    for start in range(0, n, chunk):
        await queue.schedule_many("bench.noop", [BulkItem({"i": i}) for i in range(start, min(start + chunk, n))])
    enqueue_s = time.perf_counter() - t0

    settings = Settings(database_url=url, dequeue_poll_s=0.5)
    settings.groups = {"bench": GroupConfig(concurrency=cap)}
    worker = Worker(pool, registry, settings, concurrency=2 * cap, batch_size=batch or cap)
    t1 = time.perf_counter()
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(all_done.wait(), timeout=600)
    drain_s = time.perf_counter() - t1
    worker.request_stop()
    await task
    logged = await pool.fetchval("SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'")
    left = await pool.fetchval("SELECT count(*) FROM pgqueuer")
    await pool.close()
    await pg.drop_database(url)
    return {
        "enqueue_per_s": n / enqueue_s,
        "drain_per_s": n / drain_s,
        "lost": n - len(set(seen)),
        "duplicates": len(seen) - len(set(seen)),
        "logged_successful": logged,
        "left_in_queue": left,
        "max_group_concurrency": state["peak"],
    }


def huey_run(n: int, workers: int) -> dict:
    from huey import SqliteHuey

    path = Path(tempfile.mkdtemp(prefix="huey-bench-")) / "huey.db"
    huey = SqliteHuey("bench", filename=str(path), results=False)
    lock = threading.Lock()
    seen: list[int] = []
    done = threading.Event()

    @huey.task()
    def noop(i: int) -> None:
        with lock:
            seen.append(i)
            if len(seen) >= n:
                done.set()

    t0 = time.perf_counter()
    for i in range(n):
        noop(i)
    enqueue_s = time.perf_counter() - t0
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False, initial_delay=0.001, backoff=1.0, max_delay=0.01)
    t1 = time.perf_counter()
    thread = threading.Thread(target=consumer.run, daemon=True)
    # huey's consumer installs signal handlers; run its loop without them.
    consumer._set_signal_handlers = lambda: None  # type: ignore[attr-defined]
    thread.start()
    done.wait(timeout=600)
    drain_s = time.perf_counter() - t1
    consumer.stop(graceful=True)
    return {
        "peer_enqueue_per_s": n / enqueue_s,
        "peer_drain_per_s": n / drain_s,
        "peer_lost": n - len(set(seen)),
        "peer_workers": workers,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--cap", type=int, default=100)
    ap.add_argument("--batch", type=int, default=50, help="jobs claimed per dequeue (cap/2 keeps the pipeline full)")
    ap.add_argument("--peer-workers", type=int, default=8)
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    ours = uvloop.run(sovereign_run(a.jobs, a.cap, a.batch))
    peer = huey_run(a.jobs, a.peer_workers)
    out = {
        "jobs": a.jobs,
        "enqueue_per_s": round(ours["enqueue_per_s"], 1),
        "drain_per_s": round(ours["drain_per_s"], 1),
        "peer": "huey SqliteHuey (thread consumer)",
        "peer_enqueue_per_s": round(peer["peer_enqueue_per_s"], 1),
        "peer_drain_per_s": round(peer["peer_drain_per_s"], 1),
        "ratio_vs_peer": round(ours["drain_per_s"] / peer["peer_drain_per_s"], 2),
        "lost": ours["lost"],
        "duplicates": ours["duplicates"],
        "logged_successful": ours["logged_successful"],
        "left_in_queue": ours["left_in_queue"],
        "max_group_concurrency": ours["max_group_concurrency"],
        "group_cap": a.cap,
        "batch_size": a.batch,
        "peer_lost": peer["peer_lost"],
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
