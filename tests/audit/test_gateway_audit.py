"""A real gateway over a fake upstream, audited: calls, overrides and degraded mode become chained rows."""

from __future__ import annotations

from typing import AsyncIterator

import asyncpg
import pytest

from sovereign.audit import AuditWriter, verify
from sovereign.audit.records import from_db
from sovereign.gateway import ChatRequest, Gateway, GatewayError, ProviderConfig
from sovereign.gateway.config import DegradedSettings, GatewaySettings, Timeouts
from sovereign.gateway.outbound import digest_messages, digest_text
from sovereign.gateway.residency import ResidencyPolicy
from sovereign_testkit.fake_llm import FakeLLM


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply="An audited answer.") as f:
        yield f


async def rows(pool: asyncpg.Pool) -> list[dict]:
    return [from_db(r) for r in await pool.fetch("SELECT * FROM sovereign_audit_log ORDER BY id")]


async def test_calls_overrides_and_degraded_mode_are_audited(pool: asyncpg.Pool, fake: FakeLLM) -> None:
    audit = AuditWriter(pool, flush_interval_s=0.05)
    audit.start()
    config = ProviderConfig(name="eu", kind="openai_compatible", model="m-large", model_version="2026-10",
                            endpoint=fake.openai_url, jurisdiction="EU-DE", timeouts=Timeouts(total=2.0))
    settings = GatewaySettings(degraded=DegradedSettings(min_samples=1000))
    async with Gateway([config], settings=settings, policy=ResidencyPolicy(), on_event=audit) as gw:
        request = ChatRequest.simple("Describe a blue mug.", feature="describe", timeout=5)
        await gw.complete(request)
        gw.overrides.force_degraded("describe", reason="incident 42")
        with pytest.raises(GatewayError):
            await gw.complete(ChatRequest.simple("again", feature="describe", timeout=5))
        gw.overrides.force_degraded("describe", False)
        gw.overrides.pin_model("eu", "m-small", "2026-09")
        [c async for c in gw.stream(ChatRequest.simple("stream it", feature="describe", timeout=5))]
    await audit.aclose()
    got = await rows(pool)
    assert [(r["kind"], r["outcome"]) for r in got] == [
        ("call", "ok"), ("override", ""), ("call", "degraded"), ("override", ""), ("override", ""), ("call", "ok"),
    ]
    first = got[0]
    assert (first["feature"], first["data_class"], first["provider"], first["jurisdiction"]) == (
        "describe", "public", "eu", "EU-DE")
    assert (first["model"], first["model_version"]) == ("m-large", "2026-10")
    assert first["request_sha256"] == digest_messages(request)
    assert first["response_sha256"] == digest_text("An audited answer.")
    assert first["input_tokens"] > 0 and first["latency_ms"] > 0 and first["redactions"] == {}
    assert got[1]["detail"] == {"name": "force_degraded", "target": "describe", "value": True, "previous": False}
    assert got[2]["flags"] == ["force_degraded"] and got[2]["provider"] == ""
    assert got[4]["detail"]["name"] == "pin_model" and got[4]["provider"] == "eu"
    assert got[5]["stream"] and got[5]["flags"] == ["pin_model"] and got[5]["model_version"] == "2026-09"
    assert got[5]["response_sha256"] == digest_text("An audited answer.")
    assert (await verify(pool)).ok
