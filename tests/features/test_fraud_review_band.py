"""The default AI-review policy: ask the model only when it could change the decision, and let it
raise the score by at most ``llm_max_raise``. A small local model that over-reacts (it called clean
orders 70/100 in the demo) can then never hold a clean order on its own."""

from __future__ import annotations

import pytest

from sovereign.domain.fraud import FraudConfig, Reason, RulesResult, combine
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from tests.features.conftest import answer, eventually, gateway_for, running
from tests.features.test_fraud_jobs import deliver_new_order

DEFAULTS = {"fraud": {}}  # the store's own defaults, not the tests' "always review" plumbing setting


def test_the_review_band_is_where_a_raise_could_cross_the_threshold() -> None:
    cfg = FraudConfig()
    assert (cfg.threshold, cfg.llm_max_raise) == (70, 25)
    assert [s for s in (0, 44, 45, 60, 69, 70, 95) if cfg.llm_review_useful(s)] == [45, 60, 69]
    assert FraudConfig(llm_review="always").llm_review_useful(95)


def test_combine_caps_the_raise_and_still_never_lowers() -> None:
    rules = RulesResult(score=50, band="medium", reasons=(Reason("x", 50, "x"),), threshold=70)
    assert combine(rules, {"risk": 100, "reasons": ["bad"]}, max_raise=25).score == 75
    assert combine(rules, {"risk": 60, "reasons": []}, max_raise=25).score == 60
    assert combine(rules, {"risk": 0, "reasons": []}, max_raise=25).score == 50
    assert combine(rules, {"risk": 100, "reasons": []}, max_raise=0).score == 50


async def test_a_clean_order_is_not_sent_to_the_model_and_an_alarmist_model_cannot_hold_it(
    db_url: str, woo: FakeWooStore, llm: FakeLLM
) -> None:
    llm.reply = answer(95, "Suspicious!")
    async with running(db_url, gateway_for(llm), woo, store_settings=DEFAULTS) as svc:
        await deliver_new_order(woo, 44)  # a registered customer's domestic order: rules say 10
        rows = await eventually(lambda: svc.results(44), what="a result for order 44")
        assert (rows[0]["score"], rows[0]["decision"], rows[0]["llm"]) == (10, "none", "not_needed")
        assert llm.calls == 0 and await svc.jobs("fraud.rescore") == []
        assert woo.order(44)["status"] != "on-hold"


async def test_an_uncertain_order_is_reviewed_and_may_be_raised_by_at_most_the_cap(
    db_url: str, woo: FakeWooStore, llm: FakeLLM
) -> None:
    llm.reply = answer(100, "Burst of orders from one throwaway address.")
    async with running(db_url, gateway_for(llm), woo, store_settings=DEFAULTS) as svc:
        await deliver_new_order(woo, 51)  # first of a burst from a throwaway address: rules say 60
        rows = await eventually(lambda: svc.results(51), what="a result for order 51")
        assert (rows[0]["rules_score"], rows[0]["score"], rows[0]["llm"]) == (60, 85, "ok")
        assert rows[0]["decision"] == "hold" and llm.calls == 1


def test_a_store_can_turn_the_review_off_per_band() -> None:
    medium_only = FraudConfig(llm_review="always", llm_review_bands=["medium"])
    assert [s for s in (0, 39, 40, 60, 69, 70, 95) if medium_only.llm_review_useful(s)] == [40, 60, 69]
    off = FraudConfig().merged({"llm_review_bands": []})
    assert not any(off.llm_review_useful(s) for s in range(101))
    assert FraudConfig().merged({"llm_review_bands": ["low", "high"]}).llm_review_useful(60) is False
    assert FraudConfig().llm_review_bands is None  # default: every band, subject to llm_review


def test_an_unknown_band_is_a_clear_settings_error() -> None:
    from sovereign.features.fraud.scoring import FraudSettings, InvalidFraudSettings

    with pytest.raises(InvalidFraudSettings, match="unknown bands: hgih"):
        FraudSettings.of({"fraud": {"llm_review_bands": ["medium", "hgih"]}})


async def test_an_order_in_a_band_the_store_turned_off_is_not_sent_to_the_model(
    db_url: str, woo: FakeWooStore, llm: FakeLLM
) -> None:
    llm.reply = answer(100, "reshipping")
    async with running(db_url, gateway_for(llm), woo, store_settings={"fraud": {"llm_review_bands": ["high"]}}) as svc:
        await deliver_new_order(woo, 51)  # rules say 60 (medium): in the review band, but the store turned it off
        rows = await eventually(lambda: svc.results(51), what="a result for order 51")
        assert (rows[0]["score"], rows[0]["decision"], rows[0]["llm"]) == (60, "none", "not_needed")
        assert llm.calls == 0 and await svc.jobs("fraud.rescore") == []
