"""Incident playbook commands, and console users.

Overrides live in the serving process, so these commands call its API
(``/v1/ops/*``) rather than the database::

    sovereign ops status
    sovereign degraded on fraud --reason "provider outage"     # or "*" for every feature
    sovereign degraded off fraud
    sovereign override provider local                          # --none: stop forcing
    sovereign override pin openai gpt-4o-2024-08-06            # unpin: sovereign override unpin openai
    sovereign override clear

``--url`` defaults to ``SOVEREIGN_PUBLIC_URL`` or ``http://HOST:PORT`` from the
settings; ``--key`` to ``SOVEREIGN_OPS_KEY`` (an API key whose features list
``ops``: ``sovereign keys create playbook --features ops``).

Console users are local::

    sovereign console add-user alice            # asks for the password twice
    sovereign console disable-user alice
    sovereign console users
    sovereign console totp enable alice         # prints the otpauth:// URI and the secret once
    sovereign console totp disable alice
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional

import httpx
import typer
from rich.table import Table

from sovereign.commands.common import console, err, fmt_ts, run, runtime
from sovereign.settings import get_settings

__all__ = ["console_app", "degraded_app", "ops_app", "override_app"]

ops_app = typer.Typer(help="State of the serving process: providers, degraded features, overrides, queue.",
                      no_args_is_help=True)
degraded_app = typer.Typer(help="Force a feature (or every feature: '*') onto its rules, or let it go.",
                           no_args_is_help=True)
override_app = typer.Typer(help="Manual overrides: force one provider, pin a model version, clear.", no_args_is_help=True)
console_app = typer.Typer(help="Users of the web console (/console).", no_args_is_help=True)

URL = typer.Option(None, "--url", help="the serving process (default SOVEREIGN_PUBLIC_URL or http://HOST:PORT)")
KEY = typer.Option(None, "--key", envvar="SOVEREIGN_OPS_KEY", help="an API key with the 'ops' feature")
JSON = typer.Option(False, "--json", help="print the API's answer as JSON")


def default_url() -> str:
    s = get_settings()
    if s.public_url:
        return s.public_url.rstrip("/")
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
    return f"http://{host}:{s.port}"


def call(method: str, path: str, url: str | None, key: str | None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ops API call; exits 1 with the server's message on any error."""
    if not key:
        err.print("[red]no API key: pass --key or set SOVEREIGN_OPS_KEY (a key whose features list 'ops')[/red]")
        raise typer.Exit(2)
    base = (url or default_url()).rstrip("/")
    try:
        r = httpx.request(method, base + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10.0)
    except httpx.HTTPError as exc:
        err.print(f"[red]cannot reach {base}: {exc}[/red]")
        raise typer.Exit(1) from None
    try:
        doc = r.json()
    except ValueError:
        doc = {"error": {"message": r.text[:300]}}
    if r.status_code >= 400:
        message = (doc.get("error") or {}).get("message") if isinstance(doc, dict) else None
        err.print(f"[red]{r.status_code}: {message or r.text[:300]}[/red]")
        raise typer.Exit(1)
    return doc


def show(status: dict[str, Any], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(status, default=str))
        return
    t = Table("provider", "breaker", "availability", "p50 ms", "p99 ms", "model version", title="Providers")
    pins = status["overrides"].get("pinned_models") or {}
    for name, h in status["providers"].items():
        version = h.get("model_version", "") + (" (pinned)" if name in pins else "")
        avail = "-" if h.get("availability") is None else f"{h['availability'] * 100:.2f}%"
        t.add_row(name, str(h.get("breaker")), avail, str(h.get("latency_p50_ms") or "-"),
                  str(h.get("latency_p99_ms") or "-"), version)
    console.print(t)
    o = status["overrides"]
    forced = o.get("force_degraded") or {}
    console.print(f"degraded features: {', '.join(status.get('degraded') or []) or 'none'}")
    forced_text = ", ".join(f"{k} ({v})" for k, v in forced.items()) or "none"
    pins_text = ", ".join(f"{p}={v['version']}" for p, v in pins.items()) or "none"
    console.print(f"forced degraded: {forced_text}")
    console.print(f"forced provider: {o.get('force_provider') or 'none'}")
    console.print(f"pinned models: {pins_text}")
    queue = status.get("queue") or {}
    if "error" in queue:
        console.print(f"[red]queue: {queue['error']}[/red]")
    else:
        failed = sum(g.get("failed", 0) for g in (queue.get("groups") or {}).values())
        console.print(f"queue: {failed} failed, {queue.get('past_due', 0)} past due")


@ops_app.command("status")
def status(url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON) -> None:
    """Providers, degraded features, overrides and the queue of the serving process."""
    show(call("GET", "/v1/ops/status", url, key), as_json)


@degraded_app.command("on")
def degraded_on(
    feature: str = typer.Argument(..., help="a feature (fraud, descriptions, forecasts, ...) or '*' for every one"),
    reason: str = typer.Option("forced by operator", "--reason", "-r"),
    url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON,
) -> None:
    """Force FEATURE onto its rules: no LLM call until `degraded off`."""
    show(call("POST", "/v1/ops/degraded", url, key, {"feature": feature, "on": True, "reason": reason}), as_json)


@degraded_app.command("off")
def degraded_off(
    feature: str = typer.Argument(..., help="the feature forced with `degraded on` ('*' for the every-feature switch)"),
    url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON,
) -> None:
    """Stop forcing FEATURE (it may still be degraded by its own availability)."""
    show(call("POST", "/v1/ops/degraded", url, key, {"feature": feature, "on": False}), as_json)


@override_app.command("provider")
def force_provider(
    name: Optional[str] = typer.Argument(None, help="the provider every call goes to"),
    none: bool = typer.Option(False, "--none", help="stop forcing a provider"),
    url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON,
) -> None:
    """Send every call to one provider (data-class policy still applies)."""
    if (name is None) == (not none):
        raise typer.BadParameter("give a provider name, or --none")
    show(call("POST", "/v1/ops/provider", url, key, {"name": None if none else name}), as_json)


@override_app.command("pin")
def pin(
    provider: str = typer.Argument(...),
    version: str = typer.Argument(..., help="the model version to ask for, e.g. gpt-4o-2024-08-06"),
    model: Optional[str] = typer.Option(None, help="the model name sent, when it differs from the version"),
    url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON,
) -> None:
    """Pin PROVIDER to one model version (roll back a model upgrade)."""
    show(call("POST", "/v1/ops/pin", url, key, {"provider": provider, "version": version, "model": model}), as_json)


@override_app.command("unpin")
def unpin(provider: str = typer.Argument(...), url: Optional[str] = URL, key: Optional[str] = KEY,
          as_json: bool = JSON) -> None:
    """Remove PROVIDER's model pin."""
    show(call("POST", "/v1/ops/pin", url, key, {"provider": provider, "version": None}), as_json)


@override_app.command("clear")
def clear(url: Optional[str] = URL, key: Optional[str] = KEY, as_json: bool = JSON) -> None:
    """Every override off: no forced degraded mode, no forced provider, no pins."""
    show(call("POST", "/v1/ops/clear", url, key), as_json)


# --- console users ---------------------------------------------------------------------


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    env = os.environ.get("SOVEREIGN_CONSOLE_PASSWORD")
    if env:
        return env
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@console_app.command("add-user")
def add_user(
    name: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from the first line of stdin"),
    replace: bool = typer.Option(False, "--replace", help="set a new password for an existing user (ends its sessions)"),
) -> None:
    """Add a console user (password from a prompt, --password-stdin or SOVEREIGN_CONSOLE_PASSWORD)."""
    from sovereign.web.console import ConsoleUsers, UserError

    password = _read_password(password_stdin)

    async def go() -> None:
        async with runtime() as rt:
            try:
                user = await ConsoleUsers(rt.db.pool).add(name, password, replace=replace)
            except UserError as exc:
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            console.print(f"console user [bold]{user.name}[/bold] can log in at /console/login")

    run(go())


@console_app.command("disable-user")
def disable_user(name: str = typer.Argument(...)) -> None:
    """Disable a console user and end their sessions."""
    from sovereign.web.console import ConsoleUsers

    async def go() -> None:
        async with runtime() as rt:
            if not await ConsoleUsers(rt.db.pool).disable(name):
                err.print(f"[red]no console user {name!r}[/red]")
                raise typer.Exit(1)
            console.print(f"console user {name} disabled")

    run(go())


@console_app.command("users")
def users() -> None:
    """List console users."""
    from sovereign.web.console import ConsoleUsers

    async def go() -> None:
        async with runtime() as rt:
            from sovereign.web.console.totp import second_factor

            with_totp = await second_factor(rt.db.pool, rt.stores.box).enabled_users()
            t = Table("name", "created", "last login", "state", "second factor")
            for u in await ConsoleUsers(rt.db.pool).list():
                t.add_row(u.name, fmt_ts(u.created_at), fmt_ts(u.last_login_at), "disabled" if u.disabled else "active",
                          "TOTP" if u.name in with_totp else "-")
            console.print(t)

    run(go())


# --- console users' second factor ------------------------------------------------------

totp_app = typer.Typer(help="The optional TOTP second factor of console users.", no_args_is_help=True)
console_app.add_typer(totp_app, name="totp")


@totp_app.command("enable")
def totp_enable(
    name: str = typer.Argument(...),
    replace: bool = typer.Option(False, "--replace", help="make a new secret for a user who has one (the old stops)"),
) -> None:
    """Give NAME a TOTP second factor: prints the otpauth:// URI and the secret ONCE (then only stored sealed)."""
    from sovereign.web.console import UserError
    from sovereign.web.console.totp import second_factor

    async def go() -> None:
        async with runtime() as rt:
            try:
                enrolment = await second_factor(rt.db.pool, rt.stores.box).enable(name, replace=replace)
            except UserError as exc:
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            console.print(f"console user [bold]{name}[/bold] now needs a 6-digit code after the password.")
            console.print("Add it to an authenticator app now; it is not shown again.")
            console.print(f"otpauth URI (or a QR code of it): {enrolment.uri}", highlight=False, soft_wrap=True)
            console.print(f"secret (typed in by hand): {enrolment.secret}", highlight=False)

    run(go())


@totp_app.command("disable")
def totp_disable(name: str = typer.Argument(...)) -> None:
    """Remove NAME's second factor (the password alone logs in again, unless SOVEREIGN_CONSOLE_REQUIRE_TOTP)."""
    from sovereign.web.console.totp import second_factor

    async def go() -> None:
        async with runtime() as rt:
            if not await second_factor(rt.db.pool, rt.stores.box).disable(name):
                err.print(f"[red]no console user {name!r}[/red]")
                raise typer.Exit(1)
            console.print(f"console user {name} logs in without a second factor")

    run(go())
