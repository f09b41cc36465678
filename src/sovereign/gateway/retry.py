"""Backoff between tries on one provider: full jitter, floored by the provider's ``Retry-After``."""

from __future__ import annotations

import random

from sovereign.backoff import Backoff

from .config import RetrySettings
from .types import ProviderError


def backoff(attempt: int, error: ProviderError, settings: RetrySettings, rng: random.Random | None = None) -> float:
    """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 0).

    Full jitter (uniform in ``[0, min(cap, base * 2**attempt)]``) spreads a
    herd of retries; a ``Retry-After`` from the provider is a floor, never cut.
    """
    return Backoff(settings.base_s, settings.cap_s).delay(attempt, error.retry_after, rng)


def should_retry(error: ProviderError) -> bool:
    """Another try on the same provider may help (429, 5xx, timeouts, resets, refused connections)."""
    return error.retryable
