"""Degraded mode: per-feature availability of the LLM path against an SLO.

Every finished call (not cache hits, not calls refused because degraded) is
one sample for its feature. With at least ``min_samples`` samples in the
rolling window, a success ratio below the feature's SLO switches the feature
to degraded: ``admit()`` refuses its calls, so features fall back to their
rules at once instead of waiting on dead providers.

Leaving: while degraded, one *trial* call is admitted every
``trial_interval_s`` (sooner when a health probe saw a provider come back,
see ``arm_trials``). A trial that succeeds leaves degraded mode and starts a
fresh window, so the failures that caused the switch do not pull the
feature straight back in; a trial that fails waits for the next interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from .config import DegradedSettings
from .window import RollingCounter

OnSwitch = Callable[[str, bool, str, "float | None"], None]  # (feature, degraded, reason, ratio)


class Admission(Enum):
    NORMAL = "normal"
    TRIAL = "trial"
    REFUSED = "refused"


@dataclass(slots=True)
class _Feature:
    window: RollingCounter
    degraded: bool = False
    reason: str = ""
    since: float = 0.0
    next_trial_at: float = 0.0
    trial_out: bool = False
    trials: int = field(default=0)


class Availability:
    def __init__(
        self,
        settings: DegradedSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_switch: OnSwitch | None = None,
    ) -> None:
        self._s = settings or DegradedSettings()
        self._clock = clock
        self._on_switch = on_switch
        self._features: dict[str, _Feature] = {}

    def slo(self, feature: str) -> float:
        return self._s.slo_per_feature.get(feature, self._s.slo)

    def _get(self, feature: str) -> _Feature:
        f = self._features.get(feature)
        if f is None:
            f = self._features[feature] = _Feature(RollingCounter(self._s.window_s))
        return f

    def is_degraded(self, feature: str) -> bool:
        f = self._features.get(feature)
        return f is not None and f.degraded

    def admit(self, feature: str) -> Admission:
        f = self._features.get(feature)
        if f is None or not f.degraded:
            return Admission.NORMAL
        if f.trial_out or self._clock() < f.next_trial_at:
            return Admission.REFUSED
        f.trial_out = True
        f.trials += 1
        return Admission.TRIAL

    def record(self, feature: str, ok: bool, *, trial: bool = False) -> None:
        """One finished call of ``feature``; ``trial`` when it was admitted as a trial."""
        now = self._clock()
        f = self._get(feature)
        if trial:
            f.trial_out = False
            if ok:
                f.window.reset()
                f.window.record(True, now)
                self._switch(feature, f, False, "trial call succeeded", None)
            else:
                f.next_trial_at = now + self._s.trial_interval_s
            return
        f.window.record(ok, now)
        if ok or f.degraded:
            return
        good, bad = f.window.totals(now)
        total = good + bad
        if total < self._s.min_samples:
            return
        ratio = good / total
        slo = self.slo(feature)
        if ratio < slo:
            f.next_trial_at = now + self._s.trial_interval_s
            reason = f"availability {ratio:.3f} < SLO {slo:g} over the last {total} calls"
            self._switch(feature, f, True, reason, ratio)

    def cancel_trial(self, feature: str) -> None:
        """An admitted trial never finished (cancelled): let the next call try instead."""
        f = self._features.get(feature)
        if f is not None:
            f.trial_out = False

    def arm_trials(self) -> None:
        """A provider looks healthy again: let each degraded feature try one call now."""
        for f in self._features.values():
            if f.degraded:
                f.next_trial_at = 0.0

    def ratio(self, feature: str) -> float | None:
        f = self._features.get(feature)
        if f is None:
            return None
        good, bad = f.window.totals(self._clock())
        return None if good + bad == 0 else good / (good + bad)

    def status(self) -> dict[str, dict[str, object]]:
        now = self._clock()
        out: dict[str, dict[str, object]] = {}
        for name, f in self._features.items():
            good, bad = f.window.totals(now)
            out[name] = {
                "degraded": f.degraded,
                "reason": f.reason,
                "since_s": round(now - f.since, 1) if f.degraded else None,
                "availability": None if good + bad == 0 else round(good / (good + bad), 5),
                "samples": good + bad,
                "slo": self.slo(name),
                "trials": f.trials,
            }
        return out

    def _switch(self, feature: str, f: _Feature, degraded: bool, reason: str, ratio: float | None) -> None:
        if f.degraded == degraded:
            return
        f.degraded, f.reason, f.since = degraded, reason, self._clock()
        if self._on_switch is not None:
            self._on_switch(feature, degraded, reason, ratio)
