"""Admission control: a bulkhead per provider and a concurrency bound per API key.

A ``Bulkhead`` has ``limit`` slots and a wait queue of ``queue`` places. A
call in the ``api`` lane (``/v1``) may use only ``limit - reserved`` slots and
``queue - reserved_queue`` places, so checkout fraud review (``interactive``)
and jobs (``background``) always find capacity that ``/v1`` cannot take.
Waiters are served by lane (interactive, background, api), first come first
served within one. A call that finds no slot and no place, or waits longer
than its timeout, gets ``Overloaded`` at once with an estimate of when to
retry: never a long wait that ends in a timeout.

``KeyLimits`` counts the calls each API key has in flight (bounded by the
number of calls in flight: a key's entry goes when its count drops to 0).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Callable

INTERACTIVE = "interactive"
BACKGROUND = "background"
API = "api"
LANES = (INTERACTIVE, BACKGROUND, API)
_ORDER = {INTERACTIVE: 0, BACKGROUND: 1, API: 2}


class Overloaded(Exception):
    """No capacity now; ``retry_after`` seconds is a fair time to try again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(order=True)
class _Waiter:
    rank: int
    seq: int
    lane: str = field(compare=False)
    future: "asyncio.Future[None]" = field(compare=False)


class Bulkhead:
    def __init__(
        self, name: str, limit: int, queue: int, reserved_share: float = 0.25,
        service_time: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.name = name
        self.limit = max(1, limit)
        self.queue = max(0, queue)
        self.reserved = min(self.limit - 1, math.ceil(self.limit * reserved_share)) if reserved_share > 0 else 0
        self.reserved_queue = min(self.queue, math.ceil(self.queue * reserved_share)) if reserved_share > 0 else 0
        self.in_use = 0
        self.refused = 0
        self._service_time = service_time  # seconds one call takes (p50), for Retry-After
        self._waiters: list[_Waiter] = []
        self._seq = 0

    def _cap(self, lane: str) -> int:
        return self.limit - self.reserved if lane == API else self.limit

    def _queue_cap(self, lane: str) -> int:
        return self.queue - self.reserved_queue if lane == API else self.queue

    def retry_after(self) -> float:
        """Seconds until a slot is likely free: queued calls ahead, at the provider's recent pace."""
        each = self._service_time() or 1.0
        return min(60.0, max(1.0, each * (len(self._waiters) + 1) / self.limit))

    def has_room(self, lane: str) -> bool:
        """Whether a call in ``lane`` would take a slot at once (nothing is taken)."""
        lane = lane if lane in _ORDER else BACKGROUND
        return not any(w.rank <= _ORDER[lane] for w in self._waiters) and self.in_use < self._cap(lane)

    def try_acquire(self, lane: str) -> bool:
        ahead = any(w.rank <= _ORDER[lane] for w in self._waiters)
        if not ahead and self.in_use < self._cap(lane):
            self.in_use += 1
            return True
        return False

    async def acquire(self, lane: str, timeout: float) -> None:
        """Take a slot, waiting at most ``timeout`` in the queue; raises ``Overloaded``."""
        if lane not in _ORDER:
            lane = BACKGROUND
        if self.try_acquire(lane):
            return
        waiting = sum(1 for w in self._waiters if w.lane == API) if lane == API else len(self._waiters)
        if waiting >= self._queue_cap(lane) or timeout <= 0:
            self.refused += 1
            raise Overloaded(f"{self.name}: all {self._cap(lane)} {lane} slots busy and its queue is full",
                             self.retry_after())
        self._seq += 1
        waiter = _Waiter(_ORDER[lane], self._seq, lane, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            if waiter.future.done():  # granted in the same instant: keep the slot
                return
            self._waiters.remove(waiter)
            self.refused += 1
            raise Overloaded(f"{self.name}: no {lane} slot within {timeout:.3g}s", self.retry_after()) from None
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release()  # granted, but the caller left: hand the slot on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        self.in_use = max(0, self.in_use - 1)
        self._wake()

    def _wake(self) -> None:
        for w in sorted(self._waiters):
            if self.in_use >= self.limit:
                return
            if self.in_use < self._cap(w.lane):
                self._waiters.remove(w)
                self.in_use += 1
                w.future.set_result(None)

    def stats(self) -> dict[str, int]:
        return {"limit": self.limit, "in_use": self.in_use, "waiting": len(self._waiters),
                "queue": self.queue, "reserved": self.reserved, "refused": self.refused}


class KeyLimits:
    """At most ``limit`` calls in flight per API key (0: unbounded)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight: dict[str, int] = {}

    def enter(self, key: str | None) -> Callable[[], None]:
        """Count one call for ``key``; the returned function ends it. Raises ``Overloaded`` past the limit."""
        if not key or self.limit <= 0:
            return _nothing
        n = self._in_flight.get(key, 0)
        if n >= self.limit:
            raise Overloaded(f"this API key already has {n} calls in flight (limit {self.limit})", 1.0)
        self._in_flight[key] = n + 1
        done = False

        def leave() -> None:
            nonlocal done
            if done:
                return
            done = True
            left = self._in_flight.get(key, 1) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)

        return leave

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)


def _nothing() -> None:
    return None
