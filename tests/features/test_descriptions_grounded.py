"""The description job in its default, grounded mode: the model answers sentences that name their facts;
only those that stand on them reach the store. Real Postgres, fake store and fake LLM on 127.0.0.1."""

from __future__ import annotations

import json
from typing import AsyncIterator

import pytest

from sovereign.domain.products import plain_text
from sovereign.features.descriptions.jobs import DescriptionSettings
from sovereign.features.images.config import ImageSettings
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META, DRAFT_META
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from tests.features.conftest import gateway_for, running
from tests.features.test_descriptions_jobs import HOODIE, describe_via_webhook, hook_products, meta

GROUNDED = {"description_grounded": True, "description_delay_s": 0}
# Hoodie with Logo in the captured store: category Hoodies, colour Blue.
ANSWER = {"sentences": [
    {"text": "Meet the Hoodie with Logo, a lovely piece from our Hoodies range.", "facts": ["F1", "F2"]},
    {"text": "Choose it in blue.", "facts": ["F3"]},
    {"text": "Made of organic cotton and machine washable.", "facts": ["F1"]},  # invented: must not survive
]}


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=json.dumps(ANSWER)) as fake:
        yield fake


@pytest.fixture
async def shop() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore(safe_ports="any") as store:  # Sovereign on a random port: the filter allows it
        yield store


async def test_only_grounded_sentences_reach_the_draft(db_url: str, llm: FakeLLM, shop: FakeWooStore) -> None:
    async with running(db_url, gateway_for(llm), shop, store_settings=GROUNDED) as svc:
        hook_products(svc, shop)
        row = await describe_via_webhook(svc, shop, HOODIE, "draft")
        assert row["source"] == "llm" and row["reason"] is None, (row["source"], row["reason"])
        assert row["draft"] == "Meet the Hoodie with Logo, a lovely piece from our Hoodies range. Choose it in blue."
        assert "cotton" not in meta(shop, HOODIE)[DRAFT_META] and meta(shop, HOODIE)[DESCRIPTION_STATUS_META] == "draft"
        request = llm.completions()[-1].json()
        schema = json.dumps(request)
        assert '"F1"' in schema and "sentences" in schema  # the fact ids were offered as the only citations


async def test_an_answer_with_nothing_grounded_falls_back_to_the_template(
    db_url: str, llm: FakeLLM, shop: FakeWooStore
) -> None:
    llm.reply = json.dumps({"sentences": [{"text": "A versatile theme for personal and professional use.",
                                           "facts": ["F1"]}]})
    async with running(db_url, gateway_for(llm), shop, store_settings=GROUNDED) as svc:
        hook_products(svc, shop)
        row = await describe_via_webhook(svc, shop, HOODIE, "draft")
        assert row["source"] == "template" and row["reason"].startswith("invalid: ungrounded")
        assert row["draft"].startswith("Meet the Hoodie with Logo, from our Hoodies range.")


BELT = 21  # Accessories, no description; its category's only real prose is the Sunglasses' description


@pytest.mark.parametrize("examples", [2, 0])
async def test_the_stores_own_prose_is_shown_for_style_unless_turned_off(
    db_url: str, llm: FakeLLM, shop: FakeWooStore, examples: int
) -> None:
    sunglasses = next(p for p in shop.state.products.values() if p["name"] == "Sunglasses")
    phrase = " ".join(plain_text(sunglasses["description"]).split()[:6])
    llm.reply = json.dumps({"sentences": [
        {"text": "Meet the Belt, a lovely piece from our Accessories range.", "facts": ["F1", "F2"]},
        {"text": "The Belt is a simple product that sits well in the Accessories range.", "facts": ["F1", "F2", "F3"]},
    ]})
    settings = {**GROUNDED, "description_style_examples": examples}
    async with running(db_url, gateway_for(llm), shop, store_settings=settings) as svc:
        hook_products(svc, shop)
        row = await describe_via_webhook(svc, shop, BELT, "draft")
        assert row["source"] == "llm", (row["source"], row["reason"])
        system = llm.completions()[-1].json()["messages"][0]["content"]
        assert ("The shop's own descriptions sound like this" in system) is bool(examples)
        assert (phrase in system) is bool(examples), (phrase, system)


async def test_a_german_store_gets_german_facts_drafts_and_fallbacks(
    db_url: str, llm: FakeLLM, shop: FakeWooStore
) -> None:
    llm.reply = json.dumps({"sentences": [
        {"text": "Entdecken Sie Hoodie with Logo, ein schönes Stück aus unserem Sortiment Hoodies.", "facts": ["F1", "F2"]},
        {"text": "Wählen Sie ihn in Blue.", "facts": ["F3"]},
        {"text": "Er ist aus weicher Baumwolle.", "facts": ["F1"]},  # invented: must not survive
    ]})
    settings = {**GROUNDED, "description_language": "de_DE"}
    async with running(db_url, gateway_for(llm), shop, store_settings=settings) as svc:
        hook_products(svc, shop)
        row = await describe_via_webhook(svc, shop, HOODIE, "draft")
        assert row["source"] == "llm", (row["source"], row["reason"])
        assert row["draft"] == ("Entdecken Sie Hoodie with Logo, ein schönes Stück aus unserem Sortiment Hoodies. "
                                "Wählen Sie ihn in Blue.")
        request = llm.completions()[-1].json()
        assert "Write the sentences in German" in request["messages"][0]["content"]
        assert "Das Produkt heißt Hoodie with Logo." in request["messages"][1]["content"]

        # the model away: the fallback is German too
        llm.set_mode("error", status=503)
        shop.product(HOODIE)["meta_data"] = []
        row = await describe_via_webhook(svc, shop, HOODIE, "draft")
        assert row["source"] == "template" and row["draft"].startswith("Entdecken Sie Hoodie with Logo, aus unserem Sortiment Hoodies.")


def test_the_language_is_the_stores_own_unless_set_and_english_when_unsupported() -> None:
    assert DescriptionSettings.of({}).language == "en"
    assert DescriptionSettings.of({"language": "de_DE"}).language == "de_DE"  # read from WooCommerce at connect
    assert DescriptionSettings.of({"language": "de_DE", "description_language": "fr"}).language == "fr"
    assert DescriptionSettings.of({"language": "ja"}).language == "en"
    # alt text follows the store's language the same way
    assert ImageSettings.of({"language": "de_DE"}).language == "de_DE"
    assert ImageSettings.of({"language": "de_DE", "image_language": "fr"}).language == "fr"
