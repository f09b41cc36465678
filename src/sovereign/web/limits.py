"""ASGI middleware that refuses oversized request lines and headers before any other work.

The HTTP parser (httptools) accepts a request line or header block of any
size; without a limit here, a 60 KB path would reach routing, logging and
masking. This layer looks only at sizes: a path over ``max_path_bytes`` or a
query string over ``max_query_bytes`` gets 414, header fields over
``max_header_bytes`` in all (or more than ``max_headers`` of them) get 431,
each with a JSON error body and ``Connection: close``. Nothing of the
rejected request is logged but its sizes.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from sovereign.web.errors import error_body

log = logging.getLogger("sovereign.http")


class RequestLimitsMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_path_bytes: int, max_query_bytes: int, max_header_bytes: int, max_headers: int
    ) -> None:
        self.app = app
        self.max_path_bytes = max_path_bytes
        self.max_query_bytes = max_query_bytes
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            problem = self.check(scope)
            if problem is not None:
                status, message, code = problem
                log.warning("refused %s request: %s", scope.get("method", "ws"), message)
                await _reject(send, status, message, code)
                return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> tuple[int, str, str] | None:
        """(status, message, code) for a request over a limit, else None; O(number of headers)."""
        path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        if len(path) > self.max_path_bytes:
            return 414, f"the request path has {len(path)} bytes; the limit is {self.max_path_bytes}", "uri_too_long"
        query = scope.get("query_string") or b""
        if len(query) > self.max_query_bytes:
            return 414, f"the query string has {len(query)} bytes; the limit is {self.max_query_bytes}", "uri_too_long"
        headers = scope.get("headers") or ()
        if len(headers) > self.max_headers:
            return 431, f"the request has {len(headers)} header fields; the limit is {self.max_headers}", \
                "header_fields_too_large"
        size = sum(len(k) + len(v) + 4 for k, v in headers)
        if size > self.max_header_bytes:
            return 431, f"the request headers have {size} bytes; the limit is {self.max_header_bytes}", \
                "header_fields_too_large"
        return None


async def _reject(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps(error_body(status, message, code)).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
