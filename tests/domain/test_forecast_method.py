"""The forecasting method piece by piece: trading calendar, new products, the robust combined rate,
the conformal quantile and the service-level totals (small synthetic series built here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sovereign.domain.forecast import forecast_many
from sovereign.domain.forecast_combo import (
    MIN_CLASS_SCORES,
    combined_rate,
    conformal_quantile,
    rolling_scores,
    service_totals,
)
from sovereign.domain.trading_calendar import TradingCalendar, detect_calendar

DAYS = 91  # 13 weeks


def _closed_store(rng: np.random.Generator, products: int = 20) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A busy store closed on one weekday (slot 3) and for a four-day holiday; every product sells on open days."""
    slot = (np.arange(DAYS) - DAYS) % 7
    open_days = slot != 3
    open_days[40:44] = False
    series = {f"p{i}": np.where(open_days, rng.poisson(rng.uniform(2, 9)) + 1.0, 0.0) for i in range(products)}
    return series, open_days


def test_calendar_learns_closed_days_and_weekdays_from_a_busy_store() -> None:
    series, open_days = _closed_store(np.random.default_rng(1))
    cal = detect_calendar(series)
    assert cal.learnt and np.array_equal(cal.open_days, open_days)
    assert cal.weekday_open[3] == 0.0 and all(cal.weekday_open[s] > 0.8 for s in range(7) if s != 3)
    horizon = cal.horizon_open(14)
    assert horizon[3] == horizon[10] == 0.0 and horizon.sum() == pytest.approx(cal.weekday_open.sum() * 2)
    # A shorter series (a product added later) lines up with the store's last days.
    assert np.array_equal(cal.open_mask(30), open_days[-30:])


def test_a_quiet_store_does_not_mistake_slow_days_for_closed_days() -> None:
    rng = np.random.default_rng(2)
    # Two products, each selling on about a third of the days: many days have no sale at all by chance.
    series = {k: (rng.random(DAYS) < 0.3) * 2.0 for k in ("a", "b")}
    cal = detect_calendar(series)
    assert not cal.learnt and cal.open_days.all() and np.all(cal.weekday_open == 1.0)
    assert not detect_calendar({}).learnt


def test_demand_falls_on_open_days_only() -> None:
    rng = np.random.default_rng(3)
    series, open_days = _closed_store(rng)
    series["steady"] = np.where(open_days, 6.0, 0.0)
    result = forecast_many(series, 14)
    steady, cal = result["steady"], detect_calendar(series)
    # 6 a day on each open day of the next two weeks, none on the closed weekday; the other weekdays
    # count as open as often as they were (the holiday took four of them).
    assert steady.daily[3] == steady.daily[10] == 0.0
    assert steady.total_to_horizon == pytest.approx(6.0 * cal.horizon_open(14).sum())
    assert 6.0 * 11 < steady.total_to_horizon <= 6.0 * 12
    # Told the store is always open, its closed days count as days without demand: a lower rate per
    # open day, and some demand expected on the closed weekday.
    flat = forecast_many(series, 14, trading_calendar=TradingCalendar.always_open(DAYS))["steady"]
    assert flat.daily[3] > 0.0 and flat.daily[0] < 6.0


def test_a_new_product_is_measured_from_its_first_sale() -> None:
    rng = np.random.default_rng(4)
    y = np.zeros(90)
    y[70:] = rng.poisson(5.0, 20) + 1.0  # launched 20 days ago, selling ~6 a day since
    rate = combined_rate(y[None, :], np.ones((1, 90), dtype=bool))[0]
    since_launch = y[70:].mean()
    assert 0.9 * since_launch <= rate <= 1.05 * since_launch  # not diluted by the 70 days before it existed
    assert rate > 3 * y.mean()
    # One sale so far is too little to tell a launch from a rare seller: partly diluted.
    once = np.zeros(90)
    once[85] = 6.0
    assert 6.0 / 90 < combined_rate(once[None, :], np.ones((1, 90), dtype=bool))[0] < 6.0 / 5
    # An intermittent seller whose first sale in the window came late is not "new" (the silence is like its gaps).
    rare = np.zeros(90)
    rare[[20, 45, 70]] = 2.0
    assert combined_rate(rare[None, :], np.ones((1, 90), dtype=bool))[0] < 2.0 * 3 / 70


def test_one_wholesale_order_does_not_set_the_rate_and_a_quiet_spell_is_not_fading() -> None:
    usable = np.ones((1, 90), dtype=bool)
    spiky = np.full(90, 2.0)
    spiky[50] = 500.0
    rate = combined_rate(spiky[None, :], usable)[0]
    assert 2.0 < rate < 0.7 * spiky.mean()  # the capped half of the combination ignores it
    # Sells 3 units every 10 days, then 34 quiet days (under three of its gaps): the rate mostly holds
    # (the old TSB rule took it to almost nothing after 20 quiet days).
    slow = np.zeros(90)
    slow[5:65:10] = 3.0
    assert 0.7 * slow.mean() < combined_rate(slow[None, :], usable)[0] < slow.mean()
    assert combined_rate(np.zeros((1, 90)), usable)[0] == 0.0


def test_conformal_quantile_is_the_finite_sample_rank() -> None:
    scores = np.r_[np.arange(1.0, 20.0), np.nan]  # 19 finite scores
    assert conformal_quantile(scores, 0.9) == 18.0  # ceil(20 x 0.9) = 18th smallest
    assert conformal_quantile(scores, 0.5) == 10.0
    assert conformal_quantile(np.array([1.0, 2.0]), 0.95) == 2.0  # too few for the rank: the largest
    assert math.isnan(conformal_quantile(np.array([np.nan]), 0.9))
    with pytest.raises(ValueError):
        conformal_quantile(scores, 1.0)


def test_service_totals_use_each_class_its_own_quantile_and_fall_back() -> None:
    n = 2 * MIN_CLASS_SCORES
    scores = np.r_[np.full(MIN_CLASS_SCORES, 1.0), np.full(MIN_CLASS_SCORES, 3.0)][:, None]
    classes = ["smooth"] * MIN_CLASS_SCORES + ["lumpy"] * MIN_CLASS_SCORES
    totals = np.full(n, 15.0)
    upper = service_totals(totals, scores, classes, 0.95)
    assert upper[0] == pytest.approx(15.0 + 1.0 * 4.0) and upper[-1] == pytest.approx(15.0 + 3.0 * 4.0)
    # A class too small for its own quantile takes the pooled one; no product sold: zero.
    few = service_totals(np.r_[totals, 15.0, 0.0], np.r_[scores, [[9.0], [np.nan]]], classes + ["new", "zero"], 0.95)
    assert few[-2] == pytest.approx(15.0 + 3.0 * 4.0) and few[-1] == 0.0
    # Nothing to calibrate on (a new store): the normal quantile; never below the mean.
    bare = service_totals(np.array([15.0]), np.array([[np.nan]]), ["smooth"], 0.95)
    assert bare[0] == pytest.approx(15.0 + 1.6449 * 4.0, rel=1e-3)
    low = service_totals(np.full(MIN_CLASS_SCORES, 15.0), np.full((MIN_CLASS_SCORES, 1), -2.0), ["x"] * MIN_CLASS_SCORES, 0.95)
    assert np.all(low == 15.0)


def test_service_level_totals_cover_future_demand_at_about_that_rate() -> None:
    rng = np.random.default_rng(5)
    horizon, products = 28, 400
    rates = rng.gamma(1.0, 1.5, products)
    full = rng.poisson(rates[:, None] * rng.gamma(4.0, 0.25, (products, 90 + horizon)))  # over-dispersed
    result = forecast_many({i: full[i, :90] for i in range(products)}, horizon, service_level=0.9)
    actual = full[:, 90:].sum(axis=1)
    upper = np.array([result[i].total_at_service() for i in range(products)])
    mean = np.array([result[i].total_to_horizon for i in range(products)])
    sold = mean > 0
    assert np.all(upper[sold] > mean[sold])
    assert 0.82 <= np.mean(actual[sold] <= upper[sold]) <= 0.97
    scores = rolling_scores(full[:, :90].astype(float), np.ones((products, 90), dtype=bool), horizon)
    assert scores.shape == (products, 3) and np.isfinite(scores).mean() > 0.9
