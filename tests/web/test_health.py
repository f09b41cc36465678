"""The HTTP skeleton against a real database: health, readiness, body limits, JSON errors."""

from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest

from sovereign.settings import Settings
from sovereign.web.app import create_app


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=db_url, max_body_bytes=1024, heartbeat_timeout_s=2)
    app = create_app(settings, run_worker=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sovereign.test") as c:
            yield c


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    for _ in range(50):  # the in-process worker registers itself right after start-up
        r = await client.get("/readyz")
        if r.status_code == 200:
            break
        import asyncio

        await asyncio.sleep(0.1)
    body = r.json()
    assert r.status_code == 200, body
    assert body["checks"]["migrations"]["ok"] and body["checks"]["workers"]["live"] >= 1
    assert body["checks"]["queue"]["past_due"] == 0
    assert r.headers["x-request-id"]


async def test_readyz_reports_past_due_jobs(client: httpx.AsyncClient) -> None:
    pool = client._transport.app.state.runtime.db.pool  # type: ignore[attr-defined]
    await pool.execute(
        "INSERT INTO pgqueuer (priority, entrypoint, status, execute_after, payload) "
        "VALUES (0, 'nobody-runs-this', 'queued', now() - interval '1 hour', '{}'::bytea)"
    )
    body = (await client.get("/readyz")).json()
    assert body["checks"]["queue"]["past_due"] == 1 and body["checks"]["queue"]["ok"] is False


async def test_oversized_bodies_are_refused_before_any_handler(client: httpx.AsyncClient) -> None:
    r = await client.post("/healthz", content=b"x" * 5000)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"


async def test_unknown_routes_get_json_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
