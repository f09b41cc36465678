"""Manual overrides of the serving process, for incident playbooks: degraded mode, a forced
provider, pinned model versions, and the status a playbook checks first.

The ops API (``/v1/ops/*``) and the console's switches both call these. Overrides
live in the process that serves them (``Gateway.overrides``); each change is logged
with its actor and reaches the audit log as an ``OverrideChanged`` event.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

from sovereign.gateway import Gateway
from sovereign.jobs import QueueInspector

__all__ = [
    "OpsSources", "OverrideError", "clear_overrides", "ops_status", "set_degraded", "set_pin", "set_provider",
]

log = logging.getLogger("sovereign.ops")

_FEATURE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$")


class OpsSources(Protocol):
    """What the status reads (the composition root's ``Runtime`` provides it)."""

    gateway: Gateway
    inspector: QueueInspector


class OverrideError(ValueError):
    """An override that cannot be set; ``status`` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid_override") -> None:
        super().__init__(message)
        self.status, self.code = status, code


def set_degraded(gateway: Gateway, feature: str, on: bool, *, reason: str = "", actor: str) -> None:
    if not isinstance(feature, str) or not _FEATURE.match(feature):
        raise OverrideError('feature must be a feature name or "*" (every feature)')
    why = (reason or "").strip()[:200] or "forced by operator"
    gateway.overrides.force_degraded(feature, bool(on), reason=f"{why} ({actor})")
    log.warning("ops: %s set degraded[%s] = %s: %s", actor, feature, bool(on), why)


def set_provider(gateway: Gateway, name: str | None, *, actor: str) -> None:
    if name is not None and (not isinstance(name, str) or not name):
        raise OverrideError("name must be a provider name or null")
    _known(gateway, name)
    gateway.overrides.force_provider(name)
    log.warning("ops: %s forced provider %s", actor, name or "(none)")


def set_pin(gateway: Gateway, provider: str, version: str | None, *, model: str | None = None, actor: str) -> None:
    if not isinstance(provider, str) or not provider:
        raise OverrideError("provider must be a provider name")
    for label, value in (("version", version), ("model", model)):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 200):
            raise OverrideError(f"{label} must be a non-empty string (at most 200 characters) or null")
    _known(gateway, provider)
    if version is None:
        gateway.overrides.pin_model(provider, None)
        log.warning("ops: %s unpinned %s", actor, provider)
        return
    gateway.overrides.pin_model(provider, model or version, version)
    log.warning("ops: %s pinned %s to model %s version %s", actor, provider, model or version, version)


def clear_overrides(gateway: Gateway, *, actor: str) -> None:
    gateway.overrides.clear()
    log.warning("ops: %s cleared every override", actor)


def _known(gateway: Gateway, name: str | None) -> None:
    if name is not None and name not in gateway.providers:
        raise OverrideError(f"unknown provider {name!r}; configured: {', '.join(gateway.providers) or 'none'}", 404,
                            "unknown_provider")


async def ops_status(rt: OpsSources) -> dict[str, Any]:
    """Everything a playbook checks first: providers, features, overrides, and the queue's shape."""
    status = rt.gateway.status()
    try:
        queue: dict[str, Any] = {"groups": await rt.inspector.counts(), "past_due": await rt.inspector.past_due()}
    except Exception as exc:  # the database is down: say so, still show the gateway
        queue = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "providers": status["providers"],
        "features": status["features"],
        "degraded": sorted(set(status["degraded"]) | set(status["overrides"]["force_degraded"])),
        "overrides": status["overrides"],
        "probing": status["probing"],
        "queue": queue,
    }
