"""A WooCommerce product as the features see it, whatever door it came in by.

``Product`` is built from a REST body or webhook payload (``from_rest``) or from
one row of WooCommerce's product CSV (``from_csv_row``). It keeps only what the
description and forecast features read; everything else stays in the source.

Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

__all__ = [
    "Product",
    "attribute_pairs",
    "decode_csv_text",
    "encode_csv_text",
    "parse_price",
    "plain_text",
    "split_list",
]

_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

# WooCommerce's CSV "Published" column: 1 publish, 0 private, -1 draft.
_PUBLISHED = {"1": "publish", "0": "private", "-1": "draft", "true": "publish", "false": "draft"}


def plain_text(markup: str | None) -> str:
    """The readable text of a WooCommerce HTML field.

    Removes tags (the ``<p>…</p>`` that ``wpautop`` adds on GET and webhooks),
    decodes entities (``&nbsp;``, ``&amp;``) and collapses blank space, keeping
    paragraph breaks as one blank line.
    """
    if not markup:
        return ""
    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h\d)\s*/?\s*>", "\n", markup)
    text = html.unescape(_TAG.sub(" ", text))
    text = _WS.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def split_list(value: str, sep: str = ",") -> list[str]:
    """Split a WooCommerce CSV list cell (``"Blue, Green, Red"``); ``\\,`` escapes a comma."""
    if not value.strip():
        return []
    parts = re.split(r"(?<!\\)" + re.escape(sep), value)
    return [p.replace("\\" + sep, sep).strip() for p in parts if p.strip()]


def parse_price(value: Any) -> Decimal | None:
    """A WooCommerce price string (``"45"``, ``".5"``, ``"11.05"``) as ``Decimal``; ``None`` if empty or bad."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        price = Decimal(text)
    except InvalidOperation:
        return None
    return price if price.is_finite() else None


def _to_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Product:
    """The facts of one product or variation.

    ``type`` is WooCommerce's product type (simple, variable, variation, grouped,
    external); ``flags`` holds the CSV's extra type words (downloadable, virtual).
    ``description`` is the raw stored value; use ``description_text`` or
    ``needs_description`` rather than testing it for emptiness directly.
    """

    id: int | None
    type: str
    name: str
    sku: str = ""
    status: str = ""
    parent_id: int | None = None
    parent_sku: str | None = None
    description: str = ""
    short_description: str = ""
    categories: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regular_price: Decimal | None = None
    sale_price: Decimal | None = None
    currency: str | None = None
    stock_quantity: int | None = None
    flags: frozenset[str] = frozenset()
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_variation(self) -> bool:
        return self.type == "variation"

    @property
    def description_text(self) -> str:
        return plain_text(self.description)

    @property
    def short_description_text(self) -> str:
        return plain_text(self.short_description)

    @property
    def needs_description(self) -> bool:
        """True when the description is empty once autop, tags and blank space are removed."""
        return not self.description_text

    @property
    def price(self) -> Decimal | None:
        """The price a customer pays now: the sale price when there is one."""
        return self.sale_price if self.sale_price is not None else self.regular_price

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_rest(cls, data: Mapping[str, Any], *, currency: str | None = None) -> "Product":
        """From a ``wc/v3`` product or variation body, or a product webhook payload."""
        attributes: dict[str, tuple[str, ...]] = {}
        for attr in data.get("attributes") or []:
            name = str(attr.get("name", "")).strip()
            if not name:
                continue
            # Products carry "options" (a list); variations carry the chosen "option".
            options = attr.get("options")
            if options is None and attr.get("option") not in (None, ""):
                options = [attr["option"]]
            attributes[name] = tuple(str(o) for o in options or ())
        meta = {m["key"]: m.get("value") for m in data.get("meta_data") or [] if "key" in m}
        parent = _to_int(data.get("parent_id"))
        return cls(
            id=_to_int(data.get("id")),
            type=str(data.get("type") or "simple"),
            name=str(data.get("name") or ""),
            sku=str(data.get("sku") or ""),
            status=str(data.get("status") or ""),
            parent_id=parent or None,
            description=str(data.get("description") or ""),
            short_description=str(data.get("short_description") or ""),
            categories=tuple(str(c.get("name", "")) for c in data.get("categories") or [] if c.get("name")),
            attributes=attributes,
            regular_price=parse_price(data.get("regular_price")),
            sale_price=parse_price(data.get("sale_price")),
            currency=currency,
            stock_quantity=_to_int(data.get("stock_quantity")) if data.get("manage_stock") else None,
            flags=frozenset(f for f in ("downloadable", "virtual") if data.get(f)),
            meta=meta,
        )

    @classmethod
    def from_csv_row(cls, row: Mapping[str, str], *, currency: str | None = None) -> "Product":
        """From one row of WooCommerce's product CSV, keyed by the English column names.

        Descriptions in that format encode line breaks as a literal ``\\n``;
        they are decoded here the way WooCommerce's importer does.
        """
        types = split_list(row.get("Type", ""))
        parent_ref = row.get("Parent", "").strip()
        parent_id: int | None = None
        parent_sku: str | None = None
        if parent_ref.startswith("id:"):
            parent_id = _to_int(parent_ref[3:])
        elif parent_ref:
            parent_sku = parent_ref
        attributes: dict[str, tuple[str, ...]] = {}
        n = 1
        while f"Attribute {n} name" in row:
            name = row[f"Attribute {n} name"].strip()
            if name:
                attributes[name] = tuple(split_list(row.get(f"Attribute {n} value(s)", "")))
            n += 1
        meta = {k[len("Meta: "):]: v for k, v in row.items() if k.startswith("Meta: ") and v != ""}
        stock = row.get("Stock", "").strip()
        return cls(
            id=_to_int(row.get("ID")),
            type=types[0] if types else "simple",
            name=row.get("Name", ""),
            sku=row.get("SKU", ""),
            status=_PUBLISHED.get(row.get("Published", "").strip().lower(), ""),
            parent_id=parent_id,
            parent_sku=parent_sku,
            description=decode_csv_text(row.get("Description", "")),
            short_description=decode_csv_text(row.get("Short description", "")),
            # "Clothing > Tshirts, Music": keep each path's leaf, as the REST API names them.
            categories=tuple(path.split(">")[-1].strip() for path in split_list(row.get("Categories", ""))),
            attributes=attributes,
            regular_price=parse_price(row.get("Regular price")),
            sale_price=parse_price(row.get("Sale price")),
            currency=currency,
            stock_quantity=_to_int(stock) if stock else None,
            flags=frozenset(types[1:]),
            meta=meta,
        )


def decode_csv_text(value: str) -> str:
    """WooCommerce CSV text cell → text: ``\\n`` is a line break, ``\\\\n`` a literal backslash-n."""
    parts = value.split("\\\\n")
    return "\\n".join(p.replace("\\n", "\n") for p in parts)


def encode_csv_text(text: str) -> str:
    """Text → WooCommerce CSV text cell, as its exporter writes it (the inverse of ``decode_csv_text``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\n", "\\\\n").replace("\n", "\\n")


def attribute_pairs(product: Product) -> Sequence[tuple[str, tuple[str, ...]]]:
    """Attributes with at least one option, in their stored order."""
    return [(name, opts) for name, opts in product.attributes.items() if opts]
