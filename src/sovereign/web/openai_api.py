"""The OpenAI-compatible API over the gateway: ``/v1/chat/completions``, ``/v1/models``, ``/v1/embeddings``.

Any OpenAI client works with ``base_url=http://host:8787/v1`` and a Sovereign
API key (``sovereign keys create``). Requests go through the gateway like a
feature's: failover, breakers, residency and redaction, audit. Each carries
the data class bound to its key and the feature ``"gateway"`` (the key needs
that feature scope, or none). ``model`` picks among the providers the key may
use, by provider name or provider model; ``"auto"`` lets the gateway choose.

The request body is read by ``openai_chat`` (every field honoured or refused
by name), answers are written by ``openai_render``, scope and ``/v1/models``
live in ``openai_scope``; ``responses_api`` serves ``/v1/responses`` the same way.

Errors have the OpenAI shape (``{"error": {"message", "type", "code", "param"}}``):
400 a field that cannot be honoured (``param`` names it), 401 missing or wrong key, 403 out of scope (model, feature) or refused by
residency policy, 404 unknown model, 429 over the key's rate (``Retry-After``),
503 no provider available or feature degraded, 504 deadline. A stream that
breaks after its first token ends with a final ``data: {"error": ...}``
event and no ``[DONE]``: never a silently truncated success.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from sovereign.gateway import CallFinished, ChatRequest, ChatResult, Gateway, GatewayError, ProviderConfig
from sovereign.gateway.outbound import RAW, digest_text
from sovereign.gateway.types import ProviderError
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import require_feature
from sovereign.web.errors import ApiError
from sovereign.web.openai_chat import FEATURE, TIMEOUT_S, ChatCompletionBody, chat_request
from sovereign.web.openai_render import api_error, completion, events, open_chunks
from sovereign.web.openai_scope import allowed, form, model_entries, providers_for, require_capable
from sovereign.web.deps import runtime_of

router = APIRouter(prefix="/v1", tags=["openai"])
_key = require_feature(FEATURE)


class EmbeddingsBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = None


# --- routes -------------------------------------------------------------------


@router.get("/models")
async def list_models(request: Request, key: ApiKey = Depends(_key)) -> dict[str, Any]:
    """One entry per model this key may use (scope and residency), with its aliases and what it accepts."""
    gateway = _gateway(request)
    data = model_entries(gateway, key)
    embeddings = gateway.settings.embeddings
    if embeddings is not None and _embedding_target(gateway, key, embeddings.model, check_only=True):
        data.append({"id": embeddings.model, "object": "model", "created": 0, "owned_by": "sovereign", "aliases": [],
                     "capabilities": {"embeddings": True}})
    return {"object": "list", "data": data}


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionBody, request: Request, key: ApiKey = Depends(_key)
) -> JSONResponse | StreamingResponse:
    gateway = _gateway(request)
    chat = chat_request(body, key, providers_for(gateway, key, body.model),
                        cache_control=request.headers.get("cache-control", ""))
    require_capable(gateway, chat)
    if body.stream:
        return await open_stream(gateway, chat, body.model, bool((body.stream_options or {}).get("include_usage")))
    results = await complete_n(gateway, chat, body.n or 1)
    headers = {"x-sovereign-provider": results[0].provider, "x-sovereign-jurisdiction": results[0].jurisdiction}
    return JSONResponse(completion(results, chat), headers=headers)


async def complete_n(gateway: Gateway, chat: ChatRequest, n: int) -> list[ChatResult]:
    """``n`` answers, one generation after another (the later ones never from the cache)."""
    results: list[ChatResult] = []
    try:
        for i in range(n):
            results.append(await gateway.complete(chat if i == 0 else replace(chat, cache_read=False, cache_write=False)))
    except GatewayError as e:
        raise api_error(e) from None
    return results


async def open_stream(gateway: Gateway, chat: ChatRequest, model: str, include_usage: bool) -> StreamingResponse:
    """Open the stream before answering: a failure before the first token is a plain HTTP error."""
    chunks, first = await open_chunks(gateway, chat)
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(events(chunks, first, model, include_usage), media_type="text/event-stream",
                             headers=headers)


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


# --- embeddings scope ---------------------------------------------------------


def _gateway(request: Request) -> Gateway:
    return runtime_of(request).gateway  # type: ignore[no-any-return]


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
    elif not allowed(gateway, key, [config]) or form(gateway, key, config) != RAW:
        problem = ApiError(403, f"residency policy does not let {key.data_class!r} data reach {config.name!r} "
                           "unredacted (embeddings are never redacted)", "policy_refused")
    if problem is not None:
        if check_only:
            return None
        raise problem
    return config
