"""Personal data with the real embedded PostgreSQL: retention minimises old webhook bodies, `gdpr export`
finds a person across events, fraud results, reviews and caches, `gdpr erase` removes it and the audit
log records the erasure by hash with its chain whole."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from sovereign.audit import verify
from sovereign.domain.personal_data import subject_sha256
from sovereign.features.gdpr import subject as gdpr
from sovereign.features.gdpr.retention import minimise_expired
from sovereign.store.migrations import migrate
from sovereign.store.stores import StoreRepository
from sovereign_testkit.fixtures import load_json

NOW = datetime(2031, 6, 1, tzinfo=timezone.utc)  # the tests pass "now" in: they never depend on today


async def put_event(pool: asyncpg.Pool, body: dict, *, resource: str = "order", received_at: datetime = NOW,
                    store: str = "shop") -> int:
    return await pool.fetchval(
        "INSERT INTO sovereign_webhook_events (store_id, topic, resource, resource_id, body_sha256, outcome, body, "
        "received_at) VALUES ($1, $2, $3, $4, md5($5) , 'scheduled', $5::jsonb, $6) RETURNING id",
        store, f"{resource}.updated", resource, body.get("id"), json.dumps(body), received_at,
    )


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool)
    for sid in ("shop", "other"):
        await StoreRepository(pool).upsert(sid, url=f"https://{sid}.example", consumer_key="ck", consumer_secret="cs",
                                           webhook_secret="ws")
    return pool


def orders() -> list[dict]:
    return load_json("orders.json")


async def test_retention_minimises_only_old_order_and_customer_bodies(db: asyncpg.Pool) -> None:
    order = orders()[0]
    old = await put_event(db, order, received_at=NOW - timedelta(days=31))
    recent = await put_event(db, {**order, "status": "completed"}, received_at=NOW - timedelta(days=29))
    customer = await put_event(db, {"id": 7, "email": "a@b.example", "first_name": "Ann", "role": "customer"},
                               resource="customer", received_at=NOW - timedelta(days=40))
    product = await put_event(db, {"id": 12, "name": "Sun Hat"}, resource="product", received_at=NOW - timedelta(days=90))
    assert await minimise_expired(db, 30, now=NOW) == 2
    assert await minimise_expired(db, 30, now=NOW) == 0  # done once
    body = {r["id"]: json.loads(r["b"]) for r in await db.fetch("SELECT id, body::text AS b FROM sovereign_webhook_events")}
    kept = body[old]
    text = json.dumps(kept)
    assert order["billing"]["email"] not in text and order["billing"]["last_name"] not in text
    assert order["customer_ip_address"] not in text and "billing" not in kept and "shipping" not in kept
    assert "meta_data" not in kept and "customer_note" not in kept and kept["_minimised"] is True
    assert kept["id"] == order["id"] and kept["total"] == order["total"] and kept["status"] == order["status"]
    assert [li["product_id"] for li in kept["line_items"]] == [li["product_id"] for li in order["line_items"]]
    assert all("meta_data" not in li for li in kept["line_items"])
    assert body[customer] == {"id": 7, "role": "customer", "_minimised": True}
    assert body[recent]["billing"] == order["billing"]  # inside its retention: untouched
    assert body[product] == {"id": 12, "name": "Sun Hat"}  # no personal data in products


async def test_export_and_erase_by_email_across_events_results_reviews_and_caches(db: asyncpg.Pool) -> None:
    mine, theirs = orders()[0], orders()[1]
    email = mine["billing"]["email"]
    assert theirs["billing"]["email"] != email
    first = copy.deepcopy(mine)
    first["billing"]["email"] = "old-address@example.com"  # an earlier state of the same order, other email
    await put_event(db, first)
    e1 = await put_event(db, mine)
    other = await put_event(db, theirs)
    await db.execute(
        "INSERT INTO sovereign_fraud_results (store_id, order_id, score, rules_score, band, reasons, llm, decision, "
        "source) VALUES ('shop', $1, 70, 60, 'high', '[]', 'ok', 'hold', 'webhook'), "
        "('shop', $2, 5, 5, 'low', '[]', 'ok', 'none', 'webhook')", mine["id"], theirs["id"],
    )
    rid = await db.fetchval("SELECT id FROM sovereign_fraud_results WHERE order_id = $1", mine["id"])
    await db.execute("INSERT INTO sovereign_console_fraud_reviews (store_id, order_id, result_id, decision, user_name) "
                     "VALUES ('shop', $1, $2, 'keep', 'ops')", mine["id"], rid)
    await db.execute("INSERT INTO sovereign_response_cache (key, result, expires_at) VALUES "
                     "('k1', $1::jsonb, $2), ('k2', '{\"text\": \"nothing\"}', $2)",
                     json.dumps({"text": f"Order for {email.upper()}"}), NOW + timedelta(days=1))
    s = gdpr.subject(email=f"  {email.upper()} ")
    doc = await gdpr.export(db, s)
    assert doc["subject"]["email"] == email
    assert sorted(e["id"] for e in doc["webhook_events"]) == sorted([e1, e1 - 1])  # both states of the order
    assert doc["orders"] == [{"store_id": "shop", "order_id": mine["id"]}]
    assert [r["order_id"] for r in doc["fraud_results"]] == [mine["id"]] and doc["fraud_results"][0]["score"] == 70
    assert [r["decision"] for r in doc["fraud_reviews"]] == ["keep"]
    assert [r["key"] for r in doc["response_cache"]] == ["k1"]
    json.dumps(doc)  # the CLI prints it as JSON

    out = await gdpr.erase(db, s)
    assert out["subject_sha256"] == subject_sha256(email=email)
    assert out["erased"] == {"webhook_events": 2, "orders": 1, "fraud_results": 1, "fraud_reviews": 1,
                             "assistant_audit": 0, "response_cache": 1}
    raw = " ".join(r["t"] for r in await db.fetch("SELECT e::text AS t FROM sovereign_webhook_events e"))
    assert email not in raw and "old-address@example.com" not in raw and mine["billing"]["last_name"] not in raw
    assert theirs["billing"]["email"] in raw  # someone else's order stays
    assert json.loads(await db.fetchval("SELECT body::text FROM sovereign_webhook_events WHERE id = $1", e1)) == {
        "id": mine["id"], "_erased": True}
    assert await db.fetchval("SELECT count(*) FROM sovereign_fraud_results") == 1
    assert await db.fetchval("SELECT count(*) FROM sovereign_response_cache") == 1
    assert other and (await gdpr.export(db, s))["webhook_events"] == []

    log = await db.fetch("SELECT kind, request_sha256, detail::text AS d FROM sovereign_audit_log ORDER BY id")
    assert [(r["kind"], r["request_sha256"]) for r in log] == [("erasure", out["subject_sha256"])]
    assert email not in log[0]["d"] and json.loads(log[0]["d"])["erased"]["webhook_events"] == 2
    assert (await verify(db)).ok  # the chain stays whole


async def test_erase_by_order_is_per_store_and_bad_subjects_change_nothing(db: asyncpg.Pool) -> None:
    o = orders()[2]
    here = await put_event(db, o, store="shop")
    there = await put_event(db, o, store="other")
    out = await gdpr.erase(db, gdpr.subject(order=o["id"], store_id="other"))
    assert out["erased"]["webhook_events"] == 1
    bodies = {r["id"]: json.loads(r["b"]) for r in await db.fetch("SELECT id, body::text AS b FROM sovereign_webhook_events")}
    assert bodies[there] == {"id": o["id"], "_erased": True} and bodies[here]["billing"] == o["billing"]
    for bad in ({}, {"email": "x@y.example", "order": 1}, {"email": "not an email"}, {"order": -3}):
        with pytest.raises(ValueError):
            gdpr.subject(**bad)
    await gdpr.erase(db, gdpr.subject(order=o["id"]))  # every store
    assert await db.fetchval("SELECT count(*) FROM sovereign_webhook_events WHERE body ? 'billing'") == 0
    assert (await verify(db)).ok and await db.fetchval("SELECT count(*) FROM sovereign_audit_log") == 2


async def test_the_daily_maintenance_job_applies_the_configured_retention(db: asyncpg.Pool, db_url: str, tmp_path) -> None:
    from sovereign.gateway import Gateway
    from sovereign.jobs import JobContext
    from sovereign.runtime import open_runtime
    from sovereign.settings import Settings

    now = datetime.now(timezone.utc)
    old = await put_event(db, orders()[3], received_at=now - timedelta(days=3))
    new = await put_event(db, orders()[4], received_at=now - timedelta(hours=1))
    rt = await open_runtime(Settings(database_url=db_url, data_dir=tmp_path, embedded_model="none",
                                     event_retention_days=2), gateway=Gateway([]))
    try:
        spec = rt.registry.get("maintenance.purge")
        ctx = JobContext(job_id=0, name=spec.name, group=spec.group, attempt=1, max_attempts=1, scheduled_for=None,
                         services=rt)
        await spec.handler(spec.args_model.model_validate({}), ctx)
    finally:
        await rt.close()
    minimised = {r["id"]: r["m"] for r in await db.fetch("SELECT id, body ? '_minimised' AS m FROM sovereign_webhook_events")}
    assert minimised == {old: True, new: False}


async def test_the_cli_exports_json_erases_and_refuses_an_ambiguous_subject(db: asyncpg.Pool, db_url: str, tmp_path) -> None:
    import os

    from tests.store.test_secrets_at_rest import sovereign

    o = orders()[5]
    await put_event(db, o)
    key = os.environ["SOVEREIGN_SECRET_KEY"]
    code, out = await sovereign(db_url, tmp_path, key, "gdpr", "export", "--order", str(o["id"]))
    assert code == 0, out
    doc = json.loads(out[out.index('{ "subject":'):])  # stdout after the log lines on stderr
    assert doc["webhook_events"][0]["body"]["billing"]["email"] == o["billing"]["email"]
    code, out = await sovereign(db_url, tmp_path, key, "gdpr", "erase", "--email", "a@b.example", "--order", "1", "--yes")
    assert code == 2 and "exactly one of --email or --order" in out and "Traceback" not in out
    code, out = await sovereign(db_url, tmp_path, key, "gdpr", "erase", "--order", str(o["id"]), "--yes")
    assert code == 0 and '"webhook_events": 1' in out, out
    assert await db.fetchval("SELECT count(*) FROM sovereign_webhook_events WHERE body ? 'billing'") == 0


async def test_caches_that_name_the_person_but_not_the_email_are_found_and_erased(db: asyncpg.Pool) -> None:
    mine, theirs = orders()[0], orders()[1]
    await put_event(db, mine)
    await put_event(db, theirs)
    b = mine["billing"]
    name = f"{b['first_name']} {b['last_name']}"
    await db.execute("INSERT INTO sovereign_response_cache (key, result, expires_at) VALUES "
                     "('by-name', $1::jsonb, $3), ('by-street', $2::jsonb, $3), ('other', $4::jsonb, $3)",
                     json.dumps({"text": f"Ship to {name.upper()}"}), json.dumps({"text": f"{b['address_1']}, {b['city']}"}),
                     NOW + timedelta(days=1), json.dumps({"text": f"Ship to {theirs['billing']['last_name']}"}))
    await db.execute("INSERT INTO sovereign_assistant_audit (feature, outcome, question_sha256, answer_sha256, "
                     "question, answer) VALUES ('support', 'answered', 'q', 'a', $1, 'We will call you.')",
                     f"call me on {b['phone']}")
    s = gdpr.subject(order=mine["id"], store_id="shop")  # by order: no email given at all
    doc = await gdpr.export(db, s)
    assert sorted(r["key"] for r in doc["response_cache"]) == ["by-name", "by-street"]
    assert len(doc["assistant_audit"]) == 1
    out = await gdpr.erase(db, s)
    assert out["erased"]["response_cache"] == 2 and out["erased"]["assistant_audit"] == 1
    assert [r["key"] for r in await db.fetch("SELECT key FROM sovereign_response_cache")] == ["other"]
    assert await db.fetchval("SELECT question FROM sovereign_assistant_audit") is None
