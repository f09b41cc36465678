"""The out-of-jurisdiction measurement finds personal data in prompts that carry whole orders, and none once
redacted (Sovereign's own fraud prompt is facts only; a /v1 caller may still paste a whole order)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from sovereign.domain.orders import Order
from sovereign.drills.orders import burst_orders, personal_values
from sovereign.drills.residency import find_leaks
from sovereign.privacy import Redactor
from sovereign_testkit.fixtures import load_json
from sovereign_testkit.personal_prompts import whole_order_messages

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)  # Black Friday


def _orders(n: int = 44) -> list[dict]:
    return burst_orders(load_json("orders.json"), n, first_id=500_000, now=NOW)


def _request_body(body: dict, *, redactor: Redactor | None = None) -> bytes:
    """The OpenAI-shaped request a provider receives for a prompt carrying this order (optionally redacted)."""
    order = Order.from_woo(body)
    texts = [text for _, text in whole_order_messages(order)]
    if redactor is not None:
        texts = redactor.redact(texts, order.personal_fields()).texts
    messages = [{"role": role, "content": t} for role, t in zip(("system", "user"), texts)]
    return json.dumps({"model": "cloud-model", "messages": messages}).encode()  # ASCII escapes, like httpx


def test_raw_prompts_leak_and_every_order_is_caught() -> None:
    orders = _orders()
    bodies = [_request_body(o) for o in orders]
    leaks = find_leaks(bodies, personal_values(orders))
    assert leaks.requests == len(orders) and leaks.requests_with_leaks == len(orders)
    assert leaks.bytes > 1000 and leaks.matches >= len(orders)
    # non-Latin and accented addresses travel as \\u escapes in the JSON body: found all the same
    non_ascii = [b for o, b in zip(orders, bodies) if any(ord(c) > 127 for c in json.dumps(o["billing"],
                                                                                             ensure_ascii=False))]
    assert non_ascii and find_leaks(non_ascii, personal_values(orders)).requests_with_leaks == len(non_ascii)
    assert all("…" in e for e in leaks.masked_examples)  # the report never repeats a personal value


def test_accent_folded_and_differently_cased_values_still_count() -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "ship to JOSE MULLER, muellerstrasse"}]}).encode()
    leaks = find_leaks([body], {"José Müller"})
    assert leaks.matches == 1 and leaks.bytes == len("jose muller")


def test_a_value_inside_a_longer_word_is_not_a_leak() -> None:
    body = b'{"messages": [{"role": "user", "content": "Annabel bought a Belt"}]}'
    assert find_leaks([body], {"Anna", "Bel"}).bytes == 0


@pytest.mark.slow
def test_redacted_prompts_carry_no_personal_value() -> None:
    orders = _orders()
    redactor = Redactor()
    bodies = [_request_body(o, redactor=redactor) for o in orders]
    leaks = find_leaks(bodies, personal_values(orders))
    assert leaks.requests == len(orders)
    assert leaks.bytes == 0, leaks.masked_examples
