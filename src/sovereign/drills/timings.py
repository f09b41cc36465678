"""Time to detect, to degrade and to recover, from the monitor's samples and the audit log. Pure.

All times are seconds from the drill's origin (the burst's start). Audit
rows carry wall-clock times; ``origin_wall`` converts them.

* **detect**: the first sign, after the fault started, that the service
  noticed it: a faulted provider's circuit leaving ``closed`` or its health
  probe failing (audit ``breaker`` row or ``/readyz``), the fraud feature
  degraded, a job taken over from a dead worker, ``/readyz`` reporting the
  database down or not answering at all.
* **degrade**: the fraud feature switched to degraded mode (rules only).
* **recover**: counted from the end of the fault, and only once it holds
  for ``HOLD_S`` seconds: ``/readyz`` ready, no feature degraded and every
  faulted provider usable again (provider faults and database restart);
  the killed worker's jobs all finished elsewhere (worker crash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Sequence

from .monitor import Sample

__all__ = [
    "AuditEvent", "Timings", "database_timings", "first_sample", "first_stable", "provider_timings", "provider_usable",
    "service_normal", "worker_timings",
]

FEATURE = "fraud"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    t: float  # seconds from the origin
    kind: str  # breaker | degraded_entered | degraded_left | override
    provider: str = ""
    feature: str = ""
    state: str = ""  # breaker: the new state
    reason: str = ""

    @classmethod
    def of(cls, at: datetime, origin_wall: float, kind: str, provider: str, feature: str, detail: dict) -> "AuditEvent":
        return cls(round(at.timestamp() - origin_wall, 3), kind, provider, feature, str(detail.get("state", "")),
                   str(detail.get("reason", "")))


@dataclass(frozen=True, slots=True)
class Timings:
    detected_at: float | None = None
    detected_by: str = ""
    degraded_at: float | None = None
    recovered_at: float | None = None

    def since(self, start: float | None, at: float | None) -> float | None:
        return None if start is None or at is None else round(max(0.0, at - start), 2)


HOLD_S = 2.0  # "recovered" must hold this long: one good sample between bad ones is not recovery


def first_sample(samples: Iterable[Sample], after: float, pred: Callable[[Sample], bool]) -> Sample | None:
    return next((s for s in samples if s.t >= after and pred(s)), None)


def first_stable(
    samples: Sequence[Sample], after: float, pred: Callable[[Sample], bool], hold_s: float = HOLD_S
) -> Sample | None:
    """The first sample from which ``pred`` holds for ``hold_s`` seconds (or until the last sample)."""
    later = [s for s in samples if s.t >= after]
    for i, s in enumerate(later):
        if not pred(s):
            continue
        window = [x for x in later[i:] if x.t <= s.t + hold_s]
        if all(pred(x) for x in window):
            return s
    return None


def provider_usable(s: Sample, provider: str) -> bool:
    """The circuit lets calls through (closed, or half-open waiting for its next call) and the last health
    probe passed. A fallback provider stays half-open until traffic reaches it again, which may take long
    while the first provider answers everything: that is not an outage."""
    return s.breakers.get(provider) in ("closed", "half_open") and s.healthy.get(provider) is not False


def service_normal(s: Sample, faulted: Sequence[str]) -> bool:
    """``/readyz`` ready, the fraud feature not degraded, every faulted provider usable again."""
    return s.status == 200 and s.ready and FEATURE not in s.degraded and all(provider_usable(s, p) for p in faulted)


def _earliest(*candidates: tuple[float | None, str]) -> tuple[float | None, str]:
    found = [(t, why) for t, why in candidates if t is not None]
    return min(found) if found else (None, "")


def provider_timings(
    samples: Sequence[Sample], events: Sequence[AuditEvent], faulted: Sequence[str], injected: float, cleared: float
) -> Timings:
    def noticed(s: Sample) -> bool:
        return FEATURE in s.degraded or any(s.breakers.get(p, "closed") != "closed" or s.healthy.get(p) is False
                                            for p in faulted)

    seen = first_sample(samples, injected, noticed)
    opened = next((e for e in events if e.t >= injected and e.kind == "breaker" and e.provider in faulted
                   and e.state != "closed"), None)
    entered = next((e for e in events if e.t >= injected and e.kind == "degraded_entered" and e.feature == FEATURE),
                   None)
    degraded_sample = first_sample(samples, injected, lambda s: FEATURE in s.degraded)
    detected, why = _earliest(
        (seen.t if seen else None, "/readyz: circuit or health probe of " + ", ".join(faulted)),
        (opened.t if opened else None, f"audit: circuit of {opened.provider} {opened.state}" if opened else ""),
        (entered.t if entered else None, "audit: fraud entered degraded mode"),
    )
    degraded, _ = _earliest((entered.t if entered else None, ""), (degraded_sample.t if degraded_sample else None, ""))

    back = first_stable(samples, cleared, lambda s: service_normal(s, faulted))
    return Timings(detected, why, degraded, back.t if back else None)


def worker_timings(
    samples: Sequence[Sample], takeovers: Sequence[float], injected: float, orphans_done: float | None,
    live_before: int | None,
) -> Timings:
    fewer = first_sample(samples, injected, lambda s: live_before is not None and s.workers_live is not None
                         and s.workers_live < live_before)
    taken = next((t for t in sorted(takeovers) if t >= injected), None)
    detected, why = _earliest(
        (taken, "a job of the killed worker was taken over (heartbeat timeout)"),
        (fewer.t if fewer else None, "/readyz: fewer live workers"),
    )
    return Timings(detected, why, None, orphans_done)


def database_timings(samples: Sequence[Sample], injected: float, cleared: float) -> Timings:
    down = first_sample(samples, injected, lambda s: s.status is None or not s.database)
    back = first_stable(samples, cleared, lambda s: service_normal(s, ()))
    return Timings(down.t if down else None, "/readyz: database check failing" if down else "", None,
                   back.t if back else None)
