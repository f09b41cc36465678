"""A per-provider circuit breaker.

* closed: calls flow; failures are counted. The circuit opens on
  ``consecutive_failures`` failures in a row, or when the failure rate over
  the rolling window exceeds ``failure_rate`` with at least ``min_calls`` calls.
* open: no call gets through (``allow()`` is False) until ``cooldown_s`` passed.
* half-open: exactly one probe call gets through; its success closes the
  circuit, its failure opens it again for another cool-down.

Every try must be preceded by ``allow()`` and followed by exactly one of
``record_success()``, ``record_failure()`` or ``release()`` (the try never
happened: throttled, cancelled).
"""

from __future__ import annotations

import time
from typing import Callable, Literal

from .config import BreakerSettings
from .window import RollingCounter

State = Literal["closed", "open", "half_open"]
CLOSED: State = "closed"
OPEN: State = "open"
HALF_OPEN: State = "half_open"

OnChange = Callable[[str, str, str], None]  # (previous, state, reason)


class CircuitBreaker:
    __slots__ = ("_s", "_clock", "_on_change", "_state", "_window", "_consecutive", "_opened_at", "_probe_out")

    def __init__(
        self,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: OnChange | None = None,
    ) -> None:
        self._s = settings or BreakerSettings()
        self._clock = clock
        self._on_change = on_change
        self._state: State = CLOSED
        self._window = RollingCounter(self._s.window_s)
        self._consecutive = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> State:
        """The current state; an open circuit whose cool-down passed reads as half-open."""
        if self._state == OPEN and self._clock() - self._opened_at >= self._s.cooldown_s:
            return HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """May one try go to the provider now? Claims the probe slot when half-open."""
        if self._state == CLOSED:
            return True
        if self._state == OPEN:
            if self._clock() - self._opened_at < self._s.cooldown_s:
                return False
            self._set(HALF_OPEN, "cool-down elapsed")
        if self._probe_out:
            return False
        self._probe_out = True
        return True

    def release(self) -> None:
        """The allowed try did not happen; give the probe slot back."""
        self._probe_out = False

    def record_success(self) -> None:
        self._consecutive = 0
        if self._state == OPEN:  # a call let through before the circuit opened; only a probe closes it
            return
        if self._state == HALF_OPEN:
            self._probe_out = False
            self._window.reset()
            self._set(CLOSED, "probe succeeded")
            return
        self._window.record(True, self._clock())

    def record_failure(self, reason: str = "failure") -> None:
        now = self._clock()
        if self._state == OPEN:
            return
        if self._state == HALF_OPEN:
            self._probe_out = False
            self._opened_at = now
            self._set(OPEN, f"probe failed: {reason}")
            return
        self._consecutive += 1
        self._window.record(False, now)
        if self._consecutive >= self._s.consecutive_failures:
            self._trip(now, f"{self._consecutive} consecutive failures, last: {reason}")
            return
        ok, fail = self._window.totals(now)
        total = ok + fail
        if total >= self._s.min_calls and fail / total > self._s.failure_rate:
            self._trip(now, f"failure rate {fail}/{total} over {self._s.window_s:g}s, last: {reason}")

    def nudge(self) -> None:
        """A health probe succeeded: let an open circuit try one real call now."""
        if self._state == OPEN:
            self._set(HALF_OPEN, "health probe succeeded")

    def stats(self) -> dict[str, object]:
        ok, fail = self._window.totals(self._clock())
        return {"state": self.state, "consecutive_failures": self._consecutive, "window_ok": ok, "window_failed": fail}

    def _trip(self, now: float, reason: str) -> None:
        self._opened_at = now
        self._consecutive = 0
        self._set(OPEN, reason)

    def _set(self, state: State, reason: str) -> None:
        previous, self._state = self._state, state
        if previous != state and self._on_change is not None:
            self._on_change(previous, state, reason)
