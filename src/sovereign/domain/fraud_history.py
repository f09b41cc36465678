"""What the store knows about an order's past: the plain facts the fraud rules read.

The caller (the fraud job) loads earlier orders from its database and either
fills ``OrderHistory`` itself from SQL aggregates or hands the orders to
``build_history``, which computes every field from them:

    history = build_history(order, earlier_orders, config=config, held_ids={50, 52})

Counts never include the order being scored.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Collection, Iterable, Literal

from .fraud_config import FraudConfig
from .orders import Order, address_key

__all__ = ["HeldLink", "OrderHistory", "build_history", "email_key", "ip_key"]

LinkKind = Literal["email", "ip", "phone", "address"]


@dataclass(frozen=True, slots=True)
class HeldLink:
    """An earlier order that was put on hold and shares something with this one."""

    order_id: int
    via: LinkKind


@dataclass(frozen=True, slots=True)
class OrderHistory:
    email_prior_orders: int = 0  # earlier orders with this email, any time
    email_first_seen: datetime | None = None
    email_orders_in_window: int = 0  # earlier orders with this email inside the velocity window
    ip_orders_in_window: int = 0  # earlier orders from this IP (IPv6: same /64) inside the window
    ip_other_identities_in_window: int = 0  # distinct other email addresses seen on this IP inside the window
    address_other_emails: int = 0  # other emails that used this order's address first (not this email's own)
    held_links: tuple[HeldLink, ...] = ()  # earlier held orders sharing email, IP, phone or (not own) address
    store_average_total: Decimal | None = None  # mean total of earlier orders in the same currency
    store_order_count: int = 0  # how many orders that mean is over


def email_key(email: str) -> str:
    """Identity of a mailbox: lower case, ``+tag`` dropped, Gmail dots ignored."""
    if "@" not in email:
        return ""
    local, domain = email.lower().rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def ip_key(ip: str | None) -> str:
    """IPv4 address as is; IPv6 by its /64 network, which one subscriber usually holds whole."""
    if not ip:
        return ""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if addr.version == 6:
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


def _phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 7 else ""


def _addresses(order: Order) -> set[str]:
    return {k for k in (address_key(order.billing), address_key(order.shipping)) if k}


def _within(order: Order, other: Order, span: timedelta) -> bool:
    if order.created is None or other.created is None:
        return False
    return order.created - other.created <= span


def build_history(
    order: Order,
    earlier: Iterable[Order],
    *,
    config: FraudConfig,
    held_ids: Collection[int] = (),
) -> OrderHistory:
    """Compute ``OrderHistory`` for ``order`` from the store's earlier orders.

    ``earlier`` may hold anything the caller has (the order itself and orders
    created after it are skipped). ``held_ids`` are the ids of earlier orders
    this service put on hold. Velocity counts use ``config.velocity_window``;
    shared addresses and held links use ``config.link_lookback``.
    """
    me_email, me_ip = email_key(order.email), ip_key(order.ip)
    me_phone, me_addresses = _phone_key(order.phone), _addresses(order)
    held = set(held_ids)

    email_prior = email_window = ip_window = 0
    first_seen: datetime | None = None
    ip_emails: set[str] = set()
    own_places: set[str] = set()  # addresses this email used before: its own, whoever else used them
    place_emails: dict[str, set[str]] = {}
    held_places: dict[str, set[int]] = {}
    links: set[HeldLink] = set()
    totals: list[Decimal] = []

    for other in earlier:
        if other.id == order.id:
            continue
        if order.created and other.created and (other.created, other.id) > (order.created, order.id):
            continue  # created later (same second: the higher id is the later order)
        other_email, other_ip = email_key(other.email), ip_key(other.ip)
        same_email = bool(me_email) and other_email == me_email
        same_ip = bool(me_ip) and other_ip == me_ip
        in_window = _within(order, other, config.velocity_window)
        in_lookback = _within(order, other, config.link_lookback)

        if same_email:
            email_prior += 1
            if other.created and (first_seen is None or other.created < first_seen):
                first_seen = other.created
            email_window += in_window
        if same_ip and in_window:
            ip_window += 1
            if other_email and other_email != me_email:
                ip_emails.add(other_email)
        shared_places = me_addresses & _addresses(other)
        if same_email:
            own_places |= shared_places
        elif in_lookback and other_email:
            for place in shared_places:
                place_emails.setdefault(place, set()).add(other_email)
        if other.id in held and in_lookback:
            if same_email:
                links.add(HeldLink(other.id, "email"))
            if same_ip:
                links.add(HeldLink(other.id, "ip"))
            if me_phone and _phone_key(other.phone) == me_phone:
                links.add(HeldLink(other.id, "phone"))
            for place in shared_places:
                held_places.setdefault(place, set()).add(other.id)
        if other.currency == order.currency and other.total > 0:
            totals.append(other.total)

    # An address this customer used before is theirs: someone else borrowing it says nothing about them.
    links.update(HeldLink(i, "address") for place, ids in held_places.items() if place not in own_places for i in ids)
    address_emails: set[str] = set().union(*(e for place, e in place_emails.items() if place not in own_places))
    average = (sum(totals, Decimal("0")) / len(totals)).quantize(Decimal("0.01")) if totals else None
    return OrderHistory(
        email_prior_orders=email_prior,
        email_first_seen=first_seen,
        email_orders_in_window=email_window,
        ip_orders_in_window=ip_window,
        ip_other_identities_in_window=len(ip_emails),
        address_other_emails=len(address_emails),
        held_links=tuple(sorted(links, key=lambda link: (link.order_id, link.via))),
        store_average_total=average,
        store_order_count=len(totals),
    )
