"""The OpenAI-compatible API over the gateway: ``/v1/chat/completions``, ``/v1/models``, ``/v1/embeddings``.

Any OpenAI client works with ``base_url=http://host:8787/v1`` and a Sovereign
API key (``sovereign keys create``). Requests go through the gateway like a
feature's: failover, breakers, residency and redaction, audit. Each carries
the data class bound to its key and the feature ``"gateway"`` (the key needs
that feature scope, or none). ``model`` picks among the providers the key may
use, by provider name or provider model; ``"auto"`` lets the gateway choose.

Errors have the OpenAI shape (``{"error": {"message", "type", "code", "param"}}``):
401 missing or wrong key, 403 out of scope (model, feature) or refused by
residency policy, 404 unknown model, 429 over the key's rate (``Retry-After``),
503 no provider available or feature degraded, 504 deadline. A stream that
breaks after its first token ends with a final ``data: {"error": ...}``
event and no ``[DONE]``: never a silently truncated success.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any, AsyncIterator, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from sovereign.gateway import CallFinished, ChatRequest, ChatResult, Gateway, GatewayError, Message, ProviderConfig
from sovereign.gateway.outbound import RAW, digest_text
from sovereign.gateway.policy import Shaping
from sovereign.gateway.types import ProviderError, StreamChunk
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import require_feature
from sovereign.web.errors import ApiError, error_body

FEATURE = "gateway"
TIMEOUT_S = 120.0  # a whole answer, failover included
DEFAULT_MAX_TOKENS = 1024
AUTO = ("auto", "default", "sovereign")

router = APIRouter(prefix="/v1", tags=["openai"])
_key = require_feature(FEATURE)

# GatewayError.reason -> (HTTP status, error code)
_STATUS = {
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


# --- request bodies -----------------------------------------------------------


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[_Part] | None = None


class ChatCompletionBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # unknown sampling knobs (top_p, seed, ...) are accepted and ignored
    model: str
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stop: str | list[str] | None = None
    response_format: dict[str, Any] | None = None
    n: int | None = 1
    tools: list[Any] | None = None


class EmbeddingsBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = None


# --- routes -------------------------------------------------------------------


@router.get("/models")
async def list_models(request: Request, key: ApiKey = Depends(_key)) -> dict[str, Any]:
    """The models this key may use: the providers its scope and the residency policy allow, by name and model."""
    gateway = _gateway(request)
    allowed = _allowed(gateway, key, [c for c in gateway.configs if _in_scope(key, c)])
    ids = list(dict.fromkeys(i for c in allowed for i in (c.name, c.model)))
    embeddings = gateway.settings.embeddings
    if embeddings is not None and _embedding_target(gateway, key, embeddings.model, check_only=True):
        ids.append(embeddings.model)
    return {"object": "list", "data": [{"id": i, "object": "model", "created": 0, "owned_by": "sovereign"} for i in ids]}


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionBody, request: Request, key: ApiKey = Depends(_key)
) -> JSONResponse | StreamingResponse:
    gateway = _gateway(request)
    chat = _chat_request(body, key, _providers_for(gateway, key, body.model))
    if body.stream:
        return await _stream(gateway, chat, body)
    try:
        result = await gateway.complete(chat)
    except GatewayError as e:
        raise _api_error(e) from None
    headers = {"x-sovereign-provider": result.provider, "x-sovereign-jurisdiction": result.jurisdiction}
    return JSONResponse(_completion(result, chat), headers=headers)


@router.post("/embeddings")
async def embeddings(body: EmbeddingsBody, request: Request, key: ApiKey = Depends(_key)) -> JSONResponse:
    gateway = _gateway(request)
    config = _embedding_target(gateway, key, body.model)
    assert config is not None
    settings = gateway.settings.embeddings
    assert settings is not None
    adapter = gateway.provider(config.name)
    post = getattr(adapter, "post_json", None)
    if post is None:
        raise ApiError(400, f"provider {config.name!r} ({config.kind}) does not serve embeddings", "embeddings_unsupported")
    payload: dict[str, Any] = {"model": settings.model, "input": body.input}
    payload.update({k: v for k, v in (("encoding_format", body.encoding_format), ("dimensions", body.dimensions)) if v})
    start = time.monotonic()
    outcome, data, raw = "ok", None, json.dumps(body.input, ensure_ascii=False)
    try:
        data = await post("/embeddings", payload, min(TIMEOUT_S, config.timeouts.total))
    except ProviderError as e:
        outcome = "unavailable"
        raise ApiError(503, f"the embedding provider failed: {e}", "unavailable") from None
    finally:
        usage = (data.get("usage") or {}) if isinstance(data, dict) else {}
        gateway.emit(CallFinished(
            FEATURE, key.data_class, outcome, config.name, config.jurisdiction, settings.model, config.model_version,
            (time.monotonic() - start) * 1000.0, int(usage.get("prompt_tokens") or 0), 0, False, 1, False,
            digest_text(raw), digest_text(json.dumps(data, sort_keys=True)) if data is not None else "",
        ))
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ApiError(502, "the embedding provider answered in an unexpected shape", "bad_response")
    return JSONResponse({**data, "model": settings.model})


# --- scope and policy ---------------------------------------------------------


def _gateway(request: Request) -> Gateway:
    return request.app.state.runtime.gateway  # type: ignore[no-any-return]


def _in_scope(key: ApiKey, config: ProviderConfig) -> bool:
    return not key.models or config.name in key.models or config.model in key.models


def _probe(key: ApiKey, names: tuple[str, ...] | None) -> ChatRequest:
    return ChatRequest(messages=[], feature=FEATURE, data_class=key.data_class, providers=names)


def _allowed(gateway: Gateway, key: ApiKey, configs: list[ProviderConfig]) -> list[ProviderConfig]:
    """Those of ``configs`` the residency policy lets receive the key's data class."""
    names = {c.name for c in gateway.candidates(_probe(key, tuple(c.name for c in configs)))}
    return [c for c in configs if c.name in names]


def _providers_for(gateway: Gateway, key: ApiKey, model: str) -> tuple[str, ...] | None:
    """The providers a request for ``model`` may go to (None: any the gateway allows)."""
    if model in AUTO:
        return None if not key.models else tuple(c.name for c in gateway.configs if _in_scope(key, c))
    matching = [c for c in gateway.configs if model in (c.name, c.model)]
    if not matching:
        raise ApiError(404, f"The model `{model}` does not exist or is not configured", "model_not_found")
    scoped = [c for c in matching if _in_scope(key, c)]
    if not scoped:
        raise ApiError(403, f"this API key may not use the model {model!r}", "model_not_allowed")
    return tuple(c.name for c in scoped)


def _embedding_target(gateway: Gateway, key: ApiKey, model: str, *, check_only: bool = False) -> ProviderConfig | None:
    settings = gateway.settings.embeddings
    if settings is None:
        if check_only:
            return None
        raise ApiError(404, "no embedding model is configured on this server", "embeddings_not_configured")
    config = next((c for c in gateway.configs if c.name == settings.provider), None)
    problem: ApiError | None = None
    if model not in (settings.model, settings.provider):
        problem = ApiError(404, f"The model `{model}` does not exist or is not configured", "model_not_found")
    elif config is None:
        problem = ApiError(404, f"the embedding provider {settings.provider!r} is not configured", "model_not_found")
    elif key.models and settings.model not in key.models and settings.provider not in key.models:
        problem = ApiError(403, f"this API key may not use the model {model!r}", "model_not_allowed")
    elif not _allowed(gateway, key, [config]) or _form(gateway, key, config) != RAW:
        problem = ApiError(403, f"residency policy does not let {key.data_class!r} data reach {config.name!r} "
                           "unredacted (embeddings are never redacted)", "policy_refused")
    if problem is not None:
        if check_only:
            return None
        raise problem
    return config


def _form(gateway: Gateway, key: ApiKey, config: ProviderConfig) -> str:
    policy = gateway.policy
    return policy.form(_probe(key, None), config) if isinstance(policy, Shaping) else RAW


# --- chat ---------------------------------------------------------------------


def _text(message: _Message) -> str:
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    parts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise ApiError(400, f"message content of type {part.type!r} is not supported (text only)", "unsupported_content")
        parts.append(part.text)
    return "".join(parts)


def _chat_request(body: ChatCompletionBody, key: ApiKey, providers: tuple[str, ...] | None) -> ChatRequest:
    if body.n not in (None, 1):
        raise ApiError(400, "only n=1 is supported", "unsupported_parameter")
    if body.tools:
        raise ApiError(400, "tools are not supported by this gateway", "unsupported_parameter")
    messages = []
    for m in body.messages:
        role = "system" if m.role == "developer" else m.role
        if role not in ("system", "user", "assistant"):
            raise ApiError(400, f"message role {m.role!r} is not supported", "unsupported_role")
        messages.append(Message(role, _text(m)))  # type: ignore[arg-type]
    schema, json_mode = None, False
    fmt = body.response_format or {}
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ApiError(400, "response_format.json_schema.schema must be a JSON Schema object", "invalid_schema")
    elif fmt.get("type") == "json_object":
        json_mode = True
    elif fmt.get("type") not in (None, "text"):
        raise ApiError(400, f"response_format type {fmt.get('type')!r} is not supported", "unsupported_parameter")
    return ChatRequest(
        messages=messages, feature=FEATURE, data_class=key.data_class, deadline=time.monotonic() + TIMEOUT_S,
        max_tokens=body.max_completion_tokens or body.max_tokens or DEFAULT_MAX_TOKENS,
        temperature=1.0 if body.temperature is None else body.temperature,
        json_schema=schema, json_mode=json_mode, stop=[body.stop] if isinstance(body.stop, str) else body.stop,
        metadata={"api_key": key.id}, providers=providers, lane="api",
    )


def _api_error(e: GatewayError) -> ApiError:
    status, code = _STATUS.get(e.reason, (503, e.reason))
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 429:
        headers = {"Retry-After": str(max(1, math.ceil(e.retry_after or 1)))}
    return ApiError(status, str(e), code, headers)


def _completion(result: ChatResult, chat: ChatRequest) -> dict[str, Any]:
    wants_json = chat.json_schema is not None or chat.json_mode
    content = json.dumps(result.parsed, ensure_ascii=False) if wants_json and result.parsed is not None else result.text
    u = result.usage
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": result.model, "system_fingerprint": result.model_version,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": result.finish_reason,
                     "logprobs": None}],
        "usage": {"prompt_tokens": u.input_tokens, "completion_tokens": u.output_tokens,
                  "total_tokens": u.input_tokens + u.output_tokens},
    }


async def _stream(gateway: Gateway, chat: ChatRequest, body: ChatCompletionBody) -> StreamingResponse:
    """Open the stream before answering: a failure before the first token is a plain HTTP error."""
    chunks = gateway.stream(chat)
    try:
        first = await anext(chunks)
    except GatewayError as e:
        await chunks.aclose()
        raise _api_error(e) from None
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(_events(chunks, first, body.model, include_usage), media_type="text/event-stream",
                             headers=headers)


async def _events(chunks: AsyncIterator[StreamChunk], first: StreamChunk, model: str, usage: bool) -> AsyncIterator[bytes]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def event(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        doc: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
        doc.update(extra)
        return b"data: " + json.dumps(doc, ensure_ascii=False).encode() + b"\n\n"

    chunk: StreamChunk | None = first
    try:
        yield event({"role": "assistant", "content": ""})
        while chunk is not None:
            if chunk.text:
                yield event({"content": chunk.text})
            if chunk.finish_reason is not None:
                yield event({}, chunk.finish_reason)
                if usage:
                    u = chunk.usage
                    i, o = (u.input_tokens, u.output_tokens) if u is not None else (0, 0)
                    yield event(None, usage={"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o})
                yield b"data: [DONE]\n\n"
                return
            chunk = await anext(chunks, None)
        raise GatewayError("the stream ended before the answer was complete", reason="interrupted")
    except GatewayError as e:
        status, code = _STATUS.get(e.reason, (502, e.reason))
        yield b"data: " + json.dumps(error_body(status, str(e), code)).encode() + b"\n\n"
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
