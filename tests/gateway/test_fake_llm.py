"""The fake upstream itself: scripts, recording, HTTP control, and the standalone process."""

import asyncio
import os
import subprocess
import sys

import httpx

from sovereign_testkit.fake_llm import FakeLLM, Step


async def test_script_then_default_and_recording(fake) -> None:
    fake.script(*[Step("rate_limited", retry_after="1")] * 3)
    async with httpx.AsyncClient(base_url=fake.openai_url) as client:
        statuses = []
        for _ in range(4):
            r = await client.post("/chat/completions", json={"model": "m", "messages": []}, headers={"x-probe": "yes"})
            statuses.append(r.status_code)
        assert statuses == [429, 429, 429, 200]
        assert fake.calls == 4 and fake.requests[0].headers["x-probe"] == "yes"
        assert fake.requests[0].body == b'{"model":"m","messages":[]}'
        assert (await client.get("/models")).status_code == 200
    assert fake.calls == 4 and fake.count("/models") == 1


async def test_http_control_endpoints(fake) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        await client.post("/_fake/mode", json={"mode": "error", "status": 503})
        await client.post("/_fake/script", json={"steps": ["fast", {"mode": "unauthorized"}]})
        codes = [(await client.post("/v1/messages", json={"model": "m", "messages": []})).status_code for _ in range(3)]
        assert codes == [200, 401, 503]
        stats = (await client.get("/_fake/stats")).json()
        assert stats["calls"] == 3 and stats["mode"]["status"] == 503
        assert len((await client.get("/_fake/requests")).json()) == 3
        await client.post("/_fake/reset")
        assert (await client.get("/_fake/stats")).json()["calls"] == 0


async def test_standalone_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign_testkit.fake_llm", "--port", "0", "--reply", "standalone",
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post("/v1/chat/completions", json={"model": "m", "messages": []})
            assert r.json()["choices"][0]["message"]["content"] == "standalone"
    finally:
        proc.terminate()
        await proc.wait()
