"""Export for a data protection officer: the audit rows as JSON Lines, one row per line, in chain order.

Every column is included (hashes too, so the export itself can be verified
offline: ``hash == sha256(prev_hash + "\\n" + canonical(row))``, see
``records.canonical``). Request and response appear only as sha256 hashes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

import asyncpg

from .records import from_db, to_json
from sovereign.store import audit_log


async def export_jsonl(
    pool: asyncpg.Pool, out: TextIO, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Write the rows with ``since <= at < until`` to ``out``; returns how many."""
    n = 0
    async with audit_log.snapshot(pool) as chain:
        async for record in chain.rows(since, until):
            out.write(json.dumps(to_json(from_db(record)), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n
