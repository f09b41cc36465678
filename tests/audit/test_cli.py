"""`sovereign audit verify` and `sovereign audit export` against a real database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import asyncpg
import pytest
from typer.testing import CliRunner

from sovereign.audit import AuditWriter, canonical
from sovereign.cli import app
from sovereign.settings import get_settings

from .test_chain import call


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("SOVEREIGN_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def _fill(db_url: str) -> None:
    """Two rows from October, three from November."""
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        october = AuditWriter(pool, clock=lambda: datetime(2026, 10, 15, tzinfo=timezone.utc).timestamp())
        now = AuditWriter(pool, clock=lambda: datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc).timestamp())
        for i in range(5):
            (october if i < 2 else now)(call(i))
        await october.flush()
        await now.flush()
    finally:
        await pool.close()


def test_verify_and_export(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    asyncio.run(_fill(db_url))
    ok = cli.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "5 rows, chain intact" in ok.output
    out = tmp_path / "dpo.jsonl"
    exported = cli.invoke(app, ["audit", "export", "--since", "2026-11-01", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [3, 4, 5]
    assert rows[0]["request_sha256"] == f"{2:064x}" and rows[0]["redactions"] == {"NAME": 2}
    assert all(r["at"] >= "2026-11-01" for r in rows)
    stdout = cli.invoke(app, ["audit", "export", "--until", "2026-11-01"])
    assert [json.loads(line)["id"] for line in stdout.output.splitlines() if line.startswith("{")] == [1, 2]

    async def tamper() -> None:
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("UPDATE sovereign_audit_log SET output_tokens = 1 WHERE id = 4")
        finally:
            await conn.close()

    asyncio.run(tamper())
    bad = cli.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "row 4: edited" in bad.output


def test_an_exported_row_can_be_checked_offline(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    import hashlib

    asyncio.run(_fill(db_url))
    out = tmp_path / "all.jsonl"
    assert cli.invoke(app, ["audit", "export", "-o", str(out)]).exit_code == 0
    prev = "0" * 64
    for line in out.read_text().splitlines():
        row = json.loads(line)
        row["at"] = datetime.fromisoformat(row["at"])
        assert row["prev_hash"] == prev
        assert hashlib.sha256((prev + "\n" + canonical(row)).encode()).hexdigest() == row["hash"]
        prev = row["hash"]
