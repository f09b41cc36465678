"""Turning one scenario's raw records into its ``ScenarioResult``. Pure: no I/O.

    result = assemble(scenario, orders, burst, fault, samples, facts, leaks, cloud_calls, providers)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from .burst import BurstResult
from .faults import FaultRecord
from .measure import DbFacts
from .monitor import Sample
from .residency import Leaks
from .result import ScenarioResult, percentile
from .scenarios import Scenario
from .timings import Timings, database_timings, provider_timings, worker_timings
from .topology import CLOUD_JURISDICTION

__all__ = ["Evidence", "assemble"]


@dataclass(slots=True)
class Evidence:
    """Everything a scenario recorded, as ``runner`` gathered it."""

    scenario: Scenario
    order_ids: list[int]
    burst: BurstResult
    fault: FaultRecord
    samples: Sequence[Sample]
    facts: DbFacts
    leaks: Leaks
    cloud_calls: int
    providers: dict[str, Any]
    origin_wall: float
    settled_at: float | None = None  # seconds from origin; None: settle timed out
    exit_codes: dict[str, int | None] | None = None


def assemble(ev: Evidence) -> ScenarioResult:
    s = ev.scenario
    r = ScenarioResult(s.name, s.title, s.kind, s.what, s.suspected_cause, s.expected)
    r.fault = {
        "detail": ev.fault.detail, "injected_at_s": _r(ev.fault.injected_at), "cleared_at_s": _r(ev.fault.cleared_at),
        "providers": list(s.faulted_providers),
    }
    _timings(r, ev)
    _checkout(r, ev)
    _webhooks(r, ev)
    _jobs(r, ev)
    _residency(r, ev)
    _audit(r, ev)
    r.providers = ev.providers
    r.timeline = _timeline(ev, r)
    r.notes = _notes(r, ev)
    return r


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _checkout(r: ScenarioResult, ev: Evidence) -> None:
    calls = ev.burst.checkouts
    r.orders = len(ev.order_ids)
    blocked = [c for c in calls if c.blocked]
    r.orders_blocked = len(blocked) + (r.orders - len(calls))  # an order whose checkout never ran counts too
    ms = [c.ms for c in calls]
    f0, f1 = ev.fault.injected_at, ev.fault.cleared_at
    if f0 is not None and f1 is not None and f1 <= f0:  # an instant fault (a kill): its impact lasts until recovery
        f1 = f0 + (r.seconds_to_recover or 0.0)
    during = [c.ms for c in calls if f0 is not None and f1 is not None and f0 <= c.at <= f1]
    r.fraud_score_p99_ms = percentile(ms, 99)
    r.checkout = {
        "calls": len(calls), "answered": len(calls) - len(blocked), "blocked": len(blocked),
        "blocked_because": dict(Counter(str(c.status) if c.status is not None else c.error.split(":")[0]
                                        for c in blocked)),
        "rules_only": sum(1 for c in calls if c.rules_only),
        "without_history": sum(1 for c in calls if not c.history),
        "ai_review": dict(Counter(c.llm for c in calls if c.status == 200)),
        "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None,
        "p99_ms_during_fault": percentile(during, 99), "budget_ms": 4000,
    }


def _webhooks(r: ScenarioResult, ev: Evidence) -> None:
    d = ev.burst.deliveries
    refused = ev.burst.refused_orders()
    r.webhooks = {
        "deliveries": len(d), "accepted": sum(1 for x in d if x.accepted),
        "refused": sum(1 for x in d if not x.accepted), "orders_refused": len(refused),
        "statuses": dict(Counter(str(x.status) if x.status is not None else "no answer" for x in d)),
        "transport_errors": dict(Counter(x.error.split(":")[0] for x in d if x.status is None)),
        "burst_s": round(ev.burst.ended - ev.burst.started, 2),
    }


def _jobs(r: ScenarioResult, ev: Evidence) -> None:
    f = ev.facts
    ids = ev.order_ids
    refused = ev.burst.refused_orders()
    r.orders_scored = sum(1 for o in ids if f.scored_by_job(o))
    r.lost_orders = [o for o in ids if not f.scored_by_job(o) and f.live_job(o) is None]
    r.jobs_lost = len(r.lost_orders)
    wanted = set(ids)
    r.jobs_failed = sum(1 for j in f.failed() if j.order_id in wanted)
    r.refused_recovered_by_reconciliation = sum(1 for o in refused if f.scored_by_job(o))
    rules_only = [o for o in ids if f.rules_only(o)]
    r.rules_only_orders = len(rules_only)
    r.rescored_after_recovery = sum(1 for o in rules_only if f.rescored(o))
    r.rescores_pending = f.pending("fraud.rescore")
    r.ai_review_missing = sum(1 for o in rules_only if not f.has_review(o))


def _timings(r: ScenarioResult, ev: Evidence) -> None:
    s, fault = ev.scenario, ev.fault
    injected = fault.injected_at
    cleared = fault.cleared_at if fault.cleared_at is not None else injected
    if injected is None or cleared is None:
        return
    t: Timings
    if s.kind == "provider":
        t = provider_timings(ev.samples, ev.facts.events, s.faulted_providers, injected, cleared)
    elif s.kind == "worker":
        done = [ev.facts.job_done_at[j] for j in fault.orphaned_jobs if j in ev.facts.job_done_at]
        all_done = len(done) == len(fault.orphaned_jobs)
        orphans_done = (max(d.timestamp() for d in done) - ev.origin_wall) if done and all_done else None
        if not fault.orphaned_jobs:
            orphans_done = None
        before = [x.workers_live for x in ev.samples if x.t < injected and x.workers_live is not None]
        takeovers = [a.timestamp() - ev.origin_wall for a in ev.facts.takeovers]
        t = worker_timings(ev.samples, takeovers, injected, orphans_done, before[-1] if before else None)
    else:
        t = database_timings(ev.samples, injected, cleared)
    r.seconds_to_detect = t.since(injected, t.detected_at)
    r.detected_by = t.detected_by
    r.degraded = t.degraded_at is not None
    r.seconds_to_degrade = t.since(injected, t.degraded_at)
    r.seconds_to_recover = t.since(cleared, t.recovered_at)


def _residency(r: ScenarioResult, ev: Evidence) -> None:
    r.out_of_jurisdiction_bytes = ev.leaks.bytes
    r.residency = {
        **ev.leaks.as_json(),
        "measured_at": f"the cloud provider ({CLOUD_JURISDICTION}): every request it received, byte for byte",
        "policy": f"customer_personal: raw only to local, redacted to {CLOUD_JURISDICTION}",
        "cloud_completion_calls": ev.cloud_calls,
        "redacted_values_by_kind": dict(sorted(ev.facts.redactions.items())),
    }


def _audit(r: ScenarioResult, ev: Evidence) -> None:
    f = ev.facts
    r.audit_chain_ok = f.audit_ok
    calls: dict[str, dict[str, int]] = {}
    for (provider, jurisdiction, outcome), n in sorted(f.calls.items()):
        label = f"{provider} ({jurisdiction})" if provider else "no provider called"
        calls.setdefault(label, {})[outcome] = n
    r.audit = {
        "rows": f.audit_rows, "head": f.audit_head, "problems": f.audit_problems, "calls": calls,
        "events": [{"t": e.t, "kind": e.kind, "provider": e.provider, "feature": e.feature, "state": e.state,
                    "reason": e.reason} for e in f.events if e.t >= -5.0],
    }


def _timeline(ev: Evidence, r: ScenarioResult) -> list[dict[str, Any]]:
    items: list[tuple[float, str]] = [(ev.burst.started, f"burst starts: {r.orders} orders")]
    items.append((ev.burst.ended, "burst ends: last order sent"))
    if ev.fault.injected_at is not None:
        items.append((ev.fault.injected_at, f"fault injected: {ev.fault.detail}"))
    if ev.fault.cleared_at is not None and ev.scenario.kind != "worker":
        items.append((ev.fault.cleared_at, "fault cleared"))
    if ev.fault.reconcile_scheduled_at is not None:
        items.append((ev.fault.reconcile_scheduled_at, "reconciliation of the store scheduled"))
    for e in ev.facts.events:
        if e.kind == "breaker":
            items.append((e.t, f"circuit of {e.provider}: {e.state} ({e.reason})"))
        elif e.kind in ("degraded_entered", "degraded_left"):
            verb = "enters" if e.kind == "degraded_entered" else "leaves"
            items.append((e.t, f"{e.feature} {verb} degraded mode ({e.reason})"))
    inj, clr = ev.fault.injected_at, ev.fault.cleared_at
    if r.seconds_to_detect is not None and inj is not None:
        items.append((inj + r.seconds_to_detect, f"detected: {r.detected_by}"))
    if r.seconds_to_recover is not None and clr is not None:
        items.append((clr + r.seconds_to_recover, "recovered: back to normal"))
    if ev.settled_at is not None:
        items.append((ev.settled_at, "settled: no fraud job left to run"))
    return [{"t": round(t, 2), "event": text} for t, text in sorted(items, key=lambda x: x[0])]


def _notes(r: ScenarioResult, ev: Evidence) -> list[str]:
    s = ev.scenario
    notes: list[str] = []
    if s.kind == "provider" and not r.degraded:
        notes.append("Failover absorbed the fault: the fraud feature never needed degraded mode "
                     "(seconds_to_degrade is null).")
    if s.kind != "provider":
        notes.append("Degraded mode concerns the AI path, which this fault does not touch: seconds_to_degrade is "
                     "null by design.")
    if s.expect_degraded and not r.degraded:
        notes.append("Expected degraded mode was not observed.")
    if s.kind == "worker":
        n = len(ev.fault.orphaned_jobs)
        notes.append(f"The killed worker was running {n} job(s); seconds_to_recover runs from the kill until the "
                     "last of them finished on the surviving worker." if n else
                     "The killed worker ran no job at the time of the kill: nothing to take over.")
    if s.kind == "database":
        notes.append(f"{r.webhooks.get('orders_refused', 0)} order(s) had every webhook refused while PostgreSQL "
                     f"was down (WooCommerce does not retry); reconciliation recovered "
                     f"{r.refused_recovered_by_reconciliation}.")
    if r.rescores_pending:
        notes.append(f"{r.rescores_pending} AI re-score(s) were still waiting (backoff) when the drill ended; they "
                     "are durable jobs and run later.")
    if ev.settled_at is None:
        notes.append("The drill stopped waiting before every job had finished (settle timeout).")
    if r.orders_blocked:
        notes.append(f"{r.orders_blocked} checkout(s) got no usable fraud answer: "
                     f"{r.checkout.get('blocked_because')}.")
    if r.jobs_lost:
        notes.append(f"Orders without a fraud result or a job: {r.lost_orders[:20]}.")
    return notes
