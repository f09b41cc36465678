"""POST /webhooks/woocommerce/{store}: verify, store, schedule, answer fast.

Order of checks: size (middleware) → known store → ping (200) → signature over
the raw bytes, constant time (401, nothing stored) → parse (400) → one
transaction that stores the event and schedules its jobs. A delivery whose
content was already received (same store, resource, id and body hash) stores
and schedules nothing and is answered 200, so WooCommerce never disables the
webhook for it.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from sovereign.features.routing import plan_delivery
from sovereign.woo.webhooks import InvalidDelivery, header, is_ping, parse_delivery, verify_signature
from sovereign.web.errors import error_response

router = APIRouter()
log = logging.getLogger("sovereign.webhooks")

DELIVERIES = Counter("sovereign_webhook_deliveries_total", "WooCommerce webhook deliveries by result", ["store", "result"])


@router.post("/webhooks/woocommerce/{store_id}")
async def receive(store_id: str, request: Request) -> JSONResponse:
    rt = request.app.state.runtime
    store = await rt.stores.get(store_id)
    if store is None:
        DELIVERIES.labels("unknown", "unknown_store").inc()
        return error_response(404, f"no store {store_id!r} is connected", "unknown_store")
    raw = await request.body()
    headers = request.headers
    if is_ping(headers.items(), raw):
        DELIVERIES.labels(store_id, "ping").inc()
        log.info("webhook ping for store %s", store_id)
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

    plan = plan_delivery(store_id, delivery, store.settings)
    async with rt.db.pool.acquire() as conn, conn.transaction():
        event_id = await conn.fetchval(
            """
            INSERT INTO sovereign_webhook_events
                (store_id, topic, resource, resource_id, body_sha256, webhook_id, delivery_id, outcome, detail, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
            ON CONFLICT DO NOTHING RETURNING id
            """,
            store_id,
            delivery.topic,
            delivery.resource,
            delivery.resource_id,
            delivery.body_sha256,
            delivery.webhook_id,
            delivery.delivery_id,
            plan.outcome,
            plan.detail,
            json.dumps(delivery.body),
        )
        if event_id is None:
            DELIVERIES.labels(store_id, "duplicate").inc()
            return JSONResponse({"ok": True, "duplicate": True})
        job_ids = []
        for job in plan.jobs:
            res = await rt.queue.schedule(job.name, job.args, dedupe_key=job.dedupe_key, delay=job.delay_s, conn=conn)
            if res.job_id is not None:
                job_ids.append(res.job_id)
        if job_ids:
            await conn.execute("UPDATE sovereign_webhook_events SET job_ids = $2 WHERE id = $1", event_id, job_ids)
    DELIVERIES.labels(store_id, plan.outcome).inc()
    log.info("webhook %s %s for store %s: %s", delivery.topic, delivery.resource_id, store_id, plan.detail)
    return JSONResponse({"ok": True, "event_id": event_id, "outcome": plan.outcome, "jobs": job_ids})
