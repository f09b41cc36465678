"""An erasure of personal data, recorded in the hash-chained audit log: the subject as a hash and the
counts of what was removed, chained onto the last row like every other record (the chain stays whole)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

import asyncpg

from sovereign.store import audit_log

from .records import CONTENT_COLUMNS, TEXT_COLUMNS, _plain, chain_hash
from .writer import _COLUMNS, _db


def erasure_row(subject_sha256: str, erased: Mapping[str, int], at: datetime | None = None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(TEXT_COLUMNS, "")
    row.update(at=at or datetime.now(timezone.utc), input_tokens=0, output_tokens=0, latency_ms=0.0, attempts=0,
               cached=False, stream=False, redactions={}, flags=[])
    row.update(kind="erasure", feature="gdpr", request_sha256=subject_sha256, outcome="erased",
               detail=_plain({"subject_sha256": subject_sha256, "erased": dict(erased)}))
    return row


async def record_erasure(pool: asyncpg.Pool, subject_sha256: str, erased: Mapping[str, int]) -> None:
    row = erasure_row(subject_sha256, erased)

    def link(last_id: int, prev: str) -> tuple[list[tuple[Any, ...]], int, str]:
        h = chain_hash(prev, row)
        return [(last_id + 1, *(_db(c, row[c]) for c in CONTENT_COLUMNS), prev, h)], last_id + 1, h

    await audit_log.append(pool, _COLUMNS, link)
