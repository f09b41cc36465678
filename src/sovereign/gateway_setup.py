"""Building the service's gateway from settings: providers, the Postgres cache, the event sinks."""

from __future__ import annotations

import logging
from typing import Callable

import asyncpg

from sovereign.gateway import Gateway, ProviderConfig
from sovereign.gateway.events import Event
from sovereign.settings import Settings
from sovereign.store.response_cache import PostgresResponseCache
from sovereign.gateway.residency import ResidencyPolicy
from sovereign.metrics import EventFanout, GatewayMetrics
from sovereign.models import list_models

log = logging.getLogger("sovereign.gateway")

# Largest first: "auto" picks the best model that is installed.
_AUTO_ORDER = ("qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b-instruct-q4_k_m", "smollm2-135m-instruct")



def installed_model(settings: Settings) -> str | None:
    """The model the default embedded provider runs, or None when none is installed."""
    if settings.embedded_model == "none":
        return None
    if settings.embedded_model != "auto":
        return settings.embedded_model

    installed = {m.id for m in list_models(settings.models_path) if m.state == "installed"}
    return next((m for m in _AUTO_ORDER if m in installed), None)


def default_providers(settings: Settings) -> list[ProviderConfig]:
    if settings.providers:
        return list(settings.providers)
    model = installed_model(settings)
    if model is None:
        log.warning("no provider configured and no local model installed: AI features run on their rules only "
                    "(install one with `sovereign models install`)")
        return []
    return [
        ProviderConfig(
            name="local",
            kind="embedded",
            model=model,
            model_path=model,
            jurisdiction="local",
            data_classes=["public", "customer_personal", "hr_personal"],
            priority=10,
        )
    ]


def build_gateway(settings: Settings, pool: asyncpg.Pool, on_event: Callable[[Event], None] | None = None) -> Gateway:
    """The gateway: residency policy (fail closed, redaction per provider), the Postgres response
    cache, and as event sinks the Prometheus counters (``metrics.GatewayMetrics``) and ``on_event``
    (the audit log in the service)."""

    providers = default_providers(settings)
    return Gateway(
        providers,
        settings=settings.gateway,
        policy=ResidencyPolicy(settings.gateway.residency),
        cache=PostgresResponseCache(pool),
        on_event=EventFanout([GatewayMetrics.for_providers(providers), on_event]),
        models_dir=settings.models_path,
    )
