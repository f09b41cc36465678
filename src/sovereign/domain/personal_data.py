"""Personal data in what WooCommerce sent us: what a body keeps once its retention is over, and how a
data subject is named in the audit log (a hash, never the email or the order number itself). Pure."""

from __future__ import annotations

import hashlib
from typing import Any

MINIMISED = "_minimised"
ERASED = "_erased"

# What an order keeps: amounts, dates, status and what was bought (forecasts and the console use them);
# no names, addresses, emails, phones, IP addresses, user agents, notes or meta data.
_ORDER_KEEP = frozenset({
    "id", "parent_id", "number", "status", "currency", "version", "prices_include_tax",
    "date_created", "date_created_gmt", "date_modified", "date_modified_gmt", "date_paid", "date_paid_gmt",
    "date_completed", "date_completed_gmt", "discount_total", "discount_tax", "shipping_total", "shipping_tax",
    "cart_tax", "total", "total_tax", "payment_method", "created_via",
})
_LINE_KEEP = frozenset({"id", "product_id", "variation_id", "quantity", "subtotal", "subtotal_tax", "total",
                        "total_tax", "sku", "price", "name"})
_SHIPPING_LINE_KEEP = frozenset({"id", "method_id", "method_title", "total", "total_tax"})
_CUSTOMER_KEEP = frozenset({"id", "date_created", "date_created_gmt", "role", "is_paying_customer"})

PERSONAL_RESOURCES = ("order", "customer")


def _keep(doc: Any, keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k in keys} if isinstance(doc, dict) else {}


def minimise(resource: str, body: Any) -> Any:
    """The body without personal data (orders and customers; other resources carry none)."""
    if resource not in PERSONAL_RESOURCES or not isinstance(body, dict) or body.get(MINIMISED) or body.get(ERASED):
        return body
    if resource == "customer":
        out = _keep(body, _CUSTOMER_KEEP)
    else:
        out = _keep(body, _ORDER_KEEP)
        out["line_items"] = [_keep(li, _LINE_KEEP) for li in body.get("line_items") or [] if isinstance(li, dict)]
        out["shipping_lines"] = [_keep(sl, _SHIPPING_LINE_KEEP) for sl in body.get("shipping_lines") or []
                                 if isinstance(sl, dict)]
    out[MINIMISED] = True
    return out


def erased(resource_id: int | None) -> dict[str, Any]:
    """What an erased body becomes: its id (so the row still dedupes redeliveries) and a marker."""
    return {"id": resource_id, ERASED: True}


MIN_TERM = 6  # shorter strings would match other people's text too often


def identifying_terms(email: str | None, bodies: list[Any]) -> list[str]:
    """What names the data subject in free text (a cached answer, an assistant transcript), lower-cased:
    the email, and from their orders' bodies every billing/shipping email, phone, full name and first
    address line. A cached answer about order 85 that says "Klaus Meyer, Hauptstraße 5" is found though
    it never names the email. Terms shorter than ``MIN_TERM`` are left out (they would match others)."""
    terms: set[str] = {email.strip().lower()} if email else set()
    for body in bodies:
        if not isinstance(body, dict):
            continue
        for part in ("billing", "shipping"):
            who = body.get(part)
            if not isinstance(who, dict):
                continue
            name = " ".join(str(who.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
            for value in (who.get("email"), who.get("phone"), name, who.get("address_1")):
                if isinstance(value, str) and len(value.strip()) >= MIN_TERM:
                    terms.add(" ".join(value.lower().split()))
    return sorted(terms)


def normalise_email(email: str) -> str:
    e = email.strip().lower()
    if "@" not in e or len(e) > 320 or any(c.isspace() for c in e):
        raise ValueError(f"not an email address: {email!r}")
    return e


def subject_sha256(*, email: str | None = None, order: int | None = None, store_id: str | None = None) -> str:
    """The data subject as the audit log names it."""
    name = f"email:{normalise_email(email)}" if email else f"order:{store_id or '*'}:{order}"
    return hashlib.sha256(name.encode("utf-8")).hexdigest()
