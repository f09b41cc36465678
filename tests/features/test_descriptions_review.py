"""Review actions the console and CLI call (approve, reject) and staggered bulk scheduling, on a real
database against the fake store; no worker runs, so every job scheduled stays countable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, AsyncIterator

import pytest

from sovereign.features.descriptions.jobs import (
    DraftError,
    DraftNotFound,
    DraftRepository,
    approve_draft,
    dedupe_key,
    generate_description,
    reject_draft,
    schedule_bulk,
)
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META, DRAFT_META
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo import FakeWooStore
from tests.features.conftest import STORE, Service, gateway_for, running
from tests.features.test_descriptions_jobs import GOOD

HOODIE, BELT, POCKET, POLO = 18, 21, 24, 27


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=GOOD) as fake:
        yield fake


@pytest.fixture
async def svc(db_url: str, llm: FakeLLM) -> AsyncIterator[Service]:
    async with FakeWooStore(safe_ports="any") as shop:  # Sovereign on a random port: the filter allows it
        async with running(db_url, gateway_for(llm), shop, worker=False) as service:
            yield service


def meta(svc: Service, product_id: int) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in svc.woo.product(product_id)["meta_data"]}


async def test_approve_publishes_the_edited_draft_escaped(svc: Service) -> None:
    rt = svc.runtime
    outcome = await generate_description(rt, STORE, HOODIE)
    assert outcome.status == "drafted" and outcome.described is not None and outcome.described.source == "llm"
    assert svc.woo.product(HOODIE)["description"] == ""

    edited = "Warm & soft, with a <b>logo</b> on the front.\n\nA favourite for cold mornings."
    draft = await approve_draft(rt, STORE, HOODIE, text=edited)
    assert draft.status == "published" and draft.draft == "Warm & soft, with a logo on the front.\n\nA favourite for cold mornings."
    assert svc.woo.product(HOODIE)["description"] == (
        "<p>Warm &amp; soft, with a logo on the front.</p>\n<p>A favourite for cold mornings.</p>"
    )
    assert meta(svc, HOODIE)[DESCRIPTION_STATUS_META] == "published"
    assert (await DraftRepository(rt.db.pool).get(STORE, HOODIE)).status == "published"  # type: ignore[union-attr]


async def test_approve_without_text_publishes_the_draft_as_written(svc: Service) -> None:
    rt = svc.runtime
    await generate_description(rt, STORE, POLO)
    await approve_draft(rt, STORE, POLO)
    assert svc.woo.product(POLO)["description"] == "\n".join(f"<p>{p}</p>" for p in GOOD.split("\n\n"))


async def test_reject_keeps_the_product_empty_and_stops_regeneration(svc: Service) -> None:
    rt = svc.runtime
    await generate_description(rt, STORE, BELT)
    draft = await reject_draft(rt, STORE, BELT, reason="too bland")
    assert draft.status == "rejected" and draft.reason == "too bland"
    assert svc.woo.product(BELT)["description"] == ""
    assert meta(svc, BELT)[DESCRIPTION_STATUS_META] == "rejected" and meta(svc, BELT)[DRAFT_META] == GOOD
    again = await generate_description(rt, STORE, BELT)
    assert again.status == "skipped" and "rejected" in again.detail
    forced = await generate_description(rt, STORE, BELT, force=True)
    assert forced.status == "drafted"
    assert [d.product_id for d in await DraftRepository(rt.db.pool).list(STORE, status="draft")] == [BELT]


async def test_review_actions_refuse_what_cannot_be_done(svc: Service) -> None:
    rt = svc.runtime
    with pytest.raises(DraftNotFound):
        await approve_draft(rt, STORE, POCKET)
    with pytest.raises(DraftNotFound):
        await reject_draft(rt, "no-such-store", POCKET)
    await generate_description(rt, STORE, POCKET)
    await approve_draft(rt, STORE, POCKET)
    with pytest.raises(DraftError, match="already published"):
        await reject_draft(rt, STORE, POCKET)
    with pytest.raises(DraftError, match="empty"):
        await approve_draft(rt, STORE, POCKET, text="<p> </p>")


async def test_bulk_schedule_is_staggered_and_deduplicated_per_product(svc: Service) -> None:
    rt = svc.runtime
    first = await schedule_bulk(rt, STORE, [HOODIE, BELT, POCKET, HOODIE], interval_s=30)
    assert [s.created for s in first] == [True, True, True]
    assert [s.dedupe_key for s in first] == [dedupe_key(STORE, p) for p in (HOODIE, BELT, POCKET)]
    jobs = sorted(await svc.jobs("descriptions.generate"), key=lambda j: j.run_at)
    assert [j.args["product_id"] for j in jobs] == [HOODIE, BELT, POCKET]
    gaps = [b.run_at - a.run_at for a, b in zip(jobs, jobs[1:])]
    assert all(abs(g - timedelta(seconds=30)) < timedelta(seconds=1) for g in gaps), gaps
    assert all(j.group == "descriptions" for j in jobs)

    # The same products again (a re-run import, or a webhook that came first): nothing new.
    again = await schedule_bulk(rt, STORE, [POCKET, POLO, HOODIE], interval_s=30)
    assert [(s.created, s.job_id) for s in again if s.dedupe_key != dedupe_key(STORE, POLO)] == [
        (False, first[2].job_id), (False, first[0].job_id)
    ]
    assert len(await svc.jobs("descriptions.generate")) == 4


async def test_an_answer_cut_by_the_token_limit_keeps_its_full_sentences(svc: Service, llm: FakeLLM) -> None:
    llm.reply = GOOD + " It also comes with a matching"
    outcome = await generate_description(svc.runtime, STORE, HOODIE)
    assert outcome.described is not None and outcome.described.source == "llm" and outcome.described.text == GOOD


async def test_a_store_with_descriptions_off_is_not_described(svc: Service, llm: FakeLLM) -> None:
    await svc.runtime.stores.update_settings(STORE, {"descriptions_enabled": False})
    outcome = await generate_description(svc.runtime, STORE, HOODIE)
    assert outcome.status == "skipped" and "off" in outcome.detail
    assert llm.calls == 0 and not svc.woo.writes
