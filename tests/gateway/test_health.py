"""Health snapshot and background probes feeding the breakers."""

import asyncio

from sovereign.gateway import ChatRequest
from sovereign.gateway.config import BreakerSettings
from sovereign.gateway.registry import build_provider

from .support import openai_cfg, quick_settings


async def test_health_reports_what_operators_need(fake, make_gateway) -> None:
    gw = make_gateway([openai_cfg(fake, "p", 1, model_version="qwen2.5-7b@sha256:1")])
    for _ in range(5):
        await gw.complete(ChatRequest.simple("hi", feature="f"))
    h = gw.health()["p"]
    assert h["breaker"] == "closed" and h["availability"] == 1.0 and h["model_version"] == "qwen2.5-7b@sha256:1"
    assert 0 < h["latency_p50_ms"] <= h["latency_p99_ms"] and h["samples"] == 5
    assert h["rate_limit_headroom"] == {"requests": None, "tokens": None, "paused_s": 0.0}
    assert gw.status()["features"]["f"]["availability"] == 1.0


async def test_probes_open_the_breaker_of_a_dead_provider_and_nudge_it_back(fake, make_gateway) -> None:
    settings = quick_settings(breaker=BreakerSettings(consecutive_failures=2, cooldown_s=3600))
    gw = make_gateway([openai_cfg(fake, "p", 1)], settings=settings)
    fake.set_mode("error")
    task = gw.start_probes(interval=0.02)
    assert gw.start_probes(interval=0.02) is task
    for _ in range(100):
        if gw.health()["p"]["breaker"] == "open":
            break
        await asyncio.sleep(0.01)
    assert gw.health()["p"]["breaker"] == "open" and gw.health()["p"]["healthy"] is False
    assert fake.calls == 0  # only health checks went out
    fake.set_mode("fast")
    for _ in range(100):
        if gw.health()["p"]["breaker"] == "half_open":
            break
        await asyncio.sleep(0.01)
    assert (await gw.complete(ChatRequest.simple("hi", feature="f"))).provider == "p"
    assert gw.health()["p"]["breaker"] == "closed"
    await gw.aclose()
    assert task.done()


def test_registry_builds_http_kinds_and_needs_a_models_dir_for_embedded(fake) -> None:
    import pytest

    p = build_provider(openai_cfg(fake, "p", 1))
    assert p.name == "p" and p.supports_structured_output
    cfg = openai_cfg(fake, "e", 1).model_copy(update={"kind": "embedded"})
    with pytest.raises(ValueError):
        build_provider(cfg)


def test_http_gateway_never_imports_the_embedded_runtime() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from sovereign.gateway import Gateway, ProviderConfig; "
        "Gateway([ProviderConfig(name='p', kind='openai_compatible', model='m', endpoint='http://127.0.0.1:9/v1'), "
        "ProviderConfig(name='a', kind='anthropic', model='m')]); "
        "print('sovereign.gateway.providers.embedded' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
