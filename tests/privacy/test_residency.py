"""Residency, fail closed, against fake upstreams that record the exact bytes they received."""

from __future__ import annotations

import json

import pytest

from sovereign.gateway import CUSTOMER_PERSONAL, HR_PERSONAL, CallFinished, ChatRequest, GatewayError
from sovereign.gateway.outbound import digest_messages, digest_text
from sovereign.gateway.residency import ResidencyPolicy
from sovereign.gateway.types import Message
from sovereign.privacy import Redactor
from sovereign_testkit.fake_llm import FakeLLM, Step

from .conftest import provider
from .support import fraud_request, leaks, order

REDACTED_ABROAD = {"customer_personal": {"raw": ["local", "EU-*"], "redacted": ["US"]}}


def sent_bodies(fake: FakeLLM) -> bytes:
    return b"\n".join(r.body for r in fake.requests)


def finished(events: list) -> list[CallFinished]:
    return [e for e in events if isinstance(e, CallFinished)]


async def test_personal_data_reaches_a_redacted_only_provider_without_any_personal_field(
    cloud: FakeLLM, make_gateway, redactor: Redactor, events: list
) -> None:
    o = order()
    personal = o.personal_fields()
    gw = make_gateway([provider(cloud, "us", "US", 1)], policy=ResidencyPolicy(REDACTED_ABROAD, redactor=redactor))
    cloud.set_mode(Step(text='{"risk": 80, "reasons": ["[NAME_1] [NAME_2] ships to [CITY_2]"]}'))
    result = await gw.complete(fraud_request(o))
    assert cloud.calls == 1 and result.provider == "us"
    body = sent_bodies(cloud)
    assert leaks(body, personal) == [], "personal fields reached the US provider"
    sent = cloud.completions()[0].json()
    assert "[NAME_1]" in sent["messages"][1]["content"] and "Sunglasses" in sent["messages"][1]["content"]
    # placeholders are put back for the feature, inside the validated JSON too
    assert result.parsed == {"risk": 80, "reasons": ["Klaus Müller ships to Lagos Island"]}
    assert json.loads(result.text)["reasons"] == ["Klaus Müller ships to Lagos Island"]
    [event] = finished(events)
    assert event.redactions["NAME"] == 4 and event.outcome == "ok"
    messages = [Message(m["role"], m["content"]) for m in sent["messages"]]
    assert event.request_sha256 == digest_messages(ChatRequest(messages=messages, feature="x"))
    assert event.response_sha256 == digest_text('{"risk": 80, "reasons": ["[NAME_1] [NAME_2] ships to [CITY_2]"]}')


async def test_each_provider_gets_its_own_form_within_one_call(
    cloud: FakeLLM, local: FakeLLM, make_gateway, redactor: Redactor
) -> None:
    o = order()
    policy = ResidencyPolicy(REDACTED_ABROAD, redactor=redactor)
    gw = make_gateway([provider(local, "local", "local", 1), provider(cloud, "us", "US", 2)], policy=policy)
    local.set_mode("error")  # the local provider is tried first and fails: the call fails over abroad
    result = await gw.complete(fraud_request(o, json_schema=None))
    assert result.provider == "us" and result.text == "cloud answer"
    assert "billing.last_name" in leaks(sent_bodies(local), o.personal_fields())  # local: raw
    assert leaks(sent_bodies(cloud), o.personal_fields()) == []  # abroad: redacted


async def test_a_streamed_answer_gets_its_placeholders_back(cloud: FakeLLM, make_gateway, redactor: Redactor) -> None:
    o = order()
    gw = make_gateway([provider(cloud, "us", "US", 1)], policy=ResidencyPolicy(REDACTED_ABROAD, redactor=redactor))
    cloud.set_mode(Step(text="Hold: [NAME_3] [NAME_4] at [ADDRESS_2], [POSTCODE_2] [CITY_2]."))
    chunks = [c async for c in gw.stream(fraud_request(o, json_schema=None))]
    assert "".join(c.text for c in chunks) == "Hold: Tunde Bakare at 3 Marina Road, 102273 Lagos Island."
    assert chunks[-1].finish_reason == "stop"
    assert leaks(sent_bodies(cloud), o.personal_fields()) == []


async def test_hr_personal_is_refused_by_a_cloud_only_configuration(
    cloud: FakeLLM, make_gateway, redactor: Redactor, events: list
) -> None:
    everywhere = {HR_PERSONAL: {"raw": ["*"], "redacted": ["*"]}}  # the config says yes; the code says no
    gw = make_gateway([provider(cloud, "us", "US", 1), provider(cloud, "de", "EU-DE", 2)],
                      policy=ResidencyPolicy(everywhere, redactor=redactor))
    request = ChatRequest.simple("Summarise the appraisal of Jane Roe.", feature="hr", data_class=HR_PERSONAL,
                                 record={"name": "Jane Roe"})
    with pytest.raises(GatewayError) as e:
        await gw.complete(request)
    assert e.value.reason == "policy" and "hr_personal" in str(e.value)
    with pytest.raises(GatewayError) as e:
        [c async for c in gw.stream(request)]
    assert e.value.reason == "policy"
    assert len(cloud.requests) == 0  # nothing at all reached it
    assert [x.outcome for x in finished(events)] == ["policy", "policy"]


async def test_unknown_data_classes_stay_local_and_rules_are_fail_closed(
    cloud: FakeLLM, local: FakeLLM, make_gateway, redactor: Redactor
) -> None:
    policy = ResidencyPolicy(REDACTED_ABROAD, redactor=redactor)
    us, de, loc = provider(cloud, "us", "US", 1), provider(cloud, "de", "EU-DE", 2), provider(local, "local", "local", 3)
    gw = make_gateway([us, de, loc], policy=policy)
    assert (await gw.complete(ChatRequest.simple("x", feature="f", data_class="supplier_contracts"))).provider == "local"
    assert (await gw.complete(ChatRequest.simple("x", feature="f"))).provider == "us"  # public: anywhere
    assert (await gw.complete(ChatRequest.simple("x", feature="f", data_class=CUSTOMER_PERSONAL))).provider == "us"
    assert cloud.calls == 2
    assert [policy.form_for(CUSTOMER_PERSONAL, c) for c in (us, de, loc)] == ["redacted", "raw", "raw"]
    not_opted_in = us.model_copy(update={"data_classes": ["public"]})  # the provider's own opt-in is needed too
    assert policy.form_for(CUSTOMER_PERSONAL, not_opted_in) == "refused"
    assert policy.form_for("supplier_contracts", de) == "refused"
    assert ResidencyPolicy(redactor=redactor).form_for(CUSTOMER_PERSONAL, de) == "refused"  # default: local only


async def test_a_redaction_failure_blocks_the_call(cloud: FakeLLM, make_gateway, events: list) -> None:
    def broken(text: str) -> list[tuple[int, int, str]]:
        raise RuntimeError("recognizer crashed")

    policy = ResidencyPolicy(REDACTED_ABROAD, redactor=Redactor(finders=[broken]))
    gw = make_gateway([provider(cloud, "us", "US", 1), provider(cloud, "us2", "US", 2)], policy=policy)
    with pytest.raises(GatewayError) as e:
        await gw.complete(fraud_request())
    assert e.value.reason == "redaction" and "nothing was sent" in str(e.value)
    with pytest.raises(GatewayError) as e:
        [c async for c in gw.stream(fraud_request(json_schema=None))]
    assert e.value.reason == "redaction"
    assert len(cloud.requests) == 0
    assert [x.outcome for x in finished(events)] == ["redaction", "redaction"]


async def test_a_redaction_failure_drops_only_the_providers_that_needed_it(
    cloud: FakeLLM, local: FakeLLM, make_gateway
) -> None:
    def broken(text: str) -> list[tuple[int, int, str]]:
        raise RuntimeError("recognizer crashed")

    policy = ResidencyPolicy(REDACTED_ABROAD, redactor=Redactor(finders=[broken]))
    gw = make_gateway([provider(cloud, "us", "US", 1), provider(local, "local", "local", 2)], policy=policy)
    result = await gw.complete(fraud_request(json_schema=None))
    assert result.provider == "local" and len(cloud.requests) == 0 and local.calls == 1
