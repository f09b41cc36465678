"""Replays of what WordPress 7.x's AI Client (an OpenAI-compatible connector) sends: each body gets a 200.

The bodies are those the connector sent to ``/v1/chat/completions`` in the
measurement of issue 16 (one per ``wp_ai_client_prompt()`` feature), against
the running service with a key, as the connector is configured.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
APRON = {
    "type": "function",
    "function": {
        "name": "wpab__wp7__apron-price",
        "description": "Returns the price of the apron in the given colour.",
        "parameters": {"type": "object", "properties": {"color": {"type": "string", "enum": ["blue", "green"]}},
                       "required": ["color"]},
    },
}
SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
          "required": ["title", "tags"]}


def bodies(model: str) -> dict[str, dict[str, Any]]:
    user = {"role": "user", "content": [{"type": "text", "text": "Which apron colour costs what?"}]}
    return {
        "text": {"model": model, "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hi"}]}]},
        "system_and_turns": {
            "model": model, "temperature": 0.7, "top_p": 0.9, "max_tokens": 200, "stop": ["\n\n"],
            "presence_penalty": 0.1, "frequency_penalty": 0.2,
            "messages": [{"role": "system", "content": "You write product copy."},
                         {"role": "user", "content": [{"type": "text", "text": "A mug"}]},
                         {"role": "assistant", "content": [{"type": "text", "text": "A blue mug."}]},
                         {"role": "user", "content": [{"type": "text", "text": "Shorter"}]}],
        },
        "json_object": {"model": model, "response_format": {"type": "json_object"},
                        "messages": [{"role": "user", "content": "JSON with a title"}]},
        "json_schema_bare": {"model": model, "response_format": {"type": "json_schema", "json_schema": SCHEMA},
                             "messages": [{"role": "user", "content": "Title and tags for a mug"}]},
        "abilities": {"model": model, "messages": [user], "tools": [APRON]},
        "abilities_follow_up": {
            "model": model, "tools": [APRON],
            "messages": [user,
                         {"role": "assistant", "content": [], "tool_calls": [{"type": "function", "id": "call_1", "function": {
                             "name": "wpab__wp7__apron-price", "arguments": "{\"color\":\"blue\"}"}}]},
                         {"role": "tool", "content": "{\"color\":\"blue\",\"price_eur\":34.5}", "tool_call_id": "call_1"}],
        },
        "with_file": {"model": model, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Describe this product photo"}, {"type": "image_url", "image_url": {"url": PNG}}]}]},
        "generate_texts_2": {"model": model, "n": 2, "temperature": 1.0, "messages": [{"role": "user", "content": "A slogan"}]},
    }


@pytest.fixture
async def wp(start, cloud: FakeLLM):  # type: ignore[no-untyped-def]
    svc = await start([provider(cloud, "cloud", "US", 1, vision=True)])
    key = await svc.key("wordpress")
    async with httpx.AsyncClient(base_url=f"{svc.url}/v1", headers={"authorization": f"Bearer {key}"}, timeout=10) as c:
        yield c, cloud


async def test_the_connector_lists_each_model_once_with_what_it_accepts(wp) -> None:  # type: ignore[no-untyped-def]
    client, _ = wp
    data = (await client.get("/models")).json()["data"]
    assert [m["id"] for m in data] == ["cloud-model"] and data[0]["aliases"] == ["cloud"]
    assert data[0]["capabilities"]["tools"] is True and data[0]["capabilities"]["vision"] is True


@pytest.mark.parametrize("name", list(bodies("x")))
async def test_every_wordpress_body_is_answered_200(wp, name: str) -> None:  # type: ignore[no-untyped-def]
    client, cloud = wp
    if name.startswith("json"):
        cloud.set_mode(Step(text='{"title": "Blue mug", "tags": ["mug"]}'))
    resp = await client.post("/chat/completions", json=bodies("cloud-model")[name])
    assert resp.status_code == 200, resp.text
    choices = resp.json()["choices"]
    sent = cloud.completions()[-1].json()
    if name == "abilities":
        call = choices[0]["message"]["tool_calls"][0]
        assert choices[0]["finish_reason"] == "tool_calls" and call["function"]["name"] == "wpab__wp7__apron-price"
        assert json.loads(call["function"]["arguments"]) == {"color": "blue"}
        assert sent["tools"] == [APRON]
    elif name == "abilities_follow_up":
        assert choices[0]["message"]["content"] == 'The tool said: {"color":"blue","price_eur":34.5}'
        assert sent["messages"][1]["tool_calls"][0]["id"] == "call_1" and sent["messages"][2]["tool_call_id"] == "call_1"
    elif name == "json_schema_bare":
        assert json.loads(choices[0]["message"]["content"]) == {"title": "Blue mug", "tags": ["mug"]}
        assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    elif name == "with_file":
        assert sent["messages"][0]["content"][1] == {"type": "image_url", "image_url": {"url": PNG}}
    elif name == "generate_texts_2":
        assert [c["index"] for c in choices] == [0, 1] and cloud.calls == 2
    elif name == "system_and_turns":
        assert {k: sent[k] for k in ("top_p", "presence_penalty", "frequency_penalty", "stop")} == {
            "top_p": 0.9, "presence_penalty": 0.1, "frequency_penalty": 0.2, "stop": ["\n\n"]}
    else:
        assert choices[0]["message"]["content"]
