"""Verifying the audit chain: every edited, inserted or deleted row is found and named.

Rows are read in id order with a server-side cursor (constant memory). For
each row: its content must hash to its ``hash`` (else it was **edited**);
its ``prev_hash`` must be the previous row's hash (else a row before it was
**rewritten**, or, when it matches the row before that, the previous row was
**inserted**); ids must follow without gaps (a gap means rows were
**deleted**). At the end the chain head must name the last row (rows past it
were **inserted**, a head past the last row means rows at the end were
**deleted**).

An attacker who can write the database, recompute every later hash and move
the head can rewrite history undetectably: keep the head (``head_hash``,
printed by ``sovereign audit verify``) somewhere else to anchor it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from .records import GENESIS, chain_hash, from_db
from sovereign.store import audit_log


@dataclass(frozen=True, slots=True)
class Problem:
    row_id: int
    kind: str  # edited | rewritten | inserted | deleted | head
    message: str


@dataclass(slots=True)
class Verification:
    rows: int = 0
    last_id: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(pool: asyncpg.Pool, *, max_problems: int = 1000) -> Verification:
    report = Verification()
    problems = report.problems

    def add(row_id: int, kind: str, message: str) -> None:
        if len(problems) < max_problems:
            problems.append(Problem(row_id, kind, message))

    async with audit_log.snapshot(pool) as chain:
        head = chain.head
        prev_id, prev_hash, before_prev_hash = 0, GENESIS, None
        async for record in chain.rows():
            row = from_db(record)
            row_id = int(row["id"])
            report.rows += 1
            if row_id != prev_id + 1:
                gap = f"{prev_id + 1}" if row_id == prev_id + 2 else f"{prev_id + 1}..{row_id - 1}"
                add(prev_id + 1, "deleted", f"row(s) {gap} missing: deleted (row {row_id} follows row {prev_id})")
            elif row["prev_hash"] != prev_hash:
                if before_prev_hash is not None and row["prev_hash"] == before_prev_hash:
                    add(prev_id, "inserted", f"row {prev_id} was inserted: row {row_id} chains to the row before it")
                elif prev_id == 0:
                    add(row_id, "rewritten", f"row {row_id} does not chain to the start of the log")
                else:
                    add(prev_id, "rewritten", f"chain broken between rows {prev_id} and {row_id}: row {prev_id} was "
                        f"rewritten (its hash is not the one row {row_id} chains to) or rows after it were deleted")
            if chain_hash(row["prev_hash"], row) != row["hash"]:
                add(row_id, "edited", f"row {row_id} was edited: its content does not match its hash")
            before_prev_hash, prev_hash, prev_id = prev_hash, row["hash"], row_id
    report.last_id = prev_id
    if head is None:
        add(prev_id, "head", "the chain head is missing (sovereign_audit_head row 1 was deleted)")
        return report
    report.head_id, report.head_hash = int(head["last_id"]), str(head["last_hash"])
    renumbered = report.head_hash == prev_hash  # the last row is the head's row, under another id
    if report.head_id > prev_id:
        n = report.head_id - prev_id
        if renumbered:
            add(prev_id, "deleted", f"{n} row(s) deleted and later ids renumbered: the chain head row {report.head_id} "
                f"is now row {prev_id}")
        else:
            gap = f"{prev_id + 1}" if n == 1 else f"{prev_id + 1}..{report.head_id}"
            add(prev_id + 1, "deleted", f"row(s) {gap} missing at the end: deleted (the chain head is row {report.head_id})")
    elif report.head_id < prev_id:
        if not renumbered:
            extra = f"{report.head_id + 1}" if prev_id == report.head_id + 1 else f"{report.head_id + 1}..{prev_id}"
            add(report.head_id + 1, "inserted", f"row(s) {extra} inserted after the chain head (row {report.head_id})")
        elif not any(p.kind == "inserted" for p in problems):
            add(prev_id, "inserted", f"{prev_id - report.head_id} row(s) inserted and later ids renumbered")
    elif report.head_hash != prev_hash:
        add(prev_id, "head", f"row {prev_id} does not match the chain head's hash: it was rewritten")
    return report
