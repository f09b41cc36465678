"""Any signed delivery gets 2xx or 4xx, never 5xx: odd bodies (hypothesis) posted, signed, to the running app over TCP.

WooCommerce disables a webhook after more than 5 consecutive failed deliveries,
so a 500 for a body a store really sent (PHP-serialised meta carries NUL
characters) would cut the store off. Each body is stored safely or refused with 400.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from sovereign.woo.webhooks import signature_for
from sovereign_testkit.fuzz import delivery_templates, order_bodies, product_bodies
from tests.web.conftest import FIXTURE_SECRET, Service

EXAMPLES = 400


def _headers(template: dict, raw: bytes) -> dict[str, str]:
    keep = {k: v for k, v in template["header_list"] if k.lower() not in ("host", "content-length", "connection")}
    return keep | {"X-WC-Webhook-Signature": signature_for(raw, FIXTURE_SECRET)}


def _fuzz(url: str, examples: int) -> Counter:
    templates = {r: delivery_templates(r) for r in ("order", "product", "action")}
    seen: Counter = Counter()
    bodies = {"order": order_bodies(), "product": product_bodies(), "action": order_bodies()}

    with httpx.Client(base_url=url, timeout=30.0) as client:
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def deliver(data: st.DataObject) -> None:
            resource = data.draw(st.sampled_from(sorted(templates)))
            template = data.draw(st.sampled_from(templates[resource]))
            raw = data.draw(bodies[resource])
            r = client.post("/webhooks/woocommerce/fixture", content=raw, headers=_headers(template, raw))
            seen[r.status_code] += 1
            assert r.status_code < 500, (raw[:300], r.text)
            assert r.status_code in (200, 400, 413), (raw[:300], r.status_code, r.text)
            if r.status_code == 200:
                answer = r.json()
                assert answer.get("duplicate") or isinstance(answer["event_id"], int)
                seen["stored"] += 0 if answer.get("duplicate") else 1
            else:
                assert r.json()["error"]["code"] in ("invalid_delivery", "body_too_large")

        deliver()
    return seen


async def test_any_signed_odd_body_gets_200_or_400_and_stored_bodies_are_clean(service: Service) -> None:
    seen = await asyncio.to_thread(_fuzz, service.url, EXAMPLES)
    deliveries = sum(v for k, v in seen.items() if isinstance(k, int))
    assert deliveries >= EXAMPLES and not any(isinstance(k, int) and k >= 500 for k in seen), seen
    assert seen[200] > 0 and seen[400] > 0, seen
    db = service.runtime.db
    assert await db.fetchval("SELECT count(*) FROM sovereign_webhook_events") == seen["stored"]
    # every stored body reads back as JSON without NUL or lone surrogates
    for row in await db.fetch("SELECT body::text AS b FROM sovereign_webhook_events"):
        assert "\\u0000" not in row["b"] and "\x00" not in row["b"]
        json.loads(row["b"])


async def _signed(service: Service, raw: bytes, template: str = "order") -> httpx.Response:
    t = delivery_templates(template)[0]
    return await service.client.post("/webhooks/woocommerce/fixture", content=raw, headers=_headers(t, raw))


async def test_the_reported_bodies_get_exact_answers(service: Service) -> None:
    nul = await _signed(service, b'{"id":85,"status":"pending","x":"\\u0000","meta_data":[{"key":"php","value":"O:1:\\"A\\":1:{s:4:\\"\\u0000*\\u0000a\\";i:1;}"}]}')
    assert nul.status_code == 200, nul.text
    stored = json.loads(await service.runtime.db.fetchval("SELECT body::text FROM sovereign_webhook_events"))
    assert stored["x"] == "\ufffd" and stored["meta_data"][0]["value"].startswith('O:1:"A":1:{s:4:"\ufffd*\ufffda"')
    refused = {
        b'{"id":' + str(10**30).encode() + b',"status":"pending"}': "64-bit",
        b"[" * 60_000: "nested deeper",
        b'{"id":85,"id":86,"status":"pending"}': "appears twice",
        b'{"id":85,"status":"pending","x":"\xff"}': "not UTF-8",
        b'{"id":85,"total":NaN}': "NaN",
        b'{"id":85,"total":1e400}': "out of range",
    }
    for raw, why in refused.items():
        r = await _signed(service, raw)
        assert r.status_code == 400 and why in r.json()["error"]["message"], (raw[:60], r.text)
    lone = await _signed(service, b'{"id":86,"status":"pending","x":"\\ud800"}')
    assert lone.status_code == 200, lone.text
    assert await service.runtime.db.fetchval("SELECT count(*) FROM sovereign_webhook_events") == 2
