"""The deterministic fraud rules: ``score(order, history, config) -> RulesResult``.

Each rule looks at the order and its history and either stays silent or gives
one ``Reason`` with the signal's weight and a sentence a merchant understands.
The score is the sum of the weights, clamped to 0-100. Same input, same output:
no clock, no randomness, no I/O beyond the static reference data.

Text the customer typed (names, notes, street lines) is never interpreted:
rules read countries, totals, quantities, domains, IPs and counts only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Callable

from . import reference
from .fraud_config import Band, FraudConfig, band_for
from .money import format_price
from .fraud_history import OrderHistory
from .orders import Order
from .safe_text import safe_phrase

__all__ = ["Reason", "RulesResult", "RULES", "score"]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # the signal name (see fraud_config.SIGNALS), or "llm" for the AI review
    weight: int  # points it added
    text: str  # plain language, safe to show the merchant; carries no personal data


@dataclass(frozen=True, slots=True)
class RulesResult:
    score: int  # 0-100
    band: str
    reasons: tuple[Reason, ...]  # heaviest first
    threshold: int  # the hold threshold that applies to this order (category overrides included)
    bands: tuple[Band, ...] = field(default=(), repr=False, compare=False)


Rule = Callable[[Order, OrderHistory, FraudConfig], "str | None"]


def _money(amount: Decimal, currency: str, config: FraudConfig) -> str:
    return format_price(amount, currency if _CURRENCY.match(currency) else None, config.price_format)


_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _cc(code: str) -> str:
    """A country code for a note; customer text in the country field never reaches one."""
    return code if _COUNTRY.match(code) else "(not a country code)"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} seconds"


def _first_order(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    if not order.email or history.email_prior_orders:
        return None
    return "First order from this email address"


def _country_mismatch(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    billing, shipping = order.billing.country, order.shipping.country if order.shipping else ""
    if billing and shipping and billing != shipping:
        return f"Billing country {_cc(billing)} differs from shipping country {_cc(shipping)}"
    return None


def _ip_country_mismatch(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    ip_country, billing = reference.ip_country(order.ip), order.billing.country
    if ip_country and billing and ip_country != billing:
        return f"The order was placed from an IP address in {ip_country}, but the billing country is {_cc(billing)}"
    return None


def _phone_country_mismatch(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    phone_country, billing = reference.phone_country(order.phone), order.billing.country
    if phone_country and billing and phone_country != billing:
        return f"Phone number is registered in {phone_country}, but the billing country is {_cc(billing)}"
    return None


def _disposable_email(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    domain = reference.email_domain(order.email)
    if domain and reference.is_disposable_email_domain(domain):
        return f"Email domain {domain} is a disposable (throwaway) mailbox service"
    return None


def _free_email(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    domain = reference.email_domain(order.email)
    if config.free_email_policy == "flag" and domain and reference.is_free_email_domain(domain):
        return f"Email domain {domain} is a free webmail provider"
    return None


def _unsafe_country(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    if not config.unsafe_countries:
        return None
    places = (
        ("billing", order.billing.country),
        ("shipping", order.shipping.country if order.shipping else ""),
        ("IP", reference.ip_country(order.ip) or ""),
    )
    hits = [f"{what} country {_cc(code)}" for what, code in places if code and code in config.unsafe_countries]
    if not hits:
        return None
    listed = ", ".join(hits)
    verb = "is" if len(hits) == 1 else "are"
    return f"{listed[0].upper()}{listed[1:]} {verb} on the store's list of unsafe countries"


def _high_total(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    if order.total >= config.absolute_total_bound:
        return (f"Order total {_money(order.total, order.currency, config)} is at or above the review limit of "
                f"{_money(config.absolute_total_bound, order.currency, config)}")
    return None


def _above_average(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    average = history.store_average_total
    if not average or average <= 0 or history.store_order_count < config.average_min_orders:
        return None
    ratio = order.total / average
    if ratio > config.average_multiplier:
        return (f"Order total {_money(order.total, order.currency, config)} is {ratio:.1f} times the store's average "
                f"of {_money(average, order.currency, config)}")
    return None


def _large_quantity(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    big = [li for li in order.line_items if li.quantity >= config.large_quantity]
    if not big:
        return None
    item = max(big, key=lambda li: li.quantity)
    more = f" (and {len(big) - 1} more line(s))" if len(big) > 1 else ""
    return f"Unusually large quantity: {item.quantity} x {safe_phrase(item.name) or f'product #{item.product_id}'}{more}"


def _probe_order(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    if Decimal("0") < order.total <= config.probe_total:
        return (f"Very small order total {_money(order.total, order.currency, config)}, typical of card-testing "
                "probes")
    return None


def _email_velocity(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    count = history.email_orders_in_window + 1
    if order.email and count > config.email_velocity_limit:
        return f"{count} orders from this email address within {_span(config.velocity_window)}"
    return None


def _ip_velocity(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    count = history.ip_orders_in_window + 1
    if order.ip and count > config.ip_velocity_limit:
        return f"{count} orders from this IP address within {_span(config.velocity_window)}"
    return None


def _card_testing(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    identities = history.ip_other_identities_in_window + 1
    if order.ip and identities >= config.card_testing_identities:
        return (f"{identities} different customers (email addresses) ordered from this IP address within "
                f"{_span(config.velocity_window)}, a card-testing pattern")
    return None


def _shared_address(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    n = history.address_other_emails
    if n:
        plural = "es" if n != 1 else ""
        return f"The billing or shipping address was used on earlier orders under {n} other email address{plural}"
    return None


_VIA = {"email": "email address", "ip": "IP address", "phone": "phone number", "address": "address"}


def _linked_to_held(order: Order, history: OrderHistory, config: FraudConfig) -> str | None:
    if not history.held_links:
        return None
    by_via: dict[str, list[str]] = {}
    for link in history.held_links:
        by_via.setdefault(link.via, []).append(f"#{link.order_id}")
    parts = [f"its {_VIA[via]} with order {', '.join(ids)}" for via, ids in sorted(by_via.items())]
    return f"Shares {'; '.join(parts)}, put on hold earlier"


RULES: dict[str, Rule] = {
    "first_order": _first_order,
    "country_mismatch": _country_mismatch,
    "ip_country_mismatch": _ip_country_mismatch,
    "phone_country_mismatch": _phone_country_mismatch,
    "disposable_email": _disposable_email,
    "free_email": _free_email,
    "unsafe_country": _unsafe_country,
    "high_total": _high_total,
    "above_average": _above_average,
    "large_quantity": _large_quantity,
    "probe_order": _probe_order,
    "email_velocity": _email_velocity,
    "ip_velocity": _ip_velocity,
    "card_testing": _card_testing,
    "shared_address": _shared_address,
    "linked_to_held": _linked_to_held,
}


def score(order: Order, history: OrderHistory, config: FraudConfig) -> RulesResult:
    """Run every rule with a non-zero weight; the config is first narrowed to the order's categories."""
    effective = config.for_categories(order.category_ids)
    weights = effective.weights.model_dump()
    reasons: list[Reason] = []
    for code, rule in RULES.items():
        weight = weights[code]
        if weight <= 0:
            continue
        text = rule(order, history, effective)
        if text:
            reasons.append(Reason(code, weight, text))
    reasons.sort(key=lambda r: -r.weight)  # stable: equal weights keep rule order
    total = max(0, min(100, sum(r.weight for r in reasons)))
    return RulesResult(
        score=total,
        band=band_for(effective.bands, total),
        reasons=tuple(reasons),
        threshold=effective.threshold,
        bands=effective.bands,
    )
