"""Recent latencies of one provider, for p50/p99 in ``Gateway.health()``."""

from __future__ import annotations


class LatencyWindow:
    """A ring of the last ``size`` latencies (ms); percentiles are computed on read, not on record."""

    __slots__ = ("_buf", "_i", "_n")

    def __init__(self, size: int = 512) -> None:
        self._buf = [0.0] * size
        self._i = 0
        self._n = 0

    def record(self, ms: float) -> None:
        self._buf[self._i] = ms
        self._i = (self._i + 1) % len(self._buf)
        if self._n < len(self._buf):
            self._n += 1

    def percentile(self, p: float) -> float | None:
        if not self._n:
            return None
        data = sorted(self._buf[: self._n])
        k = min(self._n - 1, max(0, round(p / 100.0 * (self._n - 1))))
        return round(data[k], 3)

    def __len__(self) -> int:
        return self._n
