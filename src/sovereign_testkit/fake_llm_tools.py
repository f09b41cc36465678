"""Function calling in the fake LLM, as real OpenAI and Anthropic servers do it.

A request that offers tools (and does not say ``tool_choice: "none"``) and
ends with a user turn is answered with a call to the forced tool or the first
one, with arguments made from its JSON Schema (or the step's
``tool_arguments``); a request that ends with tool results is answered in
text that quotes them ("The tool said: ..."), so a test can see the result
came back through the gateway.
"""

from __future__ import annotations

import json
from typing import Any


def example(schema: Any) -> Any:
    """A value that satisfies a simple JSON Schema: enums take their first value."""
    if not isinstance(schema, dict):
        return "example"
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: example(v) for k, v in props.items()}
    return {"integer": 1, "number": 1.5, "boolean": True, "array": [], "null": None}.get(kind, "example")  # type: ignore[arg-type]


def openai_plan(req: dict[str, Any], arguments: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str | None]:
    """(tool calls to make, text quoting tool results) for an OpenAI chat request."""
    messages = req.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        results = [m for m in messages if m.get("role") == "tool"]
        return [], "The tool said: " + " ".join(_text(m.get("content")) for m in results[-_trailing(messages):])
    tools = req.get("tools") or []
    choice = req.get("tool_choice")
    if not tools or choice == "none":
        return [], None
    fn = _chosen([t.get("function") or {} for t in tools], choice)
    args = arguments if arguments is not None else example(fn.get("parameters"))
    return [{"id": "call_fake_1", "type": "function",
             "function": {"name": fn.get("name"), "arguments": json.dumps(args)}}], None


def anthropic_plan(req: dict[str, Any], arguments: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str | None]:
    """(tool_use blocks, text quoting tool results) for an Anthropic messages request."""
    messages = req.get("messages") or []
    last = messages[-1] if messages else {}
    blocks = last.get("content") if isinstance(last.get("content"), list) else []
    results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
    if results:
        return [], "The tool said: " + " ".join(_text(b.get("content")) for b in results)
    tools = req.get("tools") or []
    choice = req.get("tool_choice") or {}
    if not tools or choice.get("type") == "none":
        return [], None
    forced = {"type": "function", "function": {"name": choice.get("name")}} if choice.get("type") == "tool" else None
    fn = _chosen([{"name": t.get("name"), "parameters": t.get("input_schema")} for t in tools], forced)
    args = arguments if arguments is not None else example(fn.get("parameters"))
    return [{"type": "tool_use", "id": "toolu_fake_1", "name": fn.get("name"), "input": args}], None


def _chosen(functions: list[dict[str, Any]], choice: Any) -> dict[str, Any]:
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        for f in functions:
            if f.get("name") == name:
                return f
    return functions[0]


def _trailing(messages: list[dict[str, Any]]) -> int:
    n = 0
    for m in reversed(messages):
        if m.get("role") != "tool":
            break
        n += 1
    return n


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else json.dumps(content)
