"""Gateway results in the chat completions shape: one answer, or its server-sent events."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any, AsyncIterator, Sequence

from sovereign.gateway import ChatRequest, ChatResult, Gateway, GatewayError
from sovereign.gateway.types import StreamChunk, ToolCall
from sovereign.web.errors import ApiError, error_body

# GatewayError.reason -> (HTTP status, error code)
STATUS = {
    "policy": (403, "policy_refused"),
    "redaction": (500, "redaction_failed"),
    "degraded": (503, "degraded"),
    "unavailable": (503, "unavailable"),
    "deadline": (504, "deadline_exceeded"),
    "invalid_output": (502, "invalid_output"),
    "interrupted": (502, "stream_interrupted"),
    # the caller's own errors: never retried as outages, never counted against a provider or the SLO
    "invalid_request": (400, "invalid_request_error"),
    "context_length_exceeded": (400, "context_length_exceeded"),
    "overloaded": (429, "rate_limit_exceeded"),
}
_FINISH = ("stop", "length", "content_filter", "tool_calls")


def api_error(e: GatewayError) -> ApiError:
    status, code = STATUS.get(e.reason, (503, e.reason))
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 429:
        headers = {"Retry-After": str(max(1, math.ceil(e.retry_after or 1)))}
    return ApiError(status, str(e), code, headers)


async def open_chunks(gateway: Gateway, chat: ChatRequest) -> tuple[AsyncIterator[StreamChunk], StreamChunk]:
    """The stream and its first chunk: a failure before the first token is a plain HTTP error."""
    chunks = gateway.stream(chat)
    try:
        first = await anext(chunks)
    except GatewayError as e:
        await chunks.aclose()  # type: ignore[attr-defined]
        raise api_error(e) from None
    return chunks, first


def tool_calls_json(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    return [{"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}} for t in calls]


def finish_reason(result: ChatResult) -> str:
    if result.tool_calls:
        return "tool_calls"
    return result.finish_reason if result.finish_reason in _FINISH[:3] else "stop"


def answer_text(result: ChatResult, chat: ChatRequest) -> str | None:
    wants_json = chat.json_schema is not None or chat.json_mode
    if wants_json and result.parsed is not None:
        return json.dumps(result.parsed, ensure_ascii=False)
    return result.text or (None if result.tool_calls else "")


def completion(results: Sequence[ChatResult], chat: ChatRequest) -> dict[str, Any]:
    """One ``chat.completion`` with a choice per result (``n``), usage summed."""
    choices = []
    for i, result in enumerate(results):
        message: dict[str, Any] = {"role": "assistant", "content": answer_text(result, chat)}
        if result.tool_calls:
            message["tool_calls"] = tool_calls_json(result.tool_calls)
        choices.append({"index": i, "message": message, "finish_reason": finish_reason(result), "logprobs": None})
    i_tokens = sum(r.usage.input_tokens for r in results)
    o_tokens = sum(r.usage.output_tokens for r in results)
    first = results[0]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": first.model, "system_fingerprint": first.model_version, "choices": choices,
        "usage": {"prompt_tokens": i_tokens, "completion_tokens": o_tokens, "total_tokens": i_tokens + o_tokens},
    }


async def events(chunks: AsyncIterator[StreamChunk], first: StreamChunk, model: str, usage: bool) -> AsyncIterator[bytes]:
    """The SSE body: role, content deltas, tool call deltas, the finish reason, usage, ``[DONE]``;
    a failure after the first token ends it with an error event and no ``[DONE]``."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def event(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        doc: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
        doc.update(extra)
        return b"data: " + json.dumps(doc, ensure_ascii=False).encode() + b"\n\n"

    chunk: StreamChunk | None = first
    calls = 0
    try:
        yield event({"role": "assistant", "content": ""})
        while chunk is not None:
            if chunk.text:
                yield event({"content": chunk.text})
            for call in chunk.tool_calls:
                yield event({"tool_calls": [{"index": calls, **tool_calls_json([call])[0]}]})
                calls += 1
            if chunk.finish_reason is not None:
                finish = "tool_calls" if calls else (chunk.finish_reason if chunk.finish_reason in _FINISH[:3] else "stop")
                yield event({}, finish)
                if usage:
                    u = chunk.usage
                    i, o = (u.input_tokens, u.output_tokens) if u is not None else (0, 0)
                    yield event(None, usage={"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o})
                yield b"data: [DONE]\n\n"
                return
            chunk = await anext(chunks, None)
        raise GatewayError("the stream ended before the answer was complete", reason="interrupted")
    except GatewayError as e:
        status, code = STATUS.get(e.reason, (502, e.reason))
        yield b"data: " + json.dumps(error_body(status, str(e), code)).encode() + b"\n\n"
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
