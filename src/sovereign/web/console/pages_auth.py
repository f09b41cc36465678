"""Login, logout, the landing redirect and the stylesheet."""

from __future__ import annotations

import logging
import math
import secrets

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from .accounts import ConsoleUsers, Session, Sessions
from .guard import (
    COOKIE, LOGIN_COOKIE, PREFIX, ConsoleRoute, Forbidden, client_address, form_session, page_session, safe_next, same_origin,
    set_cookie, throttle, tokens_match,
)
from .render import STATIC, bare
from .totp import second_factor
from sovereign.web.deps import runtime_of

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)


@router.get(PREFIX, include_in_schema=False)
@router.get(PREFIX + "/", include_in_schema=False)
async def index(session: Session = Depends(page_session)) -> Response:
    return RedirectResponse(PREFIX + "/overview", status_code=303)


_STATIC = {"console.css": "text/css", "favicon.svg": "image/svg+xml"}


@router.get(PREFIX + "/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    if name not in _STATIC:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=_STATIC[name], headers={"Cache-Control": "max-age=3600"})


def _login_page(request: Request, error: str | None = None, status: int = 200, name: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = bare(
        "login.html", status=status, error=error, login_csrf=token, name=name,
        next=safe_next(request.query_params.get("next")),
    )
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get(PREFIX + "/login", include_in_schema=False)
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post(PREFIX + "/login", include_in_schema=False)
async def login(request: Request) -> Response:
    if not same_origin(request):
        raise Forbidden("cross-site login refused")
    form = await request.form()
    if not tokens_match(str(form.get("csrf") or ""), request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, "The login form expired. Please try again.", 400)
    name = str(form.get("name") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    address = client_address(request)
    limiter = throttle(request)
    keys = limiter.keys(name, address)
    wait = limiter.wait_s(keys)
    if wait > 0:
        log.warning("console login throttled for %s", address)
        response = _login_page(request, f"Too many failed logins from here. Try again in {_in_words(wait)}.", 429,
                               name)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    code = str(form.get("code") or "")[:32]
    rt = runtime_of(request)
    users = ConsoleUsers(rt.db.pool)
    user = await users.authenticate(name, password, record=False) if name and password else None
    if user is not None:
        factor = second_factor(rt.db.pool, rt.stores.box)
        if await factor.has(user):
            if not await factor.check(user, code):  # wrong, missing or replayed: a failure like a wrong password
                user = None
        elif rt.settings.console_require_totp:
            log.warning("console login of %s refused: no second factor and SOVEREIGN_CONSOLE_REQUIRE_TOTP is on", user)
            return _login_page(request, _NEEDS_TOTP.format(user=user), 403, name)
    if user is None:
        limiter.failed(keys)
        log.warning("console login failed for a user name from %s", address)
        # the same answer whichever of name, password or code was wrong: no oracle for the password
        return _login_page(request, _WRONG_CODE if code else _WRONG, 401, name)
    limiter.succeeded(keys)
    await users.record_login(user)
    _, token = await Sessions(rt.db.pool).create(user)
    log.info("console login: %s", user)
    response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
    set_cookie(request, response, COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


_WRONG = "Wrong user name or password (or a missing code, where two-factor login is on)."
_WRONG_CODE = "Wrong user name, password or code."
_NEEDS_TOTP = (
    "This console requires a second factor, and {user} has none yet. An administrator enables it on the server "
    "with: sovereign console totp enable {user}"
)


def _in_words(seconds: float) -> str:
    return f"{math.ceil(seconds)} second(s)" if seconds < 90 else f"{math.ceil(seconds / 60)} minute(s)"


@router.post(PREFIX + "/logout", include_in_schema=False)
async def logout(request: Request, session: Session = Depends(form_session)) -> Response:
    await Sessions(runtime_of(request).db.pool).end(session)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
