"""Anthropic Messages API: ``POST {endpoint}/v1/messages`` with ``x-api-key`` and ``anthropic-version``.

``endpoint`` is the API root (default ``https://api.anthropic.com``; a
trailing ``/v1`` is accepted). There is no native JSON-schema parameter
here, so the router spells the schema out in the system prompt. Tools and
images are mapped by ``anthropic_tools``.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

from ..config import ProviderConfig
from ..types import ChatRequest, Completion, ProviderError, StreamChunk, Usage
from ._http import HTTPProvider, bad_response, resolve_api_key, truncated
from .anthropic_tools import messages, tool_calls, tool_fields

DEFAULT_ENDPOINT = "https://api.anthropic.com"
API_VERSION = "2023-06-01"

_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
_STREAM_ERRORS = {  # error event type -> (kind, retryable)
    "overloaded_error": ("server", True),
    "api_error": ("server", True),
    "rate_limit_error": ("rate_limited", True),
    "authentication_error": ("auth", False),
    "permission_error": ("auth", False),
}


class AnthropicProvider(HTTPProvider):
    supports_structured_output = False

    def __init__(self, config: ProviderConfig) -> None:
        base = (config.endpoint or DEFAULT_ENDPOINT).rstrip("/")
        if base.endswith("/v1"):
            base = base[:-3]
        headers = {"anthropic-version": API_VERSION}
        key = resolve_api_key(config)
        if key:
            headers["x-api-key"] = key
        super().__init__(config, base_url=base, headers=headers)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        body: dict[str, Any] = {
            "model": request.model or self.config.model,
            "max_tokens": request.max_tokens,
            "messages": messages(request),
            "temperature": request.temperature,
            **tool_fields(request),
        }
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if system:
            body["system"] = system
        if request.stop:
            body["stop_sequences"] = request.stop
        if stream:
            body["stream"] = True
        return body

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        data = await self.post_json("/v1/messages", self.body(request, stream=False), timeout)
        try:
            if data.get("type") == "error":
                raise self._error_event(data)
            text = "".join(b.get("text", "") for b in data["content"] if b.get("type") == "text")
            usage = data.get("usage") or {}
            return Completion(
                text=text,
                usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
                model=str(data.get("model") or self.config.model),
                finish_reason=_STOP.get(data.get("stop_reason") or "end_turn", str(data.get("stop_reason"))),
                tool_calls=tool_calls(data["content"]),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise bad_response(self.name, f"unexpected message shape ({e!r})") from None

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamChunk]:
        usage = Usage()
        finish: str | None = None
        stopped = False
        uses: dict[int, dict[str, Any]] = {}  # content block index -> tool_use being streamed
        events = self.sse("/v1/messages", self.body(request, stream=True), timeout)
        try:
            async for ev in events:
                try:
                    data = ev.json()
                    kind = data.get("type") or ev.event
                    if kind == "content_block_delta":
                        text = data["delta"].get("text")
                        if text:
                            ev.stream.first()
                            yield StreamChunk(text=text)
                        if data["delta"].get("type") == "input_json_delta":
                            ev.stream.first()
                            uses[int(data["index"])]["json"] += data["delta"].get("partial_json") or ""
                    elif kind == "content_block_start" and data["content_block"].get("type") == "tool_use":
                        ev.stream.first()
                        uses[int(data["index"])] = {**data["content_block"], "json": ""}
                    elif kind == "message_start":
                        u = data["message"].get("usage") or {}
                        usage.input_tokens = int(u.get("input_tokens") or 0)
                        usage.output_tokens = int(u.get("output_tokens") or 0)
                    elif kind == "message_delta":
                        reason = (data.get("delta") or {}).get("stop_reason")
                        if reason:
                            finish = _STOP.get(reason, reason)
                        usage.output_tokens = int((data.get("usage") or {}).get("output_tokens") or usage.output_tokens)
                    elif kind == "message_stop":
                        stopped = True
                        break
                    elif kind == "error":
                        raise self._error_event(data)
                except (KeyError, TypeError, AttributeError, ValueError) as e:
                    raise bad_response(self.name, f"unexpected stream event ({e!r}): {ev.data[:200]!r}") from None
        except ProviderError:
            if finish is None:
                raise  # the connection broke after the finish reason: the answer is complete
        finally:
            await events.aclose()
        if not stopped and finish is None:
            raise truncated(self.name)
        if uses:
            try:
                blocks = [{**u, "input": json.loads(u["json"] or "{}")} for _, u in sorted(uses.items())]
            except ValueError:
                raise bad_response(self.name, "a streamed tool_use input is not JSON") from None
            yield StreamChunk(tool_calls=tool_calls(blocks))
        yield StreamChunk(finish_reason=finish or "stop", usage=usage)

    def _error_event(self, data: dict[str, Any]) -> ProviderError:
        err = data.get("error") or {}
        kind, retryable = _STREAM_ERRORS.get(err.get("type", ""), ("bad_response", False))
        return ProviderError(
            f"{self.name}: {err.get('type', 'error')}: {err.get('message', '')}",
            provider=self.name,
            retryable=retryable,
            kind=kind,
        )

    async def health(self) -> bool:
        return await self.get_ok("/v1/models", self._connect + 2.0)
