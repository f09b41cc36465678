"""A worker process's job loop: pgqueuer's QueueManager and SchedulerManager, wired our way.

Run as many workers as you like, on as many machines as share the database.
Group caps hold across all of them (pgqueuer enforces them in SQL).

Stopping (SIGTERM, or ``request_stop()``): stop taking jobs at once, let
running jobs finish for up to ``shutdown_grace_s``, then hand the unfinished
ones back to the queue (each counted as an attempt) and exit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Mapping
from zoneinfo import ZoneInfo

import asyncpg
from croniter import croniter
from pgqueuer.core.executors import ScheduleExecutor
from pgqueuer.core.qm import QueueManager
from pgqueuer.core.sm import SchedulerManager
from pgqueuer.domain import models

from sovereign.jobs.executor import SovereignExecutor, dispatch_placeholder
from sovereign.jobs.queue import JobQueue
from sovereign.jobs.registry import CronSpec, JobRegistry
from sovereign.store.queue_sql import queries_for_pool
from sovereign.store.workers import WorkerRows
from sovereign.settings import Settings
from sovereign.store.database import CONNECTION_LOST

log = logging.getLogger("sovereign.worker")


class StoreTimeScheduleExecutor(ScheduleExecutor):
    """Cron expressions are read in the store's time zone (``0 2 * * *`` = 02:00 store time)."""

    tz: ZoneInfo = ZoneInfo("UTC")

    def get_next(self) -> datetime:
        now = datetime.now(self.tz)
        return croniter(self.parameters.expression, start_time=now).get_next(datetime).astimezone(timezone.utc)


class Worker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        registry: JobRegistry,
        settings: Settings,
        *,
        groups: list[str] | None = None,
        services: object = None,
        run_crons: bool = True,
        concurrency: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.pool = pool
        self.registry = registry
        self.settings = settings
        self.id = uuid.uuid4()
        self.groups = sorted(groups or settings.groups.keys())
        unknown = [g for g in self.groups if g not in settings.groups]
        if unknown:
            raise ValueError(f"unknown job group(s) {unknown}; configured: {sorted(settings.groups)}")
        self.services = services  # handed to every handler as ``ctx.services``
        self.run_crons = run_crons
        self.concurrency = concurrency or settings.worker_concurrency
        self.batch_size = batch_size or settings.worker_batch_size
        self.stopping = asyncio.Event()
        self._qm: QueueManager | None = None
        self._sm: SchedulerManager | None = None

    def _build_queue_manager(self) -> QueueManager:
        qm = QueueManager(queries_for_pool(self.pool))
        # pgqueuer reuses the QueueManager's id as queue_manager_id on picked rows.
        qm.queue_manager_id = self.id  # type: ignore[misc]
        for group in self.groups:
            qm.entrypoint(
                group,
                concurrency_limit=self.settings.groups[group].concurrency,
                on_failure="hold",
                executor_factory=SovereignExecutor.factory(
                    registry=self.registry,
                    pool=self.pool,
                    worker_id=self.id,
                    group=group,
                    services=self.services,
                    stopping=self.stopping,
                ),
            )(dispatch_placeholder)
        return qm

    def _build_scheduler(self) -> SchedulerManager | None:
        crons = list(self.registry.crons.values())
        if not self.run_crons or not crons:
            return None
        sm = SchedulerManager(queries_for_pool(self.pool))
        queue = JobQueue(self.pool, self.registry)
        tz = ZoneInfo(self.settings.store_timezone)
        executor_cls = type("StoreTimeExecutor", (StoreTimeScheduleExecutor,), {"tz": tz})
        for spec in crons:
            sm.schedule(spec.name, spec.expression, executor_factory=executor_cls)(_cron_fire(queue, spec))
        return sm

    async def run(self, *, install_signal_handlers: bool = False) -> None:
        if install_signal_handlers:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.request_stop)
        self._qm = self._build_queue_manager()
        self._sm = self._build_scheduler()
        await self._register()
        beat = asyncio.create_task(self._heartbeat_loop())
        qm_task = asyncio.create_task(self._run_queue(), name=f"sovereign-worker-{self.id}")
        sm_task = asyncio.create_task(self._run_scheduler()) if self._sm else None
        log.info("worker %s started: groups=%s concurrency=%d", self.id, ",".join(self.groups), self.concurrency)
        try:
            stop_wait = asyncio.create_task(self.stopping.wait())
            done, _ = await asyncio.wait({qm_task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if qm_task in done:
                stop_wait.cancel()
                qm_task.result()  # a crashed loop is an error, not a quiet exit
                return
            await self._drain(qm_task, sm_task)
        finally:
            beat.cancel()
            with suppress(asyncio.CancelledError):
                await beat
            await self._set_state("stopped")
            log.info("worker %s stopped", self.id)

    async def _run_queue(self) -> None:
        assert self._qm is not None
        await self._supervise("job loop", lambda: self._qm.run(  # type: ignore[union-attr]
            dequeue_timeout=timedelta(seconds=self.settings.dequeue_poll_s),
            batch_size=self.batch_size,
            max_concurrent_tasks=max(self.concurrency, 2 * self.batch_size),
            heartbeat_timeout=timedelta(seconds=self.settings.heartbeat_timeout_s),
        ), self._rebuild_queue_manager)

    async def _run_scheduler(self) -> None:
        assert self._sm is not None
        await self._supervise("cron scheduler", lambda: self._sm.run(), self._rebuild_scheduler)  # type: ignore[union-attr]

    def _rebuild_queue_manager(self) -> None:
        self._qm = self._build_queue_manager()

    def _rebuild_scheduler(self) -> None:
        self._sm = self._build_scheduler()

    async def _supervise(self, what: str, run: Callable[[], Awaitable[None]], rebuild: Callable[[], None]) -> None:
        """pgqueuer's loops end with an error when the database connection is lost (a restart, a failover):
        rebuild the loop and start it again, with backoff, until stopping. Jobs that were running are taken
        over after the heartbeat timeout, like those of a dead worker."""
        delay = 0.5
        while True:
            try:
                await run()
                return
            except CONNECTION_LOST as exc:
                if self.stopping.is_set():
                    raise
                log.warning("worker %s lost the database (%s: %s); restarting its %s in %.1fs",
                            self.id, type(exc).__name__, exc, what, delay)
                await asyncio.sleep(delay)
                if self.stopping.is_set():
                    return
                delay = min(delay * 2, 2.0)
                rebuild()

    def request_stop(self) -> None:
        if not self.stopping.is_set():
            log.info("worker %s stopping: no new jobs; %ss grace for running ones", self.id, self.settings.shutdown_grace_s)
            self.stopping.set()
            if self._qm is not None:
                self._qm.shutdown.set()
            if self._sm is not None:
                self._sm.shutdown.set()

    async def _drain(self, qm_task: asyncio.Task[None], sm_task: asyncio.Task[None] | None) -> None:
        await self._set_state("draining")
        if sm_task is not None:
            with suppress(Exception):
                await asyncio.wait_for(sm_task, timeout=5)
        try:
            await asyncio.wait_for(asyncio.shield(qm_task), timeout=self.settings.shutdown_grace_s)
        except asyncio.TimeoutError:
            log.warning("worker %s: grace period over, handing unfinished jobs back to the queue", self.id)
            qm_task.cancel()
            with suppress(asyncio.CancelledError):
                await qm_task

    async def _register(self) -> None:
        await WorkerRows(self.pool).register(self.id, socket.gethostname(), os.getpid(), self.groups)

    async def _set_state(self, state: str) -> None:
        with suppress(Exception):
            await WorkerRows(self.pool).set_state(self.id, state)

    async def _heartbeat_loop(self) -> None:
        interval = max(self.settings.heartbeat_timeout_s / 3, 0.5)
        rows = WorkerRows(self.pool)
        while True:
            await asyncio.sleep(interval)
            try:
                await rows.beat(self.id)
            except Exception as exc:  # the database may be restarting; keep beating
                log.warning("worker heartbeat failed: %s", exc)


def _cron_fire(queue: JobQueue, spec: CronSpec):  # noqa: ANN202
    async def fire(schedule: models.Schedule) -> None:
        minute = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M")
        res = await queue.schedule(spec.job, spec.args, dedupe_key=f"cron:{spec.name}:{minute}")
        log.info("cron %s fired: job %s %s", spec.name, res.job_id, "scheduled" if res.created else "already pending")

    fire.__name__ = f"cron_{spec.name}"
    return fire
