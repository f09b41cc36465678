"""The hash chain on a real PostgreSQL: verification names every edited, rewritten, inserted or deleted row."""

from __future__ import annotations

import asyncpg
import pytest

from sovereign.audit import AuditWriter, chain_hash, verify
from sovereign.audit.records import CONTENT_COLUMNS, from_db
from sovereign.gateway.events import CallFinished, DegradedEntered, DegradedLeft, OverrideChanged


def call(i: int, **kw: object) -> CallFinished:
    base = dict(
        feature="fraud", data_class="customer_personal", outcome="ok", provider="cloud", jurisdiction="US",
        model="m", model_version="v1", latency_ms=12.5 + i, input_tokens=100 + i, output_tokens=20, cached=False,
        attempts=1, request_sha256=f"{i:064x}", response_sha256=f"{i + 1:064x}", redactions={"NAME": 2},
    )
    base.update(kw)
    return CallFinished(**base)  # type: ignore[arg-type]


async def write(audit: AuditWriter, n: int) -> None:
    for i in range(n):
        audit(call(i))
    await audit.flush()


async def test_rows_chain_and_verify(pool: asyncpg.Pool, audit: AuditWriter) -> None:
    await write(audit, 7)
    audit(OverrideChanged("force_degraded", "fraud", True, False))
    audit(DegradedEntered("fraud", "availability 0.91 below SLO 0.995", 0.91))
    audit(DegradedLeft("fraud", "recovered"))
    await audit.flush()
    rows = [from_db(r) for r in await pool.fetch("SELECT * FROM sovereign_audit_log ORDER BY id")]
    assert [r["id"] for r in rows] == list(range(1, 11))
    assert [r["kind"] for r in rows[6:]] == ["call", "override", "degraded_entered", "degraded_left"]
    assert rows[0]["prev_hash"] == "0" * 64
    for before, row in zip(rows, rows[1:]):
        assert row["prev_hash"] == before["hash"]
        assert row["hash"] == chain_hash(before["hash"], row)
    assert rows[2]["redactions"] == {"NAME": 2} and rows[2]["input_tokens"] == 102
    assert rows[7]["detail"] == {"name": "force_degraded", "target": "fraud", "value": True, "previous": False}
    assert rows[8]["detail"]["availability"] == 0.91 and rows[8]["feature"] == "fraud"
    report = await verify(pool)
    assert report.ok and report.rows == 10 and report.head_id == 10 and report.head_hash == rows[-1]["hash"]


async def test_the_log_is_append_only(pool: asyncpg.Pool, audit: AuditWriter) -> None:
    await write(audit, 2)
    for sql in ("UPDATE sovereign_audit_log SET provider = 'x'", "DELETE FROM sovereign_audit_log",
                "TRUNCATE sovereign_audit_log"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(sql)
    assert (await verify(pool)).ok


async def test_an_edited_row_is_named(pool: asyncpg.Pool, audit: AuditWriter, tamper: asyncpg.Connection) -> None:
    await write(audit, 6)
    await tamper.execute("UPDATE sovereign_audit_log SET jurisdiction = 'EU-DE' WHERE id = 4")
    report = await verify(pool)
    assert [(p.row_id, p.kind) for p in report.problems] == [(4, "edited")]
    assert "row 4" in report.problems[0].message


async def test_a_rewritten_row_with_a_recomputed_hash_is_named(
    pool: asyncpg.Pool, audit: AuditWriter, tamper: asyncpg.Connection
) -> None:
    await write(audit, 6)
    row = from_db(await tamper.fetchrow("SELECT * FROM sovereign_audit_log WHERE id = 3"))
    row["outcome"] = "policy"  # hide that the call went out, and cover it up with a fresh hash
    await tamper.execute(
        "UPDATE sovereign_audit_log SET outcome = $1, hash = $2 WHERE id = 3", "policy", chain_hash(row["prev_hash"], row)
    )
    report = await verify(pool)
    assert [(p.row_id, p.kind) for p in report.problems] == [(3, "rewritten")]


async def test_deleted_rows_are_named(pool: asyncpg.Pool, audit: AuditWriter, tamper: asyncpg.Connection) -> None:
    await write(audit, 8)
    await tamper.execute("DELETE FROM sovereign_audit_log WHERE id IN (3, 4)")
    await tamper.execute("DELETE FROM sovereign_audit_log WHERE id = 8")
    report = await verify(pool)
    assert [(p.row_id, p.kind) for p in report.problems] == [(3, "deleted"), (8, "deleted")]
    assert "3..4" in report.problems[0].message and "at the end" in report.problems[1].message


async def test_an_appended_row_is_named(pool: asyncpg.Pool, audit: AuditWriter, tamper: asyncpg.Connection) -> None:
    await write(audit, 4)
    last = from_db(await tamper.fetchrow("SELECT * FROM sovereign_audit_log WHERE id = 4"))
    forged = {**last, "provider": "someone-else"}
    await _insert(tamper, 5, forged, last["hash"])  # a well-formed row, but the head was not moved
    report = await verify(pool)
    assert [(p.row_id, p.kind) for p in report.problems] == [(5, "inserted")]


async def test_a_row_inserted_in_the_middle_is_named(
    pool: asyncpg.Pool, audit: AuditWriter, tamper: asyncpg.Connection
) -> None:
    await write(audit, 6)
    async with tamper.transaction():  # make room at id 3, as an attacker would have to
        await tamper.execute("UPDATE sovereign_audit_log SET id = -id WHERE id >= 3")
        await tamper.execute("UPDATE sovereign_audit_log SET id = 1 - id WHERE id < 0")
        two = from_db(await tamper.fetchrow("SELECT * FROM sovereign_audit_log WHERE id = 2"))
        await _insert(tamper, 3, {**two, "feature": "forged"}, two["hash"])
        head_hash = await tamper.fetchval("SELECT hash FROM sovereign_audit_log WHERE id = 7")
        await tamper.execute("UPDATE sovereign_audit_head SET last_id = 7, last_hash = $1", head_hash)
    report = await verify(pool)
    assert [(p.row_id, p.kind) for p in report.problems] == [(3, "inserted")]


async def test_a_crashed_writer_leaves_the_chain_valid(db_url: str, pool: asyncpg.Pool, audit: AuditWriter) -> None:
    await write(audit, 3)
    victim = await asyncpg.connect(db_url)  # another process's writer, which dies inside its transaction
    tx = victim.transaction()
    await tx.start()
    head = await victim.fetchrow("SELECT last_id, last_hash FROM sovereign_audit_head WHERE id = 1 FOR UPDATE")
    row = from_db(await victim.fetchrow("SELECT * FROM sovereign_audit_log WHERE id = 3"))
    await _insert(victim, head["last_id"] + 1, row, head["last_hash"])
    for i in range(3, 6):
        audit(call(i))  # our writer is now blocked on the head lock
    await _sleep()
    assert audit.written == 3
    await pool.execute("SELECT pg_terminate_backend($1)", victim.get_server_pid())
    victim.terminate()
    for _ in range(100):
        if audit.written == 6:
            break
        await _sleep()
    report = await verify(pool)
    assert report.ok and report.rows == 6 and audit.written == 6


async def test_concurrent_writers_share_one_chain(pool: asyncpg.Pool) -> None:
    import asyncio

    writers = [AuditWriter(pool, batch_size=7) for _ in range(3)]
    for n, w in enumerate(writers):
        for i in range(40):
            w(call(i, feature=f"w{n}"))
    await asyncio.gather(*(w.flush() for w in writers))
    report = await verify(pool)
    assert report.ok and report.rows == 120 and report.head_id == 120


async def test_buffered_rows_are_written_on_close_and_retried_after_a_failure(pool: asyncpg.Pool) -> None:
    writer = AuditWriter(pool, batch_size=10, flush_interval_s=60)
    writer.start()
    async with pool.acquire() as blocker:
        await blocker.execute("ALTER TABLE sovereign_audit_head RENAME TO sovereign_audit_head_away")
        for i in range(5):
            writer(call(i))
        with pytest.raises(asyncpg.UndefinedTableError):
            await writer.flush()
        assert writer.pending == 5  # kept for the next try
        await blocker.execute("ALTER TABLE sovereign_audit_head_away RENAME TO sovereign_audit_head")
    await writer.aclose()
    assert writer.written == 5 and (await verify(pool)).rows == 5


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.02)


async def _insert(conn: asyncpg.Connection, row_id: int, row: dict, prev_hash: str) -> None:
    import json

    values = [json.dumps(row[c]) if c in ("redactions", "detail") else row[c] for c in CONTENT_COLUMNS]
    cols = ", ".join(("id", *CONTENT_COLUMNS, "prev_hash", "hash"))
    marks = ", ".join(f"${i}" for i in range(1, len(CONTENT_COLUMNS) + 4))
    await conn.execute(
        f"INSERT INTO sovereign_audit_log ({cols}) VALUES ({marks})",
        row_id, *values, prev_hash, chain_hash(prev_hash, row),
    )


async def test_a_full_buffer_drops_new_events_and_counts_them(pool: asyncpg.Pool) -> None:
    writer = AuditWriter(pool, max_buffer=3)
    for i in range(5):
        writer(call(i))
    assert writer.pending == 3 and writer.dropped == 2
    assert await writer.flush() == 3
    rows = await pool.fetch("SELECT input_tokens FROM sovereign_audit_log ORDER BY id")
    assert [r["input_tokens"] for r in rows] == [100, 101, 102]
