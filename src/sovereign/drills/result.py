"""What one scenario proved: the measured evidence, its targets, and the JSON it is reported as. Pure.

    result.as_json()["orders_blocked"]    # 0
    result.targets()                      # [Target("orders_blocked", 0, "= 0", True), ...]
    result.passed                         # every target met
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ScenarioResult", "Target", "percentile"]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))  # ceil(n * q / 100)
    return round(ordered[int(rank) - 1], 2)


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    value: Any
    target: str
    ok: bool


@dataclass(slots=True)
class ScenarioResult:
    scenario: str
    title: str
    kind: str
    what: str
    suspected_cause: str
    expected: str
    started_at: str = ""  # ISO 8601 UTC
    duration_s: float = 0.0
    fault: dict[str, Any] = field(default_factory=dict)
    # the burst
    orders: int = 0
    orders_blocked: int = 0
    checkout: dict[str, Any] = field(default_factory=dict)
    fraud_score_p99_ms: float | None = None
    webhooks: dict[str, Any] = field(default_factory=dict)
    # jobs
    orders_scored: int = 0
    jobs_lost: int = 0
    lost_orders: list[int] = field(default_factory=list)
    jobs_failed: int = 0
    refused_recovered_by_reconciliation: int = 0
    # timings (seconds)
    degraded: bool = False
    seconds_to_detect: float | None = None
    detected_by: str = ""
    seconds_to_degrade: float | None = None
    seconds_to_recover: float | None = None
    # AI reviews missed during the fault
    rules_only_orders: int = 0
    rescored_after_recovery: int = 0
    rescores_pending: int = 0
    ai_review_missing: int = 0
    # residency and audit
    out_of_jurisdiction_bytes: int = 0
    residency: dict[str, Any] = field(default_factory=dict)
    audit_chain_ok: bool = False
    audit: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""  # the drill itself failed (setup, a crash): the evidence is incomplete

    def targets(self) -> list[Target]:
        out = [
            Target("orders_blocked", self.orders_blocked, "= 0", self.orders_blocked == 0),
            Target("jobs_lost", self.jobs_lost, "= 0", self.jobs_lost == 0),
            Target("out_of_jurisdiction_bytes", self.out_of_jurisdiction_bytes, "= 0",
                   self.out_of_jurisdiction_bytes == 0),
            Target("audit_chain_ok", self.audit_chain_ok, "true", self.audit_chain_ok),
            Target("fraud_score_p99_ms", self.fraud_score_p99_ms, "< 4000 (the checkout budget)",
                   self.fraud_score_p99_ms is not None and self.fraud_score_p99_ms < 4000.0),
            Target("seconds_to_recover", self.seconds_to_recover, "measured (back to normal)",
                   self.seconds_to_recover is not None),
        ]
        if self.error:
            out.append(Target("drill_completed", False, "true", False))
        return out

    @property
    def passed(self) -> bool:
        return all(t.ok for t in self.targets())

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["targets"] = [asdict(t) for t in self.targets()]
        doc["passed"] = self.passed
        return doc
