"""A time-bucketed success/failure counter over a rolling window (O(1) per record)."""

from __future__ import annotations

import math


class RollingCounter:
    """Counts successes and failures over the last ``window_s`` seconds.

    The window is split into ``buckets`` slots; a slot is cleared when time
    comes back round to it, so memory is fixed whatever the call rate.
    """

    __slots__ = ("_width", "_n", "_ok", "_fail", "_epoch")

    def __init__(self, window_s: float, buckets: int = 20) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self._n = buckets
        self._width = window_s / buckets
        self._ok = [0] * buckets
        self._fail = [0] * buckets
        self._epoch = [-1] * buckets  # which absolute bucket number each slot holds

    def record(self, ok: bool, now: float) -> None:
        b = math.floor(now / self._width)
        i = b % self._n
        if self._epoch[i] != b:
            self._epoch[i] = b
            self._ok[i] = 0
            self._fail[i] = 0
        if ok:
            self._ok[i] += 1
        else:
            self._fail[i] += 1

    def totals(self, now: float) -> tuple[int, int]:
        """(successes, failures) inside the window ending at ``now``."""
        oldest = math.floor(now / self._width) - self._n + 1
        ok = fail = 0
        for i in range(self._n):
            if self._epoch[i] >= oldest:
                ok += self._ok[i]
                fail += self._fail[i]
        return ok, fail

    def reset(self) -> None:
        for i in range(self._n):
            self._epoch[i] = -1
            self._ok[i] = 0
            self._fail[i] = 0
