"""The HTTP service: a FastAPI app whose lifespan owns the runtime (and, in `serve`, a worker)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, suppress
from typing import AsyncIterator

from fastapi import FastAPI

from sovereign import __version__
from sovereign.gateway import Gateway
from sovereign.runtime import Runtime, open_runtime
from sovereign.settings import Settings, get_settings
from sovereign.web import assistants_api, errors, fraud_api, health, openai_api, responses_api, webhooks
from sovereign.web import console, metrics_api, ops_api
from sovereign.web.middleware import RequestContextMiddleware

log = logging.getLogger("sovereign.web")


async def _preload_embeddings(rt: Runtime) -> None:
    """Load the embedding model in the background when policies are ingested, so the first
    assistant question does not wait ~10 s for it."""
    try:
        if not await rt.db.fetchval("SELECT EXISTS (SELECT 1 FROM sovereign_policy_chunks)"):
            return
        from sovereign.features.policies import assistants

        await assistants(rt).embedder.load()
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
        app.state.runs_worker = run_worker
        rt.gateway.start_probes(settings.probe_interval_s)  # stopped by rt.close()
        preload = asyncio.create_task(_preload_embeddings(rt))
        worker_task = None
        worker = None
        if run_worker:
            worker = rt.worker()
            worker_task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            preload.cancel()
            if worker is not None and worker_task is not None:
                worker.request_stop()
                with suppress(Exception):
                    await worker_task
            await rt.close()

    app = FastAPI(title="Sovereign", version=__version__, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
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
