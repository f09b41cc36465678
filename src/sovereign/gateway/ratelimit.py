"""Our own throttle, applied before the provider's: token buckets for requests and tokens per minute.

``RateLimiter.try_acquire`` never waits: a throttled provider is skipped when
another candidate exists; the router only waits (``wait_time``) when none does
and the wait fits the request's deadline. ``pause`` honours a provider's
``Retry-After`` for every caller, not just the one that received it.
"""

from __future__ import annotations

import time
from typing import Callable

from sovereign.tokenbucket import TokenBucket

from .config import RateLimits
from .types import ChatRequest


def estimate_tokens(request: ChatRequest) -> int:
    """A cheap upper-ish estimate: ~4 characters per prompt token, plus the answer budget."""
    chars = 0
    for m in request.messages:
        chars += len(m.content)
    return chars // 4 + 1 + request.max_tokens


class RateLimiter:
    __slots__ = ("requests", "tokens", "_paused_until", "_clock")

    def __init__(self, limits: RateLimits | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        limits = limits or RateLimits()
        self.requests = TokenBucket(limits.requests_per_minute, clock=clock)
        self.tokens = TokenBucket(limits.tokens_per_minute, clock=clock)
        self._paused_until = 0.0
        self._clock = clock

    def wait_time(self, tokens: int) -> float:
        now = self._clock()
        return max(self._paused_until - now, self.requests.wait_time(1, now), self.tokens.wait_time(tokens, now))

    def try_acquire(self, tokens: int) -> bool:
        """Take one request and ``tokens`` tokens if all are available now; never waits."""
        if self.wait_time(tokens) > 0:
            return False
        self.requests.take(1)
        self.tokens.take(tokens)
        return True

    def refund(self, tokens: int) -> None:
        """The acquired try never went out."""
        self.requests.give(1)
        self.tokens.give(tokens)

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage is known."""
        if actual > estimated:
            self.tokens.take(actual - estimated)
        elif actual < estimated:
            self.tokens.give(estimated - actual)

    def pause(self, seconds: float) -> None:
        """The provider told us to back off (Retry-After): nobody calls it before then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def headroom(self) -> dict[str, float | None]:
        now = self._clock()
        return {
            "requests": None if not self.requests.capacity else round(self.requests.level(now), 1),
            "tokens": None if not self.tokens.capacity else round(self.tokens.level(now), 1),
            "paused_s": round(max(0.0, self._paused_until - now), 3),
        }
