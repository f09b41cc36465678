"""The demand rate per open day, as an equal-weight combination of robust averages, and its spread.

Each product's rate is the mean of eight estimates, all per *open* day of the store
(see ``trading_calendar``):

* four windows: the whole history; since the product's first sale (a new product's rate
  is not diluted by the days before it existed); the last ``max(48, 3·ADI)`` and the
  last ``max(24, 3·ADI)`` open days (recent level, but never shorter than three of the
  product's own gaps between sales, so a slow seller is not declared "fading" after one
  quiet spell);
* each raw, and with every day capped at ``CAP_TIMES_MEDIAN`` × the median size of the
  product's sales (one wholesale order does not set the rate for a month).

Picking one model per product on a single validation window of its own history was
tried on the real shop and lost to the plain combination (selection overfits the
window's noise); combining windows and robustifications is the standard cure for that.

The distribution of the horizon total comes from split-conformal scores: the same
combination is refitted at rolling origins inside the product's history
(``horizon`` days before the end, then 14 and 28 days earlier), and the score
``(actual − forecast) / sqrt(forecast + 1)`` (the Poisson scale) of every product of
one demand class gives that class's quantile. The figure for a service level ``q`` is
``forecast + quantile_q · sqrt(forecast + 1)``, never below the forecast. A class with
fewer than ``MIN_CLASS_SCORES`` scores uses every class's scores; a store with fewer
than that in all uses the normal quantile (the Poisson spread of the total).

Pure computation: numpy only.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist
from typing import Sequence

import numpy as np

__all__ = [
    "CAP_TIMES_MEDIAN",
    "MIN_CLASS_SCORES",
    "combined_rate",
    "conformal_quantile",
    "rolling_scores",
    "service_totals",
]

CAP_TIMES_MEDIAN = 5.0
RECENT_WINDOWS = (48, 24)  # open days; each stretched to at least RECENT_MIN_GAPS × ADI
RECENT_MIN_GAPS = 3.0
MIN_CLASS_SCORES = 30  # fewer scores in a class: use the scores of every class
ROLLING_STEP = 14
ROLLING_ORIGINS = 3
MIN_FIT_DAYS = 28


def combined_rate(y: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Demand per open day for each row of ``y`` (n, T), counting only the ``usable`` (open) days.

    ``usable`` is False for closed days and for days before a shorter series began.
    A row with no usable sale gets 0.
    """
    y = np.where(usable, y, 0.0)
    n, t = y.shape
    sold = (y > 0) & usable
    has = sold.any(axis=1)
    first = np.where(has, np.argmax(sold, axis=1), t)
    since = usable & (np.arange(t)[None, :] >= first[:, None])
    adi = since.sum(axis=1) / np.maximum(sold.sum(axis=1), 1)
    # Open days counted back from the end: 1 on the last open day.
    back = np.cumsum(usable[:, ::-1], axis=1)[:, ::-1]
    sizes = np.where(sold, y, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without a sale: all-NaN median, set to 0
        median = np.nan_to_num(np.nanmedian(sizes, axis=1))
    capped = np.minimum(y, CAP_TIMES_MEDIAN * median[:, None])
    # A new product: silent before its first sale for far longer than its own gaps since. It did not
    # exist then, so no window reaches back before its first sale.
    before = (usable & ~since).sum(axis=1)
    new = has & (before > RECENT_MIN_GAPS * adi) & (sold.sum(axis=1) >= 3)
    base = np.where(new[:, None], since, usable)
    windows = [base, since] + [base & (back <= np.maximum(w, RECENT_MIN_GAPS * adi)[:, None]) for w in RECENT_WINDOWS]
    estimates = []
    for mask in windows:
        days = np.maximum(mask.sum(axis=1), 1)
        for values in (y, capped):
            estimates.append((values * mask).sum(axis=1) / days)
    return np.where(has, np.mean(estimates, axis=0), 0.0)


def rolling_scores(y: np.ndarray, usable: np.ndarray, horizon: int) -> np.ndarray:
    """Conformal scores (n, ROLLING_ORIGINS) from refitting ``combined_rate`` at origins inside the history.

    Origin ``c`` fits on days ``[0, c)`` and scores the total of days ``[c, c + horizon)``
    against ``rate × open days`` there. NaN where the origin is unusable (under
    ``MIN_FIT_DAYS`` days before it, or no sale before it).
    """
    n, t = y.shape
    out = np.full((n, ROLLING_ORIGINS), np.nan)
    for j in range(ROLLING_ORIGINS):
        cut = t - horizon - j * ROLLING_STEP
        if cut < MIN_FIT_DAYS:
            break
        rate = combined_rate(y[:, :cut], usable[:, :cut])
        forecast = rate * usable[:, cut : cut + horizon].sum(axis=1)
        actual = np.where(usable[:, cut : cut + horizon], y[:, cut : cut + horizon], 0.0).sum(axis=1)
        fitted = ((y[:, :cut] > 0) & usable[:, :cut]).any(axis=1)
        out[:, j] = np.where(fitted, (actual - forecast) / np.sqrt(forecast + 1.0), np.nan)
    return out


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) · level)``-th smallest score (NaN ignored).

    With too few scores for that rank the largest score is used; with none, NaN.
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    s = np.sort(np.asarray(scores, dtype=np.float64)[np.isfinite(scores)])
    if s.size == 0:
        return math.nan
    rank = min(math.ceil((s.size + 1) * level), s.size)
    return float(s[rank - 1])


def service_totals(
    totals: np.ndarray, scores: np.ndarray, classes: Sequence[str], level: float
) -> np.ndarray:
    """The horizon total each product reaches with probability ``level``: per demand class quantiles."""
    classes = np.asarray(classes)
    if np.isfinite(scores).sum() >= MIN_CLASS_SCORES:
        pooled = conformal_quantile(scores.ravel(), level)
    else:
        # Too little history to calibrate (a new store): the Poisson (normal) quantile of the score.
        pooled = NormalDist().inv_cdf(level)
    q = np.full(totals.size, pooled)
    for cls in np.unique(classes):
        rows = classes == cls
        own = scores[rows]
        if np.isfinite(own).sum() >= MIN_CLASS_SCORES:
            q[rows] = conformal_quantile(own.ravel(), level)
    upper = totals + q * np.sqrt(totals + 1.0)
    return np.where(totals > 0, np.maximum(upper, totals), 0.0)
