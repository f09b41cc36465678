"""Runtime overrides for incident playbooks (``Gateway.overrides``).

* ``force_degraded(feature)``: the feature (or ``"*"``: every feature) runs on
  its rules; no trial calls, no provider is called.
* ``force_provider(name)``: every call goes to that provider only (still
  subject to data-class policy: ``hr_personal`` never leaves local providers).
* ``pin_model(provider, model, version)``: that provider is asked for exactly
  this model, and events/results report ``version``.

Every change is logged and emitted as an ``OverrideChanged`` event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from .events import OverrideChanged

log = logging.getLogger("sovereign.gateway")

ALL = "*"


@dataclass(frozen=True, slots=True)
class ModelPin:
    model: str
    version: str


class Overrides:
    def __init__(self, emit: Callable[[OverrideChanged], None], providers: frozenset[str] | None = None) -> None:
        self._emit = emit
        self._known = providers
        self._degraded: dict[str, str] = {}  # feature or "*" -> reason
        self._provider: str | None = None
        self._pins: dict[str, ModelPin] = {}

    # --- reading (hot path) -------------------------------------------------

    def degraded_reason(self, feature: str) -> str | None:
        if not self._degraded:
            return None
        return self._degraded.get(feature, self._degraded.get(ALL))

    @property
    def forced_provider(self) -> str | None:
        return self._provider

    def pin(self, provider: str) -> ModelPin | None:
        return self._pins.get(provider) if self._pins else None

    def flags(self, trial: bool, provider: str, refused_feature: str | None = None) -> tuple[str, ...]:
        """What shaped one call, for its ``CallFinished`` event (and so the audit log)."""
        flags = ("trial",) if trial else ()
        if self._provider is not None:
            flags += ("force_provider",)
        if refused_feature is not None and self.degraded_reason(refused_feature) is not None:
            flags += ("force_degraded",)
        if provider and self.pin(provider) is not None:
            flags += ("pin_model",)
        return flags

    # --- changing (operators) ---------------------------------------------

    def force_degraded(self, feature: str = ALL, on: bool = True, *, reason: str = "forced by operator") -> None:
        previous = feature in self._degraded
        if on:
            self._degraded[feature] = reason
        else:
            self._degraded.pop(feature, None)
        self._changed("force_degraded", feature, on, previous)

    def force_provider(self, name: str | None) -> None:
        self._check(name)
        previous, self._provider = self._provider, name
        self._changed("force_provider", name or ALL, name, previous)

    def pin_model(self, provider: str, model: str | None, version: str | None = None) -> None:
        """Pin ``provider`` to ``model`` (``None`` removes the pin)."""
        self._check(provider)
        old = self._pins.get(provider)
        if model is None:
            self._pins.pop(provider, None)
        else:
            self._pins[provider] = ModelPin(model, version or model)
        new = self._pins.get(provider)
        self._changed(
            "pin_model", provider, None if new is None else new.version, None if old is None else old.version
        )

    def clear(self) -> None:
        for feature in list(self._degraded):
            self.force_degraded(feature, False)
        if self._provider is not None:
            self.force_provider(None)
        for provider in list(self._pins):
            self.pin_model(provider, None)

    def snapshot(self) -> dict[str, Any]:
        return {
            "force_degraded": dict(self._degraded),
            "force_provider": self._provider,
            "pinned_models": {p: {"model": v.model, "version": v.version} for p, v in self._pins.items()},
        }

    def _check(self, provider: str | None) -> None:
        if provider is not None and self._known is not None and provider not in self._known:
            raise KeyError(f"unknown provider {provider!r}")

    def _changed(self, name: str, target: str, value: Any, previous: Any) -> None:
        log.warning("gateway override %s[%s] = %r (was %r)", name, target, value, previous)
        self._emit(OverrideChanged(name=name, target=target, value=value, previous=previous))
