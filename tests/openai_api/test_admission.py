"""/v1 under a flood, over real HTTP: once a provider's /v1 share is full, an immediate 429 with
Retry-After (never a long wait then 503); no 5xx; the feature stays available; checkout capacity holds."""

from __future__ import annotations

import asyncio
import time

import httpx

from sovereign.gateway import ChatRequest
from sovereign_testkit.fake_llm import FakeLLM, Step

from sovereign.gateway.config import Timeouts

from .conftest import provider


async def test_a_flood_of_chats_gets_early_429s_with_retry_after_and_no_5xx(start) -> None:
    async with FakeLLM(reply="Slow answer.") as fake:
        fake.set_mode(Step("slow", delay=1.0))
        cfg = provider(fake, "cloud", "US", 1, max_concurrency=4, max_queue=4)
        cfg.timeouts = Timeouts(connect=0.5, first_token=10, total=10)
        svc = await start([cfg])
        keys = [await svc.key(f"k{i}") for i in range(10)]

        async def chat(http: httpx.AsyncClient, i: int) -> tuple[int, float, str | None]:
            t0 = time.monotonic()
            r = await http.post("/v1/chat/completions", headers={"authorization": f"Bearer {keys[i % 10]}"},
                                json={"model": "cloud", "messages": [{"role": "user", "content": f"hi {i}"}]})
            return r.status_code, time.monotonic() - t0, r.headers.get("retry-after")

        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=svc.url, timeout=30, limits=limits) as http:
            flood = [asyncio.create_task(chat(http, i)) for i in range(40)]
            await asyncio.sleep(0.5)
            # Checkout's share is untouched by /v1: a fraud review starts at once.
            t0 = time.monotonic()
            await svc.runtime.gateway.complete(ChatRequest.simple("review", feature="fraud", lane="interactive"))
            assert time.monotonic() - t0 < 1.9
            results = await asyncio.gather(*flood)
        codes = [c for c, _, _ in results]
        # The /v1 share admits 6 at most (3 running + 3 waiting); on a loaded machine a waiting call may be
        # refused too. Every other call is an early 429, none a 5xx.
        assert 1 <= codes.count(200) <= 6 and codes.count(200) + codes.count(429) == 40, codes
        refused = [(took, after) for c, took, after in results if c == 429]
        assert all(after is not None and int(after) >= 1 for _, after in refused)
        assert min(took for took, _ in refused) < 1.0
        assert not svc.runtime.gateway.is_degraded("gateway")
        # Per key: a fifth call of one key in flight is refused at once.
        fake.set_mode(Step("slow", delay=0.6))
        async with httpx.AsyncClient(base_url=svc.url, timeout=30, limits=limits) as http:
            one_key = await asyncio.gather(*(chat(http, 0) for _ in range(5)))
        assert sorted(c for c, _, _ in one_key) == [200, 200, 200, 200, 429]  # per_key_concurrency = 4
        assert [took for c, took, _ in one_key if c == 429][0] < 0.5
