"""The OpenAI Responses API, ``POST /v1/responses``, on the same gateway path as chat completions.

Input (a text or a list of items: messages with ``input_text``/``input_image``
parts, ``function_call`` and ``function_call_output`` items), ``instructions``,
function ``tools``, structured output (``text.format``) and streaming (the
``response.*`` events) are translated into a chat completions body and go
through the same checks, scope, residency, redaction, cache and audit.
Nothing is stored: ``previous_response_id`` and ``store: true`` are refused.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from sovereign.gateway import ChatRequest, GatewayError
from sovereign.gateway.types import StreamChunk, ToolCall
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import require_feature
from sovereign.web.errors import ApiError, error_body
from sovereign.web.openai_api import _gateway, complete_n
from sovereign.web.openai_chat import FEATURE, ChatCompletionBody, chat_request
from sovereign.web.openai_render import STATUS, answer_text, open_chunks
from sovereign.web.openai_scope import providers_for, require_capable

router = APIRouter(prefix="/v1", tags=["openai"])
_key = require_feature(FEATURE)

LABELS = frozenset({"metadata", "user", "service_tier", "prompt_cache_key", "safety_identifier", "truncation",
                    "include", "background"})
OFF: dict[str, tuple[Any, ...]] = {"previous_response_id": (None,), "store": (None, False), "reasoning": (None, {}),
                                   "conversation": (None,), "prompt": (None,), "background": (None, False)}


class ResponsesBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    input: str | list[dict[str, Any]]
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    text: dict[str, Any] | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stream: bool = False


@router.post("/responses", response_model=None)
async def create_response(body: ResponsesBody, request: Request, key: ApiKey = Depends(_key)) -> JSONResponse | StreamingResponse:
    gateway = _gateway(request)
    chat = chat_request(_chat_body(body), key, providers_for(gateway, key, body.model),
                        cache_control=request.headers.get("cache-control", ""))
    require_capable(gateway, chat)
    if body.stream:
        chunks, first = await open_chunks(gateway, chat)
        return StreamingResponse(_events(chunks, first, body, chat), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
    result = (await complete_n(gateway, chat, 1))[0]
    text = answer_text(result, chat) or ""
    doc = _response(body, _new_id("resp"), "completed", _output(text, result.tool_calls), result.model,
                    (result.usage.input_tokens, result.usage.output_tokens))
    return JSONResponse(doc, headers={"x-sovereign-provider": result.provider,
                                      "x-sovereign-jurisdiction": result.jurisdiction})


# --- request --------------------------------------------------------------------


def _chat_body(body: ResponsesBody) -> ChatCompletionBody:
    for name, value in (body.model_extra or {}).items():
        if name in OFF and value in OFF[name]:
            continue
        if name in LABELS and name not in OFF:
            continue
        why = "is not supported: nothing is stored here" if name in OFF else "is not a Responses API parameter"
        raise ApiError(400, f"{name} {why}", "unsupported_parameter", param=name)
    messages: list[dict[str, Any]] = [{"role": "system", "content": body.instructions}] if body.instructions else []
    if isinstance(body.input, str):
        messages.append({"role": "user", "content": body.input})
    else:
        for i, item in enumerate(body.input):
            _add_item(messages, item, f"input[{i}]")
    doc: dict[str, Any] = {"model": body.model, "messages": messages, "stream": body.stream}
    doc.update({k: v for k, v in (("temperature", body.temperature), ("top_p", body.top_p),
                                  ("max_tokens", body.max_output_tokens),
                                  ("parallel_tool_calls", body.parallel_tool_calls)) if v is not None})
    if body.tools:
        doc["tools"] = [_tool(t, i) for i, t in enumerate(body.tools)]
    if body.tool_choice is not None:
        choice = body.tool_choice
        doc["tool_choice"] = ({"type": "function", "function": {"name": choice.get("name")}}
                              if isinstance(choice, dict) else choice)
    fmt = (body.text or {}).get("format")
    if fmt:
        doc["response_format"] = (
            {"type": "json_schema", "json_schema": {"name": fmt.get("name", "answer"), "schema": fmt.get("schema")}}
            if fmt.get("type") == "json_schema" else {"type": fmt.get("type")}
        )
    try:
        return ChatCompletionBody.model_validate(doc)
    except ValidationError as e:
        first = e.errors()[0]
        raise ApiError(400, f"{'.'.join(map(str, first['loc']))}: {first['msg']}", "invalid_request") from None


def _add_item(messages: list[dict[str, Any]], item: dict[str, Any], where: str) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        content = item.get("content")
        if isinstance(content, list):
            content = [_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        messages.append({"role": item.get("role", "user"), "content": content})
    elif kind == "function_call":
        call = {"id": item.get("call_id"), "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or "{}"}}
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant" and last.get("tool_calls") is not None:
            last["tool_calls"].append(call)
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        messages.append({"role": "tool", "tool_call_id": item.get("call_id"),
                         "content": output if isinstance(output, str) else json.dumps(output)})
    else:
        raise ApiError(400, f"{where}: input items of type {kind!r} are not supported", "unsupported_content", param=where)


def _part(part: dict[str, Any], where: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part.get("text", "")}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        return {"type": "image_url", "image_url": {"url": part["image_url"]}}
    raise ApiError(400, f"{where}: content of type {kind!r} is not supported", "unsupported_content", param=where)


def _tool(tool: dict[str, Any], i: int) -> dict[str, Any]:
    if tool.get("type") != "function":
        raise ApiError(400, f"tools[{i}]: only function tools are supported (not {tool.get('type')!r})",
                       "invalid_tools", param="tools")
    fn = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
    return {"type": "function", "function": fn}


# --- response -------------------------------------------------------------------


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _message_item(text: str, status: str = "completed", item_id: str | None = None) -> dict[str, Any]:
    return {"type": "message", "id": item_id or _new_id("msg"), "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}] if status == "completed"
            else []}


def _call_item(call: ToolCall, status: str = "completed") -> dict[str, Any]:
    return {"type": "function_call", "id": _new_id("fc"), "call_id": call.id, "name": call.name,
            "arguments": call.arguments if status == "completed" else "", "status": status}


def _output(text: str, calls: list[ToolCall]) -> list[dict[str, Any]]:
    return ([_message_item(text)] if text or not calls else []) + [_call_item(c) for c in calls]


def _response(body: ResponsesBody, rid: str, status: str, output: list[dict[str, Any]], model: str,
              usage: tuple[int, int] | None) -> dict[str, Any]:
    return {
        "id": rid, "object": "response", "created_at": int(time.time()), "status": status, "model": model,
        "output": output, "error": None, "incomplete_details": None, "instructions": body.instructions,
        "max_output_tokens": body.max_output_tokens, "metadata": (body.model_extra or {}).get("metadata") or {},
        "parallel_tool_calls": body.parallel_tool_calls is not False, "temperature": body.temperature,
        "top_p": body.top_p, "tool_choice": body.tool_choice or "auto", "tools": body.tools or [],
        "text": body.text or {"format": {"type": "text"}}, "store": False,
        "usage": None if usage is None else {
            "input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage),
            "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
    }


async def _events(chunks: AsyncIterator[StreamChunk], first: StreamChunk, body: ResponsesBody,
                  chat: ChatRequest) -> AsyncIterator[bytes]:
    """``response.created`` ... ``response.completed``; a failure after the start ends with ``error``."""
    rid, seq = _new_id("resp"), 0

    def event(kind: str, **doc: Any) -> bytes:
        nonlocal seq
        seq += 1
        return f"event: {kind}\ndata: ".encode() + json.dumps({"type": kind, "sequence_number": seq, **doc},
                                                              ensure_ascii=False).encode() + b"\n\n"

    started = _response(body, rid, "in_progress", [], body.model, None)
    output: list[dict[str, Any]] = []
    msg: dict[str, Any] | None = None
    parts: list[str] = []
    chunk: StreamChunk | None = first
    try:
        yield event("response.created", response=started)
        yield event("response.in_progress", response=started)
        while chunk is not None:
            if chunk.text:
                if msg is None:
                    msg = _message_item("", "in_progress")
                    yield event("response.output_item.added", output_index=len(output), item=msg)
                    yield event("response.content_part.added", item_id=msg["id"], output_index=len(output),
                                content_index=0, part={"type": "output_text", "text": "", "annotations": []})
                parts.append(chunk.text)
                yield event("response.output_text.delta", item_id=msg["id"], output_index=len(output), content_index=0,
                            delta=chunk.text, logprobs=[])
            if (chunk.tool_calls or chunk.finish_reason is not None) and msg is not None:
                text = "".join(parts)
                done = _message_item(text, item_id=msg["id"])
                yield event("response.output_text.done", item_id=msg["id"], output_index=len(output), content_index=0,
                            text=text, logprobs=[])
                yield event("response.content_part.done", item_id=msg["id"], output_index=len(output), content_index=0,
                            part=done["content"][0])
                yield event("response.output_item.done", output_index=len(output), item=done)
                output.append(done)
                msg = None
            for call in chunk.tool_calls:
                item = _call_item(call, "in_progress")
                yield event("response.output_item.added", output_index=len(output), item=item)
                yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=len(output),
                            delta=call.arguments)
                yield event("response.function_call_arguments.done", item_id=item["id"], output_index=len(output),
                            arguments=call.arguments)
                item = {**item, "arguments": call.arguments, "status": "completed"}
                yield event("response.output_item.done", output_index=len(output), item=item)
                output.append(item)
            if chunk.finish_reason is not None:
                u = chunk.usage
                usage = (u.input_tokens, u.output_tokens) if u is not None else (0, 0)
                yield event("response.completed", response=_response(body, rid, "completed", output, body.model, usage))
                return
            chunk = await anext(chunks, None)
        raise GatewayError("the stream ended before the answer was complete", reason="interrupted")
    except GatewayError as e:
        status, code = STATUS.get(e.reason, (502, e.reason))
        err = error_body(status, str(e), code)["error"]
        yield event("error", code=code, message=str(e), param=None, error=err)
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
