"""The drift page's figures, this week against the week before, with the drift watch's thresholds. Pure.

The thresholds are the ones that write ``drift alert`` lines to the log (``features.drift``): a
model-draft rate under ``min_model_rate``, a refusal rate over ``max_refusal_rate``, a latency p95
over ``max_latency_p95_s``. A figure over too few samples (``min_samples``) is shown but not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sovereign.features.drift import DriftThresholds
from sovereign.store.console_drift import CallRow, DraftRow, ReviewRow

__all__ = ["Figure", "ModelLine", "Week", "calls_table", "figures"]


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    now: float | None
    before: float | None
    unit: str  # "%" (a share, 0..1) or "ms"
    samples: int
    alert: str = ""  # why it crosses a threshold; empty when it does not (or too few samples)

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True, slots=True)
class ModelLine:
    feature: str
    model: str
    calls: int
    success: float | None
    p95_ms: float | None
    p95_before_ms: float | None
    alert: str


@dataclass(frozen=True, slots=True)
class Week:
    calls: list[CallRow]
    drafts: DraftRow
    reviews: ReviewRow


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(now: Week, before: Week, t: DriftThresholds) -> list[Figure]:
    """Descriptions' model-draft and refusal rates, and the fraud review's agreement with the rules."""
    d, db = now.drafts, before.drafts
    r, rb = now.reviews, before.reviews
    judged = d.drafts >= t.min_samples
    rate = _share(d.by_model, d.drafts)
    refused = _share(d.refused, d.drafts)
    return [
        Figure("descriptions: model-draft rate", rate, _share(db.by_model, db.drafts), "%", d.drafts,
               f"under {t.min_model_rate:.0%}" if judged and rate is not None and rate < t.min_model_rate else ""),
        Figure("descriptions: validator refusal rate", refused, _share(db.refused, db.drafts), "%", d.drafts,
               f"over {t.max_refusal_rate:.0%}" if judged and refused is not None and refused > t.max_refusal_rate else ""),
        Figure("fraud: AI review agrees with the rules", _share(r.agreed, r.reviewed), _share(rb.agreed, rb.reviewed),
               "%", r.reviewed),
        Figure("fraud: AI review raised the score", _share(r.raised, r.reviewed), _share(rb.raised, rb.reviewed),
               "%", r.reviewed),
    ]


def calls_table(now: Week, before: Week, t: DriftThresholds) -> list[ModelLine]:
    """Per feature and model: this week's calls, success rate and latency p95, and last week's p95."""
    earlier = {(c.feature, c.model): c for c in before.calls}
    out = []
    for c in now.calls:
        prev = earlier.get((c.feature, c.model))
        slow = c.p95_ms is not None and c.ok >= t.min_samples and c.p95_ms > t.max_latency_p95_s * 1000.0
        out.append(ModelLine(c.feature, c.model, c.calls, _share(c.ok, c.calls), c.p95_ms,
                             prev.p95_ms if prev else None,
                             f"p95 over {t.max_latency_p95_s:g} s" if slow else ""))
    return out
