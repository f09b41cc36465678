"""Order-status answers for shoppers: the order number must come with the order's billing email.

    status = await order_status(woo, 85, "klaus.m.1987@mailinator.com")
    status.found, status.answer

The order is read through the store's WooCommerce REST client. A wrong
email gets exactly the answer a non-existent order gets (``NOT_FOUND``), so
the endpoint cannot be used to learn which order numbers exist or whose they
are. The answer is written from the order's own fields (no model involved)
and is never cached.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from sovereign.domain.money import PriceFormat, format_price
from sovereign.domain.orders import Order, normalize_email
from sovereign.woo.errors import NotFoundError, WooError

__all__ = ["NEEDS_EMAIL", "NOT_FOUND", "UNAVAILABLE", "OrderStatus", "order_status"]

log = logging.getLogger("sovereign.support")

NOT_FOUND = ("We could not find an order with that number and email address. Please check both "
             "(use the email address the order was placed with) or contact the store.")
NEEDS_EMAIL = "To look up an order, please give the order number together with the email address used for the order."
UNAVAILABLE = "We cannot look up orders right now. Please try again in a few minutes or contact the store."

_STATUS = {
    "pending": "is waiting for payment",
    "processing": "has been paid and is being prepared for shipping",
    "on-hold": "is on hold while the store confirms it",
    "completed": "is complete and has been shipped",
    "cancelled": "was cancelled",
    "refunded": "was refunded",
    "failed": "could not be completed because the payment failed",
    "checkout-draft": "has not been placed yet",
}


@dataclass(frozen=True)
class OrderStatus:
    outcome: str  # order_found | order_not_found | order_needs_email | order_unavailable
    answer: str
    status: str | None = None  # the WooCommerce status, when found

    @property
    def found(self) -> bool:
        return self.outcome == "order_found"


async def order_status(
    get_order: Callable[[int], Awaitable[dict[str, Any]]], order_number: int, email: str | None,
    price_format: PriceFormat | None = None,
) -> OrderStatus:
    """The status answer for ``order_number`` if ``email`` is its billing email; else the not-found answer."""
    given = normalize_email(email)
    if not given:
        return OrderStatus("order_needs_email", NEEDS_EMAIL)
    try:
        body = await get_order(order_number)
    except NotFoundError:
        return OrderStatus("order_not_found", NOT_FOUND)
    except WooError as exc:
        log.warning("order lookup failed: %s", exc)
        return OrderStatus("order_unavailable", UNAVAILABLE)
    order = Order.from_woo(body)
    # compare in constant time, and treat an order without an email like a wrong one
    if not order.email or not hmac.compare_digest(order.email.encode(), given.encode()) or order.id != order_number:
        return OrderStatus("order_not_found", NOT_FOUND)
    return OrderStatus("order_found", describe(order, price_format), order.status)


def describe(order: Order, price_format: PriceFormat | None = None) -> str:
    number = order.number or str(order.id)
    what = _STATUS.get(order.status, f"has the status “{order.status or 'unknown'}”")
    parts = [f"Order #{number}"]
    if order.created is not None:
        parts.append(f"placed on {order.created:%Y-%m-%d}")
    text = ", ".join(parts) + f", {what}."
    items = [f"{li.quantity} × {li.name}" for li in order.line_items if li.name]
    if items:
        text += " Items: " + "; ".join(items[:10]) + ("; …" if len(items) > 10 else "") + "."
    if order.total:
        text += f" Total: {format_price(order.total, order.currency or None, price_format)}."
    return text
