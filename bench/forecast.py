"""Speed and accuracy of the stock forecaster on 10,000 synthetic products x 90 days.

Synthetic demand (seeded): a mix of smooth weekly-seasonal, erratic (over-
dispersed seasonal), intermittent, lumpy, obsolete (sales stop) and all-zero
series. The last ``HOLDOUT`` days of each series are held out; the forecaster
sees the first 90 - HOLDOUT days and forecasts HOLDOUT days ahead.

Accuracy, ``mase_vs_seasonal_naive``:

    scale_i   = mean |y_t - y_{t-7}| over the training days of series i
                (the in-sample MAE of seasonal naive, as in MASE)
    MASE_i(m) = mean |y_t - f_m,t| over the held-out days / scale_i
    ratio     = mean_i MASE_i(ours) / mean_i MASE_i(seasonal naive)

over every series with scale_i > 0 (a series with no training variation cannot
be scaled and is left out; the count is reported). Seasonal naive repeats the
last 7 training days. Below 1.0 means our forecasts beat seasonal naive.
Also reported: ``mae_ratio_pooled`` = sum of our absolute errors / sum of
seasonal naive's, over all series, and both mean MASEs per true demand kind
(per kind, not as a ratio: after an obsolete item stops selling, seasonal naive
forecasts exactly zero and any ratio explodes).

MAE rewards forecasting the median, which is zero for sparse items; stock
planning needs the mean, so on intermittent and lumpy items Croston-type
methods are not expected to beat seasonal naive by much on this metric.

Timing: ``seconds`` is the full ``forecast_many`` call (classification, frame
building, every statsforecast group) on the whole set. ``warmup_seconds`` is
measured before it, separately: importing statsforecast and forecasting 8
series once (statsforecast 2.x ships compiled code, so there is little JIT).
The machine is shared, so timings are noisy.

Prints one JSON object on stdout. Usage: ``python bench/forecast.py [--series N] [--jobs N]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter

# Run as a script, this folder is first on sys.path, and a sibling benchmark
# named like a stdlib module (bench/queue.py) would shadow it inside statsforecast.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import numpy as np  # noqa: E402

from sovereign.domain.forecast import forecast_many  # noqa: E402

DAYS = 90
HOLDOUT = 14
SEASON = 7
SEED = 20261122
KINDS = (("smooth", 0.45), ("erratic", 0.10), ("intermittent", 0.22), ("lumpy", 0.12), ("obsolete", 0.06), ("zero", 0.05))


def synthetic(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, DAYS) daily quantities and the kind each series was generated as."""
    kinds = rng.choice([k for k, _ in KINDS], size=n, p=[w for _, w in KINDS])
    t = np.arange(DAYS)
    # A weekly profile per series: weekend or midweek peaks of random strength.
    base = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.6, 1.4])
    strength = rng.uniform(0.2, 1.5, size=(n, 1))
    shift = rng.integers(0, SEASON, size=n)
    week = np.stack([np.roll(base, s) for s in shift])
    weekly = 1.0 + strength * (week[:, t % SEASON] - 1.0)
    trend = 1.0 + rng.normal(0, 0.002, size=(n, 1)) * t
    level = rng.lognormal(mean=1.0, sigma=0.8, size=(n, 1))
    mean = np.clip(level * weekly * trend, 0.0, None)

    y = np.zeros((n, DAYS))
    smooth = kinds == "smooth"
    y[smooth] = rng.poisson(mean[smooth] + 0.5)
    erratic = kinds == "erratic"
    # Negative binomial: Poisson with a gamma-distributed rate (over-dispersed sizes).
    y[erratic] = rng.poisson(rng.gamma(0.8, (mean[erratic] + 1.0) / 0.8))
    inter = (kinds == "intermittent") | (kinds == "obsolete")
    p = rng.uniform(0.05, 0.45, size=(n, 1)) * np.clip(weekly / weekly.mean(axis=1, keepdims=True), 0, 2)
    occurs = rng.random((n, DAYS)) < np.clip(p, 0, 0.95)
    y[inter] = (occurs * (1 + rng.poisson(0.6, size=(n, DAYS))))[inter]
    lumpy = kinds == "lumpy"
    occurs_l = rng.random((n, DAYS)) < rng.uniform(0.03, 0.25, size=(n, 1))
    y[lumpy] = (occurs_l * rng.geometric(rng.uniform(0.08, 0.4, size=(n, 1)), size=(n, DAYS)))[lumpy]
    obsolete = np.flatnonzero(kinds == "obsolete")
    stops = rng.integers(40, DAYS - HOLDOUT - 5, size=obsolete.size)
    for row, stop in zip(obsolete, stops):
        y[row, stop:] = 0.0
    return y, kinds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    y, kinds = synthetic(args.series, rng)
    train, test = y[:, : DAYS - HOLDOUT], y[:, DAYS - HOLDOUT :]

    t0 = time.perf_counter()
    forecast_many({i: train[i] for i in range(8)}, HOLDOUT, SEASON, n_jobs=1)
    warmup = time.perf_counter() - t0

    series = {i: train[i] for i in range(args.series)}
    t0 = time.perf_counter()
    result = forecast_many(series, HOLDOUT, SEASON, n_jobs=args.jobs)
    seconds = time.perf_counter() - t0
    print(f"forecast_many: {seconds:.1f}s for {args.series} series (warm-up {warmup:.1f}s)", file=sys.stderr)

    ours = np.stack([result[i].daily for i in range(args.series)])
    naive = np.tile(train[:, -SEASON:], (1, -(-HOLDOUT // SEASON)))[:, :HOLDOUT]
    scale = np.abs(train[:, SEASON:] - train[:, :-SEASON]).mean(axis=1)
    err_ours = np.abs(test - ours).mean(axis=1)
    err_naive = np.abs(test - naive).mean(axis=1)
    ok = scale > 0
    mase_ours, mase_naive = err_ours[ok] / scale[ok], err_naive[ok] / scale[ok]

    by_kind = {}
    for kind, _ in KINDS:
        sel = kinds[ok] == kind
        if sel.any():
            by_kind[kind] = {
                "ours": round(float(mase_ours[sel].mean()), 4),
                "seasonal_naive": round(float(mase_naive[sel].mean()), 4),
            }

    print(
        json.dumps(
            {
                "series": args.series,
                "days": DAYS,
                "holdout_days": HOLDOUT,
                "seconds": round(seconds, 2),
                "warmup_seconds": round(warmup, 2),
                "n_jobs": args.jobs,
                "cpus": os.cpu_count(),
                "mase_vs_seasonal_naive": round(float(mase_ours.mean() / mase_naive.mean()), 4),
                "mase_ours": round(float(mase_ours.mean()), 4),
                "mase_seasonal_naive": round(float(mase_naive.mean()), 4),
                "mae_ratio_pooled": round(float(np.abs(test - ours).sum() / np.abs(test - naive).sum()), 4),
                "series_scored": int(ok.sum()),
                "mase_by_true_kind": by_kind,
                "models_used": dict(Counter(f.model for f in result.values()).most_common()),
                "demand_classes": dict(Counter(f.demand_class for f in result.values()).most_common()),
                "seed": SEED,
            }
        )
    )


if __name__ == "__main__":
    main()
