"""Admission control against a slow fake upstream on a real socket: bounded concurrency and queue per
provider, an immediate refusal (never a long wait) beyond them, capacity /v1 traffic cannot take, waiters
served by lane, per-key concurrency, and our own token bucket answering /v1 at once instead of sleeping."""

from __future__ import annotations

import asyncio
import time

import pytest

from sovereign.gateway import ChatRequest, Gateway, GatewayError, GatewaySettings
from sovereign.gateway.admission import Bulkhead, KeyLimits, Overloaded
from sovereign.gateway.config import AdmissionSettings, RateLimits, Timeouts
from sovereign_testkit.fake_llm import FakeLLM, Step

from .support import openai_cfg, quick_settings


def ask(lane: str, key: str | None = None, timeout: float = 20.0) -> ChatRequest:
    meta = {"api_key": key} if key else {}
    return ChatRequest.simple(f"Hi from {lane}", feature="gateway" if lane == "api" else "fraud", lane=lane, timeout=timeout,
                              metadata=meta)


@pytest.fixture
def gateway_settings() -> GatewaySettings:
    return quick_settings(admission=AdmissionSettings(max_queue=4, reserved_share=0.25, queue_timeout_s=5.0,
                                                      per_key_concurrency=0))


def slow_gateway(make_gateway, fake: FakeLLM, **kw) -> Gateway:  # noqa: ANN001
    return make_gateway([openai_cfg(fake, "p", 1, max_retries=0, max_concurrency=4,
                                    timeouts=Timeouts(connect=0.5, first_token=10, total=10), **kw)])


async def _outcome(gw: Gateway, request: ChatRequest) -> tuple[str, float, float | None]:
    t0 = time.monotonic()
    try:
        await gw.complete(request)
        return "ok", time.monotonic() - t0, None
    except GatewayError as e:
        return e.reason, time.monotonic() - t0, e.retry_after


async def test_api_flood_is_refused_at_once_beyond_its_share_while_checkout_still_gets_through(
    make_gateway, fake: FakeLLM, events
) -> None:
    fake.set_mode(Step("slow", delay=1.0))
    gw = slow_gateway(make_gateway, fake)
    flood = [asyncio.create_task(_outcome(gw, ask("api"))) for _ in range(30)]
    await asyncio.sleep(0.2)
    # api may hold 3 of the 4 slots and 3 of the 4 queue places: 24 of 30 were refused without waiting.
    bulk = gw.health()["p"]["admission"]
    assert bulk["in_use"] == 3 and bulk["waiting"] == 3
    refused = [t.result() for t in flood if t.done()]
    assert len(refused) == 24 and all(r[0] == "overloaded" and r[1] < 0.5 and r[2] >= 1.0 for r in refused)
    # The reserved slot: a checkout review starts at once, ahead of the api calls still queued.
    reason, took, _ = await _outcome(gw, ask("interactive"))
    assert reason == "ok" and took < 1.9
    done = await asyncio.gather(*flood)
    assert sorted(r[0] for r in done).count("ok") == 6
    # Refusals never count against the breaker or the SLO, and nothing ever waited out a deadline.
    assert gw.health()["p"]["breaker"] == "closed" and not gw.is_degraded("gateway")
    assert all(r[0] in ("ok", "overloaded") for r in done)
    assert gw.health()["p"]["admission"] == {**bulk, "in_use": 0, "waiting": 0, "refused": 24}


async def test_background_waits_its_turn_and_is_served_before_api(make_gateway, fake: FakeLLM) -> None:
    fake.set_mode(Step("slow", delay=0.5))
    gw = slow_gateway(make_gateway, fake)
    async def run(lane: str) -> None:
        await gw.complete(ask(lane))

    busy = [asyncio.create_task(run("background")) for _ in range(4)]  # every slot
    await asyncio.sleep(0.1)
    api = asyncio.create_task(run("api"))
    await asyncio.sleep(0.05)
    late = asyncio.create_task(run("background"))
    await asyncio.gather(*busy, api, late)
    sent = [r.json()["messages"][-1]["content"] for r in fake.completions()]
    assert sent[4:] == ["Hi from background", "Hi from api"]  # the later background call went first


async def test_per_key_concurrency_is_bounded(make_gateway, fake: FakeLLM, gateway_settings) -> None:
    fake.set_mode(Step("slow", delay=0.5))
    gateway_settings.admission.per_key_concurrency = 2
    gw = slow_gateway(make_gateway, fake)
    same = [asyncio.create_task(_outcome(gw, ask("api", key="k1"))) for _ in range(3)]
    other = asyncio.create_task(_outcome(gw, ask("api", key="k2")))
    results = await asyncio.gather(*same)
    assert sorted(r[0] for r in results) == ["ok", "ok", "overloaded"]
    assert (await other)[0] == "ok"
    assert [r for r in results if r[0] == "overloaded"][0][1] < 0.3


async def test_api_calls_do_not_sleep_on_our_own_token_bucket(make_gateway, fake: FakeLLM) -> None:
    gw = slow_gateway(make_gateway, fake, rate_limits=RateLimits(requests_per_minute=2))
    assert (await _outcome(gw, ask("api")))[0] == "ok"
    assert (await _outcome(gw, ask("api")))[0] == "ok"
    reason, took, retry_after = await _outcome(gw, ask("api"))
    assert reason == "overloaded" and took < 0.3 and 10 < retry_after <= 31


async def test_bulkhead_hands_a_slot_on_when_a_waiter_leaves() -> None:
    b = Bulkhead("x", 1, 2, 0.0)
    await b.acquire("background", 1)
    waiter = asyncio.create_task(b.acquire("background", 5))
    second = asyncio.create_task(b.acquire("background", 5))
    await asyncio.sleep(0.01)
    waiter.cancel()
    b.release()
    await second
    assert b.in_use == 1 and b.stats()["waiting"] == 0
    with pytest.raises(Overloaded):
        await b.acquire("background", 0)
    limits = KeyLimits(1)
    leave = limits.enter("k")
    with pytest.raises(Overloaded):
        limits.enter("k")
    leave()
    leave()  # idempotent
    assert limits.in_flight("k") == 0
