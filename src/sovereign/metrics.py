"""Prometheus metrics: gateway events counted as they happen, queue and provider state read at scrape time.

Three sources, one exposition (``render``, served at ``/metrics``):

* **Gateway events** (``GatewayMetrics``, a sink for ``Gateway(on_event=...)``):
  calls by outcome, call duration, cache hits, tokens and cost (from each
  provider's ``ProviderConfig.pricing``), failed tries, breaker, degraded and
  override transitions. Process-wide counters in the default registry, like
  ``sovereign_webhook_deliveries_total``.
* **State at scrape time** (``RuntimeMetrics``): jobs by group and state
  (``QueueInspector.counts``), live workers, the age of the oldest due job,
  and from ``Gateway.status()`` each provider's breaker, availability,
  p50/p99 latency, rate-limit headroom and each feature's availability
  against its SLO, degraded flag and overrides.
* **Job latency** (``JobLatencyFeed``): a histogram of the time from a job's
  final pick to done, read from ``pgqueuer_log`` (picked -> successful) at
  scrape time with a cursor, so the worker processes (which serve no HTTP)
  need no exporter of their own. Wait before the pick shows as
  ``sovereign_job_oldest_due_seconds``. Job counts and latencies are
  fleet-wide (every API replica reports the same queue).

Labels carry ids and codes only (feature, provider, model, group, outcome):
never personal data.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence

import asyncpg
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from sovereign.gateway import Gateway
from sovereign.gateway.config import Pricing, ProviderConfig
from sovereign.gateway.events import (
    AttemptFailed,
    BreakerChanged,
    CallFinished,
    DegradedEntered,
    DegradedLeft,
    Event,
    EventSink,
    OverrideChanged,
)
from sovereign.jobs import QueueInspector
from sovereign.settings import Settings
from sovereign.store.database import Database
from sovereign.store.job_log import JobLog


class MetricSources(Protocol):
    """What ``/metrics`` reads at scrape time (the composition root's ``Runtime`` provides it)."""

    db: Database
    inspector: QueueInspector
    settings: Settings
    gateway: Gateway

__all__ = [
    "CONTENT_TYPE", "EventFanout", "GatewayMetrics", "JobLatencyFeed", "RuntimeMetrics", "Snapshot",
]

log = logging.getLogger("sovereign.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)

LLM_CALLS = Counter(
    "sovereign_llm_calls_total", "Gateway calls by feature, provider that answered (or last tried) and outcome",
    ["feature", "provider", "outcome"],
)
LLM_CALL_SECONDS = Histogram(
    "sovereign_llm_call_duration_seconds", "Gateway call duration, cache hits included",
    ["feature", "outcome"], buckets=_CALL_BUCKETS,
)
LLM_CACHE_HITS = Counter(
    "sovereign_llm_cache_hits_total", "Gateway calls answered from the response cache", ["feature"]
)
LLM_TOKENS = Counter(
    "sovereign_llm_tokens_total", "Tokens billed by providers (cache hits excluded)", ["provider", "model", "direction"]
)
LLM_COST = Counter(
    "sovereign_llm_cost_total", "Provider cost in the operator's currency (ProviderConfig.pricing)",
    ["provider", "model"],
)
LLM_ATTEMPT_FAILURES = Counter(
    "sovereign_llm_attempt_failures_total", "Failed tries on one provider (the call may still succeed elsewhere)",
    ["provider", "kind"],
)
LLM_BREAKER_CHANGES = Counter(
    "sovereign_llm_breaker_transitions_total", "Circuit breaker state changes, by the state entered",
    ["provider", "state"],
)
LLM_DEGRADED_CHANGES = Counter(
    "sovereign_llm_degraded_transitions_total", "Features entering or leaving degraded mode", ["feature", "direction"]
)
LLM_OVERRIDE_CHANGES = Counter("sovereign_llm_override_changes_total", "Operator override changes", ["name"])
EVENT_LOOP_LAG = Histogram(
    "sovereign_event_loop_lag_seconds", "How late the event loop woke a timer (time it was blocked), per sample",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class EventFanout:
    """One ``on_event`` callback for the gateway that hands every event to several sinks.

    Each sink is shielded from the others: one that raises is logged and the
    rest still get the event. ``add`` attaches a sink later (e.g. the audit writer).
    """

    __slots__ = ("_sinks",)

    def __init__(self, sinks: Iterable[EventSink | None] = ()) -> None:
        self._sinks: list[EventSink] = [s for s in sinks if s is not None]

    def add(self, sink: EventSink) -> None:
        self._sinks.append(sink)

    def __call__(self, event: Event) -> None:
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 - one broken sink must not starve the others
                log.exception("event sink %r failed on %s", sink, type(event).__name__)

    def __len__(self) -> int:
        return len(self._sinks)


class GatewayMetrics:
    """A gateway event sink counting into the process's Prometheus counters. Never blocks, never does I/O."""

    def __init__(self, pricing: Mapping[str, Pricing] | None = None) -> None:
        self._pricing = dict(pricing or {})

    @classmethod
    def for_providers(cls, configs: Iterable[ProviderConfig]) -> "GatewayMetrics":
        return cls({c.name: c.pricing for c in configs})

    def cost(self, provider: str, input_tokens: int, output_tokens: int) -> float:
        p = self._pricing.get(provider)
        if p is None:
            return 0.0
        return input_tokens / 1000.0 * p.input_per_1k + output_tokens / 1000.0 * p.output_per_1k

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallFinished):
            self._call(event)
        elif isinstance(event, AttemptFailed):
            LLM_ATTEMPT_FAILURES.labels(event.provider or "none", event.kind).inc()
        elif isinstance(event, BreakerChanged):
            LLM_BREAKER_CHANGES.labels(event.provider, event.state).inc()
        elif isinstance(event, DegradedEntered):
            LLM_DEGRADED_CHANGES.labels(event.feature, "entered").inc()
        elif isinstance(event, DegradedLeft):
            LLM_DEGRADED_CHANGES.labels(event.feature, "left").inc()
        elif isinstance(event, OverrideChanged):
            LLM_OVERRIDE_CHANGES.labels(event.name).inc()

    def _call(self, e: CallFinished) -> None:
        provider = e.provider or "none"
        LLM_CALLS.labels(e.feature, provider, e.outcome).inc()
        LLM_CALL_SECONDS.labels(e.feature, e.outcome).observe(max(0.0, e.latency_ms) / 1000.0)
        if e.cached:
            LLM_CACHE_HITS.labels(e.feature).inc()
            return
        if e.input_tokens or e.output_tokens:
            model = e.model or "unknown"
            LLM_TOKENS.labels(provider, model, "input").inc(e.input_tokens)
            LLM_TOKENS.labels(provider, model, "output").inc(e.output_tokens)
            cost = self.cost(e.provider, e.input_tokens, e.output_tokens)
            if cost:
                LLM_COST.labels(provider, model).inc(cost)


# --- job latency from pgqueuer_log -------------------------------------------------

class JobLatencyFeed:
    """``sovereign_job_latency_seconds{group}``: final pick -> done of each successful job.

    Reads the ``successful`` rows of ``pgqueuer_log`` past a cursor (the first
    read backfills ``backfill_s``), pairs each with its job's last ``picked``
    row and observes the difference. Rows younger than ``settle_s`` wait for
    the next scrape, so a log row committed a little out of id order is not
    skipped. One feed per process; ``update`` is called at each scrape.
    """

    def __init__(
        self, pool: asyncpg.Pool, registry: CollectorRegistry, *, backfill_s: float = 900.0, settle_s: float = 1.0,
        batch: int = 20_000,
    ) -> None:
        self.log = JobLog(pool)
        self.histogram = Histogram(
            "sovereign_job_latency_seconds", "Job run time: its final pick to done (successful jobs, pgqueuer_log)",
            ["group"], buckets=_JOB_BUCKETS, registry=registry,
        )
        self._backfill_s = backfill_s
        self._settle_s = settle_s
        self._batch = batch
        self._cursor: int | None = None
        self._lock = asyncio.Lock()

    async def update(self) -> int:
        """Observe the jobs finished since the last call; returns how many."""
        async with self._lock:
            if self._cursor is None:
                self._cursor = await self.log.cursor_before(self._backfill_s)
            rows = await self.log.finished_after(self._cursor, self._settle_s, self._batch)
            for r in rows:
                if r.seconds is not None:
                    self.histogram.labels(r.group).observe(max(0.0, r.seconds))
            if rows:
                self._cursor = rows[-1].log_id
            return len(rows)


# --- state read at scrape time -------------------------------------------------------


@dataclass
class Snapshot:
    """What ``/metrics`` reads from the runtime at one scrape."""

    jobs: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    oldest_due_s: Mapping[str, float] = field(default_factory=dict)
    workers: Sequence[Mapping[str, Any]] = ()
    gateway: Mapping[str, Any] = field(default_factory=dict)


_JOB_STATES = ("pending", "running", "failed", "past_due")
_BREAKER_STATES = ("closed", "open", "half_open")


def _gauge(name: str, doc: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def snapshot_metrics(s: Snapshot) -> Iterator[Metric]:
    """The scrape-time gauges for one snapshot."""
    jobs = _gauge("sovereign_jobs", "Jobs in the queue by group and state (past_due: pending past its run time)",
                  ["group", "state"])
    for group, counts in sorted(s.jobs.items()):
        for state in _JOB_STATES:
            jobs.add_metric([group, state], float(counts.get(state, 0)))
    yield jobs
    due = _gauge("sovereign_job_oldest_due_seconds", "How long the oldest due pending job has waited past its run time",
                 ["group"])
    for group, age in sorted(s.oldest_due_s.items()):
        due.add_metric([group], age)
    yield due
    workers = _gauge("sovereign_workers", "Registered workers by heartbeat freshness", ["state"])
    live = sum(1 for w in s.workers if w.get("fresh"))
    workers.add_metric(["live"], float(live))
    workers.add_metric(["stale"], float(len(s.workers) - live))
    yield workers
    yield from _provider_metrics(s.gateway.get("providers") or {})
    yield from _feature_metrics(s.gateway)


def _provider_metrics(providers: Mapping[str, Mapping[str, Any]]) -> Iterator[Metric]:
    breaker = _gauge("sovereign_llm_breaker_state", "1 for the provider's current breaker state", ["provider", "state"])
    avail = _gauge("sovereign_llm_provider_availability_ratio", "Share of successful tries in the breaker window",
                   ["provider"])
    latency = _gauge("sovereign_llm_provider_latency_seconds", "Recent successful call latency", ["provider", "quantile"])
    headroom = _gauge("sovereign_llm_rate_limit_headroom", "Own rate-limit budget left (requests, tokens per minute)",
                      ["provider", "resource"])
    paused = _gauge("sovereign_llm_rate_limit_paused_seconds", "Seconds left of a provider's Retry-After", ["provider"])
    healthy = _gauge("sovereign_llm_provider_healthy", "Last health probe: 1 healthy, 0 not (absent before the first)",
                     ["provider"])
    info = _gauge("sovereign_llm_provider_info", "The model and model version each provider is asked for",
                  ["provider", "kind", "jurisdiction", "model", "model_version"])
    for name, h in sorted(providers.items()):
        for state in _BREAKER_STATES:
            breaker.add_metric([name, state], 1.0 if h.get("breaker") == state else 0.0)
        if h.get("availability") is not None:
            avail.add_metric([name], float(h["availability"]))
        for q, key in (("0.5", "latency_p50_ms"), ("0.99", "latency_p99_ms")):
            if h.get(key) is not None:
                latency.add_metric([name, q], float(h[key]) / 1000.0)
        room = h.get("rate_limit_headroom") or {}
        for resource in ("requests", "tokens"):
            if room.get(resource) is not None:
                headroom.add_metric([name, resource], float(room[resource]))
        paused.add_metric([name], float(room.get("paused_s") or 0.0))
        if h.get("healthy") is not None:
            healthy.add_metric([name], 1.0 if h["healthy"] else 0.0)
        info.add_metric([name, str(h.get("kind", "")), str(h.get("jurisdiction", "")), str(h.get("model", "")),
                         str(h.get("model_version", ""))], 1.0)
    yield from (breaker, avail, latency, headroom, paused, healthy, info)


def _feature_metrics(status: Mapping[str, Any]) -> Iterator[Metric]:
    features: Mapping[str, Mapping[str, Any]] = status.get("features") or {}
    overrides: Mapping[str, Any] = status.get("overrides") or {}
    forced: Mapping[str, str] = overrides.get("force_degraded") or {}
    avail = _gauge("sovereign_llm_feature_availability_ratio", "Share of successful LLM calls in the degraded-mode "
                   "window", ["feature"])
    slo = _gauge("sovereign_llm_feature_slo_ratio", "The feature's availability SLO", ["feature"])
    degraded = _gauge("sovereign_llm_feature_degraded", "1 while the feature runs on its rules (below SLO or forced)",
                      ["feature", "cause"])
    for name, f in sorted(features.items()):
        if f.get("availability") is not None:
            avail.add_metric([name], float(f["availability"]))
        slo.add_metric([name], float(f.get("slo") or 0.0))
        degraded.add_metric([name, "slo"], 1.0 if f.get("degraded") else 0.0)
    for name in sorted(forced):
        degraded.add_metric([name, "forced"], 1.0)
    provider = _gauge("sovereign_llm_forced_provider", "1 for the provider every call is forced to", ["provider"])
    if overrides.get("force_provider"):
        provider.add_metric([str(overrides["force_provider"])], 1.0)
    pins = _gauge("sovereign_llm_model_pinned", "1 for each provider pinned to a model version",
                  ["provider", "model", "version"])
    for name, pin in sorted((overrides.get("pinned_models") or {}).items()):
        pins.add_metric([name, str(pin.get("model", "")), str(pin.get("version", ""))], 1.0)
    yield from (avail, slo, degraded, provider, pins)


class _SnapshotCollector:
    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        return snapshot_metrics(self.snapshot)


class _ProcessCollector:
    """The default registry (event counters, webhook deliveries, process_*), inside a runtime's registry."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


class RuntimeMetrics:
    """Everything ``/metrics`` shows for one runtime: ``await render()`` gives the exposition bytes."""

    def __init__(self, rt: MetricSources, *, backfill_s: float = 900.0, settle_s: float = 1.0) -> None:
        self.rt = rt
        self.registry = CollectorRegistry(auto_describe=False)
        self.jobs = JobLatencyFeed(rt.db.pool, self.registry, backfill_s=backfill_s, settle_s=settle_s)
        self._snapshot = _SnapshotCollector()
        self.registry.register(self._snapshot)
        self.registry.register(_ProcessCollector())
        self._lock = asyncio.Lock()

    async def snapshot(self) -> Snapshot:
        rt = self.rt
        jobs = await rt.inspector.counts()
        due = await rt.inspector.oldest_due()
        workers = await rt.inspector.workers(rt.settings.heartbeat_timeout_s * 2)
        return Snapshot(jobs=jobs, oldest_due_s=due, workers=workers, gateway=rt.gateway.status())

    async def render(self) -> bytes:
        async with self._lock:
            await self.jobs.update()
            self._snapshot.snapshot = await self.snapshot()
            return generate_latest(self.registry)
