"""Prompts that carry an order's personal values, for testing what keeps them in their jurisdiction.

Sovereign's own fraud review sends the model facts only (no names, addresses or
customer-typed text), so it no longer makes a good specimen. The redactor and the
residency policy still guard every other caller: a plugin on ``/v1`` or a support
integration that pastes a whole order into its prompt. ``whole_order_messages`` is
such a prompt: the order as JSON with both addresses, billing first, then shipping.
"""

from __future__ import annotations

import json
from typing import Any

from sovereign.domain.orders import Address, Order

__all__ = ["whole_order", "whole_order_messages"]

SYSTEM = "You are an assistant for an online shop. Answer the question about the order below."


def _address(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    fields = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country")
    return {name: getattr(address, name) for name in fields if getattr(address, name)}


def whole_order(order: Order) -> dict[str, Any]:
    return {
        "total": f"{order.total:.2f}",
        "currency": order.currency,
        "payment_method": order.payment_method,
        "billing": _address(order.billing),
        "shipping": _address(order.shipping),
        "items": [{"name": li.name, "quantity": li.quantity, "total": f"{li.total:.2f}"} for li in order.line_items],
        "customer_note": order.customer_note,
    }


def whole_order_messages(order: Order, question: str = "Is this order likely to be fraudulent?") -> list[tuple[str, str]]:
    """(role, text) pairs: the system prompt, then the question and the whole order."""
    block = json.dumps(whole_order(order), ensure_ascii=False, indent=1)
    return [("system", SYSTEM), ("user", f"{question}\n\n<order>\n{block}\n</order>")]
