"""Helpers shared by the gateway tests."""

from __future__ import annotations

from typing import Any

from sovereign.gateway import GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign_testkit.fake_llm import FakeLLM


def openai_cfg(fake: FakeLLM, name: str, priority: int, **kw: Any) -> ProviderConfig:
    kw.setdefault("timeouts", Timeouts(connect=0.5, first_token=1.0, total=1.0))
    return ProviderConfig(name=name, kind="openai_compatible", model=f"{name}-model", endpoint=fake.openai_url, priority=priority, **kw)


def anthropic_cfg(fake: FakeLLM, name: str, priority: int, **kw: Any) -> ProviderConfig:
    kw.setdefault("timeouts", Timeouts(connect=0.5, first_token=1.0, total=1.0))
    kw.setdefault("api_key", "sk-ant-test")
    return ProviderConfig(name=name, kind="anthropic", model="claude-test", endpoint=fake.url, priority=priority, **kw)


def quick_settings(**kw: Any) -> GatewaySettings:
    """Short backoff so retry tests stay fast; other knobs as given."""
    kw.setdefault("retry", RetrySettings(base_s=0.01, cap_s=0.02))
    kw.setdefault("breaker", BreakerSettings(consecutive_failures=3, cooldown_s=60.0))
    kw.setdefault("degraded", DegradedSettings(min_samples=1000))
    return GatewaySettings(**kw)
