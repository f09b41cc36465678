"""Running scenarios end to end: stack up, burst, fault window, settle, evidence, stack down.

    report = await run_drill(select("all"), DrillOptions(progress=print))
    report.passed, report.scenarios[0].as_json()

Each scenario gets a fresh database on the drill's own PostgreSQL server
(under the work folder, never a server anything else uses: the
database-restart scenario stops it), fresh fake providers and a fresh
`sovereign serve`. The burst and the fault run concurrently; the fault
starts ``fault_at_s`` into the burst and lasts ``fault_s``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sovereign.store import embedded
from sovereign_testkit.fixtures import load_json
from sovereign_testkit.pg import TestPostgres
from sovereign.store import evidence

from .assemble import Evidence, assemble
from .burst import run_burst
from .faults import FaultRecord, clear, inject
from .measure import collect_db, collect_leaks, provider_stats
from .monitor import Monitor
from .orders import burst_orders, personal_values
from .result import ScenarioResult
from .scenarios import CLOUD, Scenario
from .stack import STORE_ID, Stack
from .timings import HOLD_S, service_normal

__all__ = ["DrillOptions", "DrillRun", "run_drill", "run_scenario"]

log = logging.getLogger("sovereign.drills")

_SETTLE_JOBS = ("fraud.score", "fraud.rescore", "reconcile.store")


@dataclass
class DrillOptions:
    orders: int | None = None  # default: each scenario's own
    rate: float | None = None  # orders per second
    work_dir: Path | None = None  # default: a new temporary folder, removed afterwards
    keep: bool = False  # keep the work folder (process logs, PostgreSQL data)
    progress: Callable[[str], None] = field(default=lambda msg: None)


@dataclass
class DrillRun:
    scenarios: list[ScenarioResult]
    started_at: str
    duration_s: float
    work_dir: str | None  # kept work folder, if any
    label: str = ""  # what was asked for: "all", a name, or names joined by commas

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.scenarios)


async def run_drill(scenarios: list[Scenario], options: DrillOptions | None = None, *, label: str = "") -> DrillRun:
    """Run ``scenarios`` one after the other; ``label`` names the set in the report (default: the names)."""
    options = options or DrillOptions()
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="sovereign-drill-"))
    work.mkdir(parents=True, exist_ok=True)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    options.progress(f"PostgreSQL for the drill under {work / 'pg'}")
    pg = await asyncio.to_thread(TestPostgres, work / "pg")
    results: list[ScenarioResult] = []
    try:
        for i, scenario in enumerate(scenarios):
            results.append(await run_scenario(scenario, pg, work, options, first_id=200_000 + 10_000 * i))
    finally:
        await asyncio.to_thread(embedded.stop, work / "pg")
        if not options.keep and options.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return DrillRun(results, started.isoformat(timespec="seconds"), round(time.monotonic() - t0, 1),
                    str(work) if options.keep else None, label or ",".join(s.name for s in scenarios))


async def run_scenario(
    scenario: Scenario, pg: TestPostgres, work: Path, options: DrillOptions, *, first_id: int = 200_000
) -> ScenarioResult:
    say = options.progress
    timing = scenario.timing.scaled(options.orders, options.rate)
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    stack = Stack(scenario, pg, work)
    result: ScenarioResult
    try:
        say(f"[{scenario.name}] starting sovereign serve, {scenario.workers or 'no separate'} worker(s), fake providers")
        await stack.start()
        orders = burst_orders(load_json("orders.json"), timing.orders, first_id=first_id, now=started)
        origin, origin_wall = time.monotonic(), time.time()
        monitor = Monitor(stack.service_url, origin=origin)
        monitor.start()
        fault = FaultRecord()
        say(f"[{scenario.name}] burst: {timing.orders} orders at {timing.rate:g}/s; fault at {timing.fault_at_s:g}s")
        burst_task = asyncio.create_task(
            run_burst(stack.woo, stack.service_url, STORE_ID, stack.api_key, orders, rate=timing.rate, origin=origin)
        )
        await _fault_window(stack, fault, timing.fault_at_s, timing.fault_s, origin, say)
        burst = await burst_task
        say(f"[{scenario.name}] burst sent; waiting for jobs and re-scores (up to {timing.settle_s:g}s)")
        settled = await _settle(stack, monitor, scenario, fault, origin, timing.settle_s)
        await asyncio.sleep(HOLD_S + 0.5)  # recovery must hold: keep watching a little after settling
        await monitor.stop()
        leaks, cloud_calls = await collect_leaks(stack.providers[CLOUD], personal_values(orders))
        providers = await provider_stats(stack.providers)
        codes = await stack.stop_service()
        assert stack.pool is not None
        facts = await collect_db(stack.pool, STORE_ID, origin_wall, fault.orphaned_jobs)
        result = assemble(Evidence(
            scenario, [int(o["id"]) for o in orders], burst, fault, monitor.samples, facts, leaks, cloud_calls,
            providers, origin_wall, settled, codes,
        ))
    except Exception as exc:  # noqa: BLE001 - a drill that breaks is reported, never hidden
        log.exception("drill scenario %s failed", scenario.name)
        result = ScenarioResult(scenario.name, scenario.title, scenario.kind, scenario.what,
                                scenario.suspected_cause, scenario.expected)
        result.error = f"{type(exc).__name__}: {exc}"
        tail = stack.serve.tail(1500) if stack.serve is not None else ""
        result.notes = ["The drill itself failed; the evidence is incomplete.", traceback.format_exc()[-1500:]]
        if tail:
            result.notes.append("sovereign serve log (tail):\n" + tail)
    finally:
        await stack.close()
    result.started_at = started.isoformat(timespec="seconds")
    result.duration_s = round(time.monotonic() - t0, 1)
    say(f"[{scenario.name}] done in {result.duration_s:g}s: {'PASSED' if result.passed else 'FAILED'}")
    return result


async def _fault_window(
    stack: Stack, fault: FaultRecord, at_s: float, duration_s: float, origin: float, say: Callable[[str], None]
) -> None:
    await asyncio.sleep(max(0.0, origin + at_s - time.monotonic()))
    await inject(stack, fault, origin)
    say(f"[{stack.scenario.name}] fault injected at {fault.injected_at:.1f}s: {fault.detail}")
    if duration_s > 0:
        await asyncio.sleep(max(0.0, origin + at_s + duration_s - time.monotonic()))
    await clear(stack, fault, origin)
    if stack.scenario.kind != "worker":
        say(f"[{stack.scenario.name}] fault cleared at {fault.cleared_at:.1f}s")


async def _settle(
    stack: Stack, monitor: Monitor, scenario: Scenario, fault: FaultRecord, origin: float, timeout_s: float
) -> float | None:
    """Until no fraud or reconciliation job is left to run and the service is back to normal; the time
    it happened (seconds from origin), or None after ``timeout_s``."""
    assert stack.pool is not None
    deadline = time.monotonic() + timeout_s
    faulted = scenario.faulted_providers
    while time.monotonic() < deadline:
        try:
            left = await evidence.count_jobs(stack.pool, jobs=list(_SETTLE_JOBS))
        except Exception as exc:  # noqa: BLE001 - the database may still be coming back
            log.info("settle check failed: %s", exc)
            left = -1
        s = monitor.latest()
        if left == 0 and s is not None and service_normal(s, faulted):
            return time.monotonic() - origin
        await asyncio.sleep(0.5)
    return None
