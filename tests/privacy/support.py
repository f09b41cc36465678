"""The captured order and helpers to prove that none of its personal values left."""

from __future__ import annotations

import json
import unicodedata

from sovereign.domain.fraud_llm import LLM_ANSWER_SCHEMA
from sovereign.domain.orders import Order
from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest
from sovereign.gateway.types import Message
from sovereign_testkit.fixtures import load_json
from sovereign_testkit.personal_prompts import whole_order_messages


def order() -> Order:
    return Order.from_woo(load_json("order_single.json"))


def fraud_request(o: Order | None = None, **kw: object) -> ChatRequest:
    """A prompt that carries the captured order's personal values (the fraud feature's own prompt is
    facts only), with the order as its deny-list record, as a /v1 or support caller would send it."""
    o = o or order()
    messages = [Message(role, text) for role, text in whole_order_messages(o)]  # type: ignore[arg-type]
    kw.setdefault("json_schema", LLM_ANSWER_SCHEMA)
    return ChatRequest(messages=messages, feature="fraud", data_class=CUSTOMER_PERSONAL, record=o.personal_fields(),
                       **kw)  # type: ignore[arg-type]


def spellings(value: str) -> set[bytes]:
    """The byte strings ``value`` could travel as: UTF-8 (NFC and NFD), JSON-escaped, any case."""
    out: set[bytes] = set()
    for v in (value, value.lower(), value.upper()):
        for form in ("NFC", "NFD"):
            s = unicodedata.normalize(form, v)
            out.add(s.encode())
            out.add(json.dumps(s)[1:-1].encode())
    return out


def leaks(body: bytes, personal: dict[str, str]) -> list[str]:
    """The record fields any spelling of which appears in ``body``."""
    return [k for k, v in personal.items() if any(s in body for s in spellings(v))]
