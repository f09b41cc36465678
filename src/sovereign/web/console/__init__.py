"""The operator console at ``/console``: server-rendered pages, plain HTML forms, no script, no build step.

    app.include_router(console.router)

Pages: overview (the state in words, charts of providers, queue, webhooks, SLO budgets), jobs (retry, cancel, attempts and tracebacks), providers, degraded
mode and overrides, fraud review (release / keep held orders), description
drafts (approve, edit, reject), model drift (week against week), audit log (filter, verify, export).

Users are added with ``sovereign console add-user NAME``; passwords are
scrypt-hashed (``passwords``), sessions live in PostgreSQL (``accounts``),
every form post carries the session's CSRF token (``guard``). An optional TOTP
code follows the password (``totp``: ``sovereign console totp enable NAME``).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    pages_audit, pages_auth, pages_drift, pages_forecasts, pages_gateway, pages_images, pages_jobs, pages_overview,
    pages_review,
)
from .accounts import ConsoleUser, ConsoleUsers, Session, Sessions, UserError
from .guard import ConsoleRoute

__all__ = ["ConsoleUser", "ConsoleUsers", "Session", "Sessions", "UserError", "router"]

router = APIRouter(route_class=ConsoleRoute)
for _module in (pages_auth, pages_overview, pages_jobs, pages_gateway, pages_review, pages_images, pages_forecasts,
                pages_drift, pages_audit):
    router.include_router(_module.router)
