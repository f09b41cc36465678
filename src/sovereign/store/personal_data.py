"""Where Sovereign holds personal data, found and removed by data subject (an email or an order), and
webhook bodies minimised once their retention is over. Only this module knows those tables for it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sovereign.domain.personal_data import ERASED, MINIMISED, PERSONAL_RESOURCES, erased, identifying_terms, minimise


@dataclass(frozen=True)
class Subject:
    """Exactly one of ``email`` (normalised) or ``order``; ``store_id`` narrows an order to one store."""

    email: str | None = None
    order: int | None = None
    store_id: str | None = None


_EVENTS = """
SELECT id, store_id, topic, resource, resource_id, outcome, received_at, body::text AS body
FROM sovereign_webhook_events
WHERE CASE WHEN $1::text IS NOT NULL THEN
          (resource = 'order' AND lower(body->'billing'->>'email') = $1)
       OR (resource = 'customer' AND lower(body->>'email') = $1)
      ELSE resource = 'order' AND resource_id = $2 AND ($3::text IS NULL OR store_id = $3) END
ORDER BY id
"""
_ORDER_EVENTS = """
SELECT id, store_id, topic, resource, resource_id, outcome, received_at, body::text AS body
FROM sovereign_webhook_events e
WHERE resource = 'order' AND (store_id, resource_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
ORDER BY id
"""
_FRAUD = """
SELECT to_jsonb(f)::text AS row FROM sovereign_fraud_results f WHERE (store_id, order_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[])) ORDER BY id
"""
_REVIEWS = """
SELECT to_jsonb(r)::text AS row FROM sovereign_console_fraud_reviews r WHERE (store_id, order_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
ORDER BY id
"""
# Free text is searched for every identifying term of the subject (see ``identifying_terms``).
_NAMES_IN = "EXISTS (SELECT 1 FROM unnest($1::text[]) AS t(term) WHERE strpos({col}, t.term) > 0)"
_ASSISTANT_MATCH = "(" + _NAMES_IN.format(col="lower(question)") + " OR " + _NAMES_IN.format(col="lower(answer)") + ")"
_CACHE_MATCH = _NAMES_IN.format(col="lower(result::text)")
_ASSISTANT = f"""
SELECT id, at, feature, outcome, question, answer FROM sovereign_assistant_audit WHERE {_ASSISTANT_MATCH} ORDER BY id
"""
_CACHE = f"""
SELECT key, created_at, expires_at, result::text AS result FROM sovereign_response_cache WHERE {_CACHE_MATCH} ORDER BY key
"""


def _row(r: asyncpg.Record) -> dict[str, Any]:
    if "row" in r.keys():
        return dict(json.loads(r["row"]))
    out: dict[str, Any] = {}
    for k, v in r.items():
        if k in ("body", "reasons", "result") and isinstance(v, str):
            v = json.loads(v)
        elif isinstance(v, datetime):
            v = v.isoformat()
        out[k] = v
    return out


class PersonalDataRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def _events(self, conn: asyncpg.Connection, s: Subject) -> list[asyncpg.Record]:
        rows = list(await conn.fetch(_EVENTS, s.email, s.order, s.store_id))
        if s.email:  # every state of the orders that carried the email, also those sent before it changed
            orders = {(r["store_id"], r["resource_id"]) for r in rows if r["resource"] == "order" and r["resource_id"] is not None}
            if orders:
                seen = {r["id"] for r in rows}
                more = await conn.fetch(_ORDER_EVENTS, [o[0] for o in orders], [o[1] for o in orders])
                rows += [r for r in more if r["id"] not in seen]
        return rows

    @staticmethod
    def _terms(s: Subject, rows: list[asyncpg.Record]) -> list[str]:
        return identifying_terms(s.email, [json.loads(r["body"]) for r in rows if r["body"]])

    @staticmethod
    def _orders(rows: list[asyncpg.Record]) -> tuple[list[str], list[int]]:
        orders = sorted({(r["store_id"], r["resource_id"]) for r in rows if r["resource"] == "order" and r["resource_id"] is not None})
        return [o[0] for o in orders], [o[1] for o in orders]

    async def export(self, s: Subject) -> dict[str, Any]:
        """Everything held about the subject, as JSON-ready data."""
        async with self.pool.acquire() as conn:
            events = await self._events(conn, s)
            stores, orders = self._orders(events)
            terms = self._terms(s, events)
            return {
                "webhook_events": [_row(r) for r in events],
                "orders": [{"store_id": st, "order_id": o} for st, o in zip(stores, orders)],
                "fraud_results": [_row(r) for r in await conn.fetch(_FRAUD, stores, orders)],
                "fraud_reviews": [_row(r) for r in await conn.fetch(_REVIEWS, stores, orders)],
                "assistant_audit": [_row(r) for r in await conn.fetch(_ASSISTANT, terms)],
                "response_cache": [_row(r) for r in await conn.fetch(_CACHE, terms)],
            }

    async def erase(self, s: Subject) -> dict[str, int]:
        """Blank or delete it all in one transaction; returns what was touched, by place. Event rows stay
        (their content hash still recognises a redelivery) with only the resource id in their body."""
        async with self.pool.acquire() as conn, conn.transaction():
            events = await self._events(conn, s)
            terms = self._terms(s, events)  # before the bodies are blanked
            stores, orders = self._orders(events)
            ids = [r["id"] for r in events]
            bodies = [json.dumps(erased(r["resource_id"])) for r in events]
            await conn.execute(
                "UPDATE sovereign_webhook_events e SET body = u.body::jsonb, detail = NULL "
                "FROM unnest($1::bigint[], $2::text[]) AS u(id, body) WHERE e.id = u.id", ids, bodies,
            )
            reviews = await conn.execute(
                "DELETE FROM sovereign_console_fraud_reviews WHERE (store_id, order_id) IN "
                "(SELECT * FROM unnest($1::text[], $2::bigint[]))", stores, orders,
            )
            fraud = await conn.execute(
                "DELETE FROM sovereign_fraud_results WHERE (store_id, order_id) IN "
                "(SELECT * FROM unnest($1::text[], $2::bigint[]))", stores, orders,
            )
            assistant = await conn.execute(
                f"UPDATE sovereign_assistant_audit SET question = NULL, answer = NULL WHERE {_ASSISTANT_MATCH}", terms
            )
            cache = await conn.execute(f"DELETE FROM sovereign_response_cache WHERE {_CACHE_MATCH}", terms)
        return {"webhook_events": len(ids), "orders": len(orders), "fraud_results": _n(fraud),
                "fraud_reviews": _n(reviews), "assistant_audit": _n(assistant), "response_cache": _n(cache)}

    async def minimise_events(self, received_before: datetime, *, batch: int = 500) -> int:
        """Bodies of orders and customers received before the cut-off lose their personal fields
        (``domain.personal_data.minimise``); batch by batch, each its own short transaction."""
        done = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(
                    "SELECT id, resource, body::text AS body FROM sovereign_webhook_events "
                    "WHERE received_at < $1 AND resource = ANY($2::text[]) AND NOT (body ? $3) AND NOT (body ? $4) "
                    "ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED",
                    received_before, list(PERSONAL_RESOURCES), MINIMISED, ERASED, batch,
                )
                if not rows:
                    return done
                bodies = [json.dumps(minimise(r["resource"], json.loads(r["body"]))) for r in rows]
                await conn.execute(
                    "UPDATE sovereign_webhook_events e SET body = u.body::jsonb "
                    "FROM unnest($1::bigint[], $2::text[]) AS u(id, body) WHERE e.id = u.id",
                    [r["id"] for r in rows], bodies,
                )
                done += len(rows)


def _n(status: str) -> int:
    return int(status.split()[-1])
