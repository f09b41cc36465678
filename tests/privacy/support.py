"""The captured order and helpers to prove that none of its personal values left."""

from __future__ import annotations

import json
import unicodedata

from sovereign.domain.fraud_config import FraudConfig
from sovereign.domain.fraud_history import OrderHistory
from sovereign.domain.fraud_llm import LLM_ANSWER_SCHEMA, build_llm_messages
from sovereign.domain.fraud_rules import score
from sovereign.domain.orders import Order
from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest
from sovereign_testkit.fixtures import load_json
from sovereign.features.prompts import chat_messages


def order() -> Order:
    return Order.from_woo(load_json("order_single.json"))


def fraud_request(o: Order | None = None, **kw: object) -> ChatRequest:
    """The fraud feature's real prompt for the captured order, as the feature sends it."""
    o = o or order()
    messages = chat_messages(build_llm_messages(o, score(o, OrderHistory(), FraudConfig())))
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
