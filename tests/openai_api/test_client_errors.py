"""A client's mistake is the client's error: 400 with OpenAI's codes, never counted against a provider's
breaker or the availability SLO, so it cannot take the model down for everyone. finish_reason is exact
in both modes. The official openai client against the real service over TCP, fake upstreams on sockets."""

from __future__ import annotations

import openai
import pytest

from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider

LONG = "word " * 2000  # ~2,500 tokens at 4 characters each


def _breakers(svc) -> dict[str, str]:  # noqa: ANN001
    return {name: h["breaker"] for name, h in svc.runtime.gateway.health().items()}


async def test_oversized_prompts_get_400_context_length_exceeded_and_never_open_a_breaker(start) -> None:
    async with FakeLLM(reply="Fine.", context=500) as small:
        svc = await start([provider(small, "small", "US", 1)])
        client = svc.client(await svc.key())
        for _ in range(12):  # the breaker opens after 5 consecutive failures; these are not failures
            with pytest.raises(openai.BadRequestError) as info:
                await client.chat.completions.create(model="small", messages=[{"role": "user", "content": LONG}])
            err = info.value.body
            assert info.value.status_code == 400 and err["code"] == "context_length_exceeded"
            assert err["type"] == "invalid_request_error"
        gw = svc.runtime.gateway
        assert _breakers(svc) == {"small": "closed"}
        assert not gw.is_degraded("gateway") and gw.availability.status().get("gateway", {}).get("samples", 0) == 0
        resp = await client.chat.completions.create(model="small", messages=[{"role": "user", "content": "Hi"}])
        assert resp.choices[0].message.content == "Fine."
        # Streaming: the same 400 before any event.
        with pytest.raises(openai.BadRequestError, match="context"):
            await client.chat.completions.create(model="small", messages=[{"role": "user", "content": LONG}], stream=True)
        assert _breakers(svc) == {"small": "closed"}


async def test_a_prompt_too_long_for_one_provider_fails_over_to_one_with_room(start, cloud: FakeLLM) -> None:
    async with FakeLLM(reply="Too small.", context=500) as small:
        svc = await start([provider(small, "small", "local", 1), provider(cloud, "cloud", "US", 2)])
        client = svc.client(await svc.key())
        resp = await client.chat.completions.create(model="auto", messages=[{"role": "user", "content": LONG}])
        assert resp.choices[0].message.content == "Hello from the cloud."
        assert _breakers(svc) == {"small": "closed", "cloud": "closed"}


async def test_an_invalid_json_schema_is_a_400_and_reaches_no_provider(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    bad = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": 7}}}
    for _ in range(6):
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hi"}],
                                                 response_format=bad)
        assert info.value.body["code"] == "invalid_schema" and "schema" in info.value.body["message"]
    assert cloud.completions() == [] and _breakers(svc) == {"cloud": "closed"}


async def test_an_upstream_400_is_the_callers_error_and_not_retried_as_an_outage(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step("error", status=400))
    for _ in range(8):
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hi"}])
        assert info.value.body["code"] == "invalid_request_error"
    assert cloud.calls == 8 and _breakers(svc) == {"cloud": "closed"}
    assert not svc.runtime.gateway.is_degraded("gateway")
    # Invalid parameters never reach the gateway at all.
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hi"}], temperature=7)
    assert info.value.body["type"] == "invalid_request_error" and cloud.calls == 8


async def test_finish_reason_is_length_when_max_tokens_cut_the_answer_in_both_modes(start) -> None:
    async with FakeLLM(reply="one two three four five six seven eight") as fake:
        svc = await start([provider(fake, "cloud", "US", 1)])
        client = svc.client(await svc.key())
        msgs = [{"role": "user", "content": "Count."}]
        cut = await client.chat.completions.create(model="cloud", messages=msgs, max_tokens=3)
        assert cut.choices[0].message.content == "one two three" and cut.choices[0].finish_reason == "length"
        whole = await client.chat.completions.create(model="cloud", messages=msgs, max_tokens=50)
        assert whole.choices[0].finish_reason == "stop"
        stream = await client.chat.completions.create(model="cloud", messages=msgs, max_tokens=3, stream=True)
        reasons = [c.choices[0].finish_reason async for c in stream if c.choices]
        assert reasons[-1] == "length"
