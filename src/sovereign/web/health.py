"""/healthz (the process is alive) and /readyz (it can do its job: states only, no free text or ids)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sovereign.store.migrations import pending
from sovereign.web.deps import RuntimeDep

router = APIRouter()

# What /readyz shows per provider: states and numbers, never free text or ids (the full status is on the
# authenticated ops API and /metrics).
_PROVIDER_FIELDS = ("breaker", "healthy", "availability")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(rt: RuntimeDep, request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    ready = True
    try:
        await rt.db.fetchval("select 1")
        checks["database"] = {"ok": True}
        todo = [f"{m.version:04d}_{m.name}" for m in await pending(rt.db.pool)]
        checks["migrations"] = {"ok": not todo, "pending": todo}
        ready &= not todo
        fresh_within = rt.settings.heartbeat_timeout_s * 2
        workers = await rt.inspector.workers(fresh_within)
        live = [w for w in workers if w["fresh"]]
        # A process that runs a worker is not ready without one. An API-only process stays ready
        # (webhooks are still stored and queued): losing every worker pod must not take the API down;
        # the check still reports it for alerting.
        checks["workers"] = {"ok": bool(live), "live": len(live), "registered": len(workers)}
        if getattr(request.app.state, "runs_worker", True):
            ready &= bool(live)
        past_due = await rt.inspector.past_due()
        checks["queue"] = {"ok": past_due == 0, "past_due": past_due, "past_due_after_s": rt.settings.past_due_after_s}
    except Exception as exc:  # the database is down: not ready, and say what kind of failure (never its text)
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        ready = False
    gateway = getattr(rt, "gateway", None)
    if gateway is not None:
        checks["providers"] = {
            name: {k: h.get(k) for k in _PROVIDER_FIELDS} for name, h in gateway.health().items()
        }
        status = gateway.status()
        checks["degraded"] = {  # states and names only: an operator's override reason is free text
            "degraded": list(status.get("degraded") or ()),
            "forced": sorted((status.get("overrides") or {}).get("force_degraded") or {}),
        }
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
