"""When and how long the WooCommerce client waits before trying a request again.

Only idempotent methods (GET, HEAD, PUT, DELETE) are retried: a POST that
timed out may have created an order note or a webhook already. Retried: 429,
502, 503, 504, timeouts and network errors (connection refused or reset).
The wait is exponential with full jitter, never shorter than the server's
``Retry-After``; a ``Retry-After`` longer than ``max_retry_after`` is not waited
out in-process: the error is raised with ``retry_after`` set so the job queue
can reschedule instead of holding a worker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from sovereign.backoff import Backoff

__all__ = ["RetryPolicy", "IDEMPOTENT_METHODS", "RETRYABLE_STATUSES", "parse_retry_after"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
_RETRYABLE_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def may_retry(self, method: str, attempt: int) -> bool:
        """``attempt`` counts from 0 for the first try."""
        return method.upper() in IDEMPOTENT_METHODS and attempt < self.max_retries

    @staticmethod
    def retryable_status(status: int) -> bool:
        return status in RETRYABLE_STATUSES

    @staticmethod
    def retryable_exception(exc: BaseException) -> bool:
        return isinstance(exc, _RETRYABLE_EXCEPTIONS)

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; ``None``: do not wait, give up."""
        if retry_after is not None and retry_after > self.max_retry_after:
            return None
        return Backoff(self.backoff_base, self.backoff_max).delay(attempt, retry_after or 0.0, self.rng)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
