"""GET /metrics: Prometheus text exposition (see ``sovereign.metrics`` for what is in it).

Unauthenticated, like ``/healthz``: it carries counts, ids and codes, never
personal data. Keep it off the public internet (the Kubernetes NetworkPolicy
and the compose file only expose it inside the cluster / on localhost).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sovereign.metrics import CONTENT_TYPE
from sovereign.web.deps import web_state

__all__ = ["router"]

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    body = await web_state(request).metrics.render()
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
