"""Which of a store's own descriptions are worth imitating: real captured WooCommerce products and rules."""

from __future__ import annotations

import csv
import io

from sovereign.domain.products import Product
from sovereign.domain.style_examples import (
    EXAMPLE_CHARS,
    StyleCandidate,
    candidates,
    is_placeholder,
    same_category,
    sentences,
    trim_to_sentences,
    word_overlap,
)
from sovereign_testkit.fixtures import fixtures_dir, load_json

PROSE = (
    "Hand-stitched from vegetable-tanned leather that darkens beautifully with wear. "
    "The solid brass buckle is built to outlast the strap. Each one is cut to order in our workshop."
)


def captured() -> list[Product]:
    return [Product.from_rest(raw, currency="USD") for raw in load_json("products.json")]


def product(
    pid: int, name: str, text: str, *, categories: tuple[str, ...] = ("Accessories",), type: str = "simple",
    status: str = "publish",
) -> Product:
    return Product(id=pid, type=type, name=name, description=text, categories=categories, status=status)


def test_the_captured_stores_theme_filler_is_refused_and_its_one_real_description_kept() -> None:
    products = captured()
    filler = [p for p in products if "Pellentesque" in p.description or "Lorem ipsum" in p.description]
    assert len(filler) >= 10 and all(is_placeholder(p.description_text) for p in filler)
    kept = candidates(products)
    assert [c.name for c in kept] == ["Sunglasses"]
    assert kept[0].text.startswith("Classic wayfarer-style sunglasses") and kept[0].categories == ("Accessories",)


def test_woocommerces_own_sample_csv_offers_nothing_to_imitate() -> None:
    text = (fixtures_dir() / "sample_products.csv").read_text(encoding="utf-8-sig")
    rows = [Product.from_csv_row(r, currency="USD") for r in csv.DictReader(io.StringIO(text))]
    with_text = [p for p in rows if p.description_text]
    assert len(with_text) > 20
    assert candidates(rows) == []  # every sample description is "Pellentesque habitant…" filler


def test_boilerplate_pasted_on_three_products_is_a_template_not_a_voice() -> None:
    two = [product(1, "Belt", PROSE), product(2, "Strap", PROSE)]
    assert [c.name for c in candidates(two)] == ["Belt", "Strap"]
    assert candidates([*two, product(3, "Cuff", PROSE)]) == []


def test_drafts_variations_and_labels_are_left_out() -> None:
    products = [
        product(1, "Belt", PROSE, status="draft"),
        product(2, "Belt - Large", PROSE, type="variation"),
        product(3, "Cap", "Nice cap."),
        product(4, "Wallet", PROSE.replace("buckle", "clasp")),
    ]
    assert [c.name for c in candidates(products)] == ["Wallet"]


def test_examples_are_whole_sentences_within_the_prompts_limit() -> None:
    long = " ".join(f"Sentence number {word} tells a little more about the piece." for word in "abcdefghijklmnop")
    (c,) = candidates([product(1, "Scarf", long)])
    assert len(c.text) <= EXAMPLE_CHARS and c.text.endswith(".")
    assert set(sentences(c.text)) <= set(sentences(long))
    assert trim_to_sentences(["x" * 400]) == ""  # a sentence that does not fit is left out, never cut


def test_same_category_never_offers_the_product_itself_and_ignores_uncategorized() -> None:
    pool = [StyleCandidate(1, "Belt", ("Accessories",), PROSE), StyleCandidate(2, "Album", ("Music",), PROSE)]
    belt = product(1, "Belt", "")
    cap = product(3, "Cap", "", categories=("accessories",))
    loose = product(4, "Widget", "", categories=("Uncategorized",))
    assert same_category(belt, pool) == []
    assert [c.name for c in same_category(cap, pool)] == ["Belt"]
    assert [c.name for c in same_category(loose, pool)] == ["Belt", "Album"]


def test_word_overlap_is_a_jaccard_of_words() -> None:
    assert word_overlap("Leather belt", "leather BELT") == 1.0
    assert word_overlap("Leather belt", "Wool scarf") == 0.0
    assert 0 < word_overlap("Leather belt", "Leather wallet") < 1
