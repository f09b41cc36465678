"""What web code gets from the composition root, typed, as FastAPI dependencies.

    @router.get("/thing")
    async def thing(rt: RuntimeDep) -> ...:

Helpers that only have the request use ``runtime_of(request)`` / ``web_state(request)``.
The runtime is the service's (features, stores, gateway); ``WebState`` is what only the
web layer keeps between requests. Both are made once in ``create_app``'s lifespan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from sovereign.metrics import RuntimeMetrics
from sovereign.runtime import Runtime
from sovereign.store.webhook_receipts import WebhookReceipts

__all__ = ["RuntimeDep", "WebState", "WebStateDep", "runtime_of", "web_state"]


@dataclass(eq=False)
class WebState:
    metrics: RuntimeMetrics  # what /metrics renders
    receipts: WebhookReceipts  # proof for `connect` that the store's webhooks reach us
    audit_verification: dict[str, Any] | None = None  # the console's last audit-chain check

    @classmethod
    def for_runtime(cls, rt: Runtime) -> "WebState":
        return cls(metrics=RuntimeMetrics(rt), receipts=WebhookReceipts(rt.db.pool))


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
WebStateDep = Annotated[WebState, Depends(web_state)]
