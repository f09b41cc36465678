"""Fixtures for the WooCommerce connector tests: the fake store and a webhook receiver, both real
HTTP servers on 127.0.0.1."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import pytest

from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.woo.client import WooClient
from sovereign.woo.retry import RetryPolicy

FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)


@dataclass
class Received:
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Receiver:
    """A webhook endpoint that records every request verbatim and answers ``status``."""

    url: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        self.received.append(Received(scope["path"], headers, body))
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    async with LocalServer(app) as server:
        app.url = server.url
        yield app


@pytest.fixture
async def store() -> AsyncIterator[FakeWooStore]:
    # The receiver listens on a random port of 127.0.0.1: the store owner's http_allowed_safe_ports filter allows it.
    async with FakeWooStore(safe_ports="any") as fake:
        yield fake


@pytest.fixture
async def woo(store: FakeWooStore) -> AsyncIterator[WooClient]:
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=FAST_RETRY, timeout=5.0) as client:
        yield client


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
