"""Reading the evidence back after a scenario: the database, the fake providers, the burst's own record.

* **jobs lost**: burst orders with no fraud result written by a job
  (``webhook``, ``rescore`` or ``reconcile``; the checkout's ``inline``
  result writes nothing back) and no pending, running or failed fraud job.
  Orders whose deliveries were all refused count too unless reconciliation
  recovered them: a refused delivery is never retried by WooCommerce.
* **rules-only orders**: orders with a result whose AI review could not be
  had (degraded, unavailable, deadline...) and that may still get one;
  **re-scored after recovery**: those with a later ``rescore`` result whose
  AI review answered.
* **out-of-jurisdiction bytes**: personal values of the burst's orders found
  in what the cloud fake received (``residency.find_leaks``).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import asyncpg

from sovereign.audit import verify
from sovereign.features.fraud.review import PERMANENT_STATES
from sovereign.store import evidence

from .processes import FakeProvider
from .residency import Leaks, find_leaks
from .timings import AuditEvent

__all__ = ["DbFacts", "JobState", "collect_db", "collect_leaks", "provider_stats"]

_JOB_SOURCES = frozenset({"webhook", "rescore", "reconcile"})
_NO_REVIEW_NEEDED = PERMANENT_STATES | {"ok"}


@dataclass(frozen=True, slots=True)
class JobState:
    name: str
    order_id: int | None
    state: str  # pending | running | failed


@dataclass(slots=True)
class DbFacts:
    results: dict[int, list[tuple[str, str, datetime]]] = field(default_factory=dict)  # order -> (source, llm, at)
    jobs: list[JobState] = field(default_factory=list)
    takeovers: list[datetime] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (provider, jurisdiction, outcome)
    redactions: Counter[str] = field(default_factory=Counter)  # kinds redacted for non-local providers
    audit_rows: int = 0
    audit_ok: bool = False
    audit_head: str = ""
    audit_problems: list[str] = field(default_factory=list)
    job_done_at: dict[int, datetime] = field(default_factory=dict)

    def scored_by_job(self, order_id: int) -> bool:
        return any(src in _JOB_SOURCES for src, _, _ in self.results.get(order_id, ()))

    def live_job(self, order_id: int) -> JobState | None:
        return next((j for j in self.jobs if j.order_id == order_id and j.name.startswith("fraud.")), None)

    def rules_only(self, order_id: int) -> bool:
        return any(llm not in _NO_REVIEW_NEEDED for _, llm, _ in self.results.get(order_id, ()))

    def rescored(self, order_id: int) -> bool:
        return any(src == "rescore" and llm == "ok" for src, llm, _ in self.results.get(order_id, ()))

    def has_review(self, order_id: int) -> bool:
        return any(llm == "ok" for _, llm, _ in self.results.get(order_id, ()))

    def pending(self, name: str) -> int:
        return sum(1 for j in self.jobs if j.name == name and j.state in ("pending", "running"))

    def failed(self) -> list[JobState]:
        return [j for j in self.jobs if j.state == "failed"]


async def collect_db(pool: asyncpg.Pool, store_id: str, origin_wall: float, job_ids: Iterable[int] = ()) -> DbFacts:
    facts = DbFacts()
    for r in await evidence.fraud_results(pool, store_id):
        facts.results.setdefault(int(r["order_id"]), []).append((r["source"], r["llm"], r["created_at"]))
    for status, env in await evidence.job_states(pool):
        oid = (env.get("args") or {}).get("order_id")
        state = {"queued": "pending", "picked": "running"}.get(status, status)
        facts.jobs.append(JobState(str(env.get("job", "?")), int(oid) if oid is not None else None, state))
    facts.takeovers = await evidence.takeovers(pool)
    facts.job_done_at.update(await evidence.job_finish_times(pool, job_ids))
    for r in await evidence.audit_rows(pool):
        facts.audit_rows += 1
        if r["kind"] == "call":
            facts.calls[(r["provider"], r["jurisdiction"], r["outcome"])] += 1
            if r["jurisdiction"] not in ("", "local"):
                facts.redactions.update(json.loads(r["red"] or "{}"))
        else:
            facts.events.append(AuditEvent.of(r["at"], origin_wall, r["kind"], r["provider"], r["feature"],
                                              json.loads(r["detail"] or "{}")))
    report = await verify(pool)
    facts.audit_ok = report.ok and report.rows == facts.audit_rows
    facts.audit_head = f"row {report.head_id} {report.head_hash}"
    facts.audit_problems = [f"row {p.row_id}: {p.kind}: {p.message}" for p in report.problems[:20]]
    return facts


async def collect_leaks(provider: FakeProvider, values: set[str]) -> tuple[Leaks, int]:
    """Personal bytes in everything ``provider`` received, and how many completion calls it got."""
    recorded = await provider.requests()
    bodies = [base64.b64decode(r["body_b64"]) for r in recorded if r.get("body_b64")]
    completions = sum(1 for r in recorded if r["method"] == "POST" and r["path"].endswith("/chat/completions"))
    return find_leaks(bodies, values), completions


async def provider_stats(providers: dict[str, FakeProvider]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, p in providers.items():
        stats = await p.stats()
        out[name] = {"jurisdiction": p.jurisdiction, "completion_calls": stats.get("calls", 0),
                     "requests": stats.get("requests", 0)}
    return out
