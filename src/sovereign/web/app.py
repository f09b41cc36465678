"""The HTTP service: a FastAPI app whose lifespan owns the runtime (and, in `serve`, a worker)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, suppress
from typing import AsyncIterator

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sovereign import __version__, looplag
from sovereign.gateway import Gateway
from sovereign.runtime import Runtime, open_runtime
from sovereign.settings import Settings, get_settings
from sovereign.web import assistants_api, errors, fraud_api, health, openai_api, responses_api, webhooks
from sovereign.web import console, metrics_api, ops_api
from sovereign.web.console.guard import LoginThrottle
from sovereign.web.deps import WebState
from sovereign.web.limits import RequestLimitsMiddleware
from sovereign.web.middleware import RequestContextMiddleware

log = logging.getLogger("sovereign.web")


async def _preload_embeddings(rt: Runtime) -> None:
    """Load the embedding model in the background when policies are ingested, so the first
    assistant question does not wait ~10 s for it."""
    try:
        parts = rt.assistants()
        if await parts.store.any_indexed():
            await parts.embedder.load()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the assistants still load on first use
        log.warning("embedding model preload skipped: %s", exc)


def create_app(settings: Settings | None = None, *, run_worker: bool = True, gateway: "Gateway | None" = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt: Runtime = await open_runtime(settings, gateway=gateway)
        app.state.runtime = rt
        app.state.web = WebState.for_runtime(rt)
        app.state.runs_worker = run_worker
        rt.gateway.start_probes(settings.probe_interval_s)  # stopped by rt.close()
        preload = asyncio.create_task(_preload_embeddings(rt))
        lag = asyncio.create_task(looplag.watch(settings.loop_lag_interval_s, settings.loop_lag_warn_s)) \
            if settings.loop_lag_interval_s > 0 else None
        worker_task = None
        worker = None
        if run_worker:
            worker = rt.worker()
            worker_task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            preload.cancel()
            if lag is not None:
                lag.cancel()
            if worker is not None and worker_task is not None:
                worker.request_stop()
                with suppress(Exception):
                    await worker_task
            await rt.close()

    docs = settings.api_docs  # off unless SOVEREIGN_API_DOCS=true: the API's shape is not public
    app = FastAPI(title="Sovereign", version=__version__, lifespan=lifespan, docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, openapi_url="/openapi.json" if docs else None)
    app.state.login_throttle = LoginThrottle(  # per app, not per request: failures are remembered
        free_failures=settings.console_login_free_failures, max_delay_s=settings.console_login_max_delay_s)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.trusted_proxies:  # only these peers may say who the client is (X-Forwarded-For / -Proto)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.add_middleware(  # outermost: oversized request lines and headers never reach anything else
        RequestLimitsMiddleware, max_path_bytes=settings.max_path_bytes, max_query_bytes=settings.max_query_bytes,
        max_header_bytes=settings.max_header_bytes, max_headers=settings.max_headers,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(openai_api.router)
    app.include_router(responses_api.router)
    app.include_router(fraud_api.router)
    app.include_router(assistants_api.router)
    app.include_router(metrics_api.router)
    app.include_router(ops_api.router)
    app.include_router(console.router)
    return app
