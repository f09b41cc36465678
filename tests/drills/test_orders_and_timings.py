"""The burst's orders and the detect/degrade/recover arithmetic over what the monitor saw."""

from __future__ import annotations

from datetime import datetime, timezone

from sovereign.domain.orders import Order
from sovereign.drills.monitor import Sample
from sovereign.drills.orders import burst_orders, personal_values
from sovereign.drills.scenarios import SCENARIOS, Timing, select
from sovereign.drills.timings import AuditEvent, database_timings, first_stable, provider_timings, worker_timings
from sovereign.features.storesync.routing import SCORABLE_STATUSES
from sovereign_testkit.fixtures import load_json

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def test_burst_orders_are_new_scorable_checkouts_with_the_captured_customers() -> None:
    captured = load_json("orders.json")
    orders = burst_orders(captured, 100, first_id=300_000, now=NOW)
    assert [o["id"] for o in orders] == list(range(300_000, 300_100))
    assert all(o["status"] in SCORABLE_STATUSES - {"on-hold"} for o in orders)
    assert all(o["date_created_gmt"] == "2026-11-27T09:00:00" for o in orders)
    assert not any(m["key"].startswith("_sovereign_") for o in orders for m in o["meta_data"])
    # every captured customer shape comes through (44 distinct emails and addresses, accents included)
    assert len({o["billing"]["email"] for o in orders}) == len({o["billing"]["email"] for o in captured})
    assert Order.from_woo(orders[0]).id == 300_000
    values = personal_values(orders)
    assert any(any(ord(c) > 127 for c in v) for v in values)
    assert all(v == v.strip() and v for v in values)


def test_scenarios_select_all_names_and_lists() -> None:
    assert [s.name for s in select("all")] == list(SCENARIOS)
    assert [s.name for s in select("worker-crash, rate-limit-storm")] == ["worker-crash", "rate-limit-storm"]
    for bad in ("nope", "", "rate-limit-storm,nope"):
        try:
            select(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    t = Timing().scaled(orders=30)  # half the burst: the fault keeps its place in it
    assert t.burst_s == 5.0 and t.fault_at_s == 1.25 and t.fault_s == 2.5


def _s(t: float, *, degraded: tuple[str, ...] = (), cloud: str = "closed", healthy: bool | None = True,
       status: int | None = 200, ready: bool = True, db: bool = True, workers: int = 2) -> Sample:
    return Sample(t, status, ready, db, workers, degraded, {"cloud": cloud, "local": "closed"},
                  {"cloud": healthy, "local": True})


def test_provider_timings_take_the_earliest_signal_and_a_recovery_that_holds() -> None:
    samples = [
        _s(0.0), _s(1.0), _s(2.2, healthy=False), _s(3.0, cloud="open", healthy=False),
        _s(4.0, cloud="open", degraded=("fraud",)), _s(6.1, cloud="half_open"), _s(6.4, cloud="open"),  # relapse
        _s(7.0, cloud="half_open"), _s(8.0), _s(9.5),
    ]
    events = [AuditEvent(2.5, "breaker", "cloud", state="open"), AuditEvent(3.9, "degraded_entered", feature="fraud")]
    t = provider_timings(samples, events, ("cloud",), injected=2.0, cleared=6.0)
    assert t.detected_at == 2.2 and "readyz" in t.detected_by
    assert t.degraded_at == 3.9  # the audit row is more precise than the next poll
    assert t.recovered_at == 7.0  # 6.1 did not hold (open again at 6.4); half-open and healthy counts
    assert t.since(2.0, t.detected_at) == 0.2 and t.since(6.0, t.recovered_at) == 1.0


def test_first_stable_accepts_a_recovery_at_the_end_of_monitoring() -> None:
    samples = [_s(1.0, status=None), _s(2.0), _s(2.5)]
    assert first_stable(samples, 0.0, lambda s: s.status == 200).t == 2.0
    assert first_stable(samples, 0.0, lambda s: s.status == 500) is None


def test_database_and_worker_timings() -> None:
    samples = [_s(1.0), _s(2.1, status=503, ready=False, db=False), _s(3.0, status=None, ready=False, db=False),
               _s(5.2, status=503, ready=False), _s(5.5), _s(8.0)]
    t = database_timings(samples, injected=2.0, cleared=5.0)
    assert (t.detected_at, t.degraded_at, t.recovered_at) == (2.1, None, 5.5)
    w = worker_timings([_s(1.0), _s(9.0, workers=1)], takeovers=[0.5, 6.5], injected=3.0, orphans_done=7.25,
                       live_before=2)
    assert (w.detected_at, w.recovered_at) == (6.5, 7.25) and "taken over" in w.detected_by
