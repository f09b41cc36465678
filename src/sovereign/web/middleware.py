"""ASGI middleware: a request id on every log line, and a hard cap on request body size.

The size cap is enforced while the body streams in (a lying or absent
Content-Length does not get around it), before any handler parses anything.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sovereign.logs import correlation_id, truncate
from sovereign.web.errors import error_body

log = logging.getLogger("sovereign.http")

MAX_LOGGED_PATH = 200  # a longer path is logged cut, with a marker


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = (_header(scope, b"x-request-id") or "")[:64] or uuid.uuid4().hex[:16]
        token = correlation_id.set(rid)
        start = time.perf_counter()
        status_holder = {"status": 0}
        limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _reject_too_large(send, limit, rid)
            correlation_id.reset(token)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            if status_holder["status"] == 0:
                await _reject_too_large(send, limit, rid)
        finally:
            if scope.get("path") not in ("/healthz", "/metrics"):
                status = status_holder["status"] or 413
                code = (scope.get("state") or {}).get("error_code") or ("body_too_large" if status == 413 else "")
                log.info(  # a 4xx/5xx carries its error code: "POST /v1/chat/completions 400 invalid_schema 0.8ms"
                    "%s %s %s%s %.1fms",
                    scope.get("method"),
                    truncate(scope.get("path") or "", MAX_LOGGED_PATH),
                    status,
                    f" {code}" if status >= 400 and code else "",
                    (time.perf_counter() - start) * 1000,
                )
            correlation_id.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return None


async def _reject_too_large(send: Send, limit: int, rid: str) -> None:
    body = json.dumps(error_body(413, f"request body is larger than {limit} bytes", "body_too_large")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"x-request-id", rid.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
