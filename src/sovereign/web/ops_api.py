"""The operations API for incident playbooks: degraded mode and manual overrides of the serving process.

    GET  /v1/ops/status                                       providers, features, overrides, queue
    POST /v1/ops/degraded {"feature": "fraud" | "*", "on": true, "reason": "provider outage"}
    POST /v1/ops/provider {"name": "local"}                   ({"name": null}: no forced provider)
    POST /v1/ops/pin      {"provider": "openai", "version": "gpt-4o-2024-08-06"}
                          ({"version": null}: unpin; optional "model": the name sent, default the version)
    POST /v1/ops/clear                                        every override off

Authorization: ``Bearer sk-sov-…`` of a key whose features explicitly list
``ops`` (a key allowed "every feature" is not enough: overrides change what
every other caller gets). 401/403 as elsewhere; 400 for a bad body, 404 for
an unknown provider. Each change answers with the new status, is logged with
the key's id and reaches the audit log as an ``OverrideChanged`` event.

The operations themselves are ``sovereign.features.operations`` (the console's
switches call the same ones).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sovereign.features.operations import (
    OverrideError, clear_overrides, ops_status, set_degraded, set_pin, set_provider,
)
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import authenticate
from sovereign.web.errors import ApiError
from sovereign.web.deps import runtime_of

__all__ = ["OPS_FEATURE", "require_ops", "router"]

router = APIRouter()

OPS_FEATURE = "ops"



async def require_ops(request: Request) -> ApiKey:
    key = await authenticate(request)
    if OPS_FEATURE not in key.features:
        raise ApiError(403, "this API key may not change operations (its features must list 'ops')", "scope_feature")
    return key


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        doc = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(doc, dict):
        raise ApiError(400, "the request body must be a JSON object", "invalid_request")
    return doc


def _actor(key: ApiKey) -> str:
    return f"api key {key.id} ({key.name})"


async def _answer(request: Request) -> JSONResponse:
    return JSONResponse(await ops_status(runtime_of(request)))


def _apply(fn: Any, *args: Any, **kw: Any) -> None:
    try:
        fn(*args, **kw)
    except OverrideError as exc:
        raise ApiError(exc.status, str(exc), exc.code) from None


@router.get("/v1/ops/status")
async def get_status(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    return await _answer(request)


@router.post("/v1/ops/degraded")
async def post_degraded(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    doc = await _body(request)
    if not isinstance(doc.get("on"), bool):
        raise ApiError(400, "on must be true or false", "invalid_request")
    reason = doc.get("reason") or ""
    if not isinstance(reason, str):
        raise ApiError(400, "reason must be a string", "invalid_request")
    _apply(set_degraded, runtime_of(request).gateway, doc.get("feature", "*"), doc["on"], reason=reason,
           actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/provider")
async def post_provider(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    doc = await _body(request)
    if "name" not in doc:
        raise ApiError(400, 'name is required: a provider name, or null for "no forced provider"', "invalid_request")
    _apply(set_provider, runtime_of(request).gateway, doc["name"], actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/pin")
async def post_pin(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    doc = await _body(request)
    if "version" not in doc:
        raise ApiError(400, "version is required: the model version to pin, or null to unpin", "invalid_request")
    _apply(set_pin, runtime_of(request).gateway, doc.get("provider"), doc["version"], model=doc.get("model"),
           actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/clear")
async def post_clear(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    clear_overrides(runtime_of(request).gateway, actor=_actor(key))
    return await _answer(request)
