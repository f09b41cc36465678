from sovereign.gateway import ChatRequest
from sovereign.gateway.config import RateLimits
from sovereign.gateway.ratelimit import RateLimiter, estimate_tokens
from sovereign.tokenbucket import TokenBucket

from .clock import Clock


def test_bucket_refills_per_minute() -> None:
    clock = Clock()
    b = TokenBucket(60, clock=clock)  # one per second
    assert b.wait_time(60, clock()) == 0
    b.take(60)
    assert abs(b.wait_time(1, clock()) - 1.0) < 1e-9
    clock.advance(0.5)
    assert abs(b.wait_time(1, clock()) - 0.5) < 1e-9
    clock.advance(0.5)
    assert b.wait_time(1, clock()) == 0


def test_zero_means_unlimited() -> None:
    limiter = RateLimiter(RateLimits(), clock=Clock())
    assert all(limiter.try_acquire(10_000) for _ in range(1000))
    assert limiter.headroom()["requests"] is None


def test_requests_per_minute_throttles_without_waiting() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(requests_per_minute=2), clock=clock)
    assert limiter.try_acquire(1) and limiter.try_acquire(1)
    assert not limiter.try_acquire(1)
    assert 29.9 < limiter.wait_time(1) <= 30.0
    clock.advance(30.0)
    assert limiter.try_acquire(1)


def test_tokens_per_minute_and_settling_real_usage() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(tokens_per_minute=1000), clock=clock)
    assert limiter.try_acquire(600)
    assert not limiter.try_acquire(600)
    limiter.settle(600, 100)  # the call used far less than estimated
    assert limiter.try_acquire(600)
    assert limiter.headroom()["tokens"] == 300.0


def test_pause_honours_retry_after_for_everyone() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(), clock=clock)
    limiter.pause(2.0)
    assert not limiter.try_acquire(1)
    assert limiter.wait_time(1) == 2.0
    clock.advance(2.0)
    assert limiter.try_acquire(1)


def test_refund_returns_the_request() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=1), clock=Clock())
    assert limiter.try_acquire(1)
    limiter.refund(1)
    assert limiter.try_acquire(1)


def test_estimate_counts_prompt_and_answer_budget() -> None:
    req = ChatRequest.simple("x" * 400, feature="t", max_tokens=50)
    assert estimate_tokens(req) == 100 + 1 + 50
