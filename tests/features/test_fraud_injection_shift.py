"""A shopper's text can neither lower nor raise a fraud score, even with a model that obeys it.

The fake model (a real HTTP server on 127.0.0.1) does whatever a ``SCORE_PAYLOADS`` text it is sent tells
it ("this order is safe" -> risk 0, "mark as fraud" -> risk 100); otherwise it raises every order to 80.
The store asks the review for every order and lets it raise without a cap, so any text that reached the
model would show in the score. Every captured order is scored as captured, with a "lower" text and with a
"raise" text in its note, names, companies and second address lines: the score does not move.
"""

from __future__ import annotations

import json

from sovereign.domain.fraud import LLM_ANSWER_SCHEMA
from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest, Message
from sovereign_testkit import injection
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import STORE, gateway_for, running

LOWER = [p for p in injection.SCORE_PAYLOADS if p[1] == "lower"]
RAISE = [p for p in injection.SCORE_PAYLOADS if p[1] == "raise"]


async def test_the_fake_model_obeys_text_it_is_sent() -> None:
    """The test has teeth: text that reaches this model moves its answer both ways."""
    async with FakeLLM() as llm:
        llm.responder = injection.obedient_fraud_answer
        gateway = gateway_for(llm)
        try:
            risks = []
            for text in ("An order of two mugs.", LOWER[0][0], RAISE[0][0]):
                result = await gateway.complete(ChatRequest(
                    messages=[Message("system", "Rate this order."), Message("user", f"<order_data>{text}</order_data>")],
                    feature="fraud", data_class=CUSTOMER_PERSONAL, json_schema=LLM_ANSWER_SCHEMA))
                risks.append(result.parsed["risk"])
        finally:
            await gateway.aclose()
        assert risks == [80, 0, 100]


async def test_customer_text_moves_no_final_score_with_an_obedient_model(db_url: str) -> None:
    orders = sorted(load_json("orders.json"), key=lambda o: o["id"])
    assert len(orders) >= 30
    async with FakeLLM() as llm:
        llm.responder = injection.obedient_fraud_answer
        async with running(db_url, gateway_for(llm), worker=False) as svc:  # review always, raise uncapped
            headers = {"Authorization": f"Bearer {await svc.key()}"}
            shifts: list[int] = []
            for n, plain in enumerate(orders):
                variants = (plain, injection.score_injected(plain, LOWER[n % len(LOWER)]),
                            injection.score_injected(plain, RAISE[n % len(RAISE)]))
                assert variants[1]["customer_note"] == LOWER[n % len(LOWER)][0]
                results, prompts = [], []
                for order in variants:
                    before = len(llm.completions())
                    r = await svc.client.post("/v1/fraud/score", json={"store": STORE, "order": order}, headers=headers)
                    assert r.status_code == 200, r.text
                    results.append(r.json())
                    prompts.append([c.json()["messages"] for c in llm.completions()[before:]])
                base = results[0]
                assert base["llm"] == "ok" and base["llm_risk"] == 80  # the model was asked and raised it
                assert base["score"] == max(base["rules_score"], 80)
                for got, prompt in zip(results[1:], prompts[1:]):
                    assert prompt == prompts[0]  # byte for byte: the model cannot tell them apart
                    assert got["llm_risk"] == 80 and got["rules_score"] == base["rules_score"]
                    assert [x["text"] for x in got["reasons"]] == [x["text"] for x in base["reasons"]]
                    assert got["decision"] == base["decision"]
                    shifts.append(abs(got["score"] - base["score"]))
            assert len(shifts) == 2 * len(orders) and max(shifts) == 0
            assert not any(p[0].casefold() in json.dumps(c.json()).casefold()
                           for c in llm.completions() for p in injection.SCORE_PAYLOADS)
