"""The audit log: filtered rows (newest first), chain verification on demand, a JSON Lines export.

Verification reads the whole chain (``sovereign.audit.verify``), so it runs
when asked (``?verify=1``), not on every view; the last result is kept for
the process and shown with its time.
"""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, page_session
from sovereign.audit import export_jsonl, verify as verify_chain
from sovereign.store.audit_rows import AuditFilter, AuditRows
from .render import page
from sovereign.web.deps import RuntimeDep, runtime_of, web_state

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)


def _time(value: str | None) -> datetime | None:
    """A filter bound from a ``datetime-local`` or ISO input, read as UTC when it names no zone."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _filter(request: Request) -> AuditFilter:
    q = request.query_params
    return AuditFilter(
        kind=q.get("kind") or None, feature=q.get("feature") or None, provider=q.get("provider") or None,
        outcome=q.get("outcome") or None, since=_time(q.get("since")), until=_time(q.get("until")),
    )


async def _verify(request: Request) -> dict[str, Any]:
    rt = runtime_of(request)
    started = time.monotonic()
    report = await verify_chain(rt.db.pool, max_problems=50)
    result = {
        "ok": report.ok, "rows": report.rows, "head_id": report.head_id, "head_hash": report.head_hash,
        "problems": [{"row": p.row_id, "kind": p.kind, "message": p.message} for p in report.problems],
        "at": datetime.now(timezone.utc), "seconds": round(time.monotonic() - started, 2),
    }
    web_state(request).audit_verification = result
    log.info("console: %s verified the audit chain: %s", request.state.console_session.user,
             "ok" if report.ok else f"{len(report.problems)} problem(s)")
    return result


@router.get(PREFIX + "/audit", include_in_schema=False)
async def audit(rt: RuntimeDep, request: Request, before: int | None = None, verify: int = 0,
                session: Session = Depends(page_session)) -> Response:
    f = _filter(request)
    try:
        rows_repo = AuditRows(rt.db.pool)
        rows = await rows_repo.page(f, before_id=before, limit=100)
        choices = await rows_repo.choices()
    except Exception as exc:  # noqa: BLE001 - no audit package or table yet
        log.warning("console: audit log unavailable: %s", exc)
        return await page(request, session, "audit.html", section="audit", unavailable=str(exc), rows=[],
                          choices={}, f=f, verification=None, query="", before=None)
    verification = await _verify(request) if verify else web_state(request).audit_verification
    params = {k: v for k, v in request.query_params.items() if k in ("kind", "feature", "provider", "outcome",
                                                                     "since", "until") and v}
    return await page(
        request, session, "audit.html", section="audit", unavailable=None, rows=rows, choices=choices, f=f,
        verification=verification, query=urlencode(params), before=rows[-1]["id"] if len(rows) == 100 else None,
    )


@router.get(PREFIX + "/audit/export.jsonl", include_in_schema=False)
async def export(request: Request, session: Session = Depends(page_session)) -> Response:
    """Every row with ``since <= at < until`` as JSON Lines (with hashes, verifiable offline)."""
    f = _filter(request)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+", encoding="utf-8")
    n = await export_jsonl(runtime_of(request).db.pool, spool, since=f.since, until=f.until)
    spool.seek(0)
    log.warning("console: %s exported %d audit rows", session.user, n)

    def chunks() -> Iterator[bytes]:
        try:
            while block := spool.read(64 * 1024):
                yield block.encode("utf-8")
        finally:
            spool.close()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        chunks(), media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="sovereign-audit-{stamp}.jsonl"',
                 "X-Audit-Rows": str(n)},
    )
