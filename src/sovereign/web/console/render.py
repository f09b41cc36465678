"""Server-rendered pages: Jinja2 templates (autoescaped) from this package, no script, no build step."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .accounts import Session, Sessions
from sovereign.web.deps import runtime_of

__all__ = ["NAV", "TEMPLATES", "STATIC", "page", "flash"]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

NAV = (
    ("overview", "Overview"),
    ("jobs", "Jobs"),
    ("providers", "Providers"),
    ("degraded", "Degraded mode"),
    ("fraud", "Fraud review"),
    ("descriptions", "Descriptions"),
    ("images", "Images"),
    ("forecasts", "Forecasts"),
    ("drift", "Model drift"),
    ("audit", "Audit log"),
)


def _when(value: Any) -> str:
    if not isinstance(value, datetime):
        return "-" if value is None else str(value)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{float(value):,.{digits}f}"


def _pct(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value) * 100:.{digits}f}%"


def _jsontext(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(when=_when, num=_num, pct=_pct, jsontext=_jsontext)


async def flash(request: Request, session: Session, message: str) -> None:
    await Sessions(runtime_of(request).db.pool).flash(session, message)


async def page(request: Request, session: Session, template: str, *, section: str, http_status: int = 200,
               **context: Any) -> HTMLResponse:
    """Render ``template`` inside the console layout (navigation, user, CSRF token, one-time message)."""
    message = await Sessions(runtime_of(request).db.pool).take_flash(session)
    html = _env.get_template(template).render(
        nav=NAV, section=section, user=session.user, csrf=session.csrf, flash=message, **context
    )
    return HTMLResponse(html, status_code=http_status)


def bare(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page outside the layout's session (the login page)."""
    return HTMLResponse(_env.get_template(template).render(**context), status_code=status)
