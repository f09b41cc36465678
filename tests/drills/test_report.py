"""Targets, the combined summary, the compliance mapping and the HTML page, from scenario results."""

from __future__ import annotations

from sovereign.drills.compliance import compliance
from sovereign.drills.html import render_html
from sovereign.drills.report import report_json, summary_json
from sovereign.drills.result import ScenarioResult, percentile
from sovereign.drills.runner import DrillRun
from sovereign.drills.scenarios import SCENARIOS


def _result(name: str, **kw: object) -> ScenarioResult:
    s = SCENARIOS[name]
    r = ScenarioResult(s.name, s.title, s.kind, s.what, s.suspected_cause, s.expected, orders=60,
                       fraud_score_p99_ms=120.0, seconds_to_detect=0.3, seconds_to_recover=1.5, audit_chain_ok=True,
                       residency={"cloud_completion_calls": 40}, audit={"head": "row 9 abc"},
                       timeline=[{"t": 2.5, "event": "circuit of cloud: open (<script>)"}])
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 99) is None
    assert percentile([5.0], 99) == 5.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 99) == 99.0 and percentile(values, 50) == 50.0 and percentile(values, 100) == 100.0


def test_every_target_must_hold() -> None:
    good = _result("rate-limit-storm")
    assert good.passed and {t.key for t in good.targets()} >= {
        "orders_blocked", "jobs_lost", "out_of_jurisdiction_bytes", "audit_chain_ok", "fraud_score_p99_ms"}
    for change in ({"orders_blocked": 1}, {"jobs_lost": 2}, {"out_of_jurisdiction_bytes": 17},
                   {"audit_chain_ok": False}, {"fraud_score_p99_ms": 4100.0}, {"seconds_to_recover": None},
                   {"error": "RuntimeError: serve exited"}):
        assert not _result("rate-limit-storm", **change).passed, change


def test_one_scenario_reports_its_own_keys_and_several_combine() -> None:
    one = summary_json([_result("token-expired")])
    assert one["scenario"] == "token-expired" and one["orders"] == 60 and one["passed"] is True
    both = summary_json([
        _result("total-outage", seconds_to_degrade=0.2, rescored_after_recovery=30, rules_only_orders=31),
        _result("database-restart", fraud_score_p99_ms=900.0, seconds_to_recover=3.0, jobs_lost=1),
    ])
    assert both["scenario"] == "total-outage,database-restart"
    assert (both["orders"], both["jobs_lost"], both["rescored_after_recovery"]) == (120, 1, 30)
    assert (both["fraud_score_p99_ms"], both["seconds_to_recover"], both["seconds_to_degrade"]) == (900.0, 3.0, 0.2)
    assert both["passed"] is False
    required = {"scenario", "orders", "orders_blocked", "jobs_lost", "out_of_jurisdiction_bytes", "fraud_score_p99_ms",
                "seconds_to_degrade", "seconds_to_recover", "rescored_after_recovery", "audit_chain_ok"}
    assert required <= set(both) and required <= set(one)


def test_compliance_shows_what_was_and_was_not_evidenced() -> None:
    results = [_result("region-blocked"), _result("database-restart", out_of_jurisdiction_bytes=12,
                                                  webhooks={"orders_refused": 3}, refused_recovered_by_reconciliation=2)]
    doc = compliance(results, started_at="2026-11-27T09:00:00+00:00")
    met = {a["ref"]: a["met"] for a in doc["gdpr_art_32"]}
    assert met["GDPR Art. 32(1)(b)"] is True
    assert met["GDPR Art. 32(1)(c)"] is False  # one refused order was never recovered
    assert met["GDPR Art. 32(1)(a), Art. 44 (transfers)"] is False  # 12 bytes reached the US provider
    incidents = doc["nis2_art_23"]["incidents"]
    assert [i["scenario"] for i in incidents] == ["region-blocked", "database-restart"]
    warning = incidents[0]["early_warning_24h"]
    assert warning["what_happened"] and warning["suspected_cause"] and "US" in warning["cross_border_impact"]
    assert incidents[0]["incident_notification_72h"]["severity"].startswith("low")
    assert "403" in incidents[0]["incident_notification_72h"]["indicators"][0]


def test_the_html_page_escapes_and_shows_every_scenario() -> None:
    run = DrillRun([_result("worker-crash"), _result("provider-hang", orders_blocked=2)], "2026-11-27T09:00:00+00:00",
                   61.0, None)
    doc = report_json(run)
    assert doc["passed"] is False and len(doc["scenarios"]) == 2 and doc["compliance"]["gdpr_art_32"]
    html = render_html(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="worker-crash"' in html and 'id="provider-hang"' in html
    assert "GDPR Article 32" in html and "Early warning (24 h)" in html and "target missed" in html
