"""Failover, breakers, retries, deadlines and throttling against real fake upstreams on 127.0.0.1."""

import asyncio
import time

import pytest

from sovereign.gateway import AttemptFailed, BreakerChanged, CallFinished, ChatRequest, GatewayError
from sovereign.gateway.config import BreakerSettings, RateLimits, Timeouts
from sovereign_testkit.fake_llm import FakeLLM, Step

from .support import anthropic_cfg, openai_cfg, quick_settings


def ask(timeout: float = 5.0, **kw: object) -> ChatRequest:
    return ChatRequest.simple("Describe a blue mug.", feature="describe", timeout=timeout, **kw)


async def test_primary_answers_when_healthy(fake, fake2, make_gateway, events) -> None:
    gw = make_gateway([openai_cfg(fake2, "backup", 20), openai_cfg(fake, "primary", 10)])
    result = await gw.complete(ask())
    assert (result.provider, result.text, result.attempts) == ("primary", "Hello from the fake LLM.", 1)
    assert (fake.calls, fake2.calls) == (1, 0)
    body = fake.completions()[0].json()
    assert body["model"] == "primary-model" and body["messages"][-1] == {"role": "user", "content": "Describe a blue mug."}
    done = [e for e in events if isinstance(e, CallFinished)]
    assert done[-1].outcome == "ok" and done[-1].provider == "primary" and done[-1].input_tokens > 0


async def test_fails_over_in_priority_order(make_gateway, events) -> None:
    async with FakeLLM(mode="error") as a, FakeLLM(mode="unauthorized") as b, FakeLLM(reply="third") as c:
        gw = make_gateway([openai_cfg(c, "c", 3), openai_cfg(a, "a", 1), openai_cfg(b, "b", 2)])
        result = await gw.complete(ask())
        assert result.provider == "c" and result.text == "third"
        assert a.calls == 3  # 500 is retryable: 1 + max_retries(2) tries
        assert b.calls == 1  # 401 is not: straight to the next provider
        failed = [(e.provider, e.kind) for e in events if isinstance(e, AttemptFailed)]
        assert failed == [("a", "server")] * 3 + [("b", "auth")]
        assert result.attempts == 5


async def test_no_call_reaches_an_open_breaker(fake, fake2, make_gateway, events) -> None:
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "primary", 1, max_retries=0), openai_cfg(fake2, "backup", 2)])
    for _ in range(3):
        assert (await gw.complete(ask())).provider == "backup"
    assert fake.calls == 3 and gw.health()["primary"]["breaker"] == "open"
    assert any(isinstance(e, BreakerChanged) and e.state == "open" for e in events)
    fake.set_mode("fast")  # even a recovered primary is not called while its circuit is open
    for _ in range(20):
        assert (await gw.complete(ask())).provider == "backup"
    assert fake.calls == 3


async def test_half_open_probe_closes_the_breaker(fake, fake2, make_gateway) -> None:
    settings = quick_settings(breaker=BreakerSettings(consecutive_failures=2, cooldown_s=0.2))
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "primary", 1, max_retries=1), openai_cfg(fake2, "backup", 2)], settings=settings)
    assert (await gw.complete(ask())).provider == "backup"
    assert gw.health()["primary"]["breaker"] == "open"
    await gw.complete(ask())
    assert fake.calls == 2
    await asyncio.sleep(0.25)
    assert gw.health()["primary"]["breaker"] == "half_open"
    # the probe fails: open again, for a whole cool-down, and exactly one call went through
    assert (await gw.complete(ask())).provider == "backup"
    assert fake.calls == 3 and gw.health()["primary"]["breaker"] == "open"
    fake.set_mode("fast")
    await asyncio.sleep(0.25)
    assert (await gw.complete(ask())).provider == "primary"
    assert gw.health()["primary"]["breaker"] == "closed" and fake.calls == 4


async def test_hang_is_cut_at_the_deadline(fake, make_gateway) -> None:
    fake.set_mode("hang")
    gw = make_gateway([openai_cfg(fake, "only", 1, timeouts=Timeouts(connect=1, first_token=30, total=30))])
    start = time.monotonic()
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask(timeout=0.4))
    elapsed = time.monotonic() - start
    assert 0.35 <= elapsed < 0.55, elapsed
    assert e.value.reason == "deadline" and e.value.errors[0].kind == "timeout"


async def test_hanging_primary_fails_over_after_its_own_timeout(fake, fake2, make_gateway) -> None:
    fake.set_mode("hang")
    primary = openai_cfg(fake, "primary", 1, max_retries=2, timeouts=Timeouts(connect=0.5, first_token=0.3, total=0.3))
    gw = make_gateway([primary, openai_cfg(fake2, "backup", 2)])
    start = time.monotonic()
    result = await gw.complete(ask(timeout=3))
    assert result.provider == "backup" and 0.3 <= time.monotonic() - start < 0.5  # no retry in place on a timeout
    assert fake.calls == 1


async def test_timed_out_sole_provider_is_retried_within_the_deadline(fake, make_gateway) -> None:
    fake.script("hang")
    gw = make_gateway([openai_cfg(fake, "only", 1, timeouts=Timeouts(connect=0.5, first_token=0.2, total=0.2))])
    result = await gw.complete(ask(timeout=3))
    assert result.attempts == 2 and fake.calls == 2


async def test_429_without_retry_after_fails_over_at_once(fake, fake2, make_gateway) -> None:
    fake.set_mode("rate_limited")
    gw = make_gateway([openai_cfg(fake, "primary", 1), openai_cfg(fake2, "backup", 2)])
    assert (await gw.complete(ask())).provider == "backup"
    assert fake.calls == 1


async def test_retry_after_is_honoured(fake, make_gateway) -> None:
    fake.script(Step("rate_limited", retry_after="0.3"))
    gw = make_gateway([openai_cfg(fake, "only", 1)])
    result = await gw.complete(ask())
    first, second = fake.completions()
    assert second.at - first.at >= 0.3
    assert result.attempts == 2


async def test_retry_after_past_the_deadline_fails_fast(fake, make_gateway) -> None:
    fake.set_mode("rate_limited", retry_after="30")
    gw = make_gateway([openai_cfg(fake, "only", 1)])
    start = time.monotonic()
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask(timeout=2))
    assert time.monotonic() - start < 0.5 and fake.calls == 1
    assert e.value.errors[0].kind == "rate_limited" and e.value.errors[0].retry_after == 30.0


async def test_rate_limited_primary_fails_over_then_is_left_alone(fake, fake2, make_gateway) -> None:
    fake.set_mode("rate_limited", retry_after="5")
    gw = make_gateway([openai_cfg(fake, "primary", 1), openai_cfg(fake2, "backup", 2)])
    for _ in range(3):
        assert (await gw.complete(ask())).provider == "backup"
    assert fake.calls == 1  # paused by its Retry-After: skipped, not waited on, while backup answers
    assert gw.health()["primary"]["rate_limit_headroom"]["paused_s"] > 4


async def test_own_rate_limit_skips_a_throttled_provider(fake, fake2, make_gateway) -> None:
    gw = make_gateway([openai_cfg(fake, "primary", 1, rate_limits=RateLimits(requests_per_minute=2)), openai_cfg(fake2, "backup", 2)])
    providers = [(await gw.complete(ask())).provider for _ in range(5)]
    assert providers == ["primary", "primary", "backup", "backup", "backup"]
    assert fake.calls == 2


async def test_throttled_sole_provider_waits_only_within_the_deadline(fake, make_gateway) -> None:
    gw = make_gateway([openai_cfg(fake, "only", 1, rate_limits=RateLimits(requests_per_minute=600))])  # 1 per 0.1 s
    for _ in range(600):
        gw._routes["only"].limiter.requests.take(1)  # drain the bucket
    start = time.monotonic()
    assert (await gw.complete(ask())).provider == "only"
    assert 0.08 <= time.monotonic() - start < 0.4
    gw._routes["only"].limiter.pause(10)
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask(timeout=1))
    assert "throttled" in str(e.value) and fake.calls == 1


async def test_reset_and_garbage_are_handled(fake, fake2, make_gateway, events) -> None:
    fake.script("reset", "garbage")
    gw = make_gateway([openai_cfg(fake, "primary", 1), openai_cfg(fake2, "backup", 2)])
    result = await gw.complete(ask())
    assert result.provider == "backup"  # reset: retried; garbage: not retryable, fail over
    kinds = [e.kind for e in events if isinstance(e, AttemptFailed)]
    assert kinds == ["reset", "bad_response"] and fake.calls == 2
    assert (await gw.complete(ask())).provider == "primary"


async def test_connection_refused_fails_over(fake2, make_gateway) -> None:
    dead = FakeLLM()
    await dead.start()
    await dead.stop()  # the port is closed now
    gw = make_gateway([openai_cfg(dead, "dead", 1, max_retries=0), openai_cfg(fake2, "backup", 2)])
    result = await gw.complete(ask())
    assert result.provider == "backup" and result.attempts == 2


async def test_all_providers_down_is_a_gateway_error(fake, fake2, make_gateway, events) -> None:
    fake.set_mode("error")
    fake2.set_mode("error", status=503)
    gw = make_gateway([openai_cfg(fake, "a", 1, max_retries=0), anthropic_cfg(fake2, "b", 2, max_retries=0)])
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())
    assert e.value.reason == "unavailable" and [x.status for x in e.value.errors] == [500, 503]
    last = [x for x in events if isinstance(x, CallFinished)][-1]
    assert last.outcome == "unavailable" and last.attempts == 2


async def test_half_open_admits_one_probe_among_concurrent_calls(fake, fake2, make_gateway) -> None:
    settings = quick_settings(breaker=BreakerSettings(consecutive_failures=1, cooldown_s=0.1))
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "primary", 1, max_retries=0), openai_cfg(fake2, "backup", 2)], settings=settings)
    await gw.complete(ask())
    assert gw.health()["primary"]["breaker"] == "open" and fake.calls == 1
    fake.set_mode("slow", delay=0.1)
    await asyncio.sleep(0.15)
    results = await asyncio.gather(*(gw.complete(ask()) for _ in range(10)))
    assert sorted(r.provider for r in results) == ["backup"] * 9 + ["primary"]
    assert fake.calls == 2 and gw.health()["primary"]["breaker"] == "closed"


async def test_a_raising_event_sink_never_breaks_a_call(fake, make_gateway) -> None:
    def sink(event: object) -> None:
        raise RuntimeError("metrics backend exploded")

    gw = make_gateway([openai_cfg(fake, "p", 1)], on_event=sink)
    assert (await gw.complete(ask())).provider == "p"
