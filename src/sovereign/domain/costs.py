"""What the AI features cost, and when a local deployment pays for itself. Pure arithmetic, no I/O.

Three questions, one model:

1. *What did it cost?* Usage per feature and month (calls, tokens) priced with each
   provider's price per 1k input/output tokens (local providers cost nothing per call).
2. *What will it cost?* Tokens per unit of work (per reviewed order, per described
   product, per forecast narrative batch), measured from the audit log when there is
   enough of it and otherwise the documented defaults below, times the store's volume.
3. *Cloud or local?* A cloud model costs tokens × price; a local model costs a fixed
   monthly price for the machine, as long as the machine has the capacity (tokens/s
   × seconds per month × a utilisation ceiling). Break-even is the volume at which
   the two are equal. Every assumption is part of the result, so a report shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

SECONDS_PER_MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class UsageRow:
    """One (month, feature, provider) group of gateway calls, from the audit log."""

    month: str  # YYYY-MM
    feature: str
    provider: str
    calls: int
    input_tokens: int
    output_tokens: int
    cached: int = 0
    mean_latency_ms: float = 0.0


@dataclass(frozen=True)
class Price:
    input_per_1k: float = 0.0
    output_per_1k: float = 0.0

    def of(self, input_tokens: float, output_tokens: float) -> float:
        return input_tokens / 1000 * self.input_per_1k + output_tokens / 1000 * self.output_per_1k


@dataclass(frozen=True)
class UnitCost:
    """Tokens one unit of a feature's work uses, and how many units a volume implies."""

    feature: str
    unit: str
    input_tokens: float
    output_tokens: float
    source: str  # "measured (N calls)" or "default"


# Defaults when the audit log has fewer than MIN_CALLS calls of a feature. Measured on the
# project's prompts with the Qwen2.5 tokenizer (fraud prompt of a captured order ~760 tokens in,
# ~60 out; a product description ~350 in, ~180 out; a forecast narrative of 25 products).
DEFAULT_UNITS: dict[str, UnitCost] = {
    "fraud": UnitCost("fraud", "reviewed order", 760, 60, "default"),
    "descriptions": UnitCost("descriptions", "described product", 350, 180, "default"),
    "forecasts": UnitCost("forecasts", "narrative batch of 25 products", 1500, 300, "default"),
}
MIN_CALLS = 20


@dataclass(frozen=True)
class Volume:
    orders_per_month: int = 10_000
    llm_review_share: float = 0.15  # share of orders whose rules score is in the AI review band
    new_products_per_month: int = 200
    catalogue_products: int = 2_000
    narratives_per_month: int = 0  # daily narratives: 30 x ceil(products/25) when enabled

    def units(self) -> dict[str, float]:
        return {
            "fraud": self.orders_per_month * self.llm_review_share,
            "descriptions": float(self.new_products_per_month),
            "forecasts": float(self.narratives_per_month),
        }


@dataclass(frozen=True)
class LocalDeployment:
    name: str
    monthly_cost: float
    tokens_per_s: float  # sustained generation throughput of the whole machine
    utilisation: float = 0.6  # keep headroom for bursts (Black Friday)

    @property
    def capacity_tokens_per_month(self) -> float:
        return self.tokens_per_s * SECONDS_PER_MONTH * self.utilisation


DEFAULT_LOCAL = (
    # The embedded 1.5B model on a 2-core VM (the issue measured ~9 tokens/s); counting prompt
    # tokens at 10x the generation speed, a conservative 20 tokens/s of total work.
    LocalDeployment("CPU VM, 2 cores (embedded 1.5B)", monthly_cost=20.0, tokens_per_s=20.0),
    LocalDeployment("GPU server (vLLM, 7B)", monthly_cost=700.0, tokens_per_s=2_000.0),
)
# A capable hosted model (the class a fraud review would call): 2.50 / 10.00 per million tokens.
# Small hosted models are ~15x cheaper; pass their prices to compare (`--cloud-in/--cloud-out`).
DEFAULT_CLOUD = Price(input_per_1k=0.0025, output_per_1k=0.01)


@dataclass(frozen=True)
class FeatureMonth:
    month: str
    feature: str
    calls: int
    input_tokens: int
    output_tokens: int
    cached: int
    cost: float
    by_provider: dict[str, float] = field(default_factory=dict)


def monthly_costs(rows: Iterable[UsageRow], prices: Mapping[str, Price]) -> list[FeatureMonth]:
    """Cost per feature per month; providers without a price (local) cost nothing per call."""
    acc: dict[tuple[str, str], dict] = {}
    for r in rows:
        a = acc.setdefault((r.month, r.feature), {"calls": 0, "in": 0, "out": 0, "cached": 0, "cost": 0.0, "by": {}})
        c = prices.get(r.provider, Price()).of(r.input_tokens, r.output_tokens)
        a["calls"] += r.calls
        a["in"] += r.input_tokens
        a["out"] += r.output_tokens
        a["cached"] += r.cached
        a["cost"] += c
        a["by"][r.provider or "(none)"] = a["by"].get(r.provider or "(none)", 0.0) + c
    return [
        FeatureMonth(m, f, a["calls"], a["in"], a["out"], a["cached"], round(a["cost"], 6),
                     {k: round(v, 6) for k, v in a["by"].items()})
        for (m, f), a in sorted(acc.items())
    ]


def unit_costs(rows: Iterable[UsageRow]) -> dict[str, UnitCost]:
    """Tokens per call per feature, measured where the log has enough calls, else the defaults."""
    totals: dict[str, list[int]] = {}
    for r in rows:
        if r.calls <= 0:
            continue
        t = totals.setdefault(r.feature, [0, 0, 0])
        t[0] += r.calls - r.cached  # cached answers cost no tokens
        t[1] += r.input_tokens
        t[2] += r.output_tokens
    out = dict(DEFAULT_UNITS)
    for feature, (calls, tin, tout) in totals.items():
        if calls >= MIN_CALLS:
            base = DEFAULT_UNITS.get(feature)
            unit = base.unit if base else "call"
            out[feature] = UnitCost(feature, unit, tin / calls, tout / calls, f"measured ({calls} calls)")
    return out


@dataclass(frozen=True)
class Projection:
    volume: Volume
    units: dict[str, float]
    tokens_in: float
    tokens_out: float
    cloud_cost: float
    local: list[dict]
    break_even_orders: dict[str, float | None]
    assumptions: dict

    def as_dict(self) -> dict:
        return asdict(self)


def project(volume: Volume, units: Mapping[str, UnitCost], cloud: Price = DEFAULT_CLOUD,
            local: Iterable[LocalDeployment] = DEFAULT_LOCAL) -> Projection:
    work = volume.units()
    tin = sum(work[f] * units[f].input_tokens for f in work if f in units)
    tout = sum(work[f] * units[f].output_tokens for f in work if f in units)
    cloud_cost = cloud.of(tin, tout)
    fraud = units["fraud"]
    per_order_cloud = cloud.of(fraud.input_tokens, fraud.output_tokens) * volume.llm_review_share
    per_order_tokens = (fraud.input_tokens + fraud.output_tokens) * volume.llm_review_share
    fixed_tokens = tin + tout - volume.orders_per_month * per_order_tokens  # descriptions, narratives
    fixed_cloud = cloud_cost - volume.orders_per_month * per_order_cloud
    local_rows, break_even = [], {}
    for d in local:
        fits = (tin + tout) <= d.capacity_tokens_per_month
        local_rows.append({
            "name": d.name, "monthly_cost": d.monthly_cost, "capacity_tokens_per_month": round(d.capacity_tokens_per_month),
            "needed_tokens_per_month": round(tin + tout), "fits": fits,
            "saving_vs_cloud": round(cloud_cost - d.monthly_cost, 2) if fits else None,
        })
        # orders/month at which the cloud bill reaches the machine's monthly price
        if per_order_cloud > 0:
            orders = (d.monthly_cost - fixed_cloud) / per_order_cloud
            cap_orders = (d.capacity_tokens_per_month - fixed_tokens) / per_order_tokens if per_order_tokens else None
            break_even[d.name] = round(max(orders, 0.0)) if cap_orders is None or orders <= cap_orders else None
        else:
            break_even[d.name] = None
    assumptions = {
        "cloud_price_per_1k": {"input": cloud.input_per_1k, "output": cloud.output_per_1k},
        "units": {f: asdict(u) for f, u in units.items()},
        "llm_review_share": volume.llm_review_share,
        "local": [asdict(d) for d in local],
        "month_seconds": SECONDS_PER_MONTH,
        "note": "cloud bill = tokens x price; local bill = fixed machine price while its capacity suffices. "
                "Break-even: orders per month at which the cloud bill equals the machine's price "
                "(None: never within the machine's capacity).",
    }
    return Projection(volume, work, round(tin), round(tout), round(cloud_cost, 2), local_rows, break_even, assumptions)
