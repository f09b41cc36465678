"""A misbehaving stand-in for Sovereign's scoring and health endpoints, on a real socket at 127.0.0.1.

The WordPress plugin's tests point the plugin at it to show what a checkout does when Sovereign is
slow, hanging, broken or lying:

    async with FakeSovereign(mode="hang") as fake:
        ... plugin option sovereign_connector_url = fake.url
        fake.calls            # requests received (POST /v1/fraud/score and GET /readyz)

Modes: ``hold`` / ``none`` (200 with a well-formed answer of that decision, after ``delay`` seconds),
``hang`` (reads the request, never answers), ``garbage`` (200 with a body that is not JSON),
``error`` (500 with a JSON error), ``close`` (closes the connection without a word).
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

__all__ = ["FakeSovereign", "HOLD_NOTE", "closed_port"]

MODES = ("hold", "none", "hang", "garbage", "error", "close")
HOLD_NOTE = "Sovereign fraud check: risk score 90/100 (high), hold threshold 70.\nReasons:\n- a test reason (+50)"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FakeSovereign:
    def __init__(self, mode: str = "hold", *, delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay
        self.calls = 0
        self.paths: list[str] = []
        self.url = ""
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()

    def set_mode(self, mode: str, *, delay: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.mode = mode
        if delay is not None:
            self.delay = delay

    async def __aenter__(self) -> "FakeSovereign":
        self.set_mode(self.mode)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._closing.set()
        self._server.close()
        for w in list(self._writers):
            w.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
            if length:
                await reader.readexactly(length)
            self.calls += 1
            self.paths.append(path)
            if self.mode == "hang":
                await self._closing.wait()  # until the server closes
                return
            if self.mode == "close":
                return
            if self.delay:
                await asyncio.sleep(self.delay)
            status, body = self._answer(path)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _answer(self, path: str) -> tuple[str, bytes]:
        if self.mode == "garbage":
            return "200 OK", b"<html>502 Bad Gateway from a proxy</html>{"
        if self.mode == "error":
            return "500 Internal Server Error", b'{"error": {"message": "boom", "type": "server_error"}}'
        if path.startswith("/readyz"):
            doc: dict[str, Any] = {"ready": True, "checks": {"degraded": {"degraded": []}}}
            return "200 OK", json.dumps(doc).encode()
        hold = self.mode == "hold"
        doc = {
            "score": 90 if hold else 10, "band": "high" if hold else "low", "threshold": 70,
            "decision": "hold" if hold else "none", "action": "hold",
            "reasons": [{"code": "test", "text": "a test reason", "weight": 50}],
            "note": HOLD_NOTE if hold else "", "llm": "ok", "degraded": False, "elapsed_ms": 1.0,
        }
        return "200 OK", json.dumps(doc).encode()
