"""Model releases: promote only what is not worse, roll back across every process within seconds, all audited."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest

from sovereign.features.models.releases import Margins, ModelLifecycle, NothingToRollBack, worse_than
from sovereign.gateway import ProviderConfig
from sovereign.runtime import Runtime, open_runtime
from sovereign.settings import Settings
from sovereign.store.model_releases import ModelReleases

GOOD = {"model_draft_rate": 0.9, "unsupported_claim_rate": 0.0, "latency_p95_s": 2.0}
WORSE = {"model_draft_rate": 0.6, "unsupported_claim_rate": 0.05, "latency_p95_s": 5.0}
BETTER = {"model_draft_rate": 0.95, "unsupported_claim_rate": 0.0, "latency_p95_s": 2.2}
LOCAL = ProviderConfig(name="local", kind="openai_compatible", endpoint="http://127.0.0.1:9/v1", model="small",
                       jurisdiction="local", data_classes=["public"])


def settings(db_url: str, poll_s: float = 0.2) -> Settings:
    return Settings(database_url=db_url, providers=[LOCAL], override_poll_s=poll_s)


async def _with_evals(rt: Runtime, **reports: dict) -> ModelReleases:
    repo = ModelReleases(rt.db.pool)
    for model, report in reports.items():
        await repo.add_eval("local", model, f"{model}-sha", report)
    return repo


def test_worse_beyond_the_margins_names_every_reason() -> None:
    reasons = worse_than(WORSE, GOOD, Margins())
    assert [r.split(" ")[0] for r in reasons] == ["model", "unsupported", "latency"]
    assert worse_than(BETTER, GOOD, Margins()) == []
    assert worse_than({**GOOD, "model_draft_rate": 0.86}, GOOD, Margins()) == []  # within the 0.05 margin
    assert worse_than(WORSE, None, Margins()) == []  # nothing to compare with


def _review(recall: float, precision: float = 1.0, shift: int = 0) -> dict:
    return {"with_review": {"recall": recall, "precision": precision}, "injection_score_shift": shift}


def test_a_fraud_review_that_misses_more_or_can_be_moved_by_a_shopper_is_worse() -> None:
    current = {**GOOD, "fraud_review": _review(0.8889)}
    assert worse_than({**BETTER, "fraud_review": _review(0.8889)}, current, Margins()) == []
    misses = worse_than({**BETTER, "fraud_review": _review(0.8333)}, current, Margins())
    assert misses == ["fraud review recall 0.833 vs 0.889 (drop 0.056 > 0.0)"]
    sloppy = worse_than({**BETTER, "fraud_review": _review(0.8889, precision=0.9)}, current, Margins())
    assert len(sloppy) == 1 and sloppy[0].startswith("fraud review precision 0.900 vs 1.000")
    # a score a shopper's text can move is refused even with nothing to compare with
    moved = worse_than({**BETTER, "fraud_review": _review(0.8889, shift=15)}, None, Margins())
    assert moved == ["a shopper's text moved a fraud score by 15 points with this model"]
    # an evaluation without the fraud review is compared on descriptions only
    assert worse_than(BETTER, current, Margins()) == []


async def test_a_worse_candidate_is_refused_and_nothing_changes(db_url: str) -> None:
    rt = await open_runtime(settings(db_url))
    try:
        repo = await _with_evals(rt, small=GOOD, big=WORSE)
        outcome = await ModelLifecycle(repo, rt.gateway).promote("local", "big", "big-sha", actor="test")
        assert not outcome.ok and outcome.compared_with == "small" and len(outcome.reasons) == 3
        assert await repo.history("local") == []
        assert rt.gateway.overrides.snapshot()["pinned_models"] == {}
        missing = await ModelLifecycle(repo, rt.gateway).promote("local", "never-evaluated", "x", actor="test")
        assert not missing.ok and "no evaluation" in missing.reasons[0]
    finally:
        await rt.close()


async def test_a_better_candidate_is_promoted_pinned_and_audited(db_url: str) -> None:
    rt = await open_runtime(settings(db_url))
    try:
        repo = await _with_evals(rt, small=GOOD, big=BETTER)
        outcome = await ModelLifecycle(repo, rt.gateway).promote("local", "big", "big-sha", actor="ops-anna")
        assert outcome.ok and outcome.release is not None and outcome.release.actor == "ops-anna"
        assert rt.gateway.overrides.snapshot()["pinned_models"] == {"local": {"model": "big", "version": "big-sha"}}
        assert rt.audit is not None
        await rt.audit.flush()
        row = await rt.db.pool.fetchrow(
            "SELECT kind, provider, detail FROM sovereign_audit_log WHERE kind = 'override' ORDER BY id DESC LIMIT 1")
        assert row is not None and "big-sha" in json.dumps(dict(row), default=str)
        forced = await ModelLifecycle(repo, rt.gateway).promote("local", "small", "small-sha", actor="ops", force=True)
        assert forced.ok and forced.compared_with == "big"  # back to small: within the margins of big
    finally:
        await rt.close()


async def test_rollback_without_a_release_says_so(db_url: str) -> None:
    rt = await open_runtime(settings(db_url))
    try:
        with pytest.raises(NothingToRollBack):
            await ModelLifecycle(ModelReleases(rt.db.pool), rt.gateway).rollback("local", actor="ops")
    finally:
        await rt.close()


async def test_a_rollback_from_the_cli_reaches_a_running_process_within_five_seconds(
    db_url: str, tmp_path: Path
) -> None:
    serving = await open_runtime(settings(db_url, poll_s=0.5))  # stands in for `sovereign serve`
    try:
        repo = await _with_evals(serving, small=GOOD, mid=GOOD, big=BETTER)
        lifecycle = ModelLifecycle(repo, serving.gateway)
        assert (await lifecycle.promote("local", "mid", "mid-sha", actor="ops")).ok
        assert (await lifecycle.promote("local", "big", "big-sha", actor="ops")).ok
        assert serving.gateway.overrides.snapshot()["pinned_models"]["local"]["model"] == "big"
        await serving.override_sync.publish()  # type: ignore[union-attr]

        env = {**os.environ, "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_DATA_DIR": str(tmp_path),
               "SOVEREIGN_PROVIDERS": json.dumps([LOCAL.model_dump()]), "SOVEREIGN_EMBEDDED_MODEL": "none"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sovereign.cli", "models", "rollback", "--actor", "ops-ben", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        done = time.monotonic()
        assert proc.returncode == 0, err.decode()
        assert "rolled back local to mid (mid-sha)" in out.decode()
        while serving.gateway.overrides.snapshot()["pinned_models"].get("local", {}).get("model") != "mid":
            assert time.monotonic() - done < 5.0, "the running process did not follow the rollback within 5 s"
            await asyncio.sleep(0.1)
        history = await repo.history("local")
        assert [(r.action, r.model, r.actor) for r in history[:2]] == [("rollback", "mid", "ops-ben"), ("promote", "big", "ops")]
    finally:
        await serving.close()
