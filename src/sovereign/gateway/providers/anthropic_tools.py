"""OpenAI-shaped messages, tools and images to Anthropic's Messages API, and ``tool_use`` back.

Assistant turns with ``tool_calls`` become ``tool_use`` blocks; ``tool``
messages become ``tool_result`` blocks in one user turn (consecutive results
are merged, as Anthropic requires); image URLs become ``image`` blocks
(``url`` or ``base64`` source). ``tool_choice`` maps to ``auto``/``any``/
``none``/``tool``, ``parallel_tool_calls: false`` to ``disable_parallel_tool_use``.
"""

from __future__ import annotations

import json
from typing import Any

from ..tools import forced_tool
from ..types import ChatRequest, Message, ToolCall


def messages(request: ChatRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id or "", "content": m.content}
            if out and out[-1]["role"] == "user" and _all_results(out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
            continue
        out.append({"role": m.role, "content": _content(m)})
    return out


def _all_results(content: Any) -> bool:
    return isinstance(content, list) and all(b.get("type") == "tool_result" for b in content)


def _content(m: Message) -> str | list[dict[str, Any]]:
    if not m.tool_calls and not m.images:
        return m.content
    blocks: list[dict[str, Any]] = [_image(u) for u in m.images]
    if m.content:
        blocks.append({"type": "text", "text": m.content})
    for t in m.tool_calls:
        try:
            args = json.loads(t.arguments or "{}")
        except ValueError:
            args = {}
        blocks.append({"type": "tool_use", "id": t.id, "name": t.name, "input": args if isinstance(args, dict) else {}})
    return blocks


def _image(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        media = head[5:].split(";", 1)[0] or "image/png"
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def tool_fields(request: ChatRequest) -> dict[str, Any]:
    if not request.tools:
        return {}
    tools = [
        {"name": f["name"], "description": f.get("description") or "",
         "input_schema": f.get("parameters") or {"type": "object", "properties": {}}}
        for f in (t["function"] for t in request.tools)
    ]
    choice = request.tool_choice
    forced = forced_tool(choice)
    mapped: dict[str, Any] = (
        {"type": "tool", "name": forced} if forced else
        {"type": {"required": "any", "none": "none"}.get(choice, "auto")}  # type: ignore[arg-type]
    )
    if request.parallel_tool_calls is False and mapped["type"] != "none":
        mapped["disable_parallel_tool_use"] = True
    return {"tools": tools, "tool_choice": mapped}


def tool_calls(content: list[dict[str, Any]]) -> list[ToolCall]:
    return [
        ToolCall(id=str(b["id"]), name=str(b["name"]), arguments=json.dumps(b.get("input") or {}, ensure_ascii=False))
        for b in content if b.get("type") == "tool_use"
    ]
