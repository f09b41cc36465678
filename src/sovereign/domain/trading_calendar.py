"""The store's trading calendar, learnt from its sales: a day on which no product sold is a closed day.

A shop that never trades on Saturdays, or closes between Christmas and New Year, shows
those days as zero sales for every product. For a forecaster they are not "no demand":
the demand of a week falls on its open days. So the history is read per *open* day, and
the horizon's days are weighted by how often that weekday was open.

Dates are not needed: every series handed to the forecaster ends on the same day (the last
complete day), so a day's weekday is its distance from the end modulo 7. History day ``i``
of a ``T``-day window has weekday slot ``(i - T) % 7``; horizon day ``h`` has slot ``h % 7``.

A day with no sale only means "closed" in a store busy enough that an open day without any
sale is unlikely. With ``λ`` the median number of products sold per day with sales, an open
day has no sale with probability about ``exp(-λ)``; below ``MIN_PRODUCTS_PER_DAY`` (≈ 1 %)
the calendar is not learnt and every day counts as open.

Pure computation: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping

import numpy as np

__all__ = ["MIN_PRODUCTS_PER_DAY", "TradingCalendar", "detect_calendar"]

MIN_PRODUCTS_PER_DAY = 4.6  # exp(-4.6) ≈ 1 %: an open day with no sale at all is that unlikely
MIN_DAYS_WITH_SALES = 14


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    """Which history days were open (``open_days[i]``) and how often each weekday slot is open."""

    open_days: np.ndarray  # bool, length T: the history window, oldest first
    weekday_open: np.ndarray  # float, length 7: share of open days per slot (slot 0 = the first horizon day's weekday)
    learnt: bool  # False: the store is too quiet to tell closed from slow, every day counts as open

    @classmethod
    def always_open(cls, days: int) -> "TradingCalendar":
        return cls(np.ones(days, dtype=bool), np.ones(7), False)

    @property
    def days(self) -> int:
        return int(self.open_days.size)

    def horizon_open(self, horizon_days: int) -> np.ndarray:
        """Probability that each horizon day is open (day 0 is the day after the history)."""
        return self.weekday_open[np.arange(horizon_days) % 7]

    def open_mask(self, length: int) -> np.ndarray:
        """The open days of the last ``length`` history days (a shorter series ends on the same day)."""
        if length <= self.days:
            return self.open_days[self.days - length :]
        return np.r_[np.ones(length - self.days, dtype=bool), self.open_days]


def detect_calendar(series: Mapping[Hashable, np.ndarray]) -> TradingCalendar:
    """Learn the trading calendar from every product's daily sales (series aligned on their last day)."""
    lengths = [np.asarray(y).size for y in series.values()]
    days = max(lengths, default=0)
    if days == 0:
        return TradingCalendar.always_open(0)
    products_sold = np.zeros(days)
    for y in series.values():
        y = np.asarray(y)
        products_sold[days - y.size :] += y > 0
    open_days = products_sold > 0
    busy = open_days.sum() >= MIN_DAYS_WITH_SALES and np.median(products_sold[open_days]) >= MIN_PRODUCTS_PER_DAY
    if not busy:
        return TradingCalendar.always_open(days)
    slot = (np.arange(days) - days) % 7
    weekday_open = np.array([open_days[slot == s].mean() if (slot == s).any() else 1.0 for s in range(7)])
    return TradingCalendar(open_days, weekday_open, True)
