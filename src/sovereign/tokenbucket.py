"""The one token bucket: provider request and token budgets, per-API-key rates.

``capacity`` units per minute, refilled continuously; a full bucket allows a
burst of a minute's budget. Not thread-safe: used from the event loop only.
"""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """``capacity`` units, refilled continuously at ``capacity`` per minute. Capacity 0 = unlimited."""

    __slots__ = ("capacity", "_rate", "_level", "_stamp", "_clock")

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._level = float(per_minute)
        self._clock = clock
        self._stamp = clock()

    def _refill(self, now: float) -> None:
        self._level = min(self.capacity, self._level + (now - self._stamp) * self._rate)
        self._stamp = now

    def level(self, now: float | None = None) -> float:
        if not self.capacity:
            return float("inf")
        self._refill(self._clock() if now is None else now)
        return self._level

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` units are available (inf if it can never fit)."""
        if not self.capacity:
            return 0.0
        amount = min(amount, self.capacity)  # a request bigger than a minute's budget waits for a full bucket
        self._refill(now)
        missing = amount - self._level
        return 0.0 if missing <= 0 else missing / self._rate

    def take(self, amount: float) -> None:
        if self.capacity:
            self._level -= min(amount, self.capacity)

    def give(self, amount: float) -> None:
        if self.capacity:
            self._level = min(self.capacity, self._level + amount)

    def acquire(self, amount: float = 1.0, now: float | None = None) -> float:
        """Take ``amount`` if it is there and return 0; else take nothing and return the seconds to wait."""
        wait = self.wait_time(amount, self._clock() if now is None else now)
        if wait <= 0:
            self.take(amount)
        return wait
