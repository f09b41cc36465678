"""`sovereign drill`: lockout drills against a live `sovereign serve`, with a compliance report."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sovereign.commands.common import console, err

_SCENARIO_HELP = (
    "rate-limit-storm | token-expired | region-blocked | provider-hang | total-outage | worker-crash | "
    "database-restart | all (or a comma-separated list)"
)


def drill(
    scenario: str = typer.Option(..., "--scenario", "-s", help=_SCENARIO_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the report as one JSON object on stdout"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder for report.json and report.html "
                                       "(default ./sovereign-drill-<time>)"),
    orders: Optional[int] = typer.Option(None, min=4, help="orders in each burst (default 60)"),
    rate: Optional[float] = typer.Option(None, min=0.5, help="orders per second (default 6)"),
    keep: bool = typer.Option(False, "--keep", help="keep the work folder (process logs, PostgreSQL data)"),
) -> None:
    """Break a provider, a worker or the database under a Black-Friday burst; measure and report.

    Starts its own PostgreSQL, fake providers, fake WooCommerce store and `sovereign serve`; touches
    nothing else. Exits 1 when a target is missed (0 blocked, 0 lost, 0 bytes out of jurisdiction,
    audit chain intact).
    """
    import asyncio
    import logging

    from sovereign.drills import DrillOptions, report_json, run_drill, select, write_reports

    try:
        scenarios = select(scenario)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scenario") from None
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)  # the drill's own pool, reconnecting after a restart
    folder = out or Path(f"sovereign-drill-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
    options = DrillOptions(orders=orders, rate=rate, keep=keep, progress=lambda msg: err.print(msg, highlight=False, markup=False))
    run = asyncio.run(run_drill(scenarios, options, label=scenario.strip()))
    paths = write_reports(run, folder)
    if as_json:
        sys.stdout.write(json.dumps(report_json(run), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        _print_summary(run)
        console.print(f"report: {paths['html']} and {paths['json']}")
    err.print(f"report written to {paths['html']} and {paths['json']}", highlight=False)
    if run.work_dir:
        err.print(f"work folder kept: {run.work_dir}", highlight=False)
    if not run.passed:
        raise typer.Exit(1)


def _print_summary(run) -> None:  # noqa: ANN001 - DrillRun, imported lazily
    t = Table(title="Lockout drill")
    for col in ("scenario", "orders", "blocked", "lost", "bytes out", "p99 ms", "detect s", "degrade s",
                "recover s", "re-scored", "audit", "result"):
        t.add_column(col, justify="left" if col in ("scenario", "audit", "result") else "right")
    for r in run.scenarios:
        t.add_row(
            r.scenario, str(r.orders), str(r.orders_blocked), str(r.jobs_lost), str(r.out_of_jurisdiction_bytes),
            _n(r.fraud_score_p99_ms), _n(r.seconds_to_detect), _n(r.seconds_to_degrade), _n(r.seconds_to_recover),
            f"{r.rescored_after_recovery}/{r.rules_only_orders}", "ok" if r.audit_chain_ok else "BROKEN",
            "[green]passed[/green]" if r.passed else "[red]failed[/red]",
        )
    console.print(t)
    for r in run.scenarios:
        for note in r.notes:
            console.print(f"[dim]{r.scenario}:[/dim] {note}", highlight=False)


def _n(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:g}"
