"""What the endpoint accepts and refuses: fields by name, images by provider capability, cache semantics, log lines."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import openai
import pytest

from sovereign.gateway import MemoryCache
from sovereign_testkit.fake_llm import FakeLLM

from .conftest import provider

HI = [{"role": "user", "content": "Hi"}]
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def picture(url: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                         {"type": "image_url", "image_url": {"url": url}}]}]


@pytest.mark.parametrize("extra,param", [
    ({"logit_bias": {"50256": -100}}, "logit_bias"),
    ({"logprobs": True}, "logprobs"),
    ({"modalities": ["text", "audio"]}, "modalities"),
    ({"functions": [{"name": "f"}]}, "functions"),
    ({"store": True}, "store"),
    ({"frobnicate": 1}, "frobnicate"),
])
async def test_a_field_that_cannot_be_honoured_is_refused_by_name(start, cloud: FakeLLM, extra: dict, param: str) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=HI, extra_body=extra)  # type: ignore[arg-type]
    assert e.value.code == "unsupported_parameter" and e.value.param == param and param in str(e.value)
    assert cloud.calls == 0


async def test_labels_and_off_values_are_accepted(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    resp = await client.chat.completions.create(
        model="cloud", messages=HI, user="shop-42", metadata={"plugin": "seo"}, store=False, logprobs=False,
        seed=7, top_p=0.5, service_tier="auto",
    )
    assert resp.choices[0].message.content == "Hello from the cloud."
    sent = cloud.completions()[-1].json()
    assert sent["seed"] == 7 and sent["top_p"] == 0.5 and "user" not in sent and "metadata" not in sent


async def test_images_go_only_to_vision_providers(start, cloud: FakeLLM, local: FakeLLM) -> None:
    svc = await start([provider(local, "local", "local", 1), provider(cloud, "cloud", "US", 2, vision=True)])
    client = svc.client(await svc.key())
    resp = await client.chat.completions.create(model="auto", messages=picture(PNG))  # type: ignore[arg-type]
    assert resp.choices[0].message.content == "Hello from the cloud." and local.calls == 0
    https = "https://shop.example/wp-content/uploads/mug.jpg"
    await client.chat.completions.create(model="auto", messages=picture(https))  # type: ignore[arg-type]
    assert cloud.completions()[-1].json()["messages"][0]["content"][1]["image_url"]["url"] == https
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="local", messages=picture(PNG))  # type: ignore[arg-type]
    assert e.value.code == "vision_unsupported"
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="auto", messages=picture("http://plain.example/a.png"))  # type: ignore[arg-type]
    assert e.value.code == "invalid_image_url"
    models = {m.id: m.capabilities for m in (await client.models.list()).data}  # type: ignore[attr-defined]
    assert models["cloud-model"]["vision"] is True and models["local-model"]["vision"] is False


async def test_images_never_go_out_redacted(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1, vision=True)])  # customer_personal: US only redacted
    client = svc.client(await svc.key(data_class="customer_personal"))
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=picture(PNG))  # type: ignore[arg-type]
    assert e.value.code == "vision_needs_raw" and cloud.calls == 0


async def test_bad_schemas_and_formats(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    for fmt, code in [
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "invalid_schema"),
        ({"type": "json_schema", "json_schema": {"type": "object", "properties": 3}}, "invalid_schema"),
        ({"type": "grammar"}, "unsupported_parameter"),
    ]:
        with pytest.raises(openai.BadRequestError) as e:
            await client.chat.completions.create(model="cloud", messages=HI, response_format=fmt)  # type: ignore[arg-type]
        assert e.value.code == code
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=[{"role": "function", "content": "x", "name": "f"}])  # type: ignore[list-item]
    assert e.value.code == "unsupported_role" and e.value.param == "messages[0].role"
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=[*HI, {"role": "tool", "content": "x"}])  # type: ignore[list-item]
    assert e.value.param == "messages[1].tool_call_id"
    assert cloud.calls == 0


async def test_cache_semantics(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)], cache=MemoryCache())
    client = svc.client(await svc.key())
    for _ in range(2):  # sampled: every call is a fresh generation ("Regenerate" regenerates)
        await client.chat.completions.create(model="cloud", messages=HI, temperature=0.8)
    assert cloud.calls == 2
    for _ in range(2):  # greedy: the second is a cache hit
        await client.chat.completions.create(model="cloud", messages=HI, temperature=0)
    assert cloud.calls == 3
    for _ in range(2):  # a seed makes a sampled answer reproducible, so it may be cached
        await client.chat.completions.create(model="cloud", messages=HI, temperature=0.8, seed=1)
    assert cloud.calls == 4
    await client.chat.completions.create(model="cloud", messages=HI, temperature=0,
                                         extra_headers={"Cache-Control": "no-cache"})
    assert cloud.calls == 5
    opted = svc.client(await svc.key(cache_sampled=True))
    for _ in range(2):
        await opted.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hey"}], temperature=0.9)
    assert cloud.calls == 6


async def test_every_4xx_is_logged_with_its_code(start, cloud: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    key = await svc.key()
    caplog.set_level(logging.INFO, logger="sovereign.http")
    async with httpx.AsyncClient(base_url=f"{svc.url}/v1", headers={"authorization": f"Bearer {key}"}) as c:
        assert (await c.post("/chat/completions", json={"model": "cloud", "messages": HI, "n": 99})).status_code == 400
        assert (await c.post("/chat/completions", json={"model": "nope", "messages": HI})).status_code == 404
        assert (await c.post("/chat/completions", json={"model": "cloud"})).status_code == 400
        assert (await c.get("/models", headers={"authorization": "Bearer wrong"})).status_code == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "sovereign.http"]
    for expected in ("POST /v1/chat/completions 400 unsupported_parameter", "POST /v1/chat/completions 404 model_not_found",
                     "POST /v1/chat/completions 400 invalid_request", "GET /v1/models 401 invalid_api_key"):
        assert any(line.startswith(expected) for line in lines), (expected, lines)
