"""Who may see the console and what a form post must prove.

* Every page needs a live session (``page_session``); without one the browser
  is sent to the login page (303) and brought back afterwards.
* Every POST needs the session's CSRF token in its ``csrf`` field
  (``form_session``), compared in constant time; a post a browser marks as
  cross-site (``Sec-Fetch-Site``) or whose ``Origin`` is another site is
  refused before the token is even looked at. The login form, which has no
  session yet, uses a double-submit cookie instead.
* Every response carries a strict Content-Security-Policy (no script at
  all), ``X-Frame-Options: DENY``, ``no-store`` caching and ``same-origin`` referrers.
* Failed logins slow further tries per (user, address) and per address (``throttle``), never a
  lockout of the right password; the address is the socket peer unless a trusted proxy sent it.
* Cookies are ``Secure`` when the console is reached over https.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable, Coroutine
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from .accounts import Session, Sessions
from sovereign.web.deps import runtime_of
from .throttle import LoginThrottle

__all__ = [
    "COOKIE", "LOGIN_COOKIE", "ConsoleRoute", "client_address", "Forbidden", "LoginThrottle", "Redirect", "form_session",
    "page_session", "same_origin", "set_cookie", "tokens_match",
]

COOKIE = "sov_console"
LOGIN_COOKIE = "sov_console_login"
PREFIX = "/console"

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # never leaks console URLs; with no-referrer browsers send "Origin: null"
    "Cache-Control": "no-store",
}


class Redirect(Exception):
    """Leave this page for ``url`` (303: the browser follows with a GET)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConsoleRoute(APIRoute):
    """Console routes: ``Redirect``/``Forbidden`` become responses, and every response gets the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except Redirect as r:
                response = RedirectResponse(r.url, status_code=303)
            except Forbidden as f:
                response = HTMLResponse(f"<!doctype html><title>Refused</title><p>{_esc(f.message)}</p>", 403)
            for k, v in _HEADERS.items():
                response.headers.setdefault(k, v)
            return response

        return route


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tokens_match(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def sessions(request: Request) -> Sessions:
    return Sessions(runtime_of(request).db.pool)


def secure_cookies(request: Request) -> bool:
    """``Secure`` when the browser talks https: the request says so (directly or via a trusted proxy's
    ``X-Forwarded-Proto``), or the public URL is https (a TLS proxy in front)."""
    public = request.app.state.runtime.settings.public_url or ""
    return request.url.scheme == "https" or public.lower().startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict", secure=secure_cookies(request)
    )


def safe_next(target: str | None) -> str:
    """Only a console path may follow a login (never another site)."""
    if not target or not target.startswith(PREFIX + "/") or target.startswith("//") or "\\" in target:
        return PREFIX + "/"
    return target


async def page_session(request: Request) -> Session:
    session = await sessions(request).get(request.cookies.get(COOKIE))
    if session is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Redirect(f"{PREFIX}/login?next={quote(here, safe='')}")
    request.state.console_session = session
    return session


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        # host and port only: behind a TLS-terminating proxy the app may see http while the browser says https
        return urlsplit(origin).netloc == request.url.netloc
    return origin != "null"


async def form_session(request: Request) -> Session:
    """A POST from a console page: same origin, a live session and that session's CSRF token."""
    if not same_origin(request):
        raise Forbidden("cross-site form post refused")
    session = await page_session(request)
    form = await request.form()
    if not tokens_match(str(form.get("csrf") or ""), session.csrf):
        raise Forbidden("this form has expired or did not come from the console: reload the page and try again")
    return session


def throttle(request: Request) -> LoginThrottle:
    """The app's one login throttle (made with the app, so it outlives any one request)."""
    t: LoginThrottle = request.app.state.login_throttle
    return t


def client_address(request: Request) -> str | None:
    """The client's address: the socket peer, or what a trusted proxy (``SOVEREIGN_TRUSTED_PROXIES``) says."""
    return request.client.host if request.client else None
