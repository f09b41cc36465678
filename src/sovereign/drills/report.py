"""The drill's report: one JSON document (also what ``--json`` prints) and an HTML page rendered from it.

    doc = report_json(run)          # top-level keys: scenario, orders, orders_blocked, jobs_lost, ...
    write_reports(run, Path("out"))  # out/report.json, out/report.html

With one scenario the top-level keys are that scenario's; with several
they add up (orders, blocked, lost, bytes, re-scores), take the worst
(p99, seconds) or require all (audit chain), and ``scenarios`` lists each.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from sovereign import __version__

from .compliance import compliance
from .html import render_html
from .result import ScenarioResult
from .runner import DrillRun
from .topology import CLOUD_JURISDICTION, STORE_SETTINGS

__all__ = ["report_json", "summary_json", "write_reports"]

_SUMMED = ("orders", "orders_blocked", "jobs_lost", "jobs_failed", "out_of_jurisdiction_bytes", "rules_only_orders",
           "rescored_after_recovery", "rescores_pending", "orders_scored")
_WORST = ("fraud_score_p99_ms", "seconds_to_detect", "seconds_to_degrade", "seconds_to_recover")


def _worst(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def summary_json(results: list[ScenarioResult], label: str = "") -> dict[str, Any]:
    """The top-level keys: one scenario's own, or the combination of several (``scenario``: ``label``)."""
    if len(results) == 1:
        doc = results[0].as_json()
        return {k: doc[k] for k in ("scenario", *_SUMMED, *_WORST, "audit_chain_ok", "passed")}
    out: dict[str, Any] = {"scenario": label or ",".join(r.scenario for r in results)}
    for key in _SUMMED:
        out[key] = sum(getattr(r, key) for r in results)
    for key in _WORST:
        out[key] = _worst([getattr(r, key) for r in results])
    out["audit_chain_ok"] = all(r.audit_chain_ok for r in results)
    out["passed"] = all(r.passed for r in results)
    return out


def report_json(run: DrillRun) -> dict[str, Any]:
    doc = summary_json(run.scenarios, run.label)
    doc["drill"] = {
        "started_at": run.started_at,
        "duration_s": run.duration_s,
        "sovereign_version": __version__,
        "python": platform.python_version(),
        "host": platform.platform(terse=True),
        "topology": {
            "providers": [
                {"name": "cloud", "jurisdiction": CLOUD_JURISDICTION, "priority": 10,
                 "customer_personal": "redacted only"},
                {"name": "local", "jurisdiction": "local", "priority": 20, "customer_personal": "raw"},
            ],
            "store_settings": STORE_SETTINGS,
            "checkout": "POST /v1/fraud/score per order, 5 s client timeout; order.created + order.updated per order",
        },
        "work_dir": run.work_dir,
    }
    doc["scenarios"] = [r.as_json() for r in run.scenarios]
    doc["compliance"] = compliance(run.scenarios, started_at=run.started_at)
    return doc


def write_reports(run: DrillRun, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    doc = report_json(run)
    paths = {"json": out / "report.json", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["html"].write_text(render_html(doc), encoding="utf-8")
    return paths
