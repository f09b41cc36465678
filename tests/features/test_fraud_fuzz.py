"""/v1/fraud/score answers 200 or 4xx for any body a client sends (hypothesis), over TCP to the running app."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from hypothesis import HealthCheck, given, settings

from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fuzz import fraud_bodies
from tests.features.conftest import gateway_for, running

EXAMPLES = 300


def _fuzz(url: str, key: str, examples: int) -> Counter:
    seen: Counter = Counter()
    with httpx.Client(base_url=url, timeout=30.0, headers={"Authorization": f"Bearer {key}"}) as client:
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(fraud_bodies())
        def score(raw: bytes) -> None:
            r = client.post("/v1/fraud/score", content=raw, headers={"Content-Type": "application/json"})
            seen[r.status_code] += 1
            assert r.status_code in (200, 400, 404, 413), (raw[:300], r.status_code, r.text)
            if r.status_code == 200:
                assert 0 <= r.json()["score"] <= 100
        score()
    return seen


async def test_any_body_gets_200_or_4xx(db_url: str, llm: FakeLLM) -> None:
    async with running(db_url, gateway_for(llm), worker=False) as svc:
        key = await svc.key()
        seen = await asyncio.to_thread(_fuzz, svc.url, key, EXAMPLES)
        assert sum(seen.values()) >= EXAMPLES and seen[200] > 0 and seen[400] > 0, seen
        r = await svc.client.post("/v1/fraud/score", content=b'{"order":{"id":85,"billing":{},"x":"\\u0000"}}',
                                  headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        for raw in (b'{"order":{"id":' + str(10**30).encode() + b',"billing":{}}}', b'{"order":' + b"[" * 60_000 + b"}"):
            r = await svc.client.post("/v1/fraud/score", content=raw, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 400, r.text
