"""The OpenAI chat shape of a request and its tool calls, shared by the OpenAI-compatible and embedded adapters."""

from __future__ import annotations

import json
from typing import Any

from ..structured import extract_json
from ..types import ChatRequest, Message, ToolCall


def message_dict(m: Message) -> dict[str, Any]:
    doc: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.images:
        parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
        doc["content"] = parts + [{"type": "image_url", "image_url": {"url": u}} for u in m.images]
    if m.tool_calls:
        doc["content"] = m.content or None
        doc["tool_calls"] = [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}} for t in m.tool_calls
        ]
    if m.tool_call_id is not None:
        doc["tool_call_id"] = m.tool_call_id
    return doc


def sampling_fields(request: ChatRequest) -> dict[str, Any]:
    """Tools and the optional sampling knobs, only those set."""
    fields = {
        "tools": request.tools or None, "tool_choice": request.tool_choice if request.tools else None,
        "parallel_tool_calls": request.parallel_tool_calls if request.tools else None,
        "top_p": request.top_p, "seed": request.seed, "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
    }
    return {k: v for k, v in fields.items() if v is not None}


def parse_tool_calls(raw: Any) -> list[ToolCall]:
    """``message.tool_calls`` of a completion; raises ValueError/KeyError/TypeError on a bad shape."""
    calls = []
    for i, t in enumerate(raw or ()):
        fn = t["function"]
        args = fn.get("arguments")
        if not isinstance(args, str):  # some servers send the object itself
            args = json.dumps(args if args is not None else {}, ensure_ascii=False)
        calls.append(ToolCall(id=str(t.get("id") or f"call_{i}"), name=str(fn["name"]), arguments=args))
    return calls


class ToolCallDeltas:
    """Gathers streamed ``delta.tool_calls`` pieces (by ``index``) into whole calls."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, deltas: Any) -> None:
        for d in deltas or ():
            i = int(d.get("index", len(self._calls)))
            call = self._calls.setdefault(i, {"id": "", "name": "", "arguments": ""})
            if d.get("id"):
                call["id"] = str(d["id"])
            fn = d.get("function") or {}
            if fn.get("name") and not call["name"]:
                call["name"] = str(fn["name"])
            if fn.get("arguments"):
                call["arguments"] += str(fn["arguments"])

    def __bool__(self) -> bool:
        return bool(self._calls)

    def calls(self) -> list[ToolCall]:
        out = []
        for i in sorted(self._calls):
            c = self._calls[i]
            if not c["name"]:
                raise ValueError(f"streamed tool call {i} has no function name")
            out.append(ToolCall(id=c["id"] or f"call_{i}", name=c["name"], arguments=c["arguments"] or "{}"))
        return out


def calls_in_text(text: str, tools: list[dict[str, Any]] | None) -> list[ToolCall]:
    """Tool calls a model wrote as plain JSON instead of its template's tool-call syntax.

    Small models often answer ``{"name": "f", "arguments": {...}}`` (or a list of
    them, or inside ``<tool_call>`` tags the template parser missed). Only names
    of offered tools count; anything else is an ordinary text answer."""
    if not tools:
        return []
    names = {str((t.get("function") or {}).get("name")) for t in tools}
    body = text.strip().removeprefix("<tool_call>").removesuffix("</tool_call>")
    try:
        value = extract_json(body)
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    calls = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("name") not in names:
            return []
        args = item.get("arguments", item.get("parameters", {}))
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                return []
        if not isinstance(args, dict):
            return []
        calls.append(ToolCall(id=f"call_{i}", name=item["name"], arguments=json.dumps(args, ensure_ascii=False)))
    if calls and not body.lstrip().startswith(("{", "[", "```")):
        return []  # prose around a JSON example is an answer, not a call
    return calls
