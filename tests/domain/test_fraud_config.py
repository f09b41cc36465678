"""FraudConfig: documented defaults, store overrides, category overrides, validation."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from sovereign.domain import fraud_config
from sovereign.domain.fraud import SIGNALS, CategoryOverride, FraudConfig, OrderHistory, Weights, score
from sovereign.domain.orders import Order
from sovereign_testkit.fixtures import load_json

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fraud.md"


def test_defaults() -> None:
    config = FraudConfig()
    assert config.threshold == 70
    assert [(b.name, b.min_score) for b in config.bands] == [("low", 0), ("medium", 40), ("high", 70)]
    assert config.velocity_window == timedelta(hours=1)
    assert config.absolute_total_bound == Decimal("1000")
    assert config.unsafe_countries == frozenset()
    assert config.action == "hold"


def test_docstring_table_matches_default_weights() -> None:
    rows = re.findall(r"^(\w+)\s+(\d+)\s{2,}", fraud_config.__doc__ or "", re.MULTILINE)
    assert dict((name, int(w)) for name, w in rows) == Weights().model_dump()


def test_docs_table_matches_default_weights() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Signals and default weights"):text.index("## Configuration")]
    rows = re.findall(r"^\| (\w+) \| (\d+) \|", section, re.MULTILINE)
    assert dict((name, int(w)) for name, w in rows) == Weights().model_dump()


def test_band_for() -> None:
    config = FraudConfig()
    assert [config.band_for(s) for s in (0, 39, 40, 69, 70, 100)] == ["low", "low", "medium", "medium", "high", "high"]


def test_store_overrides_are_deep_merged() -> None:
    config = FraudConfig().merged({"threshold": 60, "weights": {"disposable_email": 60},
                                   "unsafe_countries": ["ng", "Xx"], "velocity_window": 600})
    assert config.threshold == 60
    assert config.weights.disposable_email == 60
    assert config.weights.first_order == Weights().first_order
    assert config.unsafe_countries == frozenset({"NG", "XX"})
    assert config.velocity_window == timedelta(minutes=10)
    assert FraudConfig().threshold == 70  # the base is untouched


@pytest.mark.parametrize("bad", [
    {"threshold": 0},
    {"threshold": 101},
    {"weights": {"disposable_email": 101}},
    {"weights": {"no_such_signal": 5}},
    {"no_such_setting": 1},
    {"bands": [{"name": "low", "min_score": 10}]},
    {"bands": [{"name": "low", "min_score": 0}, {"name": "x", "min_score": 50}, {"name": "y", "min_score": 40}]},
    {"categories": {"17": {"weights": {"made_up": 1}}}},
    {"free_email_policy": "sometimes"},
])
def test_invalid_overrides_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        FraudConfig().merged(bad)


def test_category_overrides_strictest_wins() -> None:
    config = FraudConfig().merged({"categories": {
        "17": {"threshold": 60, "weights": {"large_quantity": 0, "high_total": 40}},
        "18": {"threshold": 50, "absolute_total_bound": 300, "weights": {"high_total": 35}},
    }})
    assert set(config.categories) == {17, 18}
    assert config.for_categories([]) is config
    assert config.for_categories([99]) is config
    one = config.for_categories([17])
    assert (one.threshold, one.weights.large_quantity, one.weights.high_total) == (60, 0, 40)
    both = config.for_categories([18, 17])
    assert both.threshold == 50
    assert both.absolute_total_bound == Decimal("300")
    assert both.weights.high_total == 40
    assert both.weights.large_quantity == 0  # a category may lower a weight
    assert both.weights.first_order == config.weights.first_order


def test_category_override_applies_when_scoring() -> None:
    order = Order.from_woo(load_json("order_single.json")).with_categories({23: [17]})
    config = FraudConfig(categories={17: CategoryOverride(threshold=45, weights={"disposable_email": 0})})
    result = score(order, OrderHistory(), config)
    assert result.threshold == 45
    assert "disposable_email" not in [r.code for r in result.reasons]
    plain = score(Order.from_woo(load_json("order_single.json")), OrderHistory(), config)
    assert plain.threshold == 70 and "disposable_email" in [r.code for r in plain.reasons]


def test_every_signal_has_a_rule() -> None:
    from sovereign.domain.fraud import RULES

    assert tuple(RULES) == SIGNALS


def test_config_round_trips_through_json() -> None:
    config = FraudConfig().merged({"unsafe_countries": ["NG"], "velocity_window": 900,
                                   "categories": {17: {"threshold": 50}}})
    again = FraudConfig.model_validate_json(config.model_dump_json())
    assert again == config
