"""OpenAI-compatible chat completions: Ollama, vLLM, llama.cpp server, LM Studio, OpenAI.

``endpoint`` is the API base including its version segment, e.g.
``http://127.0.0.1:11434/v1``; calls go to ``{endpoint}/chat/completions``.
Structured output is passed natively as ``response_format``.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

from ..config import ProviderConfig
from ..types import ChatRequest, Completion, Message, ProviderError, StreamChunk, Usage
from ._http import HTTPProvider, bad_response, resolve_api_key, truncated

DEFAULT_ENDPOINT = "https://api.openai.com/v1"


def _message(m: Message) -> dict[str, Any]:
    """Text as a string; with images, OpenAI's content parts (text first, then one ``image_url`` per image)."""
    if not m.images:
        return {"role": m.role, "content": m.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in m.images]
    return {"role": m.role, "content": parts}


class OpenAICompatibleProvider(HTTPProvider):
    supports_structured_output = True

    def __init__(self, config: ProviderConfig) -> None:
        key = resolve_api_key(config)
        headers = {"authorization": f"Bearer {key}"} if key else {}
        super().__init__(config, base_url=(config.endpoint or DEFAULT_ENDPOINT).rstrip("/"), headers=headers)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model or self.config.model,
            "messages": [_message(m) for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            body["stop"] = request.stop
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": request.json_schema},
            }
        elif request.json_mode:
            body["response_format"] = {"type": "json_object"}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        data = await self.post_json("/chat/completions", self.body(request, stream=False), timeout)
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
            return Completion(
                text=text,
                usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
                model=str(data.get("model") or self.config.model),
                finish_reason=choice.get("finish_reason") or "stop",
            )
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
            raise bad_response(self.name, f"unexpected completion shape ({e!r})") from None

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamChunk]:
        finish: str | None = None
        usage: Usage | None = None
        done = False
        events = self.sse("/chat/completions", self.body(request, stream=True), timeout)
        try:
            async for ev in events:
                if ev.data == "[DONE]":
                    done = True
                    break
                try:
                    data = json.loads(ev.data)
                except ValueError:
                    raise bad_response(self.name, f"stream event is not JSON: {ev.data[:200]!r}") from None
                if isinstance(data, dict) and "error" in data:
                    raise bad_response(self.name, f"stream error event: {str(data['error'])[:200]}")
                try:
                    if data.get("usage"):
                        u = data["usage"]
                        usage = Usage(int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0))
                    for choice in data.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            ev.stream.first()
                            yield StreamChunk(text=text)
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
                except (KeyError, TypeError, AttributeError, ValueError) as e:
                    raise bad_response(self.name, f"unexpected stream chunk shape ({e!r})") from None
        except ProviderError:
            if finish is None:
                raise  # the connection broke after the finish reason: the answer is complete
        finally:
            await events.aclose()
        if finish is None and not done:
            raise truncated(self.name)
        yield StreamChunk(finish_reason=finish or "stop", usage=usage)

    async def health(self) -> bool:
        return await self.get_ok("/models", self._connect + 2.0)

