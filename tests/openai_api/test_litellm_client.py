"""LiteLLM as a client of Sovereign's /v1, configured as its users do: ``openai/<model>``, ``api_base``, ``api_key``."""

from __future__ import annotations

import json
import os

import pytest

from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map download from the internet
litellm = pytest.importorskip("litellm")

PRICE = {"type": "function", "function": {
    "name": "apron_price", "description": "The price of an apron by colour.",
    "parameters": {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}}}


async def test_litellm_chat_stream_tools_and_json(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    conf = {"model": "openai/cloud", "api_base": f"{svc.url}/v1", "api_key": await svc.key("litellm"), "num_retries": 0}
    hi = [{"role": "user", "content": "Hi"}]
    resp = await litellm.acompletion(messages=hi, temperature=0.3, **conf)
    assert resp.choices[0].message.content == "Hello from the cloud."
    stream = await litellm.acompletion(messages=hi, stream=True, **conf)
    assert "".join([c.choices[0].delta.content or "" async for c in stream]) == "Hello from the cloud."
    cloud.set_mode(Step(tool_arguments={"color": "blue"}))
    ask = [{"role": "user", "content": "Blue apron price?"}]
    first = await litellm.acompletion(messages=ask, tools=[PRICE], tool_choice="auto", **conf)
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"color": "blue"}
    follow = [*ask, first.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": call.id, "content": "34.50 EUR"}]
    done = await litellm.acompletion(messages=follow, tools=[PRICE], **conf)
    assert done.choices[0].message.content == "The tool said: 34.50 EUR"
    cloud.set_mode(Step(text='{"risk": 2}'))
    fmt = {"type": "json_schema", "json_schema": {"name": "v", "schema": {
        "type": "object", "properties": {"risk": {"type": "integer"}}, "required": ["risk"]}}}
    structured = await litellm.acompletion(messages=hi, response_format=fmt, **conf)
    assert json.loads(structured.choices[0].message.content) == {"risk": 2}
