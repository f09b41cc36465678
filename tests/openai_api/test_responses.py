"""The Responses API with the official openai client: text, instructions, tools, structured output, streaming."""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel

from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider

PRICE = {"type": "function", "name": "apron_price", "description": "The price of an apron by colour.",
         "parameters": {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"],
                        "additionalProperties": False}, "strict": True}


class Mug(BaseModel):
    title: str
    tags: list[str]


async def test_text_and_instructions(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    resp = await client.responses.create(model="cloud", input="Hi", instructions="Be brief.", max_output_tokens=50)
    assert resp.output_text == "Hello from the cloud." and resp.status == "completed"
    assert resp.usage is not None and resp.usage.output_tokens > 0
    sent = cloud.completions()[-1].json()
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert sent["max_tokens"] == 50


async def test_a_tool_round_trip(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(tool_arguments={"color": "blue"}))
    ask = [{"role": "user", "content": [{"type": "input_text", "text": "Blue apron price?"}]}]
    first = await client.responses.create(model="cloud", input=ask, tools=[PRICE])  # type: ignore[arg-type,list-item]
    call = first.output[0]
    assert call.type == "function_call" and call.name == "apron_price" and json.loads(call.arguments) == {"color": "blue"}
    assert cloud.completions()[-1].json()["tools"][0]["function"]["name"] == "apron_price"
    follow = [*ask, {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
              {"type": "function_call_output", "call_id": call.call_id, "output": "34.50 EUR"}]
    done = await client.responses.create(model="cloud", input=follow, tools=[PRICE])  # type: ignore[arg-type,list-item]
    assert done.output_text == "The tool said: 34.50 EUR"
    sent = cloud.completions()[-1].json()["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.call_id and sent[2]["tool_call_id"] == call.call_id


async def test_structured_output(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(text='{"title": "Blue mug", "tags": ["mug", "blue"]}'))
    parsed = await client.responses.parse(model="cloud", input="Describe a mug", text_format=Mug)
    assert parsed.output_parsed == Mug(title="Blue mug", tags=["mug", "blue"])
    assert cloud.completions()[-1].json()["response_format"]["json_schema"]["schema"]["required"] == ["title", "tags"]


async def test_streaming_events(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    stream = await client.responses.create(model="cloud", input="Hi", stream=True)
    events = [e async for e in stream]
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Hello from the cloud."
    assert events[-1].response.output_text == "Hello from the cloud."  # type: ignore[union-attr]
    assert [e.sequence_number for e in events] == list(range(1, len(events) + 1))
    cloud.set_mode(Step(tool_arguments={"color": "green"}))
    async with client.responses.stream(model="cloud", input="Green apron?", tools=[PRICE]) as s:  # type: ignore[list-item]
        final = await s.get_final_response()
    assert final.output[0].type == "function_call" and json.loads(final.output[0].arguments) == {"color": "green"}


async def test_what_cannot_be_honoured_is_refused(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    with pytest.raises(openai.BadRequestError) as e:
        await client.responses.create(model="cloud", input="Hi", previous_response_id="resp_1")
    assert e.value.param == "previous_response_id"
    with pytest.raises(openai.BadRequestError) as e:
        await client.responses.create(model="cloud", input="Hi", tools=[{"type": "web_search"}])  # type: ignore[list-item]
    assert e.value.code == "invalid_tools"
    assert cloud.calls == 0
