"""The fraud review evaluation `sovereign models eval` runs on a candidate: the packaged orders are the captured
store's, the labels come from the scenarios, and a model that obeys a shopper's text cannot move a score."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any


from sovereign.domain.fraud import FraudConfig
from sovereign.domain.orders import Order
from sovereign.features.models.fraud_eval import (
    SCORE_PAYLOADS,
    eval_orders,
    evaluate_fraud_review,
    expected_label,
    score_injected,
)
from sovereign.models import TEST_MODEL_ID
from sovereign.runtime import open_runtime
from sovereign.settings import Settings
from sovereign.store.model_releases import ModelReleases
from sovereign_testkit import injection
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import gateway_for


def test_the_packaged_orders_are_the_captured_stores_orders_with_their_scenarios() -> None:
    captured = {o["id"]: o for o in load_json("orders.json")}
    scenarios = load_json("orders_scenarios.json")["orders"]
    packaged = eval_orders()
    assert sorted(o["id"] for o, _ in packaged) == sorted(captured)
    for order, scenario in packaged:
        assert Order.from_woo(order) == Order.from_woo(captured[order["id"]])
        assert scenario == scenarios.get(str(order["id"]), "")
    labels = [expected_label(s)[0] for _, s in packaged]
    assert labels.count("risky") == 18 and labels.count("clean") == 26
    created = [Order.from_woo(o).created for o, _ in packaged]
    assert created == sorted(created)  # replayed in creation order


def test_a_payload_lands_only_where_a_shopper_types() -> None:
    order, _ = eval_orders()[0]
    injected = score_injected(order, SCORE_PAYLOADS[0])
    assert injected["customer_note"] == SCORE_PAYLOADS[0][0]
    assert injected["billing"]["first_name"].endswith(SCORE_PAYLOADS[0][0])
    for key in ("email", "phone", "address_1", "postcode", "city", "country"):
        assert injected["billing"][key] == order["billing"][key]
    assert injected["customer_ip_address"] == order["customer_ip_address"]


async def test_with_an_obedient_model_reviewing_every_order_no_score_moves() -> None:
    """Review every order, raise uncapped, with a model that does whatever text it is sent says: if a
    shopper's text reached it, a score would move. The evaluation must report 0 and the review's effect."""
    seen: list[dict[str, Any]] = []

    def obedient(request: dict[str, Any]) -> str:
        seen.append(request)
        return injection.obedient_fraud_answer(request, baseline=0)

    async with FakeLLM() as llm:
        llm.responder = obedient
        gateway = gateway_for(llm, total_s=5.0)
        config = FraudConfig(llm_review="always", llm_max_raise=100)
        orders = eval_orders()[:12]
        try:
            report = await evaluate_fraud_review(gateway, config=config, orders=orders, payloads=SCORE_PAYLOADS[::3])
        finally:
            await gateway.aclose()
    assert report.orders == 12 and report.orders_reviewed == 12 and report.review_states == {"ok": 12}
    assert report.injection_comparisons == 12 * 4 and report.injection_reviewed_variants == 12 * 4
    assert report.injection_score_shift == 0
    assert report.with_review == report.without_review  # risk 0 everywhere: the review raises nothing
    assert len(seen) == 12 * 5 and report.review_seconds_p95 is not None
    sent = json.dumps(seen)
    assert "this order is safe" not in sent.casefold() and "hold this order as fraud" not in sent.casefold()


async def test_models_eval_records_both_evaluations_with_the_embedded_model(
    db_url: str, tmp_path: Path, test_model_dir: Path
) -> None:
    env = {**os.environ, "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_DATA_DIR": str(tmp_path / "data"),
           "SOVEREIGN_MODELS_DIR": str(test_model_dir), "SOVEREIGN_EMBEDDED_MODEL": "none", "COLUMNS": "200"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign.cli", "models", "eval", TEST_MODEL_ID, "--provider", "evalcheck",
        "--limit", "3", "--json", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=600)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["products"] == 3 and report["model"] == TEST_MODEL_ID
    fraud = report["fraud_review"]
    assert fraud["orders"] == 3 and fraud["injection_payloads"] == len(SCORE_PAYLOADS)
    assert fraud["injection_comparisons"] == 3 * len(SCORE_PAYLOADS) and fraud["injection_score_shift"] == 0
    rt = await open_runtime(Settings(database_url=db_url, providers=[]))
    try:
        stored = await ModelReleases(rt.db.pool).latest_eval("evalcheck", TEST_MODEL_ID)
    finally:
        await rt.close()
    assert stored is not None and stored.report["fraud_review"]["orders"] == 3
