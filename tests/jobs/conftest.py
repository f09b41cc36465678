from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator, Callable

import asyncpg
import pytest

from sovereign.jobs import JobQueue, QueueInspector, Worker
from sovereign.settings import GroupConfig, Settings
from tests.jobs.handlers import PROBE_DDL, registry

WORKER_MAIN = Path(__file__).with_name("worker_main.py")


@pytest.fixture
async def jpool(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute(PROBE_DDL)
    return pool


@pytest.fixture
def queue(jpool: asyncpg.Pool) -> JobQueue:
    return JobQueue(jpool, registry)


@pytest.fixture
def inspector(jpool: asyncpg.Pool) -> QueueInspector:
    return QueueInspector(jpool, past_due_after_s=0.5)


def test_settings(url: str | None = None, **kw) -> Settings:
    s = Settings(database_url=url, heartbeat_timeout_s=2.0, dequeue_poll_s=0.5, **kw)
    s.groups["capped"] = GroupConfig(concurrency=2)
    return s


@pytest.fixture
async def run_worker(jpool: asyncpg.Pool) -> AsyncIterator[Callable[..., Worker]]:
    """Start in-process workers; all are stopped at the end of the test."""
    started: list[tuple[Worker, asyncio.Task[None]]] = []

    def start(**kw) -> Worker:
        w = Worker(jpool, registry, test_settings(**kw.pop("settings", {})), services=jpool, **kw)
        started.append((w, asyncio.create_task(w.run())))
        return w

    yield start
    for w, _ in started:
        w.request_stop()
    await asyncio.gather(*(t for _, t in started), return_exceptions=True)


class WorkerProcess:
    def __init__(self, url: str, groups: str | None = None, **env: str) -> None:
        full_env = {
            **os.environ,
            "SOVEREIGN_HEARTBEAT_TIMEOUT_S": "2",
            "SOVEREIGN_DEQUEUE_POLL_S": "0.5",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        args = [sys.executable, str(WORKER_MAIN), url] + ([groups] if groups else [])
        self.proc = subprocess.Popen(args, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stderr(self) -> str:
        self.stop()
        return self.proc.stderr.read() if self.proc.stderr else ""


@pytest.fixture
def spawn_worker(db_url: str) -> AsyncIterator[Callable[..., WorkerProcess]]:
    procs: list[WorkerProcess] = []

    def spawn(groups: str | None = None, **env: str) -> WorkerProcess:
        p = WorkerProcess(db_url, groups, **env)
        procs.append(p)
        return p

    yield spawn
    for p in procs:
        p.stop()


async def wait_for(predicate: Callable[[], "asyncio.Future[bool] | bool"], timeout: float, interval: float = 0.1) -> float:
    """Await until ``predicate()`` is truthy; return the seconds it took. Fails the test on timeout."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return loop.time() - start
        if loop.time() - start > timeout:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
