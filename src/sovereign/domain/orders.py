"""A WooCommerce order as the domain sees it, parsed from REST or webhook JSON.

The REST body (``GET /orders/{id}``) and the ``order.*`` webhook body have the
same shape. Parsing is forgiving: missing keys, ``null``, empty strings and
malformed numbers give empty values, never an exception, because a fraud check
must not crash on a strange order.

    order = Order.from_woo(body)
    order.total            # Decimal("949.90")
    order.shipping         # None for virtual-only orders
    order.personal_fields()  # deny-list for redaction
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

__all__ = ["Address", "LineItem", "Order", "address_key", "normalize_email"]


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


_INT64 = 2**63 - 1


def _int(value: Any) -> int:
    """An integer that fits PostgreSQL's bigint; anything else (``"1e30"``, ``"inf"``, ``[]``) is 0."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            number = int(Decimal(str(value)))
        except (InvalidOperation, ValueError, OverflowError):
            return 0
    return number if -_INT64 - 1 <= number <= _INT64 else 0


def _decimal(value: Any) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return Decimal("0")
    return d if d.is_finite() else Decimal("0")


def _gmt(value: Any) -> datetime | None:
    """WooCommerce ``*_gmt`` fields are UTC without an offset: ``2026-11-22T16:22:23``."""
    text = _text(value)
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _ip(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))  # canonical form (IPv6 compressed, lower case)
    except ValueError:
        return None


def normalize_email(email: Any) -> str:
    """Trimmed, lower-cased email address (``""`` when missing or without ``@``)."""
    text = _text(email).lower()
    return text if "@" in text else ""


def _fold(text: str) -> str:
    """Case- and punctuation-insensitive form for comparing address lines."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


@dataclass(frozen=True, slots=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166 alpha-2, upper case, "" when unknown
    phone: str = ""

    @classmethod
    def from_woo(cls, data: Any) -> "Address":
        d = data if isinstance(data, Mapping) else {}
        return cls(
            first_name=_text(d.get("first_name")),
            last_name=_text(d.get("last_name")),
            company=_text(d.get("company")),
            address_1=_text(d.get("address_1")),
            address_2=_text(d.get("address_2")),
            city=_text(d.get("city")),
            state=_text(d.get("state")),
            postcode=_text(d.get("postcode")),
            country=_text(d.get("country")).upper(),
            phone=_text(d.get("phone")),
        )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_empty(self) -> bool:
        return not any((self.first_name, self.last_name, self.company, self.address_1, self.city, self.postcode,
                        self.country))


def address_key(address: Address | None) -> str:
    """A comparable key for "the same place": street line, postcode (or city) and country.

    ``""`` when the address has no street line, so empty addresses never match.
    """
    if address is None or not address.address_1:
        return ""
    return "|".join((_fold(address.address_1), _fold(address.postcode or address.city), address.country))


@dataclass(frozen=True, slots=True)
class LineItem:
    product_id: int
    variation_id: int = 0
    name: str = ""
    quantity: int = 0
    total: Decimal = Decimal("0")
    category_ids: tuple[int, ...] = ()  # not in WooCommerce order JSON; see Order.with_categories

    @classmethod
    def from_woo(cls, data: Any) -> "LineItem":
        d = data if isinstance(data, Mapping) else {}
        return cls(
            product_id=_int(d.get("product_id")),
            variation_id=_int(d.get("variation_id")),
            name=_text(d.get("name")),
            quantity=_int(d.get("quantity")),
            total=_decimal(d.get("total")),
        )


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    number: str = ""
    status: str = ""
    currency: str = ""
    total: Decimal = Decimal("0")
    customer_id: int = 0  # 0 for guest orders
    email: str = ""  # normalised billing email
    billing: Address = field(default_factory=Address)
    shipping: Address | None = None  # None when the order has no shipping address (virtual goods)
    ip: str | None = None  # canonical textual form
    user_agent: str = ""
    created: datetime | None = None  # aware, UTC, from date_created_gmt
    payment_method: str = ""
    line_items: tuple[LineItem, ...] = ()
    shipping_methods: tuple[str, ...] = ()  # method ids: flat_rate, local_pickup, ...
    coupons: tuple[str, ...] = ()  # lower-cased codes
    customer_note: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_woo(cls, data: Mapping[str, Any]) -> "Order":
        """Parse a WooCommerce REST or webhook order body."""
        raw_billing = data.get("billing") if isinstance(data.get("billing"), Mapping) else {}
        billing = Address.from_woo(raw_billing)
        shipping = Address.from_woo(data.get("shipping"))
        meta: dict[str, Any] = {}
        for entry in data.get("meta_data") or ():
            if isinstance(entry, Mapping) and _text(entry.get("key")):
                meta[_text(entry.get("key"))] = entry.get("value")
        return cls(
            id=_int(data.get("id")),
            number=_text(data.get("number")) or _text(data.get("id")),
            status=_text(data.get("status")),
            currency=_text(data.get("currency")).upper(),
            total=_decimal(data.get("total")),
            customer_id=_int(data.get("customer_id")),
            email=normalize_email(raw_billing.get("email")),
            billing=billing,
            shipping=None if shipping.is_empty else shipping,
            ip=_ip(data.get("customer_ip_address")),
            user_agent=_text(data.get("customer_user_agent")),
            created=_gmt(data.get("date_created_gmt")),
            payment_method=_text(data.get("payment_method")),
            line_items=tuple(LineItem.from_woo(li) for li in data.get("line_items") or () if isinstance(li, Mapping)),
            shipping_methods=tuple(
                _text(sl.get("method_id")) for sl in data.get("shipping_lines") or () if isinstance(sl, Mapping)
            ),
            coupons=tuple(
                _text(c.get("code")).lower() for c in data.get("coupon_lines") or () if isinstance(c, Mapping)
            ),
            customer_note=_text(data.get("customer_note")),
            meta=meta,
        )

    def with_categories(self, categories: Mapping[int, Iterable[int]]) -> "Order":
        """A copy whose line items carry category ids, looked up by product id (the caller knows the catalogue)."""
        items = tuple(replace(li, category_ids=tuple(sorted(set(categories.get(li.product_id, ())))))
                      for li in self.line_items)
        return replace(self, line_items=items)

    @property
    def category_ids(self) -> frozenset[int]:
        return frozenset(c for li in self.line_items for c in li.category_ids)

    @property
    def is_guest(self) -> bool:
        return self.customer_id == 0

    @property
    def phone(self) -> str:
        return self.billing.phone or (self.shipping.phone if self.shipping else "")

    def personal_fields(self) -> dict[str, str]:
        """Every personal value in the order, keyed by where it came from (for redaction deny-lists).

        Names, email, phones, company, street lines, postcode, city and IP of
        billing and shipping. Empty values are left out.
        """
        out: dict[str, str] = {"email": self.email, "ip": self.ip or ""}
        for prefix, addr in (("billing", self.billing), ("shipping", self.shipping)):
            if addr is None:
                continue
            for name in ("first_name", "last_name", "company", "address_1", "address_2", "city", "postcode", "phone"):
                out[f"{prefix}.{name}"] = getattr(addr, name)
            out[f"{prefix}.full_name"] = addr.full_name if addr.first_name and addr.last_name else ""
        return {k: v for k, v in out.items() if v}
