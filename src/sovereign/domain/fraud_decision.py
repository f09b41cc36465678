"""What to do with an assessed order: ``decide(assessment, config) -> Decision``.

The only action is a hold (WooCommerce status ``on-hold``) with a private note
and two meta keys; an order is never cancelled. The feature applies a decision
as: add ``note_text`` as a private note if not empty, write ``meta`` if not
empty, set status on-hold if ``hold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fraud_assessment import FraudAssessment
from .fraud_config import FraudConfig

__all__ = ["Decision", "META_REASONS", "META_SCORE", "decide"]

META_SCORE = "_sovereign_fraud_score"
META_REASONS = "_sovereign_fraud_reasons"


@dataclass(frozen=True, slots=True)
class Decision:
    hold: bool
    note_text: str = ""  # private order note; "" below the threshold
    meta: dict[str, Any] = field(default_factory=dict)  # order meta to write; {} below the threshold


def decide(assessment: FraudAssessment, config: FraudConfig) -> Decision:
    """Hold at or above the threshold ``score()`` applied to this order (category overrides included).

    ``config`` supplies the action (``"monitor"`` writes the note and meta but
    never holds) and how many reasons the note lists. The meta score is a
    string, as WooCommerce returns scalar meta.
    """
    if assessment.score < assessment.threshold:
        return Decision(hold=False)
    hold = config.action == "hold"
    shown = assessment.reasons[: config.note_reasons]
    lines = [
        f"Sovereign fraud check: risk score {assessment.score}/100 ({assessment.band}), "
        f"hold threshold {assessment.threshold}.",
        "Order put on hold for review. It was not cancelled: release it if it is genuine."
        if hold else "Monitor mode: the order would have been put on hold; its status was not changed.",
        "Reasons:",
        *(f"- {r.text}" + (f" (+{r.weight})" if r.weight else "") for r in shown),
    ]
    if len(assessment.reasons) > len(shown):
        lines.append(f"- and {len(assessment.reasons) - len(shown)} more")
    meta = {META_SCORE: str(assessment.score), META_REASONS: [r.text for r in assessment.reasons]}
    return Decision(hold=hold, note_text="\n".join(lines), meta=meta)
