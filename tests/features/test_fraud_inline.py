"""POST /v1/fraud/score against the real app: auth, malformed input, degraded and broken AI paths, the 4 s budget."""

from __future__ import annotations

import asyncio
import statistics
import time

from sovereign.domain.fraud_llm import AI_REASONS
from sovereign.gateway import ChatRequest, Gateway, GatewaySettings, ProviderConfig
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings, Timeouts
from sovereign.gateway.providers.openai_compatible import OpenAICompatibleProvider
from sovereign_testkit.fake_llm import FakeLLM, Step
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import STORE, Service, answer, gateway_for, running

URL = "/v1/fraud/score"


def order(order_id: int) -> dict:
    return next(o for o in load_json("orders.json") if o["id"] == order_id)


async def post(svc: Service, key: str | None, body: dict | None = None, *, content: bytes | None = None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if content is not None:
        return await svc.client.post(URL, content=content, headers=headers | {"Content-Type": "application/json"})
    return await svc.client.post(URL, json=body, headers=headers)


async def timed(svc: Service, key: str, body: dict, n: int) -> tuple[list[float], list[dict]]:
    walls, answers = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await post(svc, key, body)
        walls.append((time.perf_counter() - t0) * 1000.0)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    return walls, answers


async def test_keys_scopes_and_malformed_orders_get_clear_errors(db_url: str, llm: FakeLLM) -> None:
    async with running(db_url, gateway_for(llm), worker=False) as svc:
        body = {"store": STORE, "order": order(85)}
        r = await post(svc, None, body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert (await post(svc, "sk-sov-0000-nope", body)).status_code == 401
        other = await svc.key(["descriptions"])
        r = await post(svc, other, body)
        assert r.status_code == 403 and "fraud" in r.json()["error"]["message"]

        key = await svc.key(["fraud"])
        bad = {
            b"{not json": "not valid JSON",
            b"[1, 2]": "must be a JSON object",
            b'{"store": "shop"}': "order must be a WooCommerce order JSON object",
            b'{"order": "85"}': "order must be a WooCommerce order JSON object",
            b'{"order": {"billing": ["DE"]}}': "order.billing must be an object",
            b'{"order": {"billing": {}, "line_items": {}}}': "order.line_items must be a list",
            b'{"order": {"billing": {}, "total": "lots"}}': "order.total must be a number",
            b'{"order": {"id": 5}}': "neither billing details nor line items",
            b'{"store": 7, "order": {"billing": {}}}': "store must be a store id",
        }
        for content, message in bad.items():
            r = await post(svc, key, content=content)
            assert r.status_code == 400, content
            assert message in r.json()["error"]["message"], (content, r.json())
        r = await post(svc, key, {"store": "nobody", "order": order(85)})
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_store"
        await svc.runtime.stores.update_settings(STORE, {"fraud": {"threshold": 0}})
        r = await post(svc, key, {"store": STORE, "order": order(85)})
        assert r.status_code == 409 and "threshold" in r.json()["error"]["message"]
        assert llm.calls == 0
        assert await svc.results() == []


async def test_degraded_answers_from_the_rules_in_milliseconds_and_schedules_one_rescore(
    db_url: str, llm: FakeLLM, woo: FakeWooStore
) -> None:
    gateway = gateway_for(llm)
    gateway.overrides.force_degraded("fraud", reason="drill")
    async with running(db_url, gateway, woo, worker=False) as svc:
        key = await svc.key()
        walls, answers = await timed(svc, key, {"store": STORE, "order": order(85)}, 30)
        first = answers[0]
        assert (first["score"], first["band"], first["threshold"], first["decision"]) == (90, "high", 70, "hold")
        assert (first["llm"], first["degraded"], first["rescore_scheduled"]) == ("degraded", True, True)
        assert [r["code"] for r in first["reasons"]] == ["disposable_email", "country_mismatch", "first_order"]
        assert all(r["weight"] > 0 and r["text"] for r in first["reasons"])
        # Well under 50 ms; medians, because this 2-core machine is shared (bench/fraud_inline.py measures p99).
        assert statistics.median(walls) < 50.0, walls
        assert statistics.median(a["elapsed_ms"] for a in answers) < 25.0
        assert llm.calls == 0  # a degraded feature never waits on a provider
        assert woo.writes == []  # the store decides at checkout
        (job,) = await svc.jobs("fraud.rescore")  # deduplicated per order
        assert job.args == {"store": STORE, "order_id": 85}
        rows = await svc.results(85)
        assert len(rows) == 30
        assert {(r["source"], r["applied"], r["llm"]) for r in rows} == {("inline", False, "degraded")}


async def test_an_open_breaker_answers_from_the_rules_without_calling_the_provider(
    db_url: str, llm: FakeLLM
) -> None:
    llm.set_mode("error")
    gateway = gateway_for(llm, breaker=BreakerSettings(consecutive_failures=1, cooldown_s=600))
    async with running(db_url, gateway, worker=False) as svc:
        key = await svc.key()
        r = await post(svc, key, {"order": order(51)})  # no store: default config, nothing recorded
        assert r.json()["llm"] == "unavailable" and r.json()["degraded"] is True
        assert r.json()["rescore_scheduled"] is False and r.json()["store"] is None
        calls = llm.calls
        walls, answers = await timed(svc, key, {"order": order(51)}, 20)
        assert llm.calls == calls  # the breaker is open: nobody calls the failing provider
        # 51 scores 60 on its own: inside the band where an AI review could change the decision
        assert {(a["score"], a["decision"], a["degraded"]) for a in answers} == {(60, "none", True)}
        assert statistics.median(walls) < 50.0, walls
        assert await svc.results() == [] and await svc.jobs("fraud.rescore") == []


async def test_a_hanging_model_is_cut_at_the_deadline_and_the_rules_answer(db_url: str, llm: FakeLLM) -> None:
    llm.set_mode("hang")
    async with running(db_url, gateway_for(llm, total_s=30.0), worker=False) as svc:
        key = await svc.key()
        t0 = time.perf_counter()
        r = await post(svc, key, {"store": STORE, "order": order(85)})
        wall = time.perf_counter() - t0
        body = r.json()
        assert r.status_code == 200 and wall < 4.3, wall
        assert body["elapsed_ms"] <= 4000.0 and body["elapsed_ms"] > 3000.0  # it did wait for the model, up to 3.5 s
        assert (body["llm"], body["degraded"], body["score"], body["decision"]) == ("deadline", True, 90, "hold")
        assert body["rescore_scheduled"] is True and llm.calls == 1


async def test_a_healthy_model_can_raise_the_score_and_nothing_is_written_to_the_store(
    db_url: str, llm: FakeLLM, woo: FakeWooStore
) -> None:
    llm.reply = answer(85, "Ships to a <b>freight forwarder</b>, see https://evil.example/x", "reshipping")
    async with running(db_url, gateway_for(llm), woo, worker=False) as svc:
        key = await svc.key()
        checkout = {k: v for k, v in order(44).items() if k not in ("date_created", "date_created_gmt")}
        r = await post(svc, key, {"store": STORE, "order": checkout})
        body = r.json()
        assert (body["score"], body["rules_score"], body["llm_risk"], body["decision"]) == (85, 10, 85, "hold")
        assert (body["llm"], body["degraded"], body["rescore_scheduled"]) == ("ok", False, False)
        texts = [x["text"] for x in body["reasons"] if x["code"] == "llm"]
        assert texts[0] == "AI review raised the risk score from 10 to 85"
        # the model's words never become a reason; the code it named does, in our words
        assert texts[1:] == [f"AI review: {AI_REASONS['reshipping']}"]
        assert woo.writes == [] and woo.notes(44) == []
        assert await svc.jobs("fraud.rescore") == []
        (row,) = await svc.results(44)
        assert (row["source"], row["decision"], row["applied"], row["llm_risk"]) == ("inline", "hold", False, 85)


def on_this_machine(fake: FakeLLM) -> Gateway:
    """A provider of kind ``embedded`` (it shares this machine's CPU) whose adapter talks to the fake model."""
    local = ProviderConfig(name="local", kind="embedded", model="fake-model", jurisdiction="local",
                           data_classes=["public", "customer_personal"], max_retries=0, max_concurrency=2,
                           timeouts=Timeouts(connect=0.5, first_token=10, total=10))
    http = local.model_copy(update={"kind": "openai_compatible", "endpoint": fake.openai_url})
    settings = GatewaySettings(retry=RetrySettings(base_s=0.01, cap_s=0.02),
                               breaker=BreakerSettings(consecutive_failures=1000, failure_rate=1.0),
                               degraded=DegradedSettings(min_samples=1000))
    return Gateway([local], settings=settings, build=lambda _c: OpenAICompatibleProvider(http))


async def test_checkout_does_not_wait_behind_a_busy_local_model(db_url: str, llm: FakeLLM) -> None:
    """A /v1 chat is generating on the model on this machine: the checkout score answers on the rules at once
    (llm "busy", a re-score scheduled) instead of sharing the CPU until its deadline; idle, it asks the model."""
    llm.reply = answer(85, "reshipping")
    gateway = on_this_machine(llm)
    async with running(db_url, gateway, worker=False) as svc:
        key = await svc.key()
        llm.set_mode(Step("slow", delay=3.0))
        chat = asyncio.create_task(gateway.complete(ChatRequest.simple("a long answer", feature="gateway", lane="api")))
        for _ in range(100):
            if gateway.contended(ChatRequest.simple("", feature="fraud", lane="interactive")):
                break
            await asyncio.sleep(0.02)
        t0 = time.perf_counter()
        r = await post(svc, key, {"store": STORE, "order": order(85)})
        wall = time.perf_counter() - t0
        body = r.json()
        assert r.status_code == 200 and wall < 1.5, wall  # not the 3.5 s the review may take
        assert (body["llm"], body["degraded"], body["rescore_scheduled"]) == ("busy", True, True)
        assert body["score"] == body["rules_score"] and llm.calls == 1  # only the chat reached the model
        await chat
        llm.set_mode("fast")
        assert gateway.contended(ChatRequest.simple("", feature="fraud", lane="interactive")) is None
        r = await post(svc, key, {"store": STORE, "order": order(85)})
        assert r.json()["llm"] != "busy" and llm.calls == 2  # idle again: the review is asked
