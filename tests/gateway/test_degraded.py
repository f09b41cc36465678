"""Degraded mode: entered below the SLO, refused without touching providers, left through a trial call."""

import asyncio
import time

import pytest

from sovereign.gateway import CallFinished, ChatRequest, DegradedEntered, DegradedLeft, GatewayError, OverrideChanged
from sovereign.gateway.config import BreakerSettings, DegradedSettings

from .support import openai_cfg, quick_settings


def ask(feature: str = "describe", **kw: object) -> ChatRequest:
    return ChatRequest.simple("Describe a blue mug.", feature=feature, timeout=2, **kw)


def degraded_settings(**kw: object):
    """Breakers that never open here: these tests look at the feature level only."""
    return quick_settings(
        degraded=DegradedSettings(**{"slo": 0.9, "min_samples": 4, "trial_interval_s": 0.3, **kw}),
        breaker=BreakerSettings(consecutive_failures=1000, failure_rate=1.0),
    )


async def fail_until_degraded(gw, n: int = 4, feature: str = "describe") -> None:
    for _ in range(n):
        with pytest.raises(GatewayError):
            await gw.complete(ask(feature))


async def test_enters_when_every_provider_fails_and_stops_calling_them(fake, fake2, make_gateway, events) -> None:
    fake.set_mode("error")
    fake2.set_mode("reset")
    gw = make_gateway(
        [openai_cfg(fake, "a", 1, max_retries=0), openai_cfg(fake2, "b", 2, max_retries=0)], settings=degraded_settings()
    )
    await fail_until_degraded(gw)
    assert gw.is_degraded("describe") and not gw.is_degraded("fraud")
    entered = [e for e in events if isinstance(e, DegradedEntered)]
    assert len(entered) == 1 and entered[0].feature == "describe" and entered[0].availability == 0.0
    calls = (fake.calls, fake2.calls)
    start = time.monotonic()
    for _ in range(50):
        with pytest.raises(GatewayError) as e:
            await gw.complete(ask())
        assert e.value.reason == "degraded"
    assert time.monotonic() - start < 0.1  # refused at once
    assert (fake.calls, fake2.calls) == calls  # and no provider was called
    status = gw.status()
    assert status["degraded"] == ["describe"] and "SLO" in status["features"]["describe"]["reason"]
    assert [e.outcome for e in events if isinstance(e, CallFinished)][-1] == "degraded"


async def test_leaves_through_a_trial_call_when_providers_are_back(fake, make_gateway, events) -> None:
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "a", 1, max_retries=0)], settings=degraded_settings())
    await fail_until_degraded(gw)
    fake.set_mode("fast")
    with pytest.raises(GatewayError):
        await gw.complete(ask())  # the trial interval has not passed yet
    await asyncio.sleep(0.3)
    result = await gw.complete(ask())  # the trial
    assert result.text == "Hello from the fake LLM." and not gw.is_degraded("describe")
    assert [type(e) for e in events if isinstance(e, (DegradedEntered, DegradedLeft))] == [DegradedEntered, DegradedLeft]
    for _ in range(5):
        await gw.complete(ask())


async def test_failed_trial_stays_degraded(fake, make_gateway) -> None:
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "a", 1, max_retries=0)], settings=degraded_settings())
    await fail_until_degraded(gw)
    await asyncio.sleep(0.3)
    calls = fake.calls
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())  # the trial reaches the provider and fails
    assert e.value.reason == "unavailable" and fake.calls == calls + 1
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())
    assert e.value.reason == "degraded" and fake.calls == calls + 1


async def test_health_probe_arms_an_immediate_trial(fake, make_gateway) -> None:
    fake.set_mode("error")
    gw = make_gateway([openai_cfg(fake, "a", 1, max_retries=0)], settings=degraded_settings(trial_interval_s=3600))
    await fail_until_degraded(gw)
    fake.set_mode("fast")
    gw.start_probes(interval=0.05)
    for _ in range(50):
        if gw.health()["a"]["healthy"]:
            break
        await asyncio.sleep(0.02)
    assert (await gw.complete(ask())).provider == "a"
    assert not gw.is_degraded("describe")


async def test_forced_degraded_override(fake, make_gateway, events) -> None:
    gw = make_gateway([openai_cfg(fake, "a", 1)])
    gw.overrides.force_degraded("describe", reason="incident 42")
    assert gw.is_degraded("describe") and not gw.is_degraded("fraud")
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())
    assert e.value.reason == "degraded" and "incident 42" in str(e.value) and fake.calls == 0
    await gw.complete(ask("fraud"))
    gw.overrides.force_degraded()  # every feature
    with pytest.raises(GatewayError):
        await gw.complete(ask("fraud"))
    with pytest.raises(GatewayError):
        [c async for c in gw.stream(ask("chat"))]
    gw.overrides.clear()
    await gw.complete(ask())
    changes = [(e.name, e.target, e.value) for e in events if isinstance(e, OverrideChanged)]
    assert changes == [
        ("force_degraded", "describe", True), ("force_degraded", "*", True),
        ("force_degraded", "describe", False), ("force_degraded", "*", False),
    ]
    assert fake.calls == 2


async def test_force_provider_and_pin_model(fake, fake2, make_gateway, events) -> None:
    gw = make_gateway([openai_cfg(fake, "a", 1), openai_cfg(fake2, "b", 2, model_version="b-2024")])
    gw.overrides.force_provider("b")
    gw.overrides.pin_model("b", "b-model:8b-q4", "sha256:abc")
    result = await gw.complete(ask())
    assert (result.provider, result.model, result.model_version) == ("b", "b-model:8b-q4", "sha256:abc")
    assert fake2.completions()[-1].json()["model"] == "b-model:8b-q4" and fake.calls == 0
    assert gw.health()["b"]["model_version"] == "sha256:abc"
    assert gw.status()["overrides"]["force_provider"] == "b"
    with pytest.raises(KeyError):
        gw.overrides.force_provider("nope")
    gw.overrides.pin_model("b", None)
    gw.overrides.force_provider(None)
    result = await gw.complete(ask())
    assert (result.provider, result.model_version) == ("a", "unpinned")
    names = [(e.name, e.value) for e in events if isinstance(e, OverrideChanged)]
    assert names == [("force_provider", "b"), ("pin_model", "sha256:abc"), ("pin_model", None), ("force_provider", None)]
