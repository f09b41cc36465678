"""The one backoff policy: exponential growth, jitter, and a server's ``Retry-After`` as a floor.

Used by the gateway (between tries on one provider), the WooCommerce client
(between tries of an idempotent request) and the job executor (between attempts
of a failed job). They differ only in their numbers: ``base_s`` and ``cap_s``, and
how much of the wait is random: ``floor`` 0 is full jitter (uniform in
``[0, ceiling]``, best for spreading a herd of retries), 0.5 keeps half the
ceiling so a retry never fires at once (the job queue's choice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    base_s: float
    cap_s: float
    floor: float = 0.0  # the share of the ceiling that is not random, 0..1

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry + 1`` (``retry`` counts from 0)."""
        return min(self.cap_s, self.base_s * (2 ** max(retry, 0)))

    def delay(self, retry: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry + 1``; a ``Retry-After`` is a floor, never cut."""
        top = self.ceiling(retry)
        wait = (rng or random).uniform(top * self.floor, top)
        return max(wait, retry_after) if retry_after is not None else wait
