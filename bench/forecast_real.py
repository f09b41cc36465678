"""The stock forecaster against statsforecast's standard methods on a real shop's daily sales.

Data: ``bench/data/online-retail-2011h1-daily.csv.gz`` (a UK online giftware retailer,
2010-12-01 to 2011-07-31, see ``bench/data/README.md``). Rolling origins every 14 days
from 2011-04-01 to 2011-07-03 (7 origins); at each origin the history is the 90 days
before it and the horizon the 28 days from it; every product with a sale in its history
is forecast (about 2,900 per origin). Missing product-days are zero sales; the shop's
closed days (Saturdays, Christmas, bank holidays) are zero for every product, and that
is what every method sees.

Baselines, same run, statsforecast on every series: SeasonalNaive(7), HistoricAverage,
WindowAverage(28), ADIDA, IMAPA, CrostonClassic, AutoETS(season_length=7). Ours:
``sovereign.domain.forecast.forecast_many`` called once per origin (it learns the
trading calendar from that origin's products).

Metrics per method, pooled over origins and products (F = forecast total over the
horizon, A = actual total):

* ``total_units_error`` = Σ|F − A| / ΣA;
* ``under_forecast_rate`` = share of products with A > 0 whose F < 0.8·A (stock-outs);
* ``bias`` = (ΣF − ΣA) / ΣA;
* ``rmsse`` = mean over products of sqrt(mean_h (a_h − f_h)² / mean_t (y_t − y_{t−1})²)
  (history scale; products with a zero scale are left out);
* ``seconds`` = the method's forecasting time for all origins.

Headline: ``total_units_error_ratio_vs_best_baseline`` (ours / the baseline with the
lowest total-units error), ``under_forecast_rate`` (ours) against
``best_baseline_under_forecast_rate`` (that baseline's; ``lowest_baseline_under_forecast_rate``
is the lowest of all baselines), ``p95_coverage`` (share of products with A at or below
our 95 % service-level total) and ``seconds`` (the whole run).

Prints one JSON object. Usage: ``python bench/forecast_real.py [--jobs N] [--level 0.95]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import warnings
from pathlib import Path

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)  # bench/queue.py would shadow the stdlib inside statsforecast

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sovereign.domain.forecast import forecast_many  # noqa: E402
from sovereign.domain.trading_calendar import TradingCalendar, detect_calendar  # noqa: E402

DATA = Path(__file__).parent / "data" / "online-retail-2011h1-daily.csv.gz"
HISTORY, HORIZON, STEP = 90, 28, 14
SEED = 20261205
FIRST_ORIGIN, LAST_ORIGIN = "2011-04-01", "2011-07-03"


def load() -> tuple[np.ndarray, pd.DatetimeIndex]:
    frame = pd.read_csv(DATA, parse_dates=["date"], dtype={"item_id": str})
    days = pd.date_range(frame["date"].min(), frame["date"].max())
    items, rows = np.unique(frame["item_id"].to_numpy(), return_inverse=True)
    y = np.zeros((items.size, days.size))
    y[rows, (frame["date"] - days[0]).dt.days.to_numpy()] = frame["units"].to_numpy(dtype=np.float64)
    return y, days


def windows(
    y: np.ndarray, days: pd.DatetimeIndex, sample: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, TradingCalendar]]:
    """(history, actual, calendar) per origin, for the sampled products with a sale in the history.

    The trading calendar is learnt from every product of the shop (as the service does),
    whatever the sample.
    """
    out = []
    for origin in pd.date_range(FIRST_ORIGIN, LAST_ORIGIN, freq=f"{STEP}D"):
        i = (origin - days[0]).days
        if i - HISTORY < 0 or i + HORIZON > days.size:
            raise SystemExit(f"origin {origin.date()} does not fit the data")
        hist, act = y[:, i - HISTORY : i], y[:, i : i + HORIZON]
        cal = detect_calendar({k: hist[k] for k in range(hist.shape[0])})
        keep = sample & (hist.sum(axis=1) > 0)
        out.append((hist[keep], act[keep], cal))
    return out


def baselines(jobs: int) -> dict[str, object]:
    from statsforecast import models as m

    return {
        "SeasonalNaive": m.SeasonalNaive(season_length=7),
        "HistoricAverage": m.HistoricAverage(),
        "WindowAverage": m.WindowAverage(window_size=28),
        "ADIDA": m.ADIDA(),
        "IMAPA": m.IMAPA(),
        "CrostonClassic": m.CrostonClassic(),
        "AutoETS": m.AutoETS(season_length=7),
    }


def run_baseline(model: object, hist: np.ndarray, jobs: int) -> tuple[np.ndarray, float]:
    from statsforecast import StatsForecast

    n = hist.shape[0]
    frame = pd.DataFrame({"unique_id": np.repeat(np.arange(n), HISTORY), "ds": np.tile(np.arange(HISTORY), n), "y": hist.ravel()})
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = StatsForecast(models=[model], freq=1, n_jobs=jobs).forecast(df=frame, h=HORIZON)
    seconds = time.perf_counter() - t0
    values = out.sort_values(["unique_id", "ds"]).iloc[:, -1].to_numpy(dtype=np.float64).reshape(n, HORIZON)
    return np.clip(np.nan_to_num(values), 0.0, None), seconds


def metrics(f: np.ndarray, hist: np.ndarray, act: np.ndarray, seconds: float) -> dict[str, float]:
    ft, at = f.sum(axis=1), act.sum(axis=1)
    sold = at > 0
    scale = np.mean(np.diff(hist, axis=1) ** 2, axis=1)
    ok = scale > 0
    rmsse = np.sqrt(np.mean((act - f) ** 2, axis=1)[ok] / scale[ok])
    return {
        "total_units_error": round(float(np.abs(ft - at).sum() / at.sum()), 4),
        "under_forecast_rate": round(float(np.mean(ft[sold] < 0.8 * at[sold])), 4),
        "rmsse": round(float(rmsse.mean()), 4),
        "bias": round(float((ft.sum() - at.sum()) / at.sum()), 4),
        "seconds": round(seconds, 2),
    }


def by_class(forecasts: dict[str, np.ndarray], act: np.ndarray, classes: np.ndarray) -> dict[str, object]:
    """Per demand class (ours, on open days): series, and each method's total-units error and under-forecast rate."""
    at = act.sum(axis=1)
    out: dict[str, object] = {}
    for cls in ("smooth", "erratic", "intermittent", "lumpy"):
        rows = classes == cls
        sold = rows & (at > 0)
        if not sold.any():
            continue
        out[cls] = {
            "series": int(rows.sum()),
            "share_of_units": round(float(at[rows].sum() / at.sum()), 4),
            "total_units_error": {
                k: round(float(np.abs(f[rows].sum(axis=1) - at[rows]).sum() / at[rows].sum()), 4) for k, f in forecasts.items()
            },
            "under_forecast_rate": {
                k: round(float(np.mean(f[sold].sum(axis=1) < 0.8 * at[sold])), 4) for k, f in forecasts.items()
            },
        }
    return out


def baseline_forecasts(hist: np.ndarray, jobs: int, cache: str | None) -> tuple[dict[str, np.ndarray], dict[str, float], bool]:
    """Every baseline's daily forecasts and seconds; from ``cache`` (an .npz) when it holds this exact history."""
    key = np.frombuffer(hashlib.sha256(hist.tobytes()).digest(), dtype=np.uint8)
    if cache and Path(cache).exists():
        saved = np.load(cache)
        if np.array_equal(saved["key"], key):
            names = [str(n) for n in saved["names"]]
            return {n: saved[f"f_{n}"] for n in names}, dict(zip(names, map(float, saved["seconds"]))), True
    forecasts, seconds = {}, {}
    for name, model in baselines(jobs).items():
        forecasts[name], seconds[name] = run_baseline(model, hist, jobs)
        print(f"{name}: {seconds[name]:.1f} s", file=sys.stderr, flush=True)
    if cache:
        np.savez_compressed(
            cache, key=key, names=np.array(list(forecasts)), seconds=np.array(list(seconds.values())),
            **{f"f_{n}": f for n, f in forecasts.items()},
        )
    return forecasts, seconds, False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--level", type=float, default=0.95)
    ap.add_argument("--products", type=int, default=0, help="forecast a random sample of this many products (0: all)")
    ap.add_argument("--seed", type=int, default=SEED, help="the sample's seed")
    ap.add_argument(
        "--baseline-cache", default=None,
        help="an .npz to reuse the baselines' forecasts from (written if absent; for development, the JSON says so)",
    )
    args = ap.parse_args()
    start = time.perf_counter()

    y, days = load()
    sample = np.ones(y.shape[0], dtype=bool)
    if 0 < args.products < y.shape[0]:
        sample[:] = False
        sample[np.random.default_rng(args.seed).choice(y.shape[0], args.products, replace=False)] = True
    parts = windows(y, days, sample)
    hist = np.concatenate([h for h, _, _ in parts])
    act = np.concatenate([a for _, a, _ in parts])

    forecasts, seconds, cached = baseline_forecasts(hist, args.jobs, args.baseline_cache)
    results = {name: metrics(f, hist, act, seconds[name]) for name, f in forecasts.items()}

    t0 = time.perf_counter()
    ours, upper, classes, models = [], [], [], {}
    for h, _, cal in parts:
        fc = forecast_many(
            {i: h[i] for i in range(h.shape[0])}, HORIZON, n_jobs=args.jobs, service_level=args.level, trading_calendar=cal
        )
        ours.append(np.stack([fc[i].daily for i in range(h.shape[0])]))
        upper.append(np.array([fc[i].total_at_service() for i in range(h.shape[0])]))
        classes.extend(fc[i].demand_class for i in range(h.shape[0]))
        for f in fc.values():
            models[f.model] = models.get(f.model, 0) + 1
    seconds_ours = time.perf_counter() - t0
    f_ours, p_ours = np.concatenate(ours), np.concatenate(upper)
    results["Sovereign"] = metrics(f_ours, hist, act, seconds_ours)
    forecasts["Sovereign"] = f_ours
    print(f"Sovereign: {results['Sovereign']}", file=sys.stderr, flush=True)

    base = {k: v for k, v in results.items() if k != "Sovereign"}
    best = min(base, key=lambda k: base[k]["total_units_error"])
    at = act.sum(axis=1)
    new = (hist[:, : HISTORY - 30].sum(axis=1) == 0) & (at > 0)  # first sale in the last 30 days of history
    classes_ = np.array(classes)
    per_class = by_class(forecasts, act, classes_)
    intermittent = per_class.get("intermittent", {})
    print(
        json.dumps(
            {
                "origins": len(parts),
                "products_in_shop": int(y.shape[0]),
                "products_sampled": int(sample.sum()),
                "sample_seed": args.seed if sample.sum() < y.shape[0] else None,
                "series": int(hist.shape[0]),
                "history_days": HISTORY,
                "horizon_days": HORIZON,
                "baselines_from_cache": cached,
                "methods": results,
                "best_baseline": best,
                "total_units_error": results["Sovereign"]["total_units_error"],
                "best_baseline_total_units_error": base[best]["total_units_error"],
                "total_units_error_ratio_vs_best_baseline": round(
                    results["Sovereign"]["total_units_error"] / base[best]["total_units_error"], 4
                ),
                "under_forecast_rate": results["Sovereign"]["under_forecast_rate"],
                "best_baseline_under_forecast_rate": base[best]["under_forecast_rate"],
                "lowest_baseline_under_forecast_rate": min(v["under_forecast_rate"] for v in base.values()),
                "by_class": per_class,
                "intermittent_total_units_error": intermittent.get("total_units_error", {}).get("Sovereign"),
                "intermittent_best_baseline_total_units_error": min(
                    (v for k, v in intermittent.get("total_units_error", {}).items() if k != "Sovereign"), default=None
                ),
                "new_products_sold": int(new.sum()),
                "new_products_under_forecast_rate": {
                    k: round(float(np.mean(forecasts[k].sum(axis=1)[new] < 0.8 * at[new])), 4) for k in ("Sovereign", best)
                },
                "service_level": args.level,
                "p95_coverage": round(float(np.mean(at <= p_ours + 1e-9)), 4),
                "p95_coverage_products_sold": round(float(np.mean(at[at > 0] <= p_ours[at > 0] + 1e-9)), 4),
                "p95_coverage_by_class": {
                    c: round(float(np.mean(at[classes_ == c] <= p_ours[classes_ == c] + 1e-9)), 4)
                    for c in ("smooth", "erratic", "intermittent", "lumpy") if (classes_ == c).any()
                },
                "p95_units_over_mean": round(float(p_ours.sum() / f_ours.sum() - 1.0), 4),
                "models_used": models,
                "n_jobs": args.jobs,
                "cpus": os.cpu_count(),
                "seconds": round(time.perf_counter() - start, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
