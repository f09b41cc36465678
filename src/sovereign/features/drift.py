"""Drift watch: is the model still earning its place, per feature and model, around the clock?

Every AI output a feature takes is observed: did the model's answer reach the
store (``model``), was it refused by the validator (``refused``), or was the
model away (``unavailable``), and how long it took. ``/metrics`` shows the counts
and latencies (``sovereign_ai_outputs_total``, ``sovereign_ai_output_seconds``);
over a rolling window of the last outputs, a model-draft rate below, or a
refusal rate or a latency p95 above the thresholds writes one alert line to the
log (``drift alert: …``), and one ``drift recovered: …`` when it is back.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client import Counter, Histogram

__all__ = ["DRIFT", "DriftThresholds", "DriftWatch", "Outcome"]

log = logging.getLogger("sovereign.drift")
Outcome = Literal["model", "refused", "unavailable"]

OUTPUTS = Counter("sovereign_ai_outputs_total", "AI outputs by feature, model and outcome (model: reached the store; "
                  "refused: the validator sent it to the template; unavailable: no model answer)",
                  ["feature", "model", "outcome"])
SECONDS = Histogram("sovereign_ai_output_seconds", "Time to an AI output, per feature and model", ["feature", "model"],
                    buckets=(0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320))


@dataclass(frozen=True)
class DriftThresholds:
    window: int = 100  # the last outputs per feature and model
    min_samples: int = 20
    min_model_rate: float = 0.5
    max_refusal_rate: float = 0.4
    max_latency_p95_s: float = 120.0


@dataclass
class _Window:
    outcomes: deque[str]
    latencies: deque[float]
    alerting: bool = False


@dataclass
class DriftWatch:
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def observe(self, feature: str, model: str, outcome: Outcome, seconds: float) -> list[str]:
        """Record one output; return the problems now present (empty when healthy or too few samples)."""
        model = model or "none"
        OUTPUTS.labels(feature, model, outcome).inc()
        SECONDS.labels(feature, model).observe(seconds)
        t = self.thresholds
        w = self._windows.setdefault((feature, model), _Window(deque(maxlen=t.window), deque(maxlen=t.window)))
        w.outcomes.append(outcome)
        w.latencies.append(seconds)
        problems = self.problems(feature, model)
        if problems and not w.alerting:
            w.alerting = True
            log.warning("drift alert: feature %s on model %s: %s (last %d outputs)", feature, model,
                        "; ".join(problems), len(w.outcomes))
        elif not problems and w.alerting and len(w.outcomes) >= t.min_samples:
            w.alerting = False
            log.warning("drift recovered: feature %s on model %s", feature, model)
        return problems

    def problems(self, feature: str, model: str) -> list[str]:
        t = self.thresholds
        w = self._windows.get((feature, model))
        if w is None or len(w.outcomes) < t.min_samples:
            return []
        n = len(w.outcomes)
        out = []
        model_rate = w.outcomes.count("model") / n
        refusal_rate = w.outcomes.count("refused") / n
        p95 = sorted(w.latencies)[min(n - 1, int(0.95 * n))]
        if model_rate < t.min_model_rate:
            out.append(f"model-draft rate {model_rate:.2f} < {t.min_model_rate}")
        if refusal_rate > t.max_refusal_rate:
            out.append(f"validator refusal rate {refusal_rate:.2f} > {t.max_refusal_rate}")
        if p95 > t.max_latency_p95_s:
            out.append(f"latency p95 {p95:.1f} s > {t.max_latency_p95_s} s")
        return out


DRIFT = DriftWatch()  # the process's watch, like its Prometheus counters
