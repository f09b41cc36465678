"""uvicorn's httptools protocol with a bound on the request head, enforced as the bytes arrive.

httptools (llhttp) accepts a request line and header block of any size, and both it and uvicorn
grow the URL and each header value by concatenating every piece that arrives (``bytes +=``): a
client that trickles a megabyte of path in small segments makes the event loop copy it over and
over, and a huge head is buffered whole before ``RequestLimitsMiddleware`` can even see it. This
protocol counts the bytes of each request head before they reach the parser; past
``max_head_bytes`` (the path, query and header limits together, plus room for the request line)
the request is answered at once, 414 when the request line is what is too long and 431 otherwise,
with the same JSON error as the middleware and ``Connection: close``. Nothing of it is parsed,
routed or logged but its size.

After the answer the connection lingers (like nginx's ``lingering_close``): the write side is shut,
whatever the client still sends is read and dropped unparsed, up to ``_DRAIN_BYTES`` or
``_DRAIN_S``. Closing a socket with unread input makes the kernel send a reset, and a reset can
destroy the answer before the client reads it.

    uvicorn.run(app, http=bounded_httptools(max_head_bytes=40_000, max_line_bytes=17_000))
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sovereign.web.errors import error_body

__all__ = ["BoundedHttpToolsProtocol", "bounded_httptools"]

log = logging.getLogger("sovereign.http")

_DRAIN_BYTES = 1 << 20  # read and dropped after a refusal before the connection is simply closed
_DRAIN_S = 2.0
_END = b"\r\n\r\n"


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes: int = 40_960  # request line and header fields of one request
    max_line_bytes: int = 16_896  # the request line alone (method, path, query, version)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # of the request head being read
        self._line_bytes: int | None = 0  # of its request line while that is being read; None once it ended
        self._in_body = False  # between the end of a head and the end of its message
        self._tail = b""  # the last bytes of the previous piece, for an end-of-head marker cut in two
        self._drained: int | None = None  # bytes dropped since the refusal; None: not refused

    def data_received(self, data: bytes) -> None:
        if self._drained is not None:
            self._drained += len(data)
            if self._drained > _DRAIN_BYTES:
                self.transport.close()
            return
        if not self._in_body and not self._count_head(data):
            self._refuse()
            return
        super().data_received(data)

    def _count_head(self, data: bytes) -> bool:
        """Add this piece's head bytes (up to the end of the head, when it is in here); False past a limit."""
        end = (self._tail + data).find(_END)
        head = len(data) if end < 0 else max(0, end + len(_END) - len(self._tail))
        if self._line_bytes is not None:
            newline = data.find(b"\n", 0, head)
            self._line_bytes += head if newline < 0 else newline + 1
            if self._line_bytes > self.max_line_bytes:
                return False
            if newline >= 0:
                self._line_bytes = None
        self._head_bytes += head
        self._tail = data[-(len(_END) - 1):]
        return self._head_bytes <= self.max_head_bytes

    def on_headers_complete(self) -> None:
        self._in_body = True
        self._head_bytes, self._line_bytes, self._tail = 0, 0, b""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_body = False

    def _refuse(self) -> None:
        line = self._line_bytes is not None and self._line_bytes > self.max_line_bytes
        if line:
            status, code, phrase = 414, "uri_too_long", b"URI Too Long"
            message = f"the request line is longer than {self.max_line_bytes} bytes"
        else:
            status, code, phrase = 431, "header_fields_too_large", b"Request Header Fields Too Large"
            message = f"the request head is larger than {self.max_head_bytes} bytes"
        log.warning("refused a request from %s: %s", self.client[0] if self.client else "?", message)
        self._drained = 0
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined answer is still being written: no room for ours
            return
        body = json.dumps(error_body(status, message, code)).encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, phrase, len(body)) + body
        )
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(_DRAIN_S, self.transport.close)

    def eof_received(self) -> bool | None:
        if self._drained is not None:
            self.transport.close()  # the client read the answer and closed its side
            return None
        return super().eof_received()


def bounded_httptools(*, max_head_bytes: int, max_line_bytes: int) -> type[BoundedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.run(http=...)`` with these limits."""
    return type("BoundedHttpTools", (BoundedHttpToolsProtocol,),
                {"max_head_bytes": max_head_bytes, "max_line_bytes": max_line_bytes})
