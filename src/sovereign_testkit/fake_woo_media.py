"""The fake store's uploads folder (``/wp-content/uploads/<name>``): files the tests put there, served as told.

    src = store.media.add("hoodie.jpg", jpeg_bytes)                       # served as image/jpeg
    store.media.add("lie.jpg", b"<html>", content_type="image/jpeg")     # a non-image that says it is one
    store.media.add("huge.jpg", size=50_000_000, chunked=True)           # 50 MB streamed, no Content-Length
    store.media.redirect("moved.jpg", "http://elsewhere.example/x.jpg")  # 302 to anywhere
    store.media.hits["hoodie.jpg"]                                       # how often it was asked for
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

__all__ = ["Media"]

CHUNK = 65536


@dataclass(frozen=True)
class _File:
    data: bytes | None
    content_type: str
    size: int
    chunked: bool
    location: str | None = None


class Media:
    def __init__(self, base_url: Callable[[], str]) -> None:
        self._base = base_url
        self._files: dict[str, _File] = {}
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # bytes actually handed to the socket, per file

    def url(self, name: str) -> str:
        return f"{self._base().rstrip('/')}/wp-content/uploads/{name}"

    def add(
        self, name: str, data: bytes | None = None, *, content_type: str = "image/jpeg", size: int | None = None,
        chunked: bool = False,
    ) -> str:
        """A file of ``data``, or ``size`` zero-filled bytes generated as it is sent; returns its URL."""
        if data is None and size is None:
            raise ValueError("give data or size")
        self._files[name] = _File(data, content_type, len(data) if data is not None else int(size or 0), chunked)
        return self.url(name)

    def redirect(self, name: str, location: str) -> str:
        self._files[name] = _File(None, "", 0, False, location)
        return self.url(name)

    def respond(self, name: str, request: Request | None = None) -> Response:
        self.hits[name] += 1
        f = self._files.get(name)
        if f is None:
            return Response(b"Not Found", status_code=404, media_type="text/html")
        if f.location is not None:
            return Response(b"", status_code=302, headers={"Location": f.location})
        if not f.chunked and f.data is not None:
            self.sent[name] += len(f.data)
            return Response(f.data, media_type=f.content_type)
        headers = {} if f.chunked else {"Content-Length": str(f.size)}
        return StreamingResponse(self._stream(name, f, request), media_type=f.content_type, headers=headers)

    async def _stream(self, name: str, f: _File, request: Request | None) -> AsyncIterator[bytes]:
        """Sends until done or until the client goes away (``sent`` then says how far it got)."""
        if f.data is not None:
            for i in range(0, len(f.data), CHUNK):
                self.sent[name] += len(f.data[i:i + CHUNK])
                yield f.data[i:i + CHUNK]
            return
        block = b"\0" * CHUNK
        left = f.size
        while left > 0:
            if request is not None and await request.is_disconnected():
                return
            piece = block[: min(CHUNK, left)]
            left -= len(piece)
            self.sent[name] += len(piece)
            yield piece
