"""Operator overrides reach every process: published on change, polled and applied elsewhere."""

from __future__ import annotations

import asyncio

from sovereign.runtime import open_runtime
from sovereign.settings import Settings
from sovereign.gateway import ProviderConfig


def _settings(db_url: str) -> Settings:
    fake = ProviderConfig(name="cloud", kind="openai_compatible", endpoint="http://127.0.0.1:9/v1", model="m",
                          jurisdiction="US", data_classes=["public"])
    local = ProviderConfig(name="local2", kind="openai_compatible", endpoint="http://127.0.0.1:9/v1", model="m")
    return Settings(database_url=db_url, providers=[fake, local], override_poll_s=0.1)


async def test_an_override_taken_by_one_process_applies_in_another(db_url: str) -> None:
    api = await open_runtime(_settings(db_url))
    worker = await open_runtime(_settings(db_url))  # stands in for a `sovereign worker` process
    try:
        api.gateway.overrides.force_degraded("fraud", True, reason="incident 42")
        api.gateway.overrides.force_provider("local2")
        api.gateway.overrides.pin_model("cloud", "m", "2026-11-01")
        for _ in range(50):
            await asyncio.sleep(0.1)
            snap = worker.gateway.overrides.snapshot()
            if snap["force_provider"] == "local2" and snap["pinned_models"] and snap["force_degraded"]:
                break
        assert worker.gateway.is_degraded("fraud")
        assert snap == api.gateway.overrides.snapshot()
        api.gateway.overrides.clear()
        for _ in range(50):
            await asyncio.sleep(0.1)
            if not worker.gateway.is_degraded("fraud"):
                break
        assert worker.gateway.overrides.snapshot() == {"force_degraded": {}, "force_provider": None, "pinned_models": {}}
    finally:
        await worker.close()
        await api.close()


async def test_a_process_that_starts_during_an_incident_applies_it_at_once(db_url: str) -> None:
    first = await open_runtime(_settings(db_url))
    try:
        first.gateway.overrides.force_degraded("*", True, reason="provider down")
        await asyncio.sleep(0.3)
        late = await open_runtime(_settings(db_url))
        try:
            assert late.gateway.is_degraded("descriptions")  # before its first poll tick
        finally:
            await late.close()
    finally:
        await first.close()
