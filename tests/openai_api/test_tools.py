"""Function calling through the gateway with the official openai client: OpenAI-compatible and Anthropic upstreams."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from sovereign.audit import verify
from sovereign.gateway import ProviderConfig
from sovereign.gateway.config import Timeouts
from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import EVERYTHING, provider

PRICE = {
    "type": "function",
    "function": {
        "name": "apron_price", "description": "The price of an apron by colour.",
        "parameters": {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]},
    },
}
STRICT = {"type": "function", "function": {  # the client's stream helper parses only strict tools
    **PRICE["function"], "strict": True, "parameters": {**PRICE["function"]["parameters"], "additionalProperties": False}}}
ASK = [{"role": "user", "content": "What does the blue apron cost?"}]


def anthropic(fake: FakeLLM, name: str = "claude", priority: int = 1) -> ProviderConfig:
    return ProviderConfig(
        name=name, kind="anthropic", model="claude-x", endpoint=fake.url, jurisdiction="EU-IE", priority=priority,
        data_classes=EVERYTHING, max_retries=0, timeouts=Timeouts(connect=0.5, first_token=2.0, total=2.0),
    )


def follow_up(call: Any, result: str) -> list[dict[str, Any]]:
    assistant = {"role": "assistant", "content": None, "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]}
    return [*ASK, assistant, {"role": "tool", "tool_call_id": call.id, "content": result}]


async def test_a_tool_round_trip_with_the_openai_client(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(tool_arguments={"color": "blue"}))
    first = await client.chat.completions.create(model="cloud", messages=ASK, tools=[PRICE], tool_choice="auto",
                                                 parallel_tool_calls=False)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert (call.function.name, json.loads(call.function.arguments)) == ("apron_price", {"color": "blue"})
    sent = cloud.completions()[-1].json()
    assert sent["tools"] == [PRICE] and sent["tool_choice"] == "auto" and sent["parallel_tool_calls"] is False
    second = await client.chat.completions.create(model="cloud", messages=follow_up(call, '{"price_eur": 34.5}'),
                                                  tools=[PRICE])
    assert second.choices[0].message.content == 'The tool said: {"price_eur": 34.5}'
    assert second.choices[0].finish_reason == "stop"
    sent = cloud.completions()[-1].json()["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"color": "blue"}'
    assert sent[2] == {"role": "tool", "content": '{"price_eur": 34.5}', "tool_call_id": call.id}


async def test_streamed_tool_call_deltas(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(tool_arguments={"color": "a rather long colour name"}))
    async with client.chat.completions.stream(model="cloud", messages=ASK, tools=[STRICT]) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert final.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"color": "a rather long colour name"}


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_tool_use_is_mapped_both_ways(start, stream: bool) -> None:
    async with FakeLLM() as claude:
        svc = await start([anthropic(claude)])
        client = svc.client(await svc.key())
        claude.set_mode(Step(tool_arguments={"color": "green"}))
        forced = {"type": "function", "function": {"name": "apron_price"}}
        if stream:
            async with client.chat.completions.stream(model="claude", messages=ASK, tools=[STRICT],
                                                      tool_choice=forced) as s:
                first = await s.get_final_completion()
        else:
            first = await client.chat.completions.create(model="claude", messages=ASK, tools=[STRICT], tool_choice=forced)
        sent = claude.completions()[-1].json()
        assert sent["tools"] == [{"name": "apron_price", "description": "The price of an apron by colour.",
                                  "input_schema": STRICT["function"]["parameters"]}]
        assert sent.get("stream", False) is stream
        assert sent["tool_choice"] == {"type": "tool", "name": "apron_price"}
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert first.choices[0].finish_reason == "tool_calls" and call.id == "toolu_fake_1"
        assert json.loads(call.function.arguments) == {"color": "green"}
        done = await client.chat.completions.create(model="claude", messages=follow_up(call, "34.50 EUR"), tools=[PRICE])
        assert done.choices[0].message.content == "The tool said: 34.50 EUR"
        sent = claude.completions()[-1].json()["messages"]
        assert sent[1]["content"] == [{"type": "tool_use", "id": "toolu_fake_1", "name": "apron_price",
                                       "input": {"color": "green"}}]
        assert sent[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_fake_1",
                                                        "content": "34.50 EUR"}]}


async def test_tool_arguments_and_results_are_redacted_and_the_audit_keeps_names_only(start, cloud: FakeLLM, pool) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])  # customer_personal reaches US only redacted
    client = svc.client(await svc.key(data_class="customer_personal"))
    cloud.set_mode(Step(tool_arguments={"email": "[EMAIL_1]"}))
    lookup = {"type": "function", "function": {"name": "find_order", "parameters": {
        "type": "object", "properties": {"email": {"type": "string"}}}}}
    ask = [{"role": "user", "content": "Where is the order of jane.roe@example.org?"}]
    first = await client.chat.completions.create(model="cloud", messages=ask, tools=[lookup])
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert json.loads(call.function.arguments) == {"email": "jane.roe@example.org"}  # restored for the caller
    assistant = {"role": "assistant", "content": "", "tool_calls": [call.model_dump()]}
    result = {"role": "tool", "tool_call_id": call.id, "content": "Shipped to jane.roe@example.org, +49 30 901820"}
    done = await client.chat.completions.create(model="cloud", messages=[*ask, assistant, result], tools=[lookup])
    assert done.choices[0].message.content == "The tool said: Shipped to jane.roe@example.org, +49 30 901820"
    for r in cloud.completions():
        assert b"jane.roe" not in r.body and b"901820" not in r.body
    await svc.audit.flush()
    rows = await pool.fetch("SELECT * FROM sovereign_audit_log WHERE kind = 'call' ORDER BY id")
    details = [json.loads(r["detail"]) for r in rows]
    assert details == [{"tools_offered": ["find_order"], "tools_called": ["find_order"]},
                       {"tools_offered": ["find_order"], "tools_called": []}]
    dumped = json.dumps([dict(r) for r in rows], default=str)
    assert "jane.roe" not in dumped and "[EMAIL_1]" not in dumped and "Shipped" not in dumped
    assert (await verify(pool)).ok


async def test_tools_go_only_to_providers_that_take_them(start, cloud: FakeLLM, local: FakeLLM) -> None:
    svc = await start([provider(local, "local", "local", 1, tools=False), provider(cloud, "cloud", "US", 2)])
    client = svc.client(await svc.key())
    resp = await client.chat.completions.create(model="auto", messages=ASK, tools=[PRICE])
    assert resp.choices[0].message.tool_calls and local.calls == 0 and cloud.calls == 1
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="local", messages=ASK, tools=[PRICE])
    assert e.value.code == "tools_unsupported" and e.value.param == "tools"
    plain = await client.chat.completions.create(model="auto", messages=ASK)
    assert plain.choices[0].message.content == "Hello from here."


@pytest.mark.parametrize("tools,choice,param", [
    ([{"type": "retrieval"}], None, "tools"),
    ([{"type": "function", "function": {"name": "has space"}}], None, "tools"),
    ([PRICE], {"type": "function", "function": {"name": "other"}}, "tool_choice"),
    ([PRICE], "sometimes", "tool_choice"),
])
async def test_bad_tools_get_a_400_naming_the_field(start, cloud: FakeLLM, tools: Any, choice: Any, param: str) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    extra = {} if choice is None else {"tool_choice": choice}
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=ASK, tools=tools, **extra)
    assert e.value.code == "invalid_tools" and e.value.param == param
    assert cloud.calls == 0


async def test_a_call_with_invalid_arguments_fails_over(start, cloud: FakeLLM, local: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1), provider(local, "local", "local", 2)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(tool_arguments={"colour": 5}))  # misses the required "color"
    local.set_mode(Step(tool_arguments={"color": "blue"}))
    for stream in (False, True):
        if stream:
            async with client.chat.completions.stream(model="auto", messages=ASK, tools=[STRICT]) as s:
                resp = await s.get_final_completion()
        else:
            resp = await client.chat.completions.create(model="auto", messages=ASK, tools=[PRICE])
        call = resp.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert json.loads(call.function.arguments) == {"color": "blue"}
    assert cloud.calls == 2 and local.calls == 2
    with pytest.raises(openai.APIStatusError) as e:
        await client.chat.completions.create(model="cloud", messages=ASK, tools=[PRICE])
    assert e.value.status_code == 502 and e.value.code == "invalid_output"
