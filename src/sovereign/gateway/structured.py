"""Structured output: turn a model's text into a validated JSON value, or say why not.

``parse_output`` strips code fences and surrounding prose, parses JSON,
clamps numbers into the schema's ``minimum``/``maximum`` (a fraud score of
1.2 becomes 1.0 rather than a failed call), then validates with
``jsonschema``. Invalid output raises ``InvalidOutput``, a ``ProviderError``
the router answers by failing over to the next provider.

Providers that accept a schema natively (``supports_structured_output = True``,
e.g. OpenAI-compatible ``response_format``) get it as a parameter; the others
get ``with_instructions(request)``: the schema spelled out in the system prompt.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from typing import Any, Mapping

from jsonschema import exceptions as js_exceptions
from jsonschema import validators

from .types import ChatRequest, Message, ProviderError

_decoder = json.JSONDecoder()


class InvalidOutput(ProviderError):
    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message, provider=provider, retryable=False, kind="invalid_output")


def wants_json(request: ChatRequest) -> bool:
    return request.json_schema is not None or request.json_mode


def strip_fences(text: str) -> str:
    """Remove a Markdown code fence (```json ... ```) around the answer, if any."""
    t = text.strip()
    start = t.find("```")
    if start < 0:
        return t
    body = t[start + 3 :]
    newline = body.find("\n")
    if newline >= 0 and body[:newline].strip().isalpha():  # a language tag such as ``json``
        body = body[newline + 1 :]
    end = body.rfind("```")
    return (body[:end] if end >= 0 else body).strip()


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (after fence stripping); raises ValueError."""
    t = strip_fences(text)
    try:
        return json.loads(t)
    except ValueError:
        pass
    for i, ch in enumerate(t):
        if ch in "{[":
            try:
                return _decoder.raw_decode(t, i)[0]
            except ValueError:
                continue
    raise ValueError("no JSON value found in the model output")


def _types(schema: Mapping[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t}
    return set(t) if isinstance(t, list) else set()


def clamp(value: Any, schema: Mapping[str, Any]) -> Any:
    """Clamp numbers into ``minimum``/``maximum``, recursing through properties and items."""
    if isinstance(value, bool) or not isinstance(schema, Mapping):
        return value
    if isinstance(value, (int, float)):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if isinstance(lo, (int, float)) and value < lo:
            value = lo
        if isinstance(hi, (int, float)) and value > hi:
            value = hi
        if "integer" in _types(schema) and isinstance(value, float) and value.is_integer():
            value = int(value)
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for k, sub in props.items():
                if k in value:
                    value[k] = clamp(value[k], sub)
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return [clamp(v, items) for v in value]
    return value


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    schema = json.loads(schema_json)
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a usable JSON Schema (the caller's error), or None."""
    if not isinstance(schema, Mapping):
        return "the JSON schema must be an object"
    try:
        _validator(schema_text(schema))
    except js_exceptions.SchemaError as e:
        return f"invalid JSON schema: {e.message}"
    except (TypeError, ValueError, RecursionError) as e:
        return f"invalid JSON schema: {e}"
    return None


def schema_text(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def parse_output(text: str, request: ChatRequest, *, provider: str = "") -> Any:
    """The validated JSON value the request asked for; raises ``InvalidOutput``."""
    try:
        value = extract_json(text)
    except ValueError as e:
        raise InvalidOutput(f"{provider}: output is not JSON: {e}", provider=provider) from None
    schema = request.json_schema
    if schema is None:
        return value
    value = clamp(value, schema)
    try:
        _validator(schema_text(schema)).validate(value)
    except js_exceptions.ValidationError as e:
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise InvalidOutput(f"{provider}: output fails the schema at {path}: {e.message}", provider=provider) from None
    return value


def with_instructions(request: ChatRequest) -> ChatRequest:
    """A copy of ``request`` whose system prompt asks for JSON (matching the schema, if any)."""
    if request.json_schema is not None:
        ask = "Answer with a single JSON value and nothing else, matching this JSON Schema:\n" + json.dumps(
            request.json_schema
        )
    else:
        ask = "Answer with a single JSON object and nothing else."
    msgs = list(request.messages)
    if msgs and msgs[0].role == "system":
        msgs[0] = Message("system", f"{msgs[0].content}\n\n{ask}")
    else:
        msgs.insert(0, Message("system", ask))
    return dataclasses.replace(request, messages=msgs)
