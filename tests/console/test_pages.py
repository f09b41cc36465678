"""Console pages and their actions against the real service: jobs, providers, degraded mode and overrides,
fraud review, description drafts, audit log."""

from __future__ import annotations

import json

import pytest

from sovereign.features.descriptions.describe import Described, to_html
from sovereign.features.descriptions.drafts import DraftRepository
from sovereign.gateway import ChatRequest, GatewayError
from sovereign.gateway.events import OverrideChanged

from tests.console.conftest import STORE, Console


async def test_a_failed_job_shows_its_traceback_and_a_retry_runs_it_again(svc: Console) -> None:
    job_id = await svc.failed_job()
    await svc.login()
    page = await svc.http.get("/console/jobs?state=failed")
    assert page.status_code == 200 and f'data-job="{job_id}"' in page.text and "console_test.explode" in page.text
    detail = await svc.http.get(f"/console/jobs/{job_id}")
    assert "RuntimeError: boom on attempt 1" in detail.text and "Traceback (most recent call last)" in detail.text
    assert 'id="job-state">failed<' in detail.text

    svc.fail = False
    r = await svc.post(f"/console/jobs/{job_id}/retry", {"state": "failed"})
    assert r.status_code == 303 and r.headers["location"] == "/console/jobs?state=failed"
    page = await svc.http.get("/console/jobs?state=failed")
    assert f"Job {job_id} is queued again" in page.text and f'data-job="{job_id}"' not in page.text
    assert (await svc.rt.inspector.get(job_id)).state == "pending"
    assert "queued again" not in (await svc.http.get("/console/jobs")).text  # the message is shown once

    async def done() -> bool:
        return await svc.rt.inspector.final_status(job_id) == "successful"

    await svc.work_until(done, ["default"])
    detail = await svc.http.get(f"/console/jobs/{job_id}")
    assert "has left the queue" in detail.text and ">successful<" in detail.text
    r = await svc.post(f"/console/jobs/{job_id}/retry")
    assert "nothing to retry" in (await svc.http.get(r.headers["location"])).text


async def test_pending_jobs_can_be_cancelled_and_unknown_jobs_are_404(svc: Console) -> None:
    scheduled = await svc.rt.queue.schedule("console_test.explode", {"n": 2}, delay=3600)
    await svc.login()
    page = await svc.http.get("/console/jobs?state=pending")
    assert f'data-job="{scheduled.job_id}"' in page.text
    await svc.post(f"/console/jobs/{scheduled.job_id}/cancel", {"state": "pending"})
    assert await svc.rt.inspector.get(scheduled.job_id) is None
    assert await svc.rt.inspector.final_status(scheduled.job_id) == "canceled"
    assert (await svc.http.get("/console/jobs/999999")).status_code == 404


async def test_providers_page_shows_breaker_availability_latency_headroom_and_versions(svc: Console) -> None:
    gw = svc.rt.gateway
    for _ in range(3):
        await gw.complete(ChatRequest.simple("hello", feature="fraud", timeout=5))
    await svc.login()
    page = (await svc.http.get("/console/providers")).text
    assert 'data-provider="fake"' in page and "fake-model" in page and "fake-1" in page
    assert 'class="breaker closed"' in page and "100.00%" in page and " ms" in page
    assert 'data-feature="fraud"' in page and "99.50%" in page  # the default SLO


async def test_degraded_switches_force_features_onto_their_rules_and_overrides_steer_calls(svc: Console) -> None:
    gw, llm = svc.rt.gateway, svc.llm
    await svc.login()
    await svc.post("/console/degraded/feature", {"feature": "fraud", "on": "1", "reason": "drill"},
                   from_page="/console/degraded")
    assert gw.is_degraded("fraud") and not gw.is_degraded("descriptions")
    with pytest.raises(GatewayError) as exc:
        await gw.complete(ChatRequest.simple("x", feature="fraud", timeout=5))
    assert exc.value.reason == "degraded" and llm.calls == 0
    page = (await svc.http.get("/console/degraded")).text
    assert "forced degraded" in page and "drill (console user alice)" in page

    await svc.post("/console/degraded/feature", {"feature": "*", "on": "1"}, from_page="/console/degraded")
    assert gw.is_degraded("descriptions") and gw.is_degraded("anything")
    await svc.post("/console/degraded/feature", {"feature": "*", "on": "0"}, from_page="/console/degraded")
    await svc.post("/console/degraded/feature", {"feature": "fraud", "on": "0"}, from_page="/console/degraded")
    assert not gw.is_degraded("fraud")
    await gw.complete(ChatRequest.simple("x", feature="fraud", timeout=5))
    assert llm.calls == 1

    await svc.post("/console/degraded/pin", {"provider": "fake", "version": "fake-model-2024-01-01"},
                   from_page="/console/degraded")
    result = await gw.complete(ChatRequest.simple("y", feature="fraud", timeout=5))
    assert result.model_version == "fake-model-2024-01-01"
    assert llm.completions()[-1].json()["model"] == "fake-model-2024-01-01"
    await svc.post("/console/degraded/provider", {"name": "fake"}, from_page="/console/degraded")
    assert gw.overrides.forced_provider == "fake"
    r = await svc.post("/console/degraded/provider", {"name": "nope"}, from_page="/console/degraded")
    assert "Not changed: unknown provider &#39;nope&#39;" in (await svc.http.get(r.headers["location"])).text
    page = (await svc.http.get("/console/providers")).text
    assert "pinned" in page and "forced" in page

    await svc.post("/console/degraded/clear", from_page="/console/degraded")
    assert gw.overrides.snapshot() == {"force_degraded": {}, "force_provider": None, "pinned_models": {}}


async def _held(svc: Console, order_id: int = 85) -> None:
    await svc.woo.deliver("order.created", order_id)
    await svc.woo.deliver("order.updated", order_id)

    async def held() -> bool:
        return bool(await svc.rt.db.pool.fetchval(
            "SELECT count(*) FROM sovereign_fraud_results WHERE order_id = $1 AND decision = 'hold' AND applied",
            order_id))

    await svc.work_until(held, ["webhooks", "fraud"])
    await svc.woo.drain()
    assert svc.woo.order(order_id)["status"] == "on-hold"


async def test_release_puts_a_held_order_back_to_processing_once(svc: Console) -> None:
    await _held(svc)
    await svc.login()
    page = (await svc.http.get("/console/fraud")).text
    assert 'data-order="85"' in page and 'class="score high">90<' in page
    assert "disposable" in page.lower() or "throwaway" in page.lower()
    result_id = await svc.rt.db.pool.fetchval("SELECT max(id) FROM sovereign_fraud_results WHERE order_id = 85")

    stale = await svc.post(f"/console/fraud/{STORE}/85/release", {"result": result_id - 1}, from_page="/console/fraud")
    assert "changed since the page was shown" in (await svc.http.get(stale.headers["location"])).text
    assert svc.woo.order(85)["status"] == "on-hold"

    r = await svc.post(f"/console/fraud/{STORE}/85/release", {"result": result_id}, from_page="/console/fraud")
    page = (await svc.http.get(r.headers["location"])).text
    assert "released: on-hold -&gt; processing" in page and 'data-order="85"' not in page
    assert svc.woo.order(85)["status"] == "processing"
    puts = [w for w in svc.woo.writes if w.method == "PUT" and w.path.endswith("/orders/85")]
    assert puts[-1].body == {"status": "processing"}
    (review,) = await svc.rt.db.pool.fetch("SELECT * FROM sovereign_console_fraud_reviews")
    assert (review["decision"], review["user_name"], review["result_id"]) == ("release", "alice", result_id)

    again = await svc.post(f"/console/fraud/{STORE}/85/release", {"result": result_id}, from_page="/console/fraud")
    assert "changed since the page was shown" in (await svc.http.get(again.headers["location"])).text
    assert len([w for w in svc.woo.writes if w.method == "PUT" and w.path.endswith("/orders/85")]) == len(puts)


async def test_keep_leaves_the_order_on_hold_and_a_woo_failure_records_nothing(svc: Console) -> None:
    await _held(svc)
    await svc.login()
    result_id = await svc.rt.db.pool.fetchval("SELECT max(id) FROM sovereign_fraud_results WHERE order_id = 85")
    svc.woo.inject_fault(404, path_contains="/orders/85")  # not retried: the release fails at once
    r = await svc.post(f"/console/fraud/{STORE}/85/release", {"result": result_id}, from_page="/console/fraud")
    assert "was not released" in (await svc.http.get(r.headers["location"])).text
    assert await svc.rt.db.pool.fetchval("SELECT count(*) FROM sovereign_console_fraud_reviews") == 0

    await svc.post(f"/console/fraud/{STORE}/85/keep", {"result": result_id}, from_page="/console/fraud")
    assert svc.woo.order(85)["status"] == "on-hold"
    assert 'data-order="85"' not in (await svc.http.get("/console/fraud")).text
    assert await svc.rt.db.pool.fetchval("SELECT decision FROM sovereign_console_fraud_reviews") == "keep"


async def test_drafts_are_approved_as_edited_or_rejected_and_written_to_the_store(svc: Console) -> None:
    repo = DraftRepository(svc.rt.db.pool)
    await repo.save(STORE, 30, Described("A soft cotton tee.\n\nPrinted logo.", "llm", model="fake/fake-model"),
                    status="draft")
    await repo.save(STORE, 27, Described("A polo shirt.", "template", reason="fallback_only"), status="draft")
    await svc.login()
    page = (await svc.http.get("/console/descriptions")).text
    assert 'data-product="30"' in page and 'data-product="27"' in page and "A soft cotton tee." in page

    edited = "A soft cotton tee <b>with</b> a printed logo.\r\n\r\nMachine washable."
    await svc.post(f"/console/descriptions/{STORE}/30/approve", {"text": edited}, from_page="/console/descriptions")
    product = svc.woo.product(30)
    assert product["description"] == to_html("A soft cotton tee with a printed logo.\n\nMachine washable.")
    assert (await repo.get(STORE, 30)).status == "published"

    await svc.post(f"/console/descriptions/{STORE}/27/reject", {"reason": "too bland"}, from_page="/console/descriptions")
    assert (await repo.get(STORE, 27)).status == "rejected" and svc.woo.product(27)["description"] == ""
    page = (await svc.http.get("/console/descriptions")).text
    assert "No draft to review" in page
    assert "too bland" in (await svc.http.get("/console/descriptions?status=rejected")).text


async def test_audit_page_filters_verifies_the_chain_and_exports(svc: Console) -> None:
    audit = pytest.importorskip("sovereign.audit")
    writer = audit.AuditWriter(svc.rt.db.pool)
    for i in range(3):
        writer(OverrideChanged(name="force_degraded", target=f"feature{i}", value=True, previous=False))
    writer(OverrideChanged(name="force_provider", target="fake", value="fake", previous=None))
    assert await writer.flush() == 4
    await svc.login()
    page = (await svc.http.get("/console/audit")).text
    assert page.count("<tr>") == 5 and "not been verified" in page
    filtered = (await svc.http.get("/console/audit?kind=override&since=2000-01-01T00:00")).text
    assert filtered.count("<tr>") == 5
    assert (await svc.http.get("/console/audit?kind=call")).text.count("No audit rows match") == 1

    verified = (await svc.http.get("/console/audit?verify=1")).text
    assert "chain intact" in verified and "4 rows verified" in verified
    export = await svc.http.get("/console/audit/export.jsonl")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert export.headers["x-audit-rows"] == "4" and [r["id"] for r in lines] == [1, 2, 3, 4]
    assert all(len(r["hash"]) == 64 for r in lines)

    pool = svc.rt.db.pool  # tamper as a database superuser would: the page must say so
    await pool.execute("ALTER TABLE sovereign_audit_log DISABLE TRIGGER sovereign_audit_log_append_only")
    await pool.execute("UPDATE sovereign_audit_log SET feature = 'edited' WHERE id = 2")
    broken = (await svc.http.get("/console/audit?verify=1")).text
    assert "chain broken" in broken and "row 2 · edited" in broken


async def test_the_pages_render_without_any_data(svc: Console) -> None:
    await svc.login()
    for path, text in (("/console/jobs", "No failed jobs"), ("/console/fraud", "No held order"),
                       ("/console/descriptions", "No draft to review"), ("/console/degraded", "Force a provider")):
        r = await svc.http.get(path)
        assert r.status_code == 200 and text in r.text, path
    assert (await svc.http.get("/console/static/console.css")).headers["content-type"].startswith("text/css")


async def test_metrics_after_console_actions(svc: Console) -> None:
    await svc.login()
    await svc.post("/console/degraded/feature", {"feature": "forecasts", "on": "1"}, from_page="/console/degraded")
    body = (await svc.http.get("/metrics")).text
    assert 'sovereign_llm_feature_degraded{cause="forced",feature="forecasts"} 1.0' in body
