"""Product from captured WooCommerce REST bodies, webhooks and the sample CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from sovereign.domain.products import Product, decode_csv_text, encode_csv_text, plain_text, split_list
from sovereign_testkit.fixtures import fixtures_dir, load_json

# Captured with an empty description (README): six sample products and the three smoke widgets.
EMPTY_IN_STORE = {32, 30, 27, 24, 21, 18, 14, 12, 10}


def _rest_products() -> list[Product]:
    return [Product.from_rest(p, currency="USD") for p in load_json("products.json")]


def _csv_rows() -> list[dict[str, str]]:
    text = (fixtures_dir() / "sample_products.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_rest_products_needing_description_are_exactly_the_empty_ones() -> None:
    products = _rest_products()
    assert len(products) == 21
    assert {p.id for p in products if p.needs_description} == EMPTY_IN_STORE
    sunglasses = next(p for p in products if p.id == 23)
    assert sunglasses.description.startswith("<p>")  # autop'd on GET
    assert sunglasses.description_text.startswith("Classic wayfarer-style sunglasses")


def test_rest_product_fields() -> None:
    cap = next(p for p in _rest_products() if p.id == 22)
    assert (cap.type, cap.name, cap.sku, cap.status) == ("simple", "Cap", "woo-cap", "publish")
    assert cap.categories == ("Accessories",)
    assert dict(cap.attributes) == {"Color": ("Yellow",)}
    assert (cap.regular_price, cap.sale_price, cap.price) == (Decimal("18"), Decimal("16"), Decimal("16"))
    assert cap.stock_quantity == 25  # the only product that manages stock
    assert cap.meta == {"_wpcom_is_markdown": "1"}
    assert cap.short_description_text == "This is a simple product."
    vneck = next(p for p in _rest_products() if p.id == 16)
    assert dict(vneck.attributes) == {"Color": ("Blue", "Green", "Red"), "Size": ("Large", "Medium", "Small")}
    assert vneck.stock_quantity is None and vneck.parent_id is None


def test_webhook_payloads() -> None:
    created = Product.from_rest(json.loads(load_json("webhook_product_created.json")["body_raw"]))
    assert (created.id, created.name, created.needs_description) == (20, "Beanie", False)
    variation = Product.from_rest(json.loads(load_json("webhook_product_created_variation.json")["body_raw"]))
    assert variation.is_variation and variation.parent_id == 16
    assert dict(variation.attributes) == {"Color": ("Red",)}  # a variation carries "option", not "options"
    updated = Product.from_rest(json.loads(load_json("webhook_product_updated.json")["body_raw"]))
    assert "polarised UV400 lenses" in updated.description_text


def test_csv_rows_agree_with_the_store_that_imported_them() -> None:
    by_sku = {p.sku: p for p in _rest_products()}
    rows = _csv_rows()
    assert len(rows) == 25
    products = [Product.from_csv_row(r) for r in rows]
    assert sum(p.is_variation for p in products) == 7
    for p in products:
        if p.is_variation:
            assert p.parent_sku in {"woo-vneck-tee", "woo-hoodie"} and p.parent_id is None
            continue
        stored = by_sku[p.sku]
        assert p.name == stored.name
        assert p.categories == stored.categories
        assert p.regular_price == stored.regular_price and p.sale_price == stored.sale_price
        assert {k: v for k, v in p.attributes.items() if v} == dict(stored.attributes)
        assert p.status == "publish"
    album = next(p for p in products if p.name == "Album")
    assert album.type == "simple" and album.flags == {"downloadable", "virtual"}


def test_empty_after_autop_counts_as_empty() -> None:
    for empty in ("", "<p></p>\n", "<p>&nbsp;</p>", "  \n<br />  ", "<div><p> </p></div>"):
        assert Product(id=1, type="simple", name="X", description=empty).needs_description
    assert not Product(id=1, type="simple", name="X", description="<p>Hi</p>").needs_description
    assert plain_text("<p>One &amp; two</p>\n<p>Three</p>\n") == "One & two\n\nThree"


def test_csv_text_codec_matches_woocommerce() -> None:
    # Exporter: a literal "\n" becomes "\\n", a line break becomes "\n". Importer reverses it.
    text = 'First line.\n\nPath C:\\new "quoted", here'
    cell = encode_csv_text(text)
    assert "\n" not in cell
    assert cell == 'First line.\\n\\nPath C:\\\\new "quoted", here'
    assert decode_csv_text(cell) == text
    assert split_list(r"Red, Blue\, dark, Green") == ["Red", "Blue, dark", "Green"]
