"""The chat completions request body and its translation into a gateway ``ChatRequest``.

Every field OpenAI defines is either honoured or refused with a 400 that
names it (``param``); unknown fields are refused too, so a client never
believes a setting took effect when it did not. Fields that only label a call
(``user``, ``metadata``, ``service_tier``, ...) are accepted and have no effect.
"""

from __future__ import annotations

import time
from typing import Any

from jsonschema import exceptions as js_exceptions
from jsonschema import validators
from pydantic import BaseModel, ConfigDict, Field

from sovereign.gateway import ChatRequest, Message
from sovereign.gateway.tools import check_tools
from sovereign.gateway.types import ToolCall
from sovereign.store.api_keys import ApiKey
from sovereign.web.errors import ApiError

FEATURE = "gateway"
TIMEOUT_S = 120.0  # a whole answer, failover included
DEFAULT_MAX_TOKENS = 1024
MAX_N = 8
MAX_IMAGE_URL = 20 * 1024 * 1024  # a data URL's length (the request body cap applies first)

# accepted, no effect on the answer (labels for the caller's own bookkeeping)
LABELS = frozenset({"user", "metadata", "service_tier", "prompt_cache_key", "safety_identifier"})
# refused unless left at the value that means "off" (the client then loses nothing)
REFUSED: dict[str, tuple[Any, ...]] = {
    "logit_bias": (None, {}), "logprobs": (None, False), "top_logprobs": (None, 0), "modalities": (None, ["text"]),
    "audio": (None,), "prediction": (None,), "web_search_options": (None,), "functions": (None, []),
    "function_call": (None, "none", "auto"), "reasoning_effort": (None,), "verbosity": (None,), "store": (None, False),
}
_SCHEMA_WORDS = ("type", "properties", "$schema", "anyOf", "oneOf", "allOf", "$ref", "enum", "items", "$defs")


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # ``name``, ``refusal``: accepted, not sent on
    role: str
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class ChatCompletionBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # checked by ``unsupported_fields``
    model: str
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    seed: int | None = None
    stop: str | list[str] | None = None
    response_format: dict[str, Any] | None = None
    n: int | None = Field(default=1, ge=1)
    tools: list[Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None


def check_fields(body: BaseModel) -> None:
    """400 for a field that would change the answer but cannot be honoured, or that OpenAI does not define."""
    for name, value in (body.model_extra or {}).items():
        if name in LABELS:
            continue
        if name in REFUSED:
            if value in REFUSED[name]:
                continue
            raise ApiError(400, f"{name} is not supported by this gateway (leave it out)", "unsupported_parameter",
                           param=name)
        raise ApiError(400, f"unknown parameter {name!r}", "unsupported_parameter", param=name)


def chat_request(body: ChatCompletionBody, key: ApiKey, providers: tuple[str, ...] | None, *,
                 cache_control: str = "") -> ChatRequest:
    check_fields(body)
    if body.n is not None and body.n > MAX_N:
        raise ApiError(400, f"n may be at most {MAX_N}", "unsupported_parameter", param="n")
    if body.stream and (body.n or 1) > 1:
        raise ApiError(400, "n > 1 is not supported with stream", "unsupported_parameter", param="n")
    problem = check_tools(body.tools, body.tool_choice)
    if problem is not None:
        raise ApiError(400, problem, "invalid_tools", param="tool_choice" if "tool_choice" in problem[:12] else "tools")
    messages = [message(m, i) for i, m in enumerate(body.messages)]
    schema, json_mode = response_format(body.response_format)
    temperature = 1.0 if body.temperature is None else body.temperature
    read, write = cache_flags(temperature, body.seed, key, cache_control)
    return ChatRequest(
        messages=messages, feature=FEATURE, data_class=key.data_class, deadline=time.monotonic() + TIMEOUT_S,
        max_tokens=body.max_completion_tokens or body.max_tokens or DEFAULT_MAX_TOKENS, temperature=temperature,
        json_schema=schema, json_mode=json_mode, stop=[body.stop] if isinstance(body.stop, str) else body.stop,
        metadata={"api_key": key.id}, providers=providers, lane="api",
        tools=body.tools or None, tool_choice=body.tool_choice if body.tools else None,
        parallel_tool_calls=body.parallel_tool_calls if body.tools else None,
        top_p=body.top_p, seed=body.seed, presence_penalty=body.presence_penalty,
        frequency_penalty=body.frequency_penalty, cache_read=read, cache_write=write,
    )


def cache_flags(temperature: float, seed: int | None, key: ApiKey, cache_control: str) -> tuple[bool, bool]:
    """(may read, may write) the response cache: a sampled answer (temperature > 0, no seed) is never
    replayed unless the key opts in; ``Cache-Control: no-cache`` skips the read, ``no-store`` both."""
    directives = {d.strip().lower() for d in cache_control.split(",")}
    safe = temperature == 0 or seed is not None or key.cache_sampled
    if "no-store" in directives:
        return False, False
    return safe and "no-cache" not in directives, safe


def message(m: _Message, i: int) -> Message:
    role = "system" if m.role == "developer" else m.role
    where = f"messages[{i}]"
    if role not in ("system", "user", "assistant", "tool"):
        raise ApiError(400, f"{where}: message role {m.role!r} is not supported", "unsupported_role", param=f"{where}.role")
    text, images = _content(m.content, where, images_ok=role == "user")
    if role == "tool":
        if not m.tool_call_id:
            raise ApiError(400, f"{where}: a tool message needs tool_call_id", "invalid_request",
                           param=f"{where}.tool_call_id")
        return Message("tool", text, tool_call_id=m.tool_call_id)
    calls: tuple[ToolCall, ...] = ()
    if m.tool_calls:
        if role != "assistant":
            raise ApiError(400, f"{where}: only assistant messages carry tool_calls", "invalid_request",
                           param=f"{where}.tool_calls")
        calls = tuple(_tool_call(t, f"{where}.tool_calls[{j}]") for j, t in enumerate(m.tool_calls))
    return Message(role, text, tool_calls=calls, images=images)  # type: ignore[arg-type]


def _tool_call(t: dict[str, Any], where: str) -> ToolCall:
    fn = t.get("function")
    if t.get("type", "function") != "function" or not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise ApiError(400, f"{where}: a tool call needs type 'function' and function.name", "invalid_request", param=where)
    args = fn.get("arguments")
    if args is None:
        args = "{}"
    if not isinstance(args, str):
        raise ApiError(400, f"{where}.function.arguments must be a JSON text", "invalid_request", param=where)
    return ToolCall(id=str(t.get("id") or ""), name=fn["name"], arguments=args)


def _content(content: Any, where: str, *, images_ok: bool) -> tuple[str, tuple[str, ...]]:
    if content is None or isinstance(content, str):
        return content or "", ()
    texts: list[str] = []
    images: list[str] = []
    for j, part in enumerate(content):
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text", "refusal"):
            texts.append(str(part.get("text") or part.get("refusal") or ""))
        elif kind in ("image_url", "input_image") and images_ok:
            images.append(image_url(part, f"{where}.content[{j}]"))
        else:
            allowed = "text and image_url" if images_ok else "text"
            raise ApiError(400, f"{where}.content[{j}]: content of type {kind!r} is not supported here ({allowed} only)",
                           "unsupported_content", param=f"{where}.content")
    return "".join(texts), tuple(images)


def image_url(part: dict[str, Any], where: str) -> str:
    raw = part.get("image_url")
    url = raw.get("url") if isinstance(raw, dict) else raw
    if not isinstance(url, str) or not (url.startswith("https://") or url.startswith("data:image/")):
        raise ApiError(400, f"{where}: an image must be an https URL or a data:image/... URL", "invalid_image_url",
                       param=where)
    if len(url) > MAX_IMAGE_URL:
        raise ApiError(400, f"{where}: the image is too large", "invalid_image_url", param=where)
    return url


def response_format(fmt: dict[str, Any] | None) -> tuple[dict[str, Any] | None, bool]:
    """(schema, json_mode). ``json_schema`` may hold ``{"name", "schema"}`` or, as WordPress sends it, the bare schema."""
    kind = (fmt or {}).get("type")
    if kind in (None, "text"):
        return None, False
    if kind == "json_object":
        return None, True
    if kind != "json_schema":
        raise ApiError(400, f"response_format type {kind!r} is not supported", "unsupported_parameter",
                       param="response_format.type")
    wrapper = (fmt or {}).get("json_schema")
    if not isinstance(wrapper, dict):
        raise ApiError(400, "response_format.json_schema must be an object", "invalid_schema", param="response_format")
    if "schema" in wrapper or not any(w in wrapper for w in _SCHEMA_WORDS):
        schema = wrapper.get("schema")
    else:
        schema = wrapper  # the bare schema
    if not isinstance(schema, dict):
        raise ApiError(400, "response_format.json_schema.schema must be a JSON Schema object", "invalid_schema",
                       param="response_format.json_schema")
    try:
        validators.validator_for(schema).check_schema(schema)
    except js_exceptions.SchemaError as e:
        raise ApiError(400, f"response_format.json_schema is not a valid JSON Schema: {e.message}", "invalid_schema",
                       param="response_format.json_schema") from None
    return schema, False
