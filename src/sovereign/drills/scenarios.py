"""The drill scenarios: what breaks, where, for how long, and what the service must still do. Data only.

Each scenario runs against the same topology (``Topology``): a US cloud
provider first in priority (it may receive customer data only redacted), a
local provider as the fallback (raw data never leaves the machine), a
WooCommerce store sending a Black-Friday burst of signed order webhooks and
calling the inline fraud score at checkout, and ``sovereign serve`` (plus
``sovereign worker`` processes where the scenario needs them).

    scenario = SCENARIOS["rate-limit-storm"]
    scenario.faults          # (ProviderFault("cloud", {"mode": "rate_limited", "retry_after": "2"}),)
    select("all")            # every scenario, in drill order
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

__all__ = ["CLOUD", "LOCAL", "ProviderFault", "Scenario", "SCENARIOS", "Timing", "select"]

CLOUD = "cloud"
LOCAL = "local"

FaultKind = Literal["provider", "worker", "database"]


@dataclass(frozen=True, slots=True)
class ProviderFault:
    """One fake provider's behaviour (a ``sovereign_testkit.fake_llm.Step`` as JSON)."""

    provider: str  # CLOUD | LOCAL
    step: Mapping[str, Any]

    def describe(self) -> str:
        step = dict(self.step)
        mode = step.pop("mode", "fast")
        extra = ", ".join(f"{k}={v}" for k, v in sorted(step.items()))
        return f"{self.provider}: {mode}" + (f" ({extra})" if extra else "")


@dataclass(frozen=True, slots=True)
class Timing:
    """When things happen, in seconds from the start of the burst."""

    orders: int = 60  # orders in the burst (each: one checkout score call, order.created + order.updated)
    rate: float = 6.0  # orders per second
    fault_at_s: float = 2.5
    fault_s: float = 5.0  # how long the fault lasts (provider and database faults)
    settle_s: float = 75.0  # after the burst: how long to wait for jobs and re-scores to finish

    @property
    def burst_s(self) -> float:
        return self.orders / self.rate

    def scaled(self, orders: int | None = None, rate: float | None = None) -> "Timing":
        """The same shape for another burst size: the fault starts and ends at the same share of the burst."""
        o = orders or self.orders
        r = rate or self.rate
        k = (o / r) / self.burst_s
        return Timing(o, r, round(self.fault_at_s * k, 2), round(self.fault_s * k, 2), self.settle_s)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    kind: FaultKind
    what: str  # what happens, in the words of an incident report
    suspected_cause: str
    expected: str  # what the service must do
    faults: tuple[ProviderFault, ...] = ()  # during the fault window
    baseline: tuple[ProviderFault, ...] = ()  # before and after it (default: both answer at once)
    workers: int = 0  # separate `sovereign worker` processes (0: the worker inside `sovereign serve`)
    expect_degraded: bool = False
    timing: Timing = field(default_factory=Timing)

    @property
    def faulted_providers(self) -> tuple[str, ...]:
        return tuple(sorted({f.provider for f in self.faults}))


_RATE_LIMIT = ProviderFault(CLOUD, {"mode": "rate_limited", "retry_after": "2"})
_SLOW = (ProviderFault(CLOUD, {"mode": "slow", "delay": 0.4}), ProviderFault(LOCAL, {"mode": "slow", "delay": 0.4}))

_ALL = (
    Scenario(
        name="rate-limit-storm",
        title="Cloud provider rate-limit storm",
        kind="provider",
        what="The US cloud LLM provider answers every call with HTTP 429 and Retry-After during the order burst.",
        suspected_cause="Provider-side throttling under Black-Friday load (third party; not malicious).",
        expected="Calls fail over to the local model; no checkout is blocked; the cloud circuit opens and closes again.",
        faults=(_RATE_LIMIT,),
    ),
    Scenario(
        name="token-expired",
        title="Cloud API token expired",
        kind="provider",
        what="The US cloud LLM provider refuses every call with HTTP 401 (expired or revoked API key).",
        suspected_cause="Expired credential at the provider (configuration; not malicious unless the key was revoked "
        "after a leak).",
        expected="The cloud circuit opens at once (authentication errors are not retried); the local model answers.",
        faults=(ProviderFault(CLOUD, {"mode": "unauthorized"}),),
    ),
    Scenario(
        name="region-blocked",
        title="Cloud provider blocks the region",
        kind="provider",
        what="The US cloud LLM provider refuses every call with HTTP 403 (unsupported country or region).",
        suspected_cause="A provider policy or sanctions change geo-blocking the shop's region (third party).",
        expected="Like an expired token: the cloud circuit opens, the local model answers, nothing is blocked.",
        faults=(ProviderFault(CLOUD, {"mode": "error", "status": 403}),),
    ),
    Scenario(
        name="provider-hang",
        title="Cloud provider hangs",
        kind="provider",
        what="The US cloud LLM provider accepts connections but never answers.",
        suspected_cause="Provider-side outage or a network black hole between the shop and the provider.",
        expected="Timeouts cut every call within the checkout budget (4 s); the circuit opens; the local model answers.",
        faults=(ProviderFault(CLOUD, {"mode": "hang"}),),
    ),
    Scenario(
        name="total-outage",
        title="Every LLM provider down",
        kind="provider",
        what="The cloud provider answers HTTP 503 and the local model server resets every connection.",
        suspected_cause="Cloud outage at the same time as a crash of the local model server.",
        expected="The fraud feature enters degraded mode and scores on its rules; orders are re-scored by the AI "
        "after recovery.",
        faults=(ProviderFault(CLOUD, {"mode": "error", "status": 503}), ProviderFault(LOCAL, {"mode": "reset"})),
        expect_degraded=True,
    ),
    Scenario(
        name="worker-crash",
        title="Worker process killed mid-burst",
        kind="worker",
        what="One of two `sovereign worker` processes is killed (SIGKILL) while it runs fraud jobs.",
        suspected_cause="Out-of-memory kill or node failure (infrastructure; not malicious).",
        expected="The surviving worker takes the running jobs over after the heartbeat timeout; no job is lost.",
        baseline=_SLOW,  # each AI review takes 0.4 s, so the killed worker has jobs in flight
        workers=2,
        timing=Timing(fault_at_s=4.0, fault_s=0.0),
    ),
    Scenario(
        name="database-restart",
        title="PostgreSQL restart mid-burst",
        kind="database",
        what="PostgreSQL is stopped in immediate mode (as a crash would) and started again a few seconds later.",
        suspected_cause="Database crash or failover (infrastructure; not malicious).",
        expected="Checkout scoring fails open (rules only); deliveries refused while the database is down are "
        "recovered by reconciliation; no job is lost.",
        timing=Timing(fault_at_s=2.5, fault_s=4.0),
    ),
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}


def select(spec: str) -> list[Scenario]:
    """``"all"``, one name, or a comma-separated list of names (``ValueError`` for an unknown one)."""
    if spec.strip() == "all":
        return list(_ALL)
    out = []
    for name in (n.strip() for n in spec.split(",") if n.strip()):
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; one of: all, {', '.join(SCENARIOS)}")
        out.append(SCENARIOS[name])
    if not out:
        raise ValueError("no scenario given")
    return out
