"""/metrics over real HTTP: gateway events counted (calls, cache hits, tokens, cost, failures, breakers,
degraded), queue and provider state read at scrape time, job latency from pgqueuer_log."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sovereign.gateway import CallFinished, ChatRequest, Event, Gateway, GatewayError, GatewaySettings, MemoryCache
from sovereign.gateway.config import BreakerSettings, DegradedSettings, RetrySettings
from sovereign.metrics import EventFanout, GatewayMetrics, RuntimeMetrics
from sovereign_testkit.fake_llm import FakeLLM

from tests.console.conftest import EXPLODE, Console, console_service, providers_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

# Label names that would mean a person's data (or an unbounded id) became a metric label.
PERSONAL_LABELS = {"email", "customer", "customer_id", "user", "ip", "address", "phone", "first_name", "last_name",
                   "order", "order_id", "prompt", "text"}


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


RECORDED = Recorder()


def metered_gateway(llm: FakeLLM) -> Gateway:
    providers = providers_for(llm)
    return Gateway(
        providers,
        settings=GatewaySettings(
            retry=RetrySettings(base_s=0.01, cap_s=0.02),
            breaker=BreakerSettings(consecutive_failures=2, failure_rate=1.0, cooldown_s=60),
            degraded=DegradedSettings(min_samples=1000),
        ),
        cache=MemoryCache(),
        on_event=EventFanout([GatewayMetrics.for_providers(providers), RECORDED]),
    )


@pytest.fixture
async def metered(db_url: str) -> AsyncIterator[Console]:
    RECORDED.events.clear()
    async with console_service(db_url, metered_gateway) as svc:
        svc.app.state.web.metrics = RuntimeMetrics(svc.rt, settle_s=0.0)
        yield svc


async def scrape(svc: Console) -> Samples:
    r = await svc.http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(r.text)


async def test_gateway_calls_cache_tokens_cost_failures_and_breakers_are_counted(metered: Console) -> None:
    svc, gw = metered, metered.rt.gateway
    before = await scrape(svc)
    request = ChatRequest.simple("Describe a red cap.", feature="descriptions", timeout=5)
    first = await gw.complete(request)
    second = await gw.complete(ChatRequest.simple("Describe a red cap.", feature="descriptions", timeout=5))
    assert second.cached and not first.cached
    svc.llm.set_mode("error")
    for _ in range(3):
        with pytest.raises(GatewayError):
            await gw.complete(ChatRequest.simple("Is this order risky?", feature="fraud", timeout=5))
    gw.overrides.force_degraded("forecasts", reason="drill")
    with pytest.raises(GatewayError):
        await gw.complete(ChatRequest.simple("x", feature="forecasts", timeout=5))
    after = await scrape(svc)

    def delta(metric: str, /, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    assert delta("sovereign_llm_calls_total", feature="descriptions", provider="fake", outcome="ok") == 2
    assert delta("sovereign_llm_cache_hits_total", feature="descriptions") == 1
    assert delta("sovereign_llm_calls_total", feature="fraud", provider="fake", outcome="unavailable") == 2
    assert delta("sovereign_llm_calls_total", feature="forecasts", provider="none", outcome="degraded") == 1
    assert delta("sovereign_llm_call_duration_seconds_count", feature="descriptions", outcome="ok") == 2
    # Tokens and cost of the one call that reached the provider (the cache hit costs nothing).
    calls = [e for e in RECORDED.events if isinstance(e, CallFinished) and e.outcome == "ok" and not e.cached]
    (paid,) = calls
    assert paid.input_tokens > 0 and paid.output_tokens > 0
    assert delta("sovereign_llm_tokens_total", provider="fake", model=paid.model, direction="input") == paid.input_tokens
    assert delta("sovereign_llm_tokens_total", provider="fake", model=paid.model, direction="output") == paid.output_tokens
    cost = paid.input_tokens / 1000 * 0.5 + paid.output_tokens / 1000 * 1.5
    assert delta("sovereign_llm_cost_total", provider="fake", model=paid.model) == pytest.approx(cost)
    # Two failed tries opened the breaker; the third call never reached the provider.
    assert delta("sovereign_llm_attempt_failures_total", provider="fake", kind="server") == 2
    assert delta("sovereign_llm_breaker_transitions_total", provider="fake", state="open") == 1
    assert value(after, "sovereign_llm_breaker_state", provider="fake", state="open") == 1
    assert value(after, "sovereign_llm_breaker_state", provider="fake", state="closed") == 0
    assert delta("sovereign_llm_override_changes_total", name="force_degraded") == 1
    assert value(after, "sovereign_llm_feature_degraded", feature="forecasts", cause="forced") == 1
    assert value(after, "sovereign_llm_feature_availability_ratio", feature="descriptions") == 1.0
    assert value(after, "sovereign_llm_feature_slo_ratio", feature="fraud") == 0.995
    assert value(after, "sovereign_llm_provider_latency_seconds", provider="fake", quantile="0.5") > 0
    assert value(after, "sovereign_llm_provider_info", provider="fake", kind="openai_compatible",
                 jurisdiction="local", model="fake-model", model_version="fake-1") == 1
    assert value(after, "sovereign_llm_rate_limit_paused_seconds", provider="fake") == 0


async def test_jobs_by_group_and_state_and_job_latency_from_the_queue_log(metered: Console) -> None:
    svc = metered
    failed = await svc.failed_job()
    await svc.rt.queue.schedule(EXPLODE, {"n": 2}, delay=3600)  # pending, not due
    samples = await scrape(svc)
    assert value(samples, "sovereign_jobs", group="default", state="failed") == 1
    assert value(samples, "sovereign_jobs", group="default", state="pending") == 1
    assert value(samples, "sovereign_jobs", group="default", state="past_due") == 0
    assert value(samples, "sovereign_job_latency_seconds_count", group="default") == 0  # it failed: no latency

    svc.fail = False
    await svc.rt.inspector.retry([failed])

    async def done() -> bool:
        return await svc.rt.inspector.final_status(failed) == "successful"

    await svc.work_until(done, ["default"])
    samples = await scrape(svc)
    assert value(samples, "sovereign_job_latency_seconds_count", group="default") == 1
    assert 0 < value(samples, "sovereign_job_latency_seconds_sum", group="default") < 10
    assert value(samples, "sovereign_job_latency_seconds_bucket", group="default", le="+Inf") == 1
    assert value(samples, "sovereign_jobs", group="default", state="failed") == 0
    again = await scrape(svc)  # a job is observed once, not at every scrape
    assert value(again, "sovereign_job_latency_seconds_count", group="default") == 1

    # Past due: a pending job whose run time is long gone.
    late = await svc.rt.queue.schedule(EXPLODE, {"n": 3})
    await svc.rt.db.pool.execute(
        "UPDATE pgqueuer SET execute_after = now() - interval '1 hour' WHERE id = $1", late.job_id)
    samples = await scrape(svc)
    assert value(samples, "sovereign_jobs", group="default", state="past_due") == 1
    assert value(samples, "sovereign_job_oldest_due_seconds", group="default") >= 3600
    assert value(samples, "sovereign_workers", state="live") == 0


async def test_labels_carry_ids_and_codes_only(metered: Console) -> None:
    svc = metered
    order = svc.woo.order(85)  # a customer's name, email, phone, address and IP address
    billing = order["billing"]
    personal = [billing["email"], billing["first_name"], billing["last_name"], billing["phone"],
                billing["address_1"], billing["city"], order["customer_ip_address"]]
    assert all(personal)
    await svc.woo.deliver("order.created", 85)

    async def scored() -> bool:
        return bool(await svc.rt.db.pool.fetchval("SELECT count(*) FROM sovereign_fraud_results"))

    await svc.work_until(scored, ["webhooks", "fraud"])
    await svc.rt.gateway.complete(ChatRequest.simple(f"{billing['email']} called", feature="fraud", timeout=5))
    text = (await svc.http.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            assert not set(s.labels) & PERSONAL_LABELS, (s.name, s.labels)
    for value in personal:
        assert str(value) not in text
    assert 'sovereign_webhook_deliveries_total{result="scheduled",store="shop"}' in text


def test_the_fanout_shields_sinks_from_each_other() -> None:
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("sink down")

    fan = EventFanout([broken, None, seen.append])
    event = CallFinished("f", "public", "ok", "p", "local", "m", "v", 1.0, 1, 1, False, 1)
    fan(event)
    assert seen == [event] and len(fan) == 2
    fan.add(seen.append)
    fan(event)
    assert len(seen) == 3


def test_cost_uses_each_providers_pricing() -> None:
    from sovereign.gateway.config import Pricing

    m = GatewayMetrics({"paid": Pricing(input_per_1k=2.0, output_per_1k=6.0)})
    assert m.cost("paid", 1500, 500) == pytest.approx(3.0 + 3.0)
    assert m.cost("local", 1500, 500) == 0.0
