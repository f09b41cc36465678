"""Injecting and clearing each kind of fault, with the moment it took effect.

* provider faults: the fake providers switch mode over their control API;
* worker crash: SIGKILL of the worker that runs the most jobs right now
  (its running jobs are remembered: the drill checks they are taken over);
* database restart: PostgreSQL stopped in immediate mode, started again
  after ``fault_s``, then a reconciliation of the store is scheduled (what
  WooCommerce could not deliver meanwhile is fetched over REST).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sovereign.jobs import JobQueue
from sovereign.runtime import build_registry
from sovereign.store import embedded
from sovereign.store import evidence

from .stack import STORE_ID, Stack

__all__ = ["FaultRecord", "clear", "inject"]

log = logging.getLogger("sovereign.drills")


@dataclass(slots=True)
class FaultRecord:
    injected_at: float | None = None  # seconds from the drill's origin
    cleared_at: float | None = None
    detail: str = ""
    victim_pid: int | None = None
    orphaned_jobs: list[int] = field(default_factory=list)  # jobs the killed worker was running
    orphaned_orders: list[int] = field(default_factory=list)
    reconcile_scheduled_at: float | None = None


async def inject(stack: Stack, record: FaultRecord, origin: float) -> None:
    kind = stack.scenario.kind
    if kind == "provider":
        await asyncio.gather(*(stack.providers[f.provider].set_mode(f.step) for f in stack.scenario.faults))
        record.injected_at = time.monotonic() - origin
        record.detail = "; ".join(f.describe() for f in stack.scenario.faults)
    elif kind == "worker":
        await _kill_busiest_worker(stack, record, origin)
    elif kind == "database":
        await asyncio.to_thread(embedded.kill, stack.pgdata)
        record.injected_at = time.monotonic() - origin
        record.detail = "PostgreSQL stopped (immediate mode)"
    else:  # pragma: no cover - Scenario.kind is a Literal
        raise ValueError(kind)


async def clear(stack: Stack, record: FaultRecord, origin: float) -> None:
    kind = stack.scenario.kind
    if kind == "provider":
        await stack.restore_providers()
        record.cleared_at = time.monotonic() - origin
    elif kind == "database":
        await asyncio.to_thread(embedded.ensure_running, stack.pgdata)
        record.cleared_at = time.monotonic() - origin
        await _schedule_reconcile(stack, record, origin)
    else:  # a killed worker stays dead: the fault is the moment of the kill
        record.cleared_at = record.injected_at


async def _kill_busiest_worker(stack: Stack, record: FaultRecord, origin: float, wait_s: float = 5.0) -> None:
    """Kill the worker process running the most jobs (waiting up to ``wait_s`` for one to run any)."""
    assert stack.pool is not None
    pids = {w.pid: w for w in stack.workers if w.alive()}
    deadline = time.monotonic() + wait_s
    rows: list[Any] = []
    while True:
        rows = await evidence.picked_jobs_by_worker_pid(stack.pool, list(pids))
        if rows or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    by_pid: dict[int, list[Any]] = {}
    for r in rows:
        by_pid.setdefault(int(r["pid"]), []).append(r)
    pid = max(by_pid, key=lambda p: len(by_pid[p])) if by_pid else next(iter(pids))
    victim = pids[pid]
    await asyncio.to_thread(victim.kill)
    record.injected_at = time.monotonic() - origin
    record.victim_pid = pid
    for r in by_pid.get(pid, []):
        record.orphaned_jobs.append(int(r["id"]))
        env = json.loads(r["env"]) if isinstance(r["env"], str) else r["env"]
        order_id = (env.get("args") or {}).get("order_id")
        if order_id is not None:
            record.orphaned_orders.append(int(order_id))
    record.detail = f"SIGKILL {victim.name} (pid {pid}) while it ran {len(record.orphaned_jobs)} job(s)"


async def _schedule_reconcile(stack: Stack, record: FaultRecord, origin: float, timeout_s: float = 30.0) -> None:
    """Schedule ``reconcile.store`` once the service itself takes writes again (its /readyz), not merely the
    drill's own connection: a webhook the service refuses after an earlier reconciliation listed the store
    would otherwise wait for the next periodic one."""
    assert stack.pool is not None
    await stack.wait_ready(timeout_s)
    queue = JobQueue(stack.pool, build_registry())
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await queue.schedule("reconcile.store", {"store": STORE_ID}, dedupe_key=f"reconcile:{STORE_ID}:drill")
            record.reconcile_scheduled_at = time.monotonic() - origin
            return
        except Exception as exc:  # noqa: BLE001 - the pool reconnects once the server answers
            if time.monotonic() > deadline:
                raise
            log.info("database not back yet (%s); retrying", exc)
            await asyncio.sleep(0.2)
