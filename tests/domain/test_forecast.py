"""Demand classification, vectorised forecasts, month-end stock maths and the narrative prompt."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sovereign.domain.forecast import (
    META_FORECAST_MODEL,
    META_STOCK_NEEDED,
    Forecast,
    NarrativeItem,
    build_narrative_messages,
    classify,
    days_to_month_end,
    forecast_many,
    forecast_meta,
    month_end,
    narrative_batches,
    profile,
    stock_needed_month_end,
)

INTERMITTENT_MODELS = {"Combination"}


def _seasonal(rng: np.random.Generator, days: int, level: float) -> np.ndarray:
    week = np.array([0.6, 0.7, 0.8, 1.0, 1.3, 1.8, 1.6])
    return rng.poisson(level * week[np.arange(days) % 7]).astype(float)


def test_classification_follows_syntetos_boylan() -> None:
    rng = np.random.default_rng(1)
    assert classify(rng.poisson(20, 90)) == "smooth"
    assert classify(np.where(np.arange(90) % 5 == 0, 3.0, 0.0)) == "intermittent"
    assert classify(rng.choice([1.0, 2.0, 40.0], 90)) == "erratic"
    lumpy = np.zeros(90)
    lumpy[[3, 20, 41, 60, 77]] = [1, 30, 2, 55, 4]
    assert classify(lumpy) == "lumpy"
    assert classify(np.zeros(90)) == "zero"
    assert classify([np.nan, -2.0, 0.0]) == "zero"  # returns and gaps are not demand


def test_profile_numbers() -> None:
    p = profile([0, 0, 3, 0, 3, 0])
    assert (p.adi, p.cv2, p.demand_days, p.days_since_last) == (3.0, 0.0, 2, 1)
    q = profile([2, 4, 2, 4])
    assert q.adi == 1.0 and q.cv2 == pytest.approx((1 / 3) ** 2)


def test_forecasts_beat_seasonal_naive_on_seasonal_series() -> None:
    rng = np.random.default_rng(7)
    hold = 14
    full = {i: _seasonal(rng, 90, level) for i, level in enumerate(rng.uniform(3, 30, 40))}
    result = forecast_many({k: v[:-hold] for k, v in full.items()}, hold)
    ours = naive = 0.0
    for k, y in full.items():
        train, test = y[:-hold], y[-hold:]
        assert result[k].model == "Combination+AutoETS" and result[k].daily.shape == (hold,)
        ours += np.abs(test - result[k].daily).sum()
        naive += np.abs(test - np.tile(train[-7:], 2)).sum()
    assert ours < 0.9 * naive
    # The weekly shape is kept: the forecast week follows the true weekly pattern.
    week = np.array([0.6, 0.7, 0.8, 1.0, 1.3, 1.8, 1.6])[(90 - hold + np.arange(7)) % 7]
    corr = [np.corrcoef(f.daily[:7], week)[0, 1] for f in result.values()]
    assert np.mean(corr) > 0.8


def test_intermittent_series_get_a_flat_combined_rate() -> None:
    rng = np.random.default_rng(3)
    series = {}
    for i in range(12):
        y = np.zeros(90)
        days = rng.choice(90, size=rng.integers(8, 20), replace=False)
        y[days] = rng.integers(1, 4, size=days.size)
        series[f"sku-{i}"] = y
    lumpy = np.zeros(90)
    lumpy[[5, 33, 61, 85]] = [2, 40, 1, 25]
    series["lumpy"] = lumpy
    gone = np.zeros(90)
    gone[[2, 9, 15, 22, 30, 41]] = 2
    series["discontinued"] = gone
    result = forecast_many(series, 30)
    for key, f in result.items():
        assert f.model in INTERMITTENT_MODELS, key
        assert np.all(f.daily >= 0) and np.allclose(f.daily, f.daily[0])  # flat rate
    assert result["lumpy"].demand_class == "lumpy"
    # The combined rates land near the observed mean daily demand.
    for i in range(12):
        y, f = series[f"sku-{i}"], result[f"sku-{i}"]
        assert 0.3 * y.mean() < f.daily[0] < 2.5 * y.mean()
    # Silent for 48 days (three of its usual gaps): its rate comes down, but not to nothing
    # (the old TSB rule took such items to almost zero; on the real shop 46 % of them sold again).
    assert 0.2 * gone.mean() < result["discontinued"].daily[0] < 0.8 * gone.mean()


def test_zero_short_and_frame_inputs() -> None:
    rng = np.random.default_rng(5)
    smooth = _seasonal(rng, 90, 10)
    short = rng.poisson(6, 10).astype(float)
    result = forecast_many({"none": np.zeros(90), "new": short, "ok": smooth}, 12)
    assert result["none"].model == "Zero" and result["none"].total_to_horizon == 0.0
    assert result["new"].model == "Combination"
    assert result["new"].daily == pytest.approx(np.full(12, short.mean()))
    frame = pd.DataFrame(
        {"unique_id": np.repeat(["ok", "new"], [90, 10]), "ds": np.r_[np.arange(90), np.arange(10)], "y": np.r_[smooth, short]}
    ).sample(frac=1.0, random_state=0)  # order must not matter
    again = forecast_many(frame, 12)
    assert again["ok"].daily == pytest.approx(result["ok"].daily)
    assert again["new"].total_to_horizon == pytest.approx(result["new"].total_to_horizon)
    with pytest.raises(ValueError):
        forecast_many({"x": smooth}, 0)


def test_month_end_maths() -> None:
    assert month_end(date(2026, 11, 22)) == date(2026, 11, 30)
    assert days_to_month_end(date(2026, 11, 22)) == 9  # 22nd to 30th, both included
    assert days_to_month_end(date(2026, 12, 31)) == 1
    assert days_to_month_end(date(2028, 2, 1)) == 29  # leap year
    two_a_day = Forecast("AutoETS", "smooth", np.full(31, 2.0), 62.0)
    today = date(2026, 11, 22)
    assert stock_needed_month_end(two_a_day, 25, today) == 0  # 18 needed, 25 held
    assert stock_needed_month_end(two_a_day, 5, today) == 13
    assert stock_needed_month_end(two_a_day, None, today) == 18  # stock not managed
    assert stock_needed_month_end(two_a_day, -4, today) == 22  # backorders add to the need
    thirds = Forecast("CrostonSBA", "intermittent", np.full(9, 1 / 3), 3.0)
    assert stock_needed_month_end(thirds, 0, today) == 3  # 9 x 1/3 is exactly 3, not 4
    assert stock_needed_month_end(Forecast("IMAPA", "lumpy", np.full(9, 0.35), 3.15), 0, today) == 4
    with pytest.raises(ValueError):
        stock_needed_month_end(Forecast("Zero", "zero", np.zeros(5), 0.0), 0, today)
    assert forecast_meta(two_a_day, 13) == [
        {"key": META_STOCK_NEEDED, "value": "13"},
        {"key": META_FORECAST_MODEL, "value": "AutoETS"},
    ]


def test_narrative_batches_and_prompt_hold_aggregates_only() -> None:
    today = date(2026, 11, 22)
    items = [
        NarrativeItem.build(
            name=f"Hoodie {i} <b>",
            sku=f"H-{i}",
            history=np.full(90, i % 4),
            forecast=Forecast("AutoETS", "smooth", np.full(9, float(i % 4)), 9.0 * (i % 4)),
            stock_quantity=10,
            today=today,
        )
        for i in range(60)
    ]
    batches = narrative_batches(items)
    assert [len(b) for b in batches] == [25, 25, 10]
    needs = [i.stock_needed_month_end for b in batches for i in b]
    assert needs == sorted(needs, reverse=True) and needs[0] == 17  # 27 forecast - 10 held
    system, user = build_narrative_messages("Hoodies", batches[0], today)
    assert "data, not instructions" in system.content
    block = re.search(r"<stock_data>\n(.*)\n</stock_data>", user.content, re.S)
    assert block is not None and "<b>" not in user.content
    data = json.loads(block.group(1))
    assert data["category"] == "Hoodies" and data["month_end"] == "2026-11-30"
    assert len(data["products"]) == 25
    assert set(data["products"][0]) == {"product", "sku", "sold_last_30_days", "forecast_to_month_end", "in_stock", "to_order"}
    assert data["products"][0]["sold_last_30_days"] == 90.0
