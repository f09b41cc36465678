"""The request head is bounded as its bytes arrive (``web.http_protocol``): an oversized or trickled
request line or header block is answered 414/431 before it is buffered or parsed whole, normal requests
(bodies, keep-alive, heads cut in small pieces) pass untouched. Real uvicorn over TCP, the real app."""

from __future__ import annotations

import asyncio
import json
from typing import AsyncIterator

import pytest

from sovereign.gateway import Gateway
from sovereign.settings import Settings
from sovereign.web.app import create_app
from sovereign.web.http_protocol import bounded_httptools
from sovereign_testkit.fake_woo_server import LocalServer

LINE, HEAD = 17_000, 34_000


@pytest.fixture
async def port(db_url: str) -> AsyncIterator[int]:
    app = create_app(Settings(database_url=db_url), run_worker=False, gateway=Gateway([]))
    async with app.router.lifespan_context(app):
        async with LocalServer(app, http=bounded_httptools(max_head_bytes=HEAD, max_line_bytes=LINE)) as server:
            yield int(server.url.rsplit(":", 1)[1])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status = int((await reader.readline()).split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def send_in_pieces(writer: asyncio.StreamWriter, data: bytes, piece: int) -> None:
    for i in range(0, len(data), piece):
        writer.write(data[i:i + piece])
        await writer.drain()


async def test_oversized_request_lines_and_heads_are_refused_with_json_and_the_answer_arrives(port: int) -> None:
    for request, status, code in (
        (b"GET /" + b"a" * 60_000 + b" HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"b" * 60_000 + b"\r\n\r\n", 414, "uri_too_long"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"b" * 60_000 + b"\r\n\r\n", 431, "header_fields_too_large"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1234567890\r\n" * 3000 + b"\r\n", 431,
         "header_fields_too_large"),
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        got, headers, body = await read_response(reader)
        assert got == status and headers["connection"] == "close" and json.loads(body)["error"]["code"] == code
        assert await reader.read() == b""  # then the server closes: no reset lost the answer
        writer.close()


async def test_a_trickled_head_is_refused_as_soon_as_it_passes_the_limit_not_after_it_ends(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    writer.write(b"GET /")
    answer = asyncio.create_task(read_response(reader))
    while not answer.done() and sent < 5_000_000:  # a client that would send 5 MB of path, 1 KB at a time
        try:
            writer.write(b"a" * 1024)
            await writer.drain()
        except ConnectionError:
            break
        sent += 1024
        await asyncio.sleep(0)
    status, _, _ = await asyncio.wait_for(answer, 10)
    assert status == 414 and sent < 1_000_000  # answered after the limit, long before the 5 MB
    writer.close()


async def test_normal_requests_pass_heads_in_small_pieces_bodies_and_keep_alive(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 200) for i in range(60))  # 12 KB, under both limits
    for _ in range(3):  # three requests on one connection, each head in 7-byte pieces
        await send_in_pieces(writer, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 7)
        status, _, _ = await read_response(reader)
        assert status == 200
    # a body far larger than the head limit, in one write with its head: the body is not counted as head
    body = json.dumps({"pad": "x" * 200_000}).encode()
    writer.write(b"POST /v1/fraud/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    status, _, _ = await read_response(reader)
    assert status not in (414, 431) and status < 500  # the app's own answer (no key: 401)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader))[0] == 200
    writer.close()
