"""Providers (breakers, availability against the SLO, latency, headroom, pinned versions) and the override switches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from sovereign.features.operations import OverrideError, clear_overrides, set_degraded, set_pin, set_provider

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, form_session, page_session
from .render import flash, page
from sovereign.web.deps import runtime_of

router = APIRouter(route_class=ConsoleRoute)

# The features that call the gateway; others appear once they made a call or were forced.
KNOWN_FEATURES = ("fraud", "descriptions", "forecasts")


def _features(status: dict[str, Any], slo: float) -> list[dict[str, Any]]:
    seen = status["features"]
    forced = status["overrides"]["force_degraded"]
    names = sorted(set(KNOWN_FEATURES) | set(seen) | {f for f in forced if f != "*"})
    out = []
    for name in names:
        f = seen.get(name, {})
        reason = forced.get(name) or forced.get("*")
        out.append({
            "name": name,
            "availability": f.get("availability"),
            "samples": f.get("samples", 0),
            "slo": f.get("slo", slo),
            "degraded_slo": bool(f.get("degraded")),
            "slo_reason": f.get("reason") or "",
            "forced": name in forced,
            "forced_all": "*" in forced,
            "forced_reason": reason,
            "degraded": bool(f.get("degraded")) or reason is not None,
        })
    return out


@router.get(PREFIX + "/providers", include_in_schema=False)
async def providers(request: Request, session: Session = Depends(page_session)) -> Response:
    gateway = runtime_of(request).gateway
    status = gateway.status()
    slo = gateway.settings.degraded.slo
    return await page(
        request, session, "providers.html", section="providers", providers=status["providers"],
        features=_features(status, slo), overrides=status["overrides"], probing=status["probing"], slo=slo,
    )


@router.get(PREFIX + "/degraded", include_in_schema=False)
async def degraded(request: Request, session: Session = Depends(page_session)) -> Response:
    gateway = runtime_of(request).gateway
    status = gateway.status()
    return await page(
        request, session, "degraded.html", section="degraded", features=_features(status, gateway.settings.degraded.slo),
        overrides=status["overrides"], providers=status["providers"],
    )


async def _switch(request: Request, session: Session, action: Any, done: str) -> Response:
    try:
        action()
    except OverrideError as exc:
        await flash(request, session, f"Not changed: {exc}")
    else:
        await flash(request, session, done)
    return RedirectResponse(PREFIX + "/degraded", status_code=303)


def _actor(session: Session) -> str:
    return f"console user {session.user}"


@router.post(PREFIX + "/degraded/feature", include_in_schema=False)
async def post_feature(request: Request, session: Session = Depends(form_session)) -> Response:
    form = await request.form()
    feature = str(form.get("feature") or "").strip()
    on = form.get("on") == "1"
    reason = str(form.get("reason") or "")
    gateway = runtime_of(request).gateway
    label = "every feature" if feature == "*" else f"feature {feature!r}"
    done = f"{label}: forced degraded mode on." if on else f"{label}: forced degraded mode off."
    return await _switch(
        request, session, lambda: set_degraded(gateway, feature, on, reason=reason, actor=_actor(session)), done
    )


@router.post(PREFIX + "/degraded/provider", include_in_schema=False)
async def post_provider(request: Request, session: Session = Depends(form_session)) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip() or None
    gateway = runtime_of(request).gateway
    done = f"Every call now goes to {name!r} only." if name else "No provider is forced any more."
    return await _switch(request, session, lambda: set_provider(gateway, name, actor=_actor(session)), done)


@router.post(PREFIX + "/degraded/pin", include_in_schema=False)
async def post_pin(request: Request, session: Session = Depends(form_session)) -> Response:
    form = await request.form()
    provider = str(form.get("provider") or "").strip()
    version = str(form.get("version") or "").strip() or None
    model = str(form.get("model") or "").strip() or None
    gateway = runtime_of(request).gateway
    done = f"{provider!r} is pinned to {version!r}." if version else f"{provider!r} is no longer pinned."
    return await _switch(
        request, session, lambda: set_pin(gateway, provider, version, model=model, actor=_actor(session)), done
    )


@router.post(PREFIX + "/degraded/clear", include_in_schema=False)
async def post_clear(request: Request, session: Session = Depends(form_session)) -> Response:
    gateway = runtime_of(request).gateway
    return await _switch(
        request, session, lambda: clear_overrides(gateway, actor=_actor(session)), "Every override is cleared."
    )
