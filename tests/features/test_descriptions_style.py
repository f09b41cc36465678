"""Style examples from the store's own descriptions: read from a WooCommerce-shaped store over real HTTP,
personal data removed, our own texts never imitated, nearest by real MiniLM embeddings, cached, and never
a reason for a draft to fail."""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator

import pytest

from sovereign.domain.products import Product
from sovereign.embeddings import EmbeddingUnavailable, MiniLMEmbedder
from sovereign.features.descriptions.style import StyleExamples
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META
from sovereign.woo.client import WooClient
from sovereign_testkit.fake_woo import FakeWooStore

BELT, CAP, BEANIE, HOODIE = 21, 22, 20, 18  # captured store: Belt has no description, Hoodie's siblings are filler
PERSONAL = (
    "Soft brushed cotton with a curved peak that keeps the sun off. "
    "Questions? Write to anna.schmidt@example.com or call +44 20 7946 0958. "
    "It washes well and keeps its shape season after season."
)


class CountingProducts:
    """The products port over the real client, counting collection reads."""

    def __init__(self, client: WooClient) -> None:
        self.client = client
        self.lists = 0

    def list_products(self, modified_after: Any = None, **filters: Any) -> Any:
        self.lists += 1
        return self.client.list_products(modified_after, **filters)


@pytest.fixture
async def shop() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore() as store:
        yield store


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def product_of(store: FakeWooStore, pid: int) -> Product:
    return Product.from_rest(store.product(pid), currency="USD")


async def test_belt_gets_the_sunglasses_prose_and_hoodie_gets_nothing_from_filler(
    shop: FakeWooStore, embedder: MiniLMEmbedder
) -> None:
    style = StyleExamples(embedder=lambda: embedder)
    async with WooClient(shop.url, shop.consumer_key, shop.consumer_secret) as client:
        belt = await style.for_product("shop", client, product_of(shop, BELT))
        hoodie = await style.for_product("shop", client, product_of(shop, HOODIE))
    assert len(belt) == 1 and belt[0].startswith("Classic wayfarer-style sunglasses")
    assert hoodie == []  # its category holds only "Pellentesque habitant…" filler


async def test_personal_data_never_reaches_an_example_and_our_own_texts_are_not_imitated(
    shop: FakeWooStore, embedder: MiniLMEmbedder
) -> None:
    shop.product(CAP)["description"] = PERSONAL
    shop.product(BEANIE)["description"] = "Knitted by us in soft merino wool, warm without the itch, for long walks."
    shop.product(BEANIE)["meta_data"].append({"id": 9901, "key": DESCRIPTION_STATUS_META, "value": "published"})
    style = StyleExamples(embedder=lambda: embedder)
    async with WooClient(shop.url, shop.consumer_key, shop.consumer_secret) as client:
        examples = await style.for_product("shop", client, product_of(shop, BELT), k=3)
    joined = " ".join(examples)
    assert "Soft brushed cotton with a curved peak" in joined and "washes well" in joined
    assert "anna.schmidt" not in joined and "7946" not in joined and "Write to" not in joined
    assert "merino" not in joined  # Beanie's text is Sovereign's own: never shown as the store's voice
    assert len(examples) == 2


async def test_the_store_is_read_once_per_ttl(shop: FakeWooStore, embedder: MiniLMEmbedder) -> None:
    now = [1000.0]
    style = StyleExamples(embedder=lambda: embedder, ttl_s=600, clock=lambda: now[0])
    async with WooClient(shop.url, shop.consumer_key, shop.consumer_secret) as client:
        port = CountingProducts(client)
        for _ in range(3):
            assert await style.for_product("shop", port, product_of(shop, BELT))  # type: ignore[arg-type]
        assert port.lists == 1
        now[0] += 601
        await style.for_product("shop", port, product_of(shop, BELT))  # type: ignore[arg-type]
        assert port.lists == 2


async def test_an_unreachable_store_gives_no_examples_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    style = StyleExamples(embedder=None)
    caplog.set_level(logging.WARNING, "sovereign.descriptions.style")
    async with WooClient("http://127.0.0.1:9", "ck_x", "cs_x", timeout=2.0) as client:
        assert await style.for_product("shop", client, Product(id=1, type="simple", name="Belt")) == []
    assert "no style examples for product 1" in caplog.text


def _pool_products() -> list[Product]:
    texts = {
        "Chunky knit wool hat": "A chunky knitted hat in thick wool that keeps your ears warm through the coldest "
                                "mornings. Pull it on for winter walks and frosty commutes.",
        "Leather card wallet": "A slim wallet cut from smooth leather, with four card slots and a note pocket. "
                               "It slips into a front pocket without a bulge.",
        "Steel water bottle": "A double-walled steel bottle that keeps drinks cold for a day. "
                              "The screw cap seals tight for the gym bag.",
    }
    return [Product(id=i, type="simple", name=name, description=text, categories=("Accessories",), status="publish")
            for i, (name, text) in enumerate(texts.items(), start=1)]


async def test_the_nearest_by_meaning_comes_first(embedder: MiniLMEmbedder) -> None:
    style = StyleExamples(embedder=lambda: embedder)
    pool = await style.prepare(_pool_products())
    scarf = Product(id=99, type="simple", name="Wool winter scarf", categories=("Accessories",))
    flask = Product(id=98, type="simple", name="Insulated drinks flask", categories=("Accessories",))
    assert (await style.pick(scarf, pool, k=1))[0].startswith("A chunky knitted hat")
    assert (await style.pick(flask, pool, k=1))[0].startswith("A double-walled steel bottle")


class MissingEmbedder:
    model_id, dim = "none", 0

    async def embed(self, texts: Any) -> Any:
        raise EmbeddingUnavailable("the embedding model is not installed")


async def test_without_an_embedder_word_overlap_ranks_them(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "sovereign.descriptions.style")
    style = StyleExamples(embedder=MissingEmbedder)
    pool = await style.prepare(_pool_products())
    picked = await style.pick(Product(id=97, type="simple", name="Leather wallet", categories=("Accessories",)), pool)
    assert picked[0].startswith("A slim wallet cut from smooth leather") and len(picked) == 2
    assert "ranked by word overlap" in caplog.text
