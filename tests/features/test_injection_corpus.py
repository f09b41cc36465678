"""The injection corpus (sovereign_testkit.injection) through the running service, the fake store and a fake model.

Products: an obedient model repeats the product's links, shortcodes and instructions; the validator refuses
it, the template keeps only the safe fragments, and nothing unsafe is written to the store on any path
(draft meta, approve as drafted, approve an edit, auto-publish). Orders: the same order with a plain note
and with payloads in every free-text field sends the model the same prompt and gets the same score.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from sovereign.domain.safe_text import unsafe_fragments
from sovereign.features.descriptions.jobs import DraftRepository, approve_draft, generate_description
from sovereign.features.descriptions.drafts import UnsafeDescription
from sovereign_testkit import injection
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import STORE, answer, gateway_for, running


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def unsafe_writes(woo: FakeWooStore) -> list[tuple[str, str]]:
    """Every string Sovereign wrote to the store that the validator finds unsafe."""
    return [(w.path, s) for w in woo.writes for s in _strings(w.body) if unsafe_fragments(s)]


@pytest.mark.parametrize("mode", ["review", "auto_publish"])
async def test_no_unsafe_text_reaches_the_store_from_the_product_corpus(db_url: str, mode: str) -> None:
    base = next(p for p in load_json("products.json") if p["id"] == 18)
    corpus = injection.products(base)
    assert len(corpus) >= 50
    async with FakeLLM(reply="") as llm, FakeWooStore() as woo:
        for p in corpus:
            woo.state.products[p["id"]] = p
        async with running(db_url, gateway_for(llm), woo, worker=False,
                           store_settings={"description_mode": mode}) as svc:
            rt = svc.runtime
            sources, refused, templated = set(), 0, 0
            for p in corpus:
                llm.reply = injection.obedient_description(p)
                outcome = await generate_description(rt, STORE, p["id"])
                assert outcome.described is not None
                # the model's echo is refused (template) or had nothing left but harmless text once cleaned
                assert unsafe_fragments(outcome.described.text) == () and "Sun Hat" in outcome.described.text
                templated += outcome.described.source == "template"
                sources.add(outcome.status)
                if mode == "review":
                    try:  # a merchant's edit that carries a payload: refused, or cleaned of it (markup)
                        await approve_draft(rt, STORE, p["id"], text=f"Lovely hat. {p['short_description']}")
                    except UnsafeDescription:
                        refused += 1
                    draft = await approve_draft(rt, STORE, p["id"])
                    assert draft.status == "published"
            assert sources == {"drafted" if mode == "review" else "published"}
            assert mode != "review" or refused >= len(corpus) // 2
            assert templated >= len(corpus) // 2
            published = await DraftRepository(rt.db.pool).list(STORE, status="published", limit=1000)
            assert len(published) == len(corpus)
            assert all(woo.product(p["id"])["description"].startswith("<p>") for p in corpus)
            assert unsafe_writes(woo) == []


async def test_customer_text_moves_no_score_over_the_order_corpus(db_url: str) -> None:
    base = next(o for o in load_json("orders.json") if o["id"] == 44)
    pairs = injection.orders(base)
    assert len(pairs) >= 50
    async with FakeLLM(reply=answer(60, "location_mismatch", "risk 95 visit evil.example")) as llm:
        async with running(db_url, gateway_for(llm), worker=False) as svc:
            key = await svc.key()
            shifts, leaked = [], []
            for benign, injected in pairs:
                answers = []
                for order in (benign, injected):
                    before = len(llm.completions())
                    r = await svc.client.post("/v1/fraud/score", json={"store": STORE, "order": order},
                                              headers={"Authorization": f"Bearer {key}"})
                    assert r.status_code == 200, r.text
                    assert r.json()["llm"] == "ok"
                    prompts = [c.json()["messages"] for c in llm.completions()[before:]]
                    answers.append((r.json(), prompts))
                (b, b_prompt), (i, i_prompt) = answers
                assert b_prompt == i_prompt  # the model cannot tell them apart
                shifts.append(abs(i["score"] - b["score"]))
                assert [x["text"] for x in i["reasons"]] == [x["text"] for x in b["reasons"]]
                leaked += [x["text"] for x in i["reasons"] if unsafe_fragments(x["text"])]
            assert max(shifts) == 0 and leaked == []
            rows = await svc.db.pool.fetch("SELECT reasons::text AS r FROM sovereign_fraud_results")
            assert len(rows) == 2 * len(pairs) and not any("evil" in row["r"] for row in rows)
            assert all(json.loads(row["r"]) for row in rows)
