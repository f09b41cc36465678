from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from sovereign.gateway import Gateway
from sovereign.settings import Settings
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.web.app import create_app

FIXTURE_SECRET = "fixture-secret-1"


class Service:
    """The real app with its lifespan, reachable in-process (``client``) and over TCP (``url``)."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, url: str) -> None:
        self.app, self.client, self.url = app, client, url

    @property
    def runtime(self):  # noqa: ANN201
        return self.app.state.runtime

    async def jobs(self, name: str | None = None) -> list:
        rows = await self.runtime.inspector.list(None, name=name, limit=1000)
        return rows


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[Service]:
    """No in-process worker: jobs stay queued so tests can count exactly what was scheduled."""
    settings = Settings(database_url=db_url, max_body_bytes=64 * 1024)
    app = create_app(settings, run_worker=False, gateway=Gateway([]))
    async with app.router.lifespan_context(app):
        async with LocalServer(app) as server:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sovereign.test") as c:
                await app.state.runtime.stores.upsert(
                    "fixture", url="http://127.0.0.1:8080", consumer_key="ck_fixture", consumer_secret="cs_fixture",
                    webhook_secret=FIXTURE_SECRET,
                )
                yield Service(app, c, server.url)
