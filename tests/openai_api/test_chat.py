"""The official openai client against the running service: completions, streams, structured output, errors."""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel

from sovereign.audit import verify
from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider


class Verdict(BaseModel):
    risk: int
    reasons: list[str]


async def test_a_completion(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    resp = await client.chat.completions.create(
        model="cloud", messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        max_tokens=20, temperature=0.2,
    )
    assert resp.choices[0].message.content == "Hello from the cloud." and resp.choices[0].finish_reason == "stop"
    assert resp.model == "cloud-model" and resp.usage is not None and resp.usage.total_tokens > 0
    sent = cloud.completions()[0].json()
    assert sent["model"] == "cloud-model" and sent["max_tokens"] == 20 and sent["temperature"] == 0.2
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    raw = await client.chat.completions.with_raw_response.create(model="cloud-model", messages=[{"role": "user", "content": "Hi"}])
    assert raw.headers["x-sovereign-provider"] == "cloud" and raw.headers["x-sovereign-jurisdiction"] == "US"


async def test_a_stream(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    stream = await client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "Hi"}], stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the cloud."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


async def test_a_stream_that_breaks_ends_with_an_error_not_a_truncated_success(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step("stream_break", chunks=3, text="one two three four five six"))
    stream = await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hi"}], stream=True)
    got: list[str] = []
    with pytest.raises(openai.APIError, match="broke after the first token"):
        async for c in stream:
            got.append(c.choices[0].delta.content or "")
    assert "".join(got) == "one two"


async def test_a_stream_that_cannot_start_is_a_plain_http_error(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode("error")
    with pytest.raises(openai.InternalServerError) as e:
        await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Hi"}], stream=True)
    assert e.value.status_code == 503 and e.value.code == "unavailable"
    assert e.value.response.headers["retry-after"]


async def test_json_schema_and_json_object(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    cloud.set_mode(Step(text='Sure: {"risk": 130, "reasons": ["new customer"]}'))
    done = await client.chat.completions.parse(
        model="cloud", messages=[{"role": "user", "content": "Rate this order"}], response_format=Verdict
    )
    assert done.choices[0].message.parsed == Verdict(risk=130, reasons=["new customer"])
    sent = cloud.completions()[-1].json()
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["risk", "reasons"]
    resp = await client.chat.completions.create(
        model="cloud", messages=[{"role": "user", "content": "JSON please"}], response_format={"type": "json_object"}
    )
    assert json.loads(resp.choices[0].message.content or "") == {"risk": 130, "reasons": ["new customer"]}
    cloud.set_mode(Step(text="not json at all"))
    with pytest.raises(openai.APIStatusError) as e:
        await client.chat.completions.parse(model="cloud", messages=[{"role": "user", "content": "x"}], response_format=Verdict)
    assert e.value.status_code == 502 and e.value.code == "invalid_output"


async def test_keys_and_scopes(start, cloud: FakeLLM, local: FakeLLM) -> None:
    svc = await start([provider(local, "local", "local", 1), provider(cloud, "cloud", "US", 2)])
    ask = {"messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(openai.AuthenticationError) as e:
        await svc.client("sk-sov-00000000-wrong").chat.completions.create(model="cloud", **ask)
    assert e.value.code == "invalid_api_key"
    only_local = svc.client(await svc.key(models=["local"]))
    with pytest.raises(openai.PermissionDeniedError) as e:
        await only_local.chat.completions.create(model="cloud", **ask)
    assert e.value.code == "model_not_allowed"
    assert (await only_local.chat.completions.create(model="local-model", **ask)).choices[0].message.content == "Hello from here."
    listed = (await only_local.models.list()).data
    assert [(m.id, m.aliases) for m in listed] == [("local-model", ["local"])]  # type: ignore[attr-defined]
    with pytest.raises(openai.NotFoundError):
        await only_local.chat.completions.create(model="gpt-4o", **ask)
    fraud_only = svc.client(await svc.key(features=["fraud"]))
    with pytest.raises(openai.PermissionDeniedError) as e:
        await fraud_only.chat.completions.create(model="local", **ask)
    assert e.value.code == "scope_feature"
    limited = svc.client(await svc.key(rate_per_minute=2))
    for _ in range(2):
        await limited.chat.completions.create(model="local", **ask)
    with pytest.raises(openai.RateLimitError) as e:
        await limited.chat.completions.create(model="local", **ask)
    assert int(e.value.response.headers["retry-after"]) >= 1
    revoked_id, revoked = await svc.runtime.api_keys.create("gone")
    await svc.runtime.api_keys.revoke(revoked_id.id)
    with pytest.raises(openai.AuthenticationError):
        await svc.client(revoked).models.list()
    assert cloud.calls == 0


async def test_the_key_data_class_is_enforced_by_residency(start, cloud: FakeLLM, local: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1), provider(local, "local", "local", 2)])
    hr = svc.client(await svc.key(data_class="hr_personal"))
    assert [m.id for m in (await hr.models.list()).data] == ["local-model"]
    with pytest.raises(openai.PermissionDeniedError) as e:
        await hr.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Appraisal of Jane"}])
    assert e.value.code == "policy_refused"
    stream_refused = hr.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "x"}], stream=True)
    with pytest.raises(openai.PermissionDeniedError):
        await stream_refused
    assert cloud.completions() == []  # (health probes aside) nothing reached it
    customer = svc.client(await svc.key(data_class="customer_personal"))
    cloud.set_mode(Step(text="Will mail [EMAIL_1] and call [PHONE_1]."))
    resp = await customer.chat.completions.create(
        model="cloud", messages=[{"role": "user", "content": "Mail jane.roe@example.org or call +49 30 901820."}]
    )
    assert resp.choices[0].message.content == "Will mail jane.roe@example.org and call +49 30 901820."
    body = cloud.completions()[-1].body
    assert b"jane.roe" not in body and b"901820" not in body and b"[EMAIL_1]" in body


async def test_calls_on_the_endpoint_are_audited(start, cloud: FakeLLM, pool) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key(data_class="customer_personal"))
    await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "Mail ann@example.org"}])
    await svc.audit.flush()
    row = await pool.fetchrow("SELECT * FROM sovereign_audit_log WHERE kind = 'call' ORDER BY id DESC LIMIT 1")
    assert (row["feature"], row["data_class"], row["provider"], row["jurisdiction"]) == (
        "gateway", "customer_personal", "cloud", "US")
    assert json.loads(row["redactions"]) == {"EMAIL": 1} and len(row["request_sha256"]) == 64
    assert "ann@example.org" not in json.dumps(dict(row), default=str)
    assert (await verify(pool)).ok


async def test_unsupported_requests_get_openai_shaped_400s(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "x"}], n=9)
    assert e.value.code == "unsupported_parameter" and e.value.param == "n"
    with pytest.raises(openai.BadRequestError) as e:
        await client.chat.completions.create(model="cloud", messages=[])
    assert e.value.code == "invalid_request"
    assert cloud.calls == 0
