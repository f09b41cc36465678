"""A fake LLM upstream: OpenAI-compatible and Anthropic-compatible, on a real socket at 127.0.0.1.

    async with FakeLLM() as fake:           # port 0: the OS picks one
        fake.set_mode("hang")               # every call from now on
        fake.script("rate_limited", "rate_limited", "fast")  # the next calls, in order
        ... ProviderConfig(endpoint=fake.openai_url) / (endpoint=fake.url, kind="anthropic")
        fake.calls, fake.requests[-1].json(), fake.requests[-1].headers

Modes: ``fast``, ``slow`` (``delay`` before answering), ``rate_limited`` (429 +
``Retry-After``), ``error`` (500 or ``status``), ``unauthorized`` (401),
``hang`` (never answers), ``reset`` (TCP reset), ``garbage`` (200 with a
non-JSON body), ``stream_break`` (``chunks`` stream events, then a reset),
``stream_stall`` (headers and ``chunks`` events, default none, then
nothing). Scripted steps are consumed by completion calls only; health
checks (``GET .../models``) answer 200 unless the default mode is a failing one.
Requests that offer ``tools`` get tool calls back, and requests ending with
tool results get text quoting them, in both dialects and streamed too
(``fake_llm_tools``; ``Step(tool_arguments=...)`` sets the arguments).

Like a real model server it honours ``max_tokens`` (an answer longer than
that many words is cut, with ``finish_reason`` ``length`` / ``stop_reason``
``max_tokens``), and with ``context`` set, a prompt of more than ``context``
tokens (4 characters each) gets 400 ``context_length_exceeded`` as OpenAI,
vLLM and llama.cpp answer it.

Standalone (drills run it beside ``sovereign serve``)::

    python -m sovereign_testkit.fake_llm --port 8999 --mode fast

and control it over HTTP: ``POST /_fake/mode`` (a step as JSON),
``POST /_fake/script`` (``{"steps": [...]}``), ``GET /_fake/stats``,
``GET /_fake/requests``, ``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import struct
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .fake_llm_tools import anthropic_plan, openai_plan

MODES = (
    "fast", "slow", "rate_limited", "error", "unauthorized", "hang", "reset", "garbage", "stream_break", "stream_stall",
)
_FAILING = frozenset(MODES) - {"fast", "slow"}
_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded",
}


@dataclass(frozen=True)
class Step:
    """How to answer one call (or every call, as the default)."""

    mode: str = "fast"
    delay: float = 0.0  # seconds before answering (any mode)
    status: int | None = None  # for "error": default 500
    retry_after: str | None = None  # the Retry-After header value for "rate_limited" / "error"
    text: str | None = None  # the answer; default: the server's ``reply``
    chunks: int | None = None  # stream events before the reset (stream_break, default 2) / stall (stream_stall, 0)
    tool_arguments: dict[str, Any] | None = None  # arguments of the tool call made when tools are offered

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown fake LLM mode {self.mode!r}; one of {MODES}")


@dataclass
class Recorded:
    """One request exactly as it reached the upstream."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


class _Reset(Exception):
    pass


class FakeLLM:
    def __init__(
        self, *, port: int = 0, reply: str = "Hello from the fake LLM.", mode: str | Step = "fast",
        max_records: int = 100_000, context: int | None = None, delays: dict[str, float] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.context = context  # prompt tokens (4 characters each) above which a call gets 400
        self.delays = dict(delays or {})  # a call whose body contains the key waits that many seconds more
        self.port = port
        self.reply = reply
        # A function of the request body (the parsed JSON) that returns the answer text, or None for ``reply``:
        # a model whose answer depends on what it was sent (``injection.obedient_fraud_answer``).
        self.responder: Callable[[dict[str, Any]], str | None] | None = None
        self.default = mode if isinstance(mode, Step) else Step(mode)
        self.requests: deque[Recorded] = deque(maxlen=max_records)
        self.calls = 0  # completion calls answered or attempted (health and control excluded)
        self._script: deque[Step] = deque()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- control -------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def set_mode(self, mode: str | Step, **kw: Any) -> None:
        self.default = mode if isinstance(mode, Step) else Step(mode, **kw)

    def script(self, *steps: str | Step) -> None:
        """Answer the next calls with these steps, in order, then go back to the default mode."""
        self._script.extend(s if isinstance(s, Step) else Step(s) for s in steps)

    def reset(self) -> None:
        self.requests.clear()
        self._script.clear()
        self.calls = 0
        self.default = Step()

    def count(self, path_suffix: str = "") -> int:
        return sum(1 for r in self.requests if r.path.endswith(path_suffix))

    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and _is_completion(r.path)]

    # --- lifecycle ----------------------------------------------------------

    async def start(self) -> "FakeLLM":
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=1 << 22)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "FakeLLM":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- HTTP ----------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                method, path, headers = _parse_head(head)
                body = await _read_body(reader, headers)
                if not await self._dispatch(method, path, headers, body, writer):
                    return
                if headers.get("connection", "").lower() == "close":
                    return
        except _Reset:
            _abort(writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _dispatch(
        self, method: str, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False closes the connection."""
        if path.startswith("/_fake/"):
            status, payload = self._control(method, path, body)
            await _send(writer, status, json.dumps(payload).encode())
            return True
        self.requests.append(Recorded(method, path, headers, body))
        if method == "POST" and _is_completion(path):
            self.calls += 1
            step = self._script.popleft() if self._script else self.default
            return await self._complete(path, body, step, writer)
        if method == "GET" and (path.endswith("/models") or path == "/health"):
            step = self.default
            if step.mode == "hang":
                await asyncio.Event().wait()
            if step.delay:
                await asyncio.sleep(step.delay)
            ok = step.mode not in _FAILING
            models = b'{"object":"list","data":[{"id":"fake","object":"model"}]}'
            await _send(writer, 200 if ok else 503, models if ok else b'{"error":"down"}')
            return True
        await _send(writer, 404, b'{"error":"not found"}')
        return True

    async def _complete(self, path: str, body: bytes, step: Step, writer: asyncio.StreamWriter) -> bool:
        anthropic = path.endswith("/messages")
        try:
            req = json.loads(body)
        except ValueError:
            await _send(writer, 400, b'{"error":"body is not JSON"}')
            return True
        stream, model = bool(req.get("stream")), str(req.get("model", "fake"))
        if self.context is not None and _prompt_tokens(req) > self.context:
            await _send(writer, 400, _context_error(_prompt_tokens(req), self.context, anthropic))
            return True
        extra = max((d for marker, d in self.delays.items() if marker.encode() in body), default=0.0)
        if step.delay or extra:
            await asyncio.sleep(step.delay + extra)
        mode = step.mode
        if mode == "hang" or (mode == "stream_stall" and not stream):
            await asyncio.Event().wait()
        if mode == "reset":
            raise _Reset
        if mode in ("rate_limited", "error", "unauthorized"):
            status = {"rate_limited": 429, "unauthorized": 401}.get(mode) or step.status or 500
            extra = {"retry-after": step.retry_after} if step.retry_after is not None else {}
            await _send(writer, status, _error_body(status, anthropic), extra)
            return True
        calls, quoted = (anthropic_plan if anthropic else openai_plan)(req, step.tool_arguments)
        text = self.reply if step.text is None else step.text
        if step.text is None and self.responder is not None:
            answered = self.responder(req)
            text = text if answered is None else answered
        if quoted is not None and step.text is None:
            text = quoted
        if calls:
            text = ""
        text, finish = _cut(text, req.get("max_tokens"))
        usage = (max(1, len(body) // 4), max(1, len(text.split())))
        if not stream:
            if mode == "garbage":
                await _send(writer, 200, b"<html><body>502 Bad Gateway (proxy)</body></html>")
                return True
            message = (_anthropic_message(text, model, usage, finish, calls) if anthropic
                       else _openai_message(text, model, usage, finish, calls))
            payload = json.dumps(message).encode()
            if mode == "stream_break":  # a truncated body, then a reset
                writer.write(_head(200, len(payload)) + payload[: len(payload) // 2])
                await writer.drain()
                raise _Reset
            await _send(writer, 200, payload)
            return True
        writer.write(_head(200, None, content_type="text/event-stream"))
        if mode == "garbage":
            events = [b"data: {this is not json\n\n"]
        else:
            events = (_anthropic_events if anthropic else _openai_events)(text, model, usage, req, finish, calls)
        cut = step.chunks if step.chunks is not None else (2 if mode == "stream_break" else 0)
        for i, event in enumerate(events):
            if i >= cut and mode == "stream_break":
                await writer.drain()
                raise _Reset
            if i >= cut and mode == "stream_stall":
                await writer.drain()
                await asyncio.Event().wait()
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        doc = json.loads(body) if body else {}
        if path == "/_fake/mode" and method == "POST":
            self.set_mode(Step(**doc))
            return 200, asdict(self.default)
        if path == "/_fake/script" and method == "POST":
            self.script(*(Step(**s) if isinstance(s, dict) else Step(s) for s in doc.get("steps", [])))
            return 200, {"queued": len(self._script)}
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        if path == "/_fake/stats":
            return 200, {
                "calls": self.calls, "requests": len(self.requests), "scripted": len(self._script),
                "mode": asdict(self.default),
            }
        if path == "/_fake/requests":
            return 200, [
                {
                    "method": r.method, "path": r.path, "headers": r.headers,
                    "body_b64": base64.b64encode(r.body).decode(), "at": r.at,
                }
                for r in self.requests
            ]
        return 404, {"error": "unknown control path"}


def _is_completion(path: str) -> bool:
    return path.endswith("/chat/completions") or path.endswith("/messages")


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return method, target.split("?", 1)[0], headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(data[:-2])
    n = int(headers.get("content-length") or 0)
    return await reader.readexactly(n) if n else b""


def _head(
    status: int, length: int | None, *, content_type: str = "application/json", extra: dict[str, str] | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"content-type: {content_type}"]
    lines.append(f"content-length: {length}" if length is not None else "transfer-encoding: chunked")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
    writer.write(_head(status, len(body), extra=extra) + body)
    await writer.drain()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (RST), as a crashed upstream or a cutting proxy would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def _error_body(status: int, anthropic: bool) -> bytes:
    kind = {429: "rate_limit_error", 401: "authentication_error", 529: "overloaded_error"}.get(status, "api_error")
    if anthropic:
        return json.dumps({"type": "error", "error": {"type": kind, "message": f"fake {status}"}}).encode()
    return json.dumps({"error": {"message": f"fake {status}", "type": kind, "code": status}}).encode()


def _prompt_tokens(req: dict[str, Any]) -> int:
    chars = len(str(req.get("system") or ""))
    for m in req.get("messages") or ():
        content = m.get("content") if isinstance(m, dict) else ""
        chars += len(content if isinstance(content, str) else json.dumps(content))
    return chars // 4


def _context_error(tokens: int, context: int, anthropic: bool) -> bytes:
    message = f"This model's maximum context length is {context} tokens. However, your messages resulted in {tokens} tokens."
    if anthropic:
        return json.dumps({"type": "error", "error": {"type": "invalid_request_error",
                                                      "message": f"prompt is too long: {tokens} tokens > {context} maximum"}}).encode()
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": "messages",
                                 "code": "context_length_exceeded"}}).encode()


def _cut(text: str, max_tokens: Any) -> tuple[str, str]:
    """The answer cut to ``max_tokens`` words (one word, one token) and why it ended: stop or length."""
    words = text.split(" ")
    if isinstance(max_tokens, int) and 0 < max_tokens < len(words):
        return " ".join(words[:max_tokens]), "length"
    return text, "stop"


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)] if text else []


def _openai_message(text: str, model: str, usage: tuple[int, int], finish: str = "stop", calls: list[Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message = {"role": "assistant", "content": None, "tool_calls": calls}
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else finish}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def _openai_events(
    text: str, model: str, usage: tuple[int, int], req: dict[str, Any], finish: str = "stop", calls: list[Any] | None = None
) -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        doc = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(doc).encode() + b"\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": p}) for p in _pieces(text)]
    for i, call in enumerate(calls or ()):  # as OpenAI streams them: id and name first, then argument pieces
        fn = call["function"]
        out.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                          "function": {"name": fn["name"], "arguments": ""}}]}))
        args = fn["arguments"]
        out += [chunk({"tool_calls": [{"index": i, "function": {"arguments": args[j:j + 8]}}]})
                for j in range(0, len(args), 8)]
    out.append(chunk({}, "tool_calls" if calls else finish))
    if (req.get("stream_options") or {}).get("include_usage"):
        u = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
        out.append(b"data: " + json.dumps({"id": "chatcmpl-fake", "choices": [], "usage": u}).encode() + b"\n\n")
    return out + [b"data: [DONE]\n\n"]


def _anthropic_message(text: str, model: str, usage: tuple[int, int], finish: str = "stop", calls: list[Any] | None = None) -> dict[str, Any]:
    content = ([{"type": "text", "text": text}] if text or not calls else []) + list(calls or ())
    return {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": "tool_use" if calls else _STOP[finish], "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


_STOP = {"stop": "end_turn", "length": "max_tokens"}


def _anthropic_events(
    text: str, model: str, usage: tuple[int, int], req: dict[str, Any], finish: str = "stop", calls: list[Any] | None = None
) -> list[bytes]:
    def ev(name: str, doc: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: ".encode() + json.dumps({"type": name, **doc}).encode() + b"\n\n"

    start = {**_anthropic_message("", model, (usage[0], 1)), "content": [], "stop_reason": None}
    out = [
        ev("message_start", {"message": start}),
        ev("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        ev("ping", {}),
    ]
    out += [ev("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": p}}) for p in _pieces(text)]
    out.append(ev("content_block_stop", {"index": 0}))
    for i, call in enumerate(calls or (), start=1):
        args = json.dumps(call["input"])
        out.append(ev("content_block_start", {"index": i, "content_block": {**call, "input": {}}}))
        out += [ev("content_block_delta", {"index": i, "delta": {"type": "input_json_delta", "partial_json": args[j:j + 8]}})
                for j in range(0, len(args), 8)]
        out.append(ev("content_block_stop", {"index": i}))
    out += [
        ev("message_delta", {
            "delta": {"stop_reason": "tool_use" if calls else _STOP[finish], "stop_sequence": None},
            "usage": {"output_tokens": usage[1]},
        }),
        ev("message_stop", {}),
    ]
    return out


async def _serve_forever(args: argparse.Namespace) -> None:
    step = Step(args.mode, delay=args.delay)
    fake = FakeLLM(port=args.port, reply=args.reply, mode=step, max_records=args.max_records, context=args.context)
    await fake.start()
    print(f"fake-llm listening on {fake.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="fake-llm", description="A controllable fake OpenAI/Anthropic upstream.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", choices=MODES, default="fast")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--reply", default="Hello from the fake LLM.")
    p.add_argument("--max-records", type=int, default=100_000)
    p.add_argument("--context", type=int, default=None, help="prompt tokens above which a call gets 400")
    args = p.parse_args(argv)
    try:
        import uvloop  # the standalone server is a benchmark baseline: keep it quick

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(_serve_forever(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
