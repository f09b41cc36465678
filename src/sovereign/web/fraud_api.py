"""POST /v1/fraud/score: an order's fraud score within 4 s, for a store's checkout.

    POST /v1/fraud/score
    Authorization: Bearer sk-sov-…            (a key allowed the "fraud" feature)
    {"store": "shop", "order": {…WooCommerce order JSON…}}     ("store" is optional)

    200 {"score": 90, "band": "high", "threshold": 70, "decision": "hold",
         "reasons": [{"code": "disposable_email", "text": "…", "weight": 50}, …],
         "llm": "ok" | "degraded" | "deadline" | …, "degraded": false, "elapsed_ms": 12.3, …}

401 without a valid key, 403 for a key without the ``fraud`` feature, 400 for
a body that is not an order, 404 for an unknown store. Nothing is written to
WooCommerce; see ``sovereign.features.fraud.inline`` for the time budget.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sovereign.domain.untrusted_json import UntrustedJson, load_untrusted
from sovereign.features.fraud.inline import score_inline
from sovereign.features.fraud.scoring import InvalidFraudSettings
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import require_feature
from sovereign.web.errors import ApiError
from sovereign.web.deps import RuntimeDep

__all__ = ["router", "order_problem"]

router = APIRouter()

_OBJECTS = ("billing", "shipping")
_LISTS = ("line_items", "shipping_lines", "coupon_lines", "fee_lines", "meta_data")
_NUMBERS = ("total", "id", "customer_id")
_IDS = ("id", "customer_id")
_MAX_ID = 2**63 - 1


@router.post("/v1/fraud/score")
async def score(rt: RuntimeDep, request: Request, key: ApiKey = Depends(require_feature("fraud"))) -> JSONResponse:
    started = time.monotonic()
    store_id, order = _parse(await request.body())
    store = None
    if store_id is not None:
        store = await rt.stores.get(store_id)
        if store is None:
            raise ApiError(404, f"no store {store_id!r} is connected", "unknown_store")
    try:
        result = await score_inline(rt, store, order, started=started)
    except InvalidFraudSettings as exc:
        raise ApiError(409, str(exc), "invalid_store_settings") from None
    return JSONResponse(result.as_json())


def _parse(raw: bytes) -> tuple[str | None, dict[str, Any]]:
    try:
        doc = load_untrusted(raw)
    except UntrustedJson as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(doc, dict):
        raise ApiError(400, 'the request body must be a JSON object: {"store": "<id>", "order": {...}}',
                       "invalid_request")
    store = doc.get("store")
    if store is not None and (not isinstance(store, str) or not store):
        raise ApiError(400, "store must be a store id (a string)", "invalid_store")
    order = doc.get("order")
    problem = order_problem(order)
    if problem:
        raise ApiError(400, problem, "invalid_order")
    return store, order


def order_problem(order: Any) -> str | None:
    """Why ``order`` is not a usable WooCommerce order JSON object, or None when it is."""
    if not isinstance(order, dict):
        return "order must be a WooCommerce order JSON object"
    for name in _OBJECTS:
        if order.get(name) is not None and not isinstance(order[name], dict):
            return f"order.{name} must be an object"
    for name in _LISTS:
        if order.get(name) is not None and not isinstance(order[name], list):
            return f"order.{name} must be a list"
    for name in _NUMBERS:
        value = order.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not _numeric(value):
            return f"order.{name} must be a number"
        if name in _IDS and not _id(value):
            return f"order.{name} must be a whole number from 0 to {_MAX_ID}"
    if not isinstance(order.get("billing"), dict) and not order.get("line_items"):
        return "order has neither billing details nor line items: nothing to score"
    return None


def _id(value: Any) -> bool:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.isascii() and text.isdigit():
        text = int(text)
    return isinstance(text, int) and 0 <= text <= _MAX_ID


def _numeric(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, str):
        try:
            return _numeric(float(value.strip()))
        except ValueError:
            return False
    return False
