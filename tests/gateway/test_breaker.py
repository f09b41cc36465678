from sovereign.gateway.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from sovereign.gateway.config import BreakerSettings

from .clock import Clock


def make(clock: Clock, changes: list[tuple[str, str, str]] | None = None, **kw: float) -> CircuitBreaker:
    settings = BreakerSettings(**{"consecutive_failures": 3, "cooldown_s": 10.0, **kw})
    return CircuitBreaker(settings, clock=clock, on_change=(lambda *c: changes.append(c)) if changes is not None else None)


def test_opens_after_consecutive_failures_and_refuses_calls() -> None:
    clock, changes = Clock(), []
    b = make(clock, changes)
    for _ in range(2):
        assert b.allow()
        b.record_failure("server")
    assert b.state == CLOSED
    assert b.allow()
    b.record_failure("server")
    assert b.state == OPEN
    assert [b.allow() for _ in range(5)] == [False] * 5
    assert changes[-1][:2] == (CLOSED, OPEN) and "3 consecutive" in changes[-1][2]


def test_a_success_resets_the_consecutive_count() -> None:
    b = make(Clock(), failure_rate=1.0)
    for _ in range(5):
        b.record_failure()
        b.record_failure()
        b.record_success()
    assert b.state == CLOSED


def test_opens_on_failure_rate_with_minimum_volume() -> None:
    clock = Clock()
    b = make(clock, consecutive_failures=100, failure_rate=0.5, min_calls=10, window_s=30.0)
    for _ in range(4):  # 4 failures + 4 successes: rate 0.5, not above it
        b.record_failure()
        b.record_success()
    assert b.state == CLOSED
    b.record_failure()  # 5 of 9: above 0.5 but under the minimum volume
    assert b.state == CLOSED
    b.record_failure()  # 6 of 10
    assert b.state == OPEN


def test_old_failures_leave_the_window() -> None:
    clock = Clock()
    b = make(clock, consecutive_failures=100, failure_rate=0.5, min_calls=4, window_s=10.0)
    for _ in range(3):
        b.record_success()
        b.record_failure()
    assert b.state == CLOSED  # 3 of 6: not above the rate
    clock.advance(11.0)
    b.record_failure()
    b.record_success()
    b.record_failure()  # 2 of 3 in the window: under the minimum volume
    assert b.state == CLOSED


def test_half_open_lets_exactly_one_probe_then_closes_on_success() -> None:
    clock, changes = Clock(), []
    b = make(clock, changes)
    for _ in range(3):
        b.record_failure()
    clock.advance(9.9)
    assert not b.allow()
    clock.advance(0.2)
    assert b.state == HALF_OPEN
    assert b.allow()
    assert not b.allow()  # the probe is out: nobody else
    b.record_success()
    assert b.state == CLOSED and b.allow()
    assert [c[1] for c in changes] == [OPEN, HALF_OPEN, CLOSED]


def test_failed_probe_reopens_for_a_full_cooldown() -> None:
    clock = Clock()
    b = make(clock)
    for _ in range(3):
        b.record_failure()
    clock.advance(10.0)
    assert b.allow()
    b.record_failure("timeout")
    assert b.state == OPEN
    clock.advance(9.0)
    assert not b.allow()
    clock.advance(1.0)
    assert b.allow()


def test_released_probe_slot_can_be_claimed_again() -> None:
    clock = Clock()
    b = make(clock)
    for _ in range(3):
        b.record_failure()
    clock.advance(10.0)
    assert b.allow()
    b.release()
    assert b.allow()


def test_late_success_does_not_close_an_open_circuit() -> None:
    clock = Clock()
    b = make(clock)
    for _ in range(3):
        b.record_failure()
    b.record_success()  # a call admitted before the circuit opened
    assert b.state == OPEN and not b.allow()


def test_health_probe_nudges_open_to_half_open() -> None:
    clock = Clock()
    b = make(clock)
    for _ in range(3):
        b.record_failure()
    b.nudge()
    assert b.state == HALF_OPEN
    assert b.allow() and not b.allow()
