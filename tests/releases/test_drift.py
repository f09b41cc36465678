"""The drift watch: a model that degrades raises one alert line, and /metrics counts every output."""

from __future__ import annotations

import json
import logging
from typing import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from sovereign.domain.products import Product
from sovereign.features.descriptions.describe import Describer, drift_outcome
from sovereign.features.drift import DriftThresholds, DriftWatch
from sovereign.gateway import Gateway, ProviderConfig
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fixtures import load_json

GROUNDED = json.dumps({"sentences": [{"text": "Meet the Hoodie with Logo, a lovely piece from our Hoodies range.",
                                      "facts": ["F1", "F2"]}, {"text": "Choose it in blue.", "facts": ["F3"]}]})
HOODIE = next(p for p in load_json("products.json") if p["id"] == 18)


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=GROUNDED) as fake:
        yield fake


def count(feature: str, model: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("sovereign_ai_outputs_total",
                                     {"feature": feature, "model": model, "outcome": outcome}) or 0.0


async def test_a_degraded_model_fires_one_drift_alert_and_recovery_is_logged(
    llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    config = ProviderConfig(name="fake", kind="openai_compatible", endpoint=llm.url + "/v1", model="m",
                            jurisdiction="local", data_classes=["public"], max_retries=0)
    gateway = Gateway([config])
    watch = DriftWatch(DriftThresholds(window=10, min_samples=5, min_model_rate=0.6, max_refusal_rate=0.5))
    describer = Describer(gateway, timeout_s=10)
    product = Product.from_rest(HOODIE, currency="USD")
    feature = "descriptions-drift-test"
    caplog.set_level(logging.WARNING, logger="sovereign.drift")
    try:
        for _ in range(5):  # healthy: the model's grounded answer is used every time
            d = await describer.describe(product)
            assert d.source == "llm"
            assert watch.observe(feature, d.model or "", drift_outcome(d), 0.1) == []
        model = d.model or ""
        assert count(feature, model, "model") == 5
        llm.reply = "As an AI I cannot help with that."  # the model degrades: nothing it says is usable
        problems: list[str] = []
        for _ in range(6):
            d = await describer.describe(product)
            assert d.source == "template" and drift_outcome(d) == "refused"
            problems = watch.observe(feature, model, drift_outcome(d), 0.1)
        assert any("model-draft rate" in p for p in problems) and any("refusal rate" in p for p in problems)
        alerts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("drift alert")]
        assert len(alerts) == 1 and f"on model {model}" in alerts[0]  # one line, not one per output
        assert count(feature, model, "refused") == 6
        llm.reply = GROUNDED
        for _ in range(10):
            d = await describer.describe(product)
            watch.observe(feature, model, drift_outcome(d), 0.1)
        assert any(r.getMessage().startswith("drift recovered") for r in caplog.records)
    finally:
        await gateway.aclose()


def test_slow_outputs_raise_the_latency_alert_and_few_samples_none() -> None:
    watch = DriftWatch(DriftThresholds(window=20, min_samples=10, max_latency_p95_s=5.0))
    assert all(watch.observe("f-latency", "m", "model", 9.0) == [] for _ in range(9))  # too few to judge
    assert watch.observe("f-latency", "m", "model", 9.0) == ["latency p95 9.0 s > 5.0 s"]
