"""Structured output through the router: native response_format, prompt instructions, validation, failover."""

import pytest

from sovereign.gateway import ChatRequest, GatewayError
from sovereign_testkit.fake_llm import Step

from .support import anthropic_cfg, openai_cfg

SCHEMA = {
    "type": "object",
    "properties": {"risk": {"type": "number", "minimum": 0, "maximum": 1}, "reason": {"type": "string"}},
    "required": ["risk", "reason"],
}


def ask(**kw: object) -> ChatRequest:
    return ChatRequest.simple("Rate this order.", feature="fraud", system="You rate orders.", timeout=3, json_schema=SCHEMA, **kw)


async def test_openai_gets_response_format_and_fenced_output_is_parsed_and_clamped(fake, make_gateway) -> None:
    fake.set_mode(Step("fast", text='```json\n{"risk": 1.4, "reason": "new account"}\n```'))
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    result = await gw.complete(ask())
    assert result.parsed == {"risk": 1, "reason": "new account"}
    body = fake.completions()[0].json()
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}
    assert body["messages"][0] == {"role": "system", "content": "You rate orders."}  # no prompt surgery when native


async def test_anthropic_gets_the_schema_in_its_system_prompt(fake, make_gateway) -> None:
    fake.set_mode(Step("fast", text='{"risk": 0.2, "reason": "known customer"}'))
    gw = make_gateway([anthropic_cfg(fake, "a", 1)])
    result = await gw.complete(ask())
    assert result.parsed == {"risk": 0.2, "reason": "known customer"}
    body = fake.completions()[0].json()
    assert body["system"].startswith("You rate orders.") and '"required": ["risk", "reason"]' in body["system"]
    assert all(m["role"] != "system" for m in body["messages"]) and "response_format" not in body


async def test_invalid_output_fails_over_without_hurting_the_breaker(fake, fake2, make_gateway) -> None:
    fake.set_mode(Step("fast", text='{"risk": "high"}'))
    fake2.set_mode(Step("fast", text='{"risk": 0.9, "reason": "mismatch"}'))
    gw = make_gateway([openai_cfg(fake, "p", 1), openai_cfg(fake2, "q", 2)])
    for _ in range(4):
        result = await gw.complete(ask())
        assert result.provider == "q" and result.parsed["risk"] == 0.9
    assert fake.calls == 4 and gw.health()["p"]["breaker"] == "closed"


async def test_all_invalid_is_reported_as_invalid_output(fake, make_gateway) -> None:
    fake.set_mode(Step("fast", text="I think the risk is low."))
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())
    assert e.value.reason == "invalid_output" and fake.calls == 1


async def test_json_mode(fake, make_gateway) -> None:
    fake.set_mode(Step("fast", text='Sure: {"tags": ["mug", "blue"]}'))
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    result = await gw.complete(ChatRequest.simple("Tags?", feature="tags", json_mode=True))
    assert result.parsed == {"tags": ["mug", "blue"]}
    assert fake.completions()[0].json()["response_format"] == {"type": "json_object"}
