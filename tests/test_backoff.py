"""The one backoff policy shared by the gateway, the WooCommerce client and the job executor."""

from __future__ import annotations

import random

from sovereign.backoff import Backoff


def test_ceiling_doubles_up_to_the_cap() -> None:
    b = Backoff(base_s=0.5, cap_s=3.0)
    assert [b.ceiling(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_spans_zero_to_ceiling_and_equal_jitter_keeps_half() -> None:
    rng = random.Random(7)
    full = [Backoff(1.0, 8.0).delay(2, rng=rng) for _ in range(2000)]
    assert 0.0 <= min(full) < 0.1 and 3.9 < max(full) <= 4.0
    half = [Backoff(1.0, 8.0, floor=0.5).delay(2, rng=rng) for _ in range(2000)]
    assert 2.0 <= min(half) < 2.1 and 3.9 < max(half) <= 4.0


def test_retry_after_is_a_floor_never_cut() -> None:
    b = Backoff(0.01, 0.02)
    assert b.delay(0, retry_after=5.0) == 5.0
    assert b.delay(10, retry_after=None) <= 0.02
