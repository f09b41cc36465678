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

Overrides live in the process that serves this API (``Gateway.overrides``);
``set_*`` below are the same operations the console's switches call.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sovereign.gateway import Gateway
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import authenticate
from sovereign.web.errors import ApiError

if TYPE_CHECKING:
    from sovereign.runtime import Runtime

__all__ = [
    "OPS_FEATURE", "OverrideError", "clear_overrides", "ops_status", "router", "set_degraded", "set_pin", "set_provider",
]

log = logging.getLogger("sovereign.ops")
router = APIRouter()

OPS_FEATURE = "ops"
_FEATURE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$")


class OverrideError(ValueError):
    """An override that cannot be set; ``status`` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid_override") -> None:
        super().__init__(message)
        self.status, self.code = status, code


# --- the operations (console and API) ---------------------------------------------


def set_degraded(gateway: Gateway, feature: str, on: bool, *, reason: str = "", actor: str) -> None:
    if not isinstance(feature, str) or not _FEATURE.match(feature):
        raise OverrideError('feature must be a feature name or "*" (every feature)')
    why = (reason or "").strip()[:200] or "forced by operator"
    gateway.overrides.force_degraded(feature, bool(on), reason=f"{why} ({actor})")
    log.warning("ops: %s set degraded[%s] = %s: %s", actor, feature, bool(on), why)


def set_provider(gateway: Gateway, name: str | None, *, actor: str) -> None:
    if name is not None and (not isinstance(name, str) or not name):
        raise OverrideError("name must be a provider name or null")
    _known(gateway, name)
    gateway.overrides.force_provider(name)
    log.warning("ops: %s forced provider %s", actor, name or "(none)")


def set_pin(gateway: Gateway, provider: str, version: str | None, *, model: str | None = None, actor: str) -> None:
    if not isinstance(provider, str) or not provider:
        raise OverrideError("provider must be a provider name")
    for label, value in (("version", version), ("model", model)):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 200):
            raise OverrideError(f"{label} must be a non-empty string (at most 200 characters) or null")
    _known(gateway, provider)
    if version is None:
        gateway.overrides.pin_model(provider, None)
        log.warning("ops: %s unpinned %s", actor, provider)
        return
    gateway.overrides.pin_model(provider, model or version, version)
    log.warning("ops: %s pinned %s to model %s version %s", actor, provider, model or version, version)


def clear_overrides(gateway: Gateway, *, actor: str) -> None:
    gateway.overrides.clear()
    log.warning("ops: %s cleared every override", actor)


def _known(gateway: Gateway, name: str | None) -> None:
    if name is not None and name not in gateway.providers:
        raise OverrideError(f"unknown provider {name!r}; configured: {', '.join(gateway.providers) or 'none'}", 404,
                            "unknown_provider")


async def ops_status(rt: "Runtime") -> dict[str, Any]:
    """Everything a playbook checks first: providers, features, overrides, and the queue's shape."""
    status = rt.gateway.status()
    try:
        queue: dict[str, Any] = {"groups": await rt.inspector.counts(), "past_due": await rt.inspector.past_due()}
    except Exception as exc:  # the database is down: say so, still show the gateway
        queue = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "providers": status["providers"],
        "features": status["features"],
        "degraded": sorted(set(status["degraded"]) | set(status["overrides"]["force_degraded"])),
        "overrides": status["overrides"],
        "probing": status["probing"],
        "queue": queue,
    }


# --- HTTP --------------------------------------------------------------------------


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
    return JSONResponse(await ops_status(request.app.state.runtime))


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
    _apply(set_degraded, request.app.state.runtime.gateway, doc.get("feature", "*"), doc["on"], reason=reason,
           actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/provider")
async def post_provider(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    doc = await _body(request)
    if "name" not in doc:
        raise ApiError(400, 'name is required: a provider name, or null for "no forced provider"', "invalid_request")
    _apply(set_provider, request.app.state.runtime.gateway, doc["name"], actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/pin")
async def post_pin(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    doc = await _body(request)
    if "version" not in doc:
        raise ApiError(400, "version is required: the model version to pin, or null to unpin", "invalid_request")
    _apply(set_pin, request.app.state.runtime.gateway, doc.get("provider"), doc["version"], model=doc.get("model"),
           actor=_actor(key))
    return await _answer(request)


@router.post("/v1/ops/clear")
async def post_clear(request: Request, key: ApiKey = Depends(require_ops)) -> JSONResponse:
    clear_overrides(request.app.state.runtime.gateway, actor=_actor(key))
    return await _answer(request)
