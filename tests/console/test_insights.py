"""Fraud and description charts from data the features wrote: orders scored and held through webhooks and the
worker, a hold released from the console, drafts saved by the descriptions repository, audited model calls."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sovereign.features.descriptions.describe import Described
from sovereign.features.descriptions.drafts import DraftRepository
from sovereign_testkit.console_history import gateway_history

from tests.console.conftest import STORE, Console
from tests.console.test_overview import chart, series
from tests.console.test_pages import _held


async def test_fraud_page_charts_holds_scores_against_the_threshold_and_releases(svc: Console) -> None:
    others = sorted(o for o in svc.woo.state.orders if o != 85)[:4]
    for order_id in others:
        await svc.woo.deliver("order.created", order_id)
    await _held(svc)  # runs the worker until order 85 is held (the others are scored on the way)

    async def scored() -> bool:
        return await svc.rt.db.pool.fetchval(
            "SELECT count(DISTINCT order_id) FROM sovereign_fraud_results WHERE source <> 'inline'") >= 5

    await svc.work_until(scored, ["webhooks", "fraud"])
    await svc.login()
    result_id = await svc.rt.db.pool.fetchval("SELECT max(id) FROM sovereign_fraud_results WHERE order_id = 85")
    await svc.post(f"/console/fraud/{STORE}/85/release", {"result": result_id}, from_page="/console/fraud")
    page = (await svc.http.get("/console/fraud")).text

    holds = chart(page, "holds")
    assert series(holds) == {"held"}
    today = datetime.now(timezone.utc).strftime("%b %d")
    assert f"<tr><td>{today}</td><td>1</td></tr>" in holds  # 30 days, the held order on today's bar
    assert holds.count("<tr><td>") == 30

    scores = chart(page, "scores")
    assert 'data-threshold="70"' in scores and "hold at 70" in scores
    assert "above" in series(scores) and "below" in series(scores)
    counts = [int(n) for n in re.findall(r"<tr><td>[\d.]+</td><td>[\d.]+</td><td>(\d+)</td></tr>", scores)]
    assert len(counts) == 20 and sum(counts) >= 5

    releases = chart(page, "releases")
    rows = re.findall(r"<tr><td>(wk [^<]+)</td><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>",
                      releases)
    assert len(rows) == 12 and rows[-1][1:] == ("100", "1", "1", "0")  # this week: one held, released


async def test_descriptions_page_charts_model_rate_refusal_reasons_and_latency_per_model(svc: Console) -> None:
    repo = DraftRepository(svc.rt.db.pool)
    await repo.save(STORE, 30, Described("A soft cotton tee.", "llm", None, "fake/fake-model"), status="draft")
    await repo.save(STORE, 31, Described("Tee.", "template", "invalid: too_short, link", "fake/fake-model"),
                    status="draft")
    await repo.save(STORE, 32, Described("Mug.", "template", "invalid: too_short", "fake/fake-model"), status="draft")
    await repo.save(STORE, 33, Described("Cap.", "template", "gateway_timeout"), status="draft")
    end = datetime.now(timezone.utc)
    await gateway_history(svc.rt.db.pool, ["local", "cloud"], end - timedelta(days=3), end, every_s=1800)
    await svc.login()
    page = (await svc.http.get("/console/descriptions")).text

    rate = chart(page, "draft-rate")
    assert series(rate) == {"by a model", "template"}
    today = end.strftime("%b %d")
    assert f"<tr><td>{today}</td><td>1</td><td>3</td></tr>" in rate
    refusals = chart(page, "refusals")
    assert re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", refusals) == [
        ("too_short", "2"), ("gateway: timeout", "1"), ("link", "1")]
    latency = chart(page, "draft-latency")
    assert series(latency) == {"local/local-model", "cloud/cloud-model"}
