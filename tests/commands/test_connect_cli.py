"""`sovereign connect` as a user runs it: a real process against the running service and the fake store."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from sovereign.features.storesync.connect import ConnectError, connect_store
from sovereign.jobs import QueueInspector
from sovereign_testkit.fake_woo import FakeWooStore
from tests.web.conftest import Service, service  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]


async def sovereign(db_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_DATA_DIR": str(tmp_path),
           "SOVEREIGN_EMBEDDED_MODEL": "none", "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign.cli", *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, " ".join(out.decode().split())  # one line: rich wraps long lines


async def test_connect_exits_non_zero_naming_the_port_rule_when_nothing_arrives(service: Service, db_url: str, tmp_path: Path) -> None:
    async with FakeWooStore() as woo:  # a stock WordPress: Sovereign's random port is not allowed
        code, out = await sovereign(db_url, tmp_path, "connect", woo.url, "--key", woo.consumer_key, "--secret",
                                    woo.consumer_secret, "--id", "shop", "--public-url", service.url, "--wait", "2")
    assert code == 2, out
    assert out.index("warning") < out.index("key ok")  # warned before registering
    assert "did not reach Sovereign" in out and "http_allowed_safe_ports" in out and "ports 80, 443 and 8080" in out
    assert "not running" not in out


async def test_connect_proves_the_round_trip_then_list_and_remove(service: Service, db_url: str, tmp_path: Path) -> None:
    async with FakeWooStore(safe_ports="any") as woo:  # the store owner allowed the port
        code, out = await sovereign(db_url, tmp_path, "connect", woo.url, "--key", woo.consumer_key, "--secret",
                                    woo.consumer_secret, "--id", "shop", "--public-url", service.url, "--backfill")
        assert code == 0, out
        assert "round trip ok: all 4 webhooks reached Sovereign" in out and "currency=USD" in out
        assert re.search(r"backfill: \d+ open orders and \d+ products without a description", out)
        code, out = await sovereign(db_url, tmp_path, "stores", "list")
        assert code == 0 and "shop" in out and service.url in out
        code, out = await sovereign(db_url, tmp_path, "stores", "remove", "shop")
        assert code == 0 and "4 webhooks deleted on the store" in out, out
        assert woo.hooks.hooks == {}


async def test_a_wrong_secret_says_the_pair_does_not_match(service: Service) -> None:
    async with FakeWooStore() as woo:
        with pytest.raises(ConnectError) as err:
            await connect_store(service.runtime.stores, url=woo.url, consumer_key=woo.consumer_key,
                                consumer_secret="cs_wrong", public_url=service.url, store_id="shop")
    assert "consumer key and secret do not match" in str(err.value) and "Read/Write" not in str(err.value)


async def test_jobs_list_states_offered_are_states_that_work(pool) -> None:  # noqa: ANN001
    inspector = QueueInspector(pool)
    with pytest.raises(ValueError) as err:
        await inspector.list("finished")
    offered = re.search(r"use (.*)$", str(err.value)).group(1).replace(" or ", ", ").split(", ")
    assert "done" in offered
    for state in offered:  # every state the message offers is accepted (done jobs have their own listing)
        await (inspector.done() if state == "done" else inspector.list(state))


async def test_jobs_list_state_done_shows_finished_jobs(service: Service, db_url: str, tmp_path: Path) -> None:
    job = await service.runtime.queue.schedule("maintenance.purge", {})
    worker = service.runtime.worker(groups=["maintenance"])
    task = asyncio.create_task(worker.run())
    inspector = QueueInspector(service.runtime.db.pool)
    try:
        for _ in range(300):
            if await inspector.final_status(job.job_id) == "successful":
                break
            await asyncio.sleep(0.1)
    finally:
        worker.request_stop()
        await task
    code, out = await sovereign(db_url, tmp_path, "jobs", "list", "--state", "done", "--json")
    assert code == 0, out
    assert f'"id": {job.job_id}' in out and '"state": "done"' in out
    code, out = await sovereign(db_url, tmp_path, "jobs", "list", "--state", "done", "--name", "x")
    assert code == 2 and "keeps only its group" in out
