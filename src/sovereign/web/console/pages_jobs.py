"""Jobs: the queue by state (pending, running, failed, past due), one job's attempts and tracebacks; retry, cancel."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, form_session, page_session
from .render import flash, page
from sovereign.web.deps import RuntimeDep

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)

STATES = (("failed", "Failed"), ("past_due", "Past due"), ("pending", "Pending"), ("running", "Running"))


@router.get(PREFIX + "/jobs", include_in_schema=False)
async def jobs(rt: RuntimeDep, request: Request, state: str = "failed", name: str | None = None,
               session: Session = Depends(page_session)) -> Response:
    if state not in dict(STATES):
        state = "failed"
    counts = await rt.inspector.counts()
    totals = {s: sum(c.get(s, 0) for c in counts.values()) for s, _ in STATES}
    rows = await rt.inspector.list(state, name=name or None, limit=200)
    workers = await rt.inspector.workers(rt.settings.heartbeat_timeout_s * 2)
    return await page(
        request, session, "jobs.html", section="jobs", state=state, states=STATES, counts=counts, totals=totals,
        rows=rows, name=name or "", workers=workers,
    )


@router.get(PREFIX + "/jobs/{job_id}", include_in_schema=False)
async def job(rt: RuntimeDep, request: Request, job_id: int, session: Session = Depends(page_session)) -> Response:
    row = await rt.inspector.get(job_id)
    final = await rt.inspector.final_status(job_id)
    attempts = await rt.inspector.attempts(job_id)
    history = await rt.inspector.history(job_id)
    status = 200 if row is not None or final is not None or attempts else 404
    return await page(
        request, session, "job.html", section="jobs", http_status=status, job_id=job_id, row=row, final=final,
        attempts=attempts, history=history,
    )


@router.post(PREFIX + "/jobs/{job_id}/retry", include_in_schema=False)
async def retry(rt: RuntimeDep, request: Request, job_id: int, session: Session = Depends(form_session)) -> Response:
    moved = await rt.inspector.retry([job_id])
    log.warning("console: %s retried job %s (%d moved)", session.user, job_id, moved)
    await flash(request, session, f"Job {job_id} is queued again with a fresh attempt budget." if moved
                else f"Job {job_id} is not failed: nothing to retry.")
    return RedirectResponse(await _return_to(request, job_id), status_code=303)


@router.post(PREFIX + "/jobs/{job_id}/cancel", include_in_schema=False)
async def cancel(rt: RuntimeDep, request: Request, job_id: int, session: Session = Depends(form_session)) -> Response:
    matched = await rt.inspector.cancel([job_id])
    log.warning("console: %s cancelled job %s (%d matched)", session.user, job_id, matched)
    await flash(request, session, f"Job {job_id} was cancelled (a running job is asked to stop)." if matched
                else f"Job {job_id} is not pending, running or failed: nothing to cancel.")
    return RedirectResponse(await _return_to(request, job_id), status_code=303)


async def _return_to(request: Request, job_id: int) -> str:
    form = await request.form()
    state = str(form.get("state") or "")
    if state in dict(STATES):
        return f"{PREFIX}/jobs?state={state}"
    return f"{PREFIX}/jobs/{job_id}"
