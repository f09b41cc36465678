"""Costs: arithmetic on known numbers, and the report over a real audit log."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sovereign.audit import AuditWriter
from sovereign.domain.costs import (
    DEFAULT_UNITS,
    MIN_CALLS,
    LocalDeployment,
    Price,
    UsageRow,
    Volume,
    monthly_costs,
    project,
    unit_costs,
)
from sovereign.features.costs import prices
from sovereign.store.usage import usage
from sovereign.gateway.config import Pricing, ProviderConfig
from sovereign.gateway.events import CallFinished


def test_monthly_costs_price_each_provider_and_local_is_free() -> None:
    rows = [
        UsageRow("2026-11", "fraud", "cloud", calls=10, input_tokens=10_000, output_tokens=1_000),
        UsageRow("2026-11", "fraud", "local", calls=90, input_tokens=90_000, output_tokens=9_000),
        UsageRow("2026-12", "descriptions", "cloud", calls=2, input_tokens=2_000, output_tokens=4_000),
    ]
    (nov, dec) = monthly_costs(rows, {"cloud": Price(0.001, 0.002)})
    assert (nov.month, nov.feature, nov.calls) == ("2026-11", "fraud", 100)
    assert nov.cost == pytest.approx(10 * 0.001 + 1 * 0.002)
    assert nov.by_provider == {"cloud": pytest.approx(0.012), "local": 0.0}
    assert dec.cost == pytest.approx(2 * 0.001 + 4 * 0.002)


def test_unit_costs_are_measured_once_there_are_enough_calls() -> None:
    few = [UsageRow("2026-11", "fraud", "p", calls=MIN_CALLS - 1, input_tokens=1, output_tokens=1)]
    assert unit_costs(few)["fraud"] == DEFAULT_UNITS["fraud"]
    many = [UsageRow("2026-11", "fraud", "p", calls=50, input_tokens=40_000, output_tokens=2_500, cached=10)]
    u = unit_costs(many)["fraud"]
    assert (u.input_tokens, u.output_tokens) == (1000, 62.5) and u.source == "measured (40 calls)"


def test_break_even_is_where_the_cloud_bill_meets_the_machine_price() -> None:
    units = dict(DEFAULT_UNITS)
    volume = Volume(orders_per_month=10_000, llm_review_share=0.1, new_products_per_month=0)
    cloud = Price(0.0025, 0.01)
    machine = LocalDeployment("vm", monthly_cost=20.0, tokens_per_s=20.0)
    p = project(volume, units, cloud, [machine])
    per_order = cloud.of(units["fraud"].input_tokens, units["fraud"].output_tokens) * 0.1
    assert p.cloud_cost == pytest.approx(10_000 * per_order, abs=0.01)
    assert p.break_even_orders["vm"] == round(20.0 / per_order)
    # At the break-even volume the two bills are equal.
    assert project(Volume(orders_per_month=p.break_even_orders["vm"], llm_review_share=0.1, new_products_per_month=0),
                   units, cloud, [machine]).cloud_cost == pytest.approx(20.0, abs=0.01)
    tiny = LocalDeployment("tiny", monthly_cost=20.0, tokens_per_s=0.001)
    assert project(volume, units, cloud, [tiny]).break_even_orders["tiny"] is None  # never within its capacity
    assert p.assumptions["units"]["fraud"]["source"] == "default"


async def test_the_report_reads_the_real_audit_log(pool) -> None:
    writer = AuditWriter(pool)
    writer.start()
    for i in range(30):
        writer(CallFinished(feature="fraud", data_class="customer_personal", outcome="ok", provider="cloud",
                            jurisdiction="EU-DE", model="m", model_version="v", latency_ms=12.0,
                            input_tokens=800, output_tokens=50, cached=False, attempts=1))
    writer(CallFinished(feature="fraud", data_class="customer_personal", outcome="unavailable", provider="",
                        jurisdiction="", model="", model_version="", latency_ms=1.0, input_tokens=0,
                        output_tokens=0, cached=False, attempts=1))
    await writer.aclose()
    rows = await usage(pool)
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    assert [(r.month, r.feature, r.provider, r.calls, r.input_tokens) for r in rows] == [(month, "fraud", "cloud", 30, 24_000)]
    cfg = ProviderConfig(name="cloud", kind="openai_compatible", model="m", pricing=Pricing(input_per_1k=0.001, output_per_1k=0.004))
    (m,) = monthly_costs(rows, prices([cfg]))
    assert m.cost == pytest.approx(24 * 0.001 + 1.5 * 0.004)
    assert unit_costs(rows)["fraud"].source == "measured (30 calls)"
