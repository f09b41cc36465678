"""The response cache port.

The router asks the cache before any provider; a hit never touches one. Only
requests whose data class is allowed (``CacheSettings.data_classes``, default
``public`` only) are looked up or stored. The key covers everything that
shapes the answer (messages, parameters, schema, the answering model's
version) and nothing that does not (deadline, feature, metadata).

``MemoryCache`` is for tests and benchmarks; the service's cache lives in
PostgreSQL (``result_to_dict``/``result_from_dict`` give it a JSON shape).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from typing import Any, Callable, Protocol, runtime_checkable

from .types import ChatRequest, ChatResult, ToolCall, Usage


@runtime_checkable
class ResponseCache(Protocol):
    async def get(self, key: str) -> ChatResult | None: ...

    async def put(self, key: str, result: ChatResult, ttl: float) -> None: ...


def _message(m: Any) -> list[Any]:
    doc: list[Any] = [m.role, m.content]
    if m.tool_calls or m.tool_call_id or m.images:  # plain messages keep the keys they always had
        doc += [[[t.id, t.name, t.arguments] for t in m.tool_calls], m.tool_call_id, list(m.images)]
    return doc


def cache_key(request: ChatRequest, provider_model_version: str) -> str:
    """A stable hex digest of the request's answer-shaping content."""
    doc: dict[str, Any] = {
        "v": 1,
        "model_version": provider_model_version,
        "messages": [_message(m) for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stop": request.stop or [],
        "json_schema": request.json_schema,
        "json_mode": request.json_mode,
        "model": request.model,
    }
    extra = {
        "tools": request.tools, "tool_choice": request.tool_choice, "parallel_tool_calls": request.parallel_tool_calls,
        "top_p": request.top_p, "seed": request.seed, "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
    }
    doc.update({k: v for k, v in extra.items() if v is not None})  # absent knobs keep old keys valid
    images = [[i, list(m.images)] for i, m in enumerate(request.messages) if m.images]
    if images:  # only when present: keys of text-only requests stay as they were
        doc["images"] = images
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def result_to_dict(result: ChatResult) -> dict[str, Any]:
    return asdict(result)


def result_from_dict(data: dict[str, Any]) -> ChatResult:
    data = dict(data)
    data["usage"] = Usage(**data.get("usage") or {})
    data["tool_calls"] = [ToolCall(**t) for t in data.get("tool_calls") or []]
    return ChatResult(**data)


class MemoryCache:
    """An in-process TTL cache with a size bound (oldest entries go first)."""

    def __init__(self, max_entries: int = 10_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[float, ChatResult]] = {}
        self._max = max_entries
        self._clock = clock
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> ChatResult | None:
        entry = self._data.get(key)
        if entry is None or entry[0] < self._clock():
            if entry is not None:
                del self._data[key]
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    async def put(self, key: str, result: ChatResult, ttl: float) -> None:
        if len(self._data) >= self._max:
            self._data.pop(next(iter(self._data)))
        self._data[key] = (self._clock() + ttl, result)

    def __len__(self) -> int:
        return len(self._data)
