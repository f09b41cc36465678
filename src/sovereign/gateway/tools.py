"""Function calling and image input: what a request needs from a provider, checked before it is sent.

Tools travel in the OpenAI shape (``{"type": "function", "function": {"name",
"description", "parameters"}}``) from the API to every adapter; each adapter
maps them to its provider (as is for OpenAI-compatible servers, ``tool_use``
for Anthropic, the chat template for the embedded model). A provider gets a
request only if it can serve it: tools need ``ProviderConfig.tools``, images
need ``ProviderConfig.vision``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from jsonschema import exceptions as js_exceptions

from .config import ProviderConfig
from .structured import InvalidOutput, _validator, schema_text
from .types import ChatRequest, ToolCall

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHOICES = ("auto", "none", "required")


def tool_names(tools: Sequence[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(str((t.get("function") or {}).get("name", "")) for t in tools or ())


def check_tools(tools: Any, tool_choice: Any) -> str | None:
    """What is wrong with ``tools``/``tool_choice`` (a message naming the field), or None."""
    if tools is None:
        return None if tool_choice in (None, "none", "auto") else "tool_choice needs tools"
    if not isinstance(tools, list):
        return "tools must be a list"
    seen: set[str] = set()
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict):
            return f"tools[{i}]: only tools of type 'function' with a 'function' object are supported"
        name = fn.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            return f"tools[{i}].function.name must be 1-64 letters, digits, '_' or '-'"
        if name in seen:
            return f"tools[{i}].function.name {name!r} appears twice"
        seen.add(name)
        params = fn.get("parameters")
        if params is not None and not isinstance(params, dict):
            return f"tools[{i}].function.parameters must be a JSON Schema object"
        try:
            if params:
                _validator(schema_text(params))
        except js_exceptions.SchemaError as e:
            return f"tools[{i}].function.parameters is not a valid JSON Schema: {e.message}"
    forced = forced_tool(tool_choice)
    if forced is None and tool_choice not in (None, *CHOICES):
        return "tool_choice must be 'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}"
    if forced is not None and forced not in seen:
        return f"tool_choice names the function {forced!r}, which is not in tools"
    return None


def forced_tool(tool_choice: Any) -> str | None:
    """The function name ``tool_choice`` forces, if it names one."""
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        name = (tool_choice.get("function") or {}).get("name")
        return name if isinstance(name, str) else None
    return None


def uses_tools(request: ChatRequest) -> bool:
    return bool(request.tools) or any(m.tool_calls or m.role == "tool" for m in request.messages)


def has_images(request: ChatRequest) -> bool:
    return any(m.images for m in request.messages)


def capable(config: ProviderConfig, request: ChatRequest) -> bool:
    """Can this provider serve the request: tools if it carries any, images if it has some?"""
    if has_images(request) and not config.vision:
        return False
    return config.tools or not uses_tools(request)


def check_calls(calls: Sequence[ToolCall], request: ChatRequest, provider: str) -> None:
    """Raise ``InvalidOutput`` (the router fails over) for a call to a tool that was not offered, or
    whose arguments are not a JSON object valid against the tool's ``parameters``."""
    if not calls:
        return
    schemas = {(t.get("function") or {}).get("name"): (t.get("function") or {}).get("parameters")
               for t in request.tools or ()}
    for call in calls:
        if call.name not in schemas:
            raise InvalidOutput(f"{provider}: the model called {call.name!r}, which was not offered", provider=provider)
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError:
            raise InvalidOutput(f"{provider}: arguments of {call.name!r} are not JSON", provider=provider) from None
        if not isinstance(args, dict):
            raise InvalidOutput(f"{provider}: arguments of {call.name!r} are not an object", provider=provider)
        schema = schemas[call.name]
        if schema:
            try:
                _validator(schema_text(schema)).validate(args)
            except js_exceptions.ValidationError as e:
                raise InvalidOutput(f"{provider}: arguments of {call.name!r} fail its schema: {e.message}",
                                    provider=provider) from None
