"""The Anthropic adapter against the fake's Messages API."""

import email.utils
import time

import pytest

from sovereign.gateway import ChatRequest, Message
from sovereign.gateway.config import ProviderConfig, Timeouts
from sovereign.gateway.providers.anthropic import API_VERSION, AnthropicProvider
from sovereign.gateway.types import ProviderError
from sovereign_testkit.fake_llm import Step


def provider(fake, **kw) -> AnthropicProvider:
    cfg = ProviderConfig(
        name="claude", kind="anthropic", model="claude-test", endpoint=fake.url + "/v1", api_key="sk-ant-secret",
        timeouts=Timeouts(connect=0.5, first_token=1, total=1), **kw,
    )
    return AnthropicProvider(cfg)


def request() -> ChatRequest:
    msgs = [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello"), Message("user", "Mugs?")]
    return ChatRequest(messages=msgs, feature="chat", max_tokens=64, stop=["\n\n"])


async def test_round_trip(fake) -> None:
    p = provider(fake)
    try:
        completion = await p.complete(request(), timeout=1)
    finally:
        await p.aclose()
    assert completion.text == "Hello from the fake LLM." and completion.finish_reason == "stop"
    assert completion.usage.output_tokens == 5 and completion.usage.input_tokens > 0
    sent = fake.completions()[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-secret" and sent.headers["anthropic-version"] == API_VERSION
    assert "authorization" not in sent.headers
    assert sent.json() == {
        "model": "claude-test", "max_tokens": 64, "temperature": 0.0, "system": "Be brief.", "stop_sequences": ["\n\n"],
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Mugs?"}],
    }


async def test_stream_round_trip(fake) -> None:
    p = provider(fake)
    try:
        chunks = [c async for c in p.stream(request(), timeout=1)]
    finally:
        await p.aclose()
    assert "".join(c.text for c in chunks) == "Hello from the fake LLM."
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage.output_tokens == 5
    assert fake.completions()[0].json()["stream"] is True


async def test_errors_are_truthful(fake) -> None:
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    fake.script(Step("rate_limited", retry_after=date), Step("error", status=529), "unauthorized", "garbage")
    p = provider(fake)
    try:
        errors = []
        for _ in range(4):
            with pytest.raises(ProviderError) as e:
                await p.complete(request(), timeout=1)
            errors.append(e.value)
    finally:
        await p.aclose()
    assert [(e.kind, e.retryable, e.status) for e in errors] == [
        ("rate_limited", True, 429), ("server", True, 529), ("auth", False, 401), ("bad_response", False, None),
    ]
    assert 17 <= errors[0].retry_after <= 20


async def test_api_key_from_environment(fake, monkeypatch) -> None:
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "from-env")
    cfg = ProviderConfig(name="c", kind="anthropic", model="m", endpoint=fake.url, api_key_env="TEST_ANTHROPIC_KEY")
    p = AnthropicProvider(cfg)
    try:
        await p.complete(request(), timeout=1)
        assert await p.health()
    finally:
        await p.aclose()
    assert fake.completions()[0].headers["x-api-key"] == "from-env"
