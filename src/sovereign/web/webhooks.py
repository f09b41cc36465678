"""POST /webhooks/woocommerce/{store}: verify, store, schedule, answer fast.

Order of checks: size (middleware) → known store → ping (200) → signature over
the raw bytes, constant time (401, nothing stored) → parse (400) → one
transaction that stores the event and schedules its jobs. A delivery whose
content was already received (same store, resource, id and body hash) stores
and schedules nothing and is answered 200, so WooCommerce never disables the
webhook for it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from sovereign.features.storesync.ingest import ingest
from sovereign.store.webhook_receipts import WebhookReceipts
from sovereign.woo.webhooks import InvalidDelivery, header, parse_delivery, ping_webhook_id, verify_signature
from sovereign.web.errors import error_response
from sovereign.web.deps import RuntimeDep, web_state

router = APIRouter()
log = logging.getLogger("sovereign.webhooks")

DELIVERIES = Counter("sovereign_webhook_deliveries_total", "WooCommerce webhook deliveries by result", ["store", "result"])


@router.post("/webhooks/woocommerce/{store_id}")
async def receive(rt: RuntimeDep, store_id: str, request: Request) -> JSONResponse:
    store = await rt.stores.get(store_id)
    if store is None:
        DELIVERIES.labels("unknown", "unknown_store").inc()
        return error_response(404, f"no store {store_id!r} is connected", "unknown_store")
    raw = await request.body()
    headers = request.headers
    ping_id = ping_webhook_id(headers.items(), raw)
    if ping_id is not None:
        DELIVERIES.labels(store_id, "ping").inc()
        log.info("webhook ping for store %s (webhook %s)", store_id, ping_id)
        await _receipt(web_state(request).receipts, store_id, ping_id, "ping")
        return JSONResponse({"ok": True, "ping": True})
    if not verify_signature(raw, header(headers.items(), "X-WC-Webhook-Signature"), store.webhook_secret):
        DELIVERIES.labels(store_id, "bad_signature").inc()
        log.warning("webhook for store %s refused: missing or bad signature", store_id)
        return error_response(401, "missing or invalid X-WC-Webhook-Signature", "bad_signature")
    try:
        delivery = parse_delivery(raw, headers.items())
    except InvalidDelivery as exc:
        DELIVERIES.labels(store_id, "invalid").inc()
        return error_response(400, str(exc), "invalid_delivery")

    try:
        result = await ingest(rt.db.pool, rt.queue, store, delivery)
    except ValueError as exc:  # e.g. a body PostgreSQL's jsonb refuses (\u0000)
        DELIVERIES.labels(store_id, "invalid").inc()
        return error_response(400, f"delivery refused: {exc}", "invalid_delivery")
    await _receipt(web_state(request).receipts, store_id, delivery.webhook_id, "delivery")
    if result.duplicate:
        DELIVERIES.labels(store_id, "duplicate").inc()
        return JSONResponse({"ok": True, "duplicate": True})
    DELIVERIES.labels(store_id, result.plan.outcome).inc()
    log.info("webhook %s %s for store %s: %s", delivery.topic, delivery.resource_id, store_id, result.plan.detail)
    return JSONResponse({"ok": True, "event_id": result.event_id, "outcome": result.plan.outcome, "jobs": list(result.job_ids)})


async def _receipt(receipts: WebhookReceipts, store_id: str, webhook_id: int, kind: str) -> None:
    """Proof for `connect` that this webhook reaches us; best effort (a ping is answered 200 regardless)."""
    try:
        await receipts.record(store_id, webhook_id, kind)
    except Exception as exc:  # noqa: BLE001 - the delivery itself was handled
        log.warning("could not record the %s of webhook %s for store %s: %s", kind, webhook_id, store_id, exc)
