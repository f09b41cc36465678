"""decide(): hold with a private note and meta at or above the threshold; never cancel."""

from __future__ import annotations

import dataclasses

from sovereign.domain.fraud import (
    META_REASONS,
    META_SCORE,
    Decision,
    FraudAssessment,
    FraudConfig,
    Reason,
    build_history,
    combine,
    decide,
    score,
)
from sovereign.domain.orders import Order
from sovereign_testkit.fixtures import load_json

CONFIG = FraudConfig()


def assessment(score_: int, reasons: int = 2, threshold: int = 70) -> FraudAssessment:
    rs = tuple(Reason(f"r{i}", 10, f"Reason number {i}") for i in range(reasons))
    return FraudAssessment(score=score_, band=CONFIG.band_for(score_), reasons=rs, threshold=threshold,
                           rules_score=score_)


def test_below_threshold_does_nothing() -> None:
    assert decide(assessment(69), CONFIG) == Decision(hold=False, note_text="", meta={})


def test_at_threshold_holds_with_note_and_meta() -> None:
    decision = decide(assessment(70), CONFIG)
    assert decision.hold
    assert decision.meta == {META_SCORE: "70", META_REASONS: ["Reason number 0", "Reason number 1"]}
    assert META_SCORE == "_sovereign_fraud_score" and META_REASONS == "_sovereign_fraud_reasons"
    assert "risk score 70/100 (high)" in decision.note_text
    assert "not cancelled" in decision.note_text
    assert "- Reason number 0 (+10)" in decision.note_text


def test_threshold_comes_from_the_scored_order() -> None:
    assert decide(assessment(50, threshold=45), CONFIG).hold  # a category lowered it at scoring time
    assert not decide(assessment(80, threshold=90), CONFIG).hold


def test_monitor_mode_records_but_never_holds() -> None:
    decision = decide(assessment(95), CONFIG.merged({"action": "monitor"}))
    assert not decision.hold
    assert decision.meta[META_SCORE] == "95"
    assert "Monitor mode" in decision.note_text


def test_note_lists_at_most_note_reasons() -> None:
    decision = decide(assessment(90, reasons=6), CONFIG.merged({"note_reasons": 4}))
    assert decision.note_text.count("\n- Reason number") == 4
    assert decision.note_text.endswith("- and 2 more")
    assert len(decision.meta[META_REASONS]) == 6


def test_a_decision_can_only_hold() -> None:
    assert [f.name for f in dataclasses.fields(Decision)] == ["hold", "note_text", "meta"]


def test_showcase_order_end_to_end() -> None:
    order = Order.from_woo(load_json("order_single.json"))
    earlier = [Order.from_woo(o) for o in load_json("orders.json")]
    history = build_history(order, earlier, config=CONFIG, held_ids={50})
    decision = decide(combine(score(order, history, CONFIG), None), CONFIG)
    assert decision.hold
    assert int(decision.meta[META_SCORE]) >= CONFIG.threshold
    assert "Billing country DE differs from shipping country NG" in decision.meta[META_REASONS]
    assert "Klaus" not in decision.note_text and "mailinator.com is a disposable" in decision.note_text
