"""Which providers an API key's request may reach (scope, residency, capability), and ``/v1/models``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sovereign.gateway import ChatRequest, Gateway, ProviderConfig
from sovereign.gateway.outbound import RAW
from sovereign.gateway.policy import Shaping
from sovereign.gateway.tools import has_images, uses_tools
from sovereign.store.api_keys import ApiKey
from sovereign.web.errors import ApiError

FEATURE = "gateway"
AUTO = ("auto", "default", "sovereign")


def in_scope(key: ApiKey, config: ProviderConfig) -> bool:
    return not key.models or config.name in key.models or config.model in key.models


def probe(key: ApiKey, names: tuple[str, ...] | None) -> ChatRequest:
    return ChatRequest(messages=[], feature=FEATURE, data_class=key.data_class, providers=names)


def allowed(gateway: Gateway, key: ApiKey, configs: list[ProviderConfig]) -> list[ProviderConfig]:
    """Those of ``configs`` the residency policy lets receive the key's data class."""
    names = {c.name for c in gateway.candidates(probe(key, tuple(c.name for c in configs)))}
    return [c for c in configs if c.name in names]


def providers_for(gateway: Gateway, key: ApiKey, model: str) -> tuple[str, ...] | None:
    """The providers a request for ``model`` may go to (None: any the gateway allows)."""
    if model in AUTO:
        return None if not key.models else tuple(c.name for c in gateway.configs if in_scope(key, c))
    matching = [c for c in gateway.configs if model in (c.name, c.model)]
    if not matching:
        raise ApiError(404, f"The model `{model}` does not exist or is not configured", "model_not_found", param="model")
    scoped = [c for c in matching if in_scope(key, c)]
    if not scoped:
        raise ApiError(403, f"this API key may not use the model {model!r}", "model_not_allowed", param="model")
    return tuple(c.name for c in scoped)


def require_capable(gateway: Gateway, chat: ChatRequest) -> None:
    """A clear 400 when the request needs tools or vision and no model it may reach has them
    (or, for images, none may receive the data class unredacted: images cannot be redacted)."""
    if not (uses_tools(chat) or has_images(chat)):
        return
    found = gateway.candidates(chat)
    policy = gateway.policy
    if found and has_images(chat) and isinstance(policy, Shaping) and all(policy.form(chat, c) != RAW for c in found):
        raise ApiError(400, f"images cannot be redacted, and every vision model this request may reach gets "
                       f"{chat.data_class!r} data only redacted", "vision_needs_raw", param="messages")
    if found:
        return
    plain = replace(chat, messages=[], tools=None)
    if not gateway.candidates(plain):
        return  # nothing may answer at all: the gateway's own error says why
    if has_images(chat):
        raise ApiError(400, "no model this request may reach accepts images (configure a provider with vision = true, "
                       "or send text only)", "vision_unsupported", param="messages")
    raise ApiError(400, "no model this request may reach supports tools (function calling)", "tools_unsupported",
                   param="tools")


def form(gateway: Gateway, key: ApiKey, config: ProviderConfig) -> str:
    policy = gateway.policy
    return policy.form(probe(key, None), config) if isinstance(policy, Shaping) else RAW


def context_length(config: ProviderConfig) -> int | None:
    return config.context_length or (config.n_ctx if config.kind == "embedded" else None)


def model_entries(gateway: Gateway, key: ApiKey) -> list[dict[str, Any]]:
    """One entry per model the key may use; provider names that reach it are its ``aliases``."""
    configs = allowed(gateway, key, [c for c in gateway.configs if in_scope(key, c)])
    entries: dict[str, dict[str, Any]] = {}
    for c in configs:
        e = entries.setdefault(c.model, {
            "id": c.model, "object": "model", "created": 0, "owned_by": "sovereign", "aliases": [],
            "context_length": None, "capabilities": {"chat": True, "streaming": True, "json_schema": True,
                                                     "tools": False, "vision": False},
        })
        if c.name != c.model and c.name not in e["aliases"]:
            e["aliases"].append(c.name)
        ctx = context_length(c)
        if ctx is not None:
            e["context_length"] = max(ctx, e["context_length"] or 0)
        e["capabilities"]["tools"] |= c.tools
        e["capabilities"]["vision"] |= c.vision
    return list(entries.values())
