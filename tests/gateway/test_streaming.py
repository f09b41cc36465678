"""Streaming: transparent failover before the first token, a clean error after it."""

import time

import pytest

from sovereign.gateway import CallFinished, ChatRequest, GatewayError
from sovereign.gateway.config import Timeouts
from sovereign_testkit.fake_llm import Step

from .support import anthropic_cfg, openai_cfg


def ask(timeout: float = 5.0) -> ChatRequest:
    return ChatRequest.simple("Tell me about mugs.", feature="chat", timeout=timeout)


async def collect(gw, request) -> list:
    return [c async for c in gw.stream(request)]


async def test_stream_yields_text_then_a_final_chunk(fake, make_gateway, events) -> None:
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    chunks = await collect(gw, ask())
    assert "".join(c.text for c in chunks) == "Hello from the fake LLM."
    assert chunks[-1].finish_reason == "stop" and all(c.finish_reason is None for c in chunks[:-1])
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens == 5
    body = fake.completions()[0].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    done = [e for e in events if isinstance(e, CallFinished)][-1]
    assert done.stream and done.outcome == "ok" and done.output_tokens == 5


async def test_stall_before_first_token_fails_over(fake, fake2, make_gateway) -> None:
    fake.set_mode("stream_stall")
    primary = openai_cfg(fake, "primary", 1, max_retries=0, timeouts=Timeouts(connect=0.5, first_token=0.3, total=10))
    gw = make_gateway([primary, anthropic_cfg(fake2, "backup", 2)])
    start = time.monotonic()
    chunks = await collect(gw, ask())
    assert 0.3 <= time.monotonic() - start < 0.6
    assert "".join(c.text for c in chunks) == "second" and chunks[-1].finish_reason == "stop"
    assert fake.calls == 1 and fake2.calls == 1


async def test_error_before_first_token_fails_over(fake, fake2, make_gateway) -> None:
    fake.script(Step("error", status=503), "rate_limited", "unauthorized")
    gw = make_gateway([openai_cfg(fake, "primary", 1), openai_cfg(fake2, "backup", 2)])
    chunks = await collect(gw, ask())
    assert "".join(c.text for c in chunks) == "second"


async def test_break_after_first_token_is_a_clean_error(fake, fake2, make_gateway, events) -> None:
    fake.set_mode("stream_break", chunks=3)  # role chunk, "Hello", " from", then a reset
    gw = make_gateway([openai_cfg(fake, "primary", 1), openai_cfg(fake2, "backup", 2)])
    got = []
    with pytest.raises(GatewayError) as e:
        async for chunk in gw.stream(ask()):
            got.append(chunk)
    assert e.value.reason == "interrupted" and e.value.errors[-1].kind == "reset"
    assert [c.text for c in got] == ["Hello", " from"] and all(c.finish_reason is None for c in got)
    assert fake2.calls == 0  # no silent restart elsewhere once text went out
    assert [x for x in events if isinstance(x, CallFinished)][-1].outcome == "interrupted"


async def test_stream_cut_without_end_marker_is_an_error(fake, make_gateway) -> None:
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    fake.set_mode("stream_break", chunks=7)  # role, 5 words, the finish chunk; cut before usage and [DONE]
    chunks = await collect(gw, ask())
    assert chunks[-1].finish_reason == "stop"  # the finish reason arrived: the answer is complete
    fake.set_mode("stream_break", chunks=5)  # cut after " fake": no finish, no [DONE]
    with pytest.raises(GatewayError) as e:
        await collect(gw, ask())
    assert e.value.reason == "interrupted"


async def test_stall_after_first_token_ends_at_the_deadline(fake, make_gateway) -> None:
    fake.set_mode("stream_stall", chunks=2)  # role chunk, "Hello", then nothing
    gw = make_gateway([openai_cfg(fake, "p", 1, timeouts=Timeouts(connect=0.5, first_token=5, total=5))])
    start = time.monotonic()
    got = []
    with pytest.raises(GatewayError) as e:
        async for chunk in gw.stream(ask(timeout=0.3)):
            got.append(chunk.text)
    assert 0.28 <= time.monotonic() - start < 0.5
    assert got == ["Hello"] and e.value.reason == "interrupted" and e.value.errors[-1].kind == "timeout"


async def test_consumer_leaving_early_is_not_a_failure(fake, make_gateway) -> None:
    gw = make_gateway([openai_cfg(fake, "p", 1)])
    stream = gw.stream(ask())
    async for chunk in stream:
        assert chunk.text == "Hello"
        break
    await stream.aclose()
    assert gw.health()["p"]["breaker"] == "closed"
    assert "".join(c.text for c in await collect(gw, ask())) == "Hello from the fake LLM."
