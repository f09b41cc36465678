"""Who may call the API: `Authorization: Bearer sk-sov-…` keys with scopes and their own rate limit.

Missing or wrong key: 401. Valid key outside its scope: 403. Over its rate: 429 with Retry-After.
"""

from __future__ import annotations

import math
from typing import Callable

from fastapi import Request

from sovereign.store.api_keys import ApiKey
from sovereign.web.errors import ApiError
from sovereign.web.deps import runtime_of


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def authenticate(request: Request) -> ApiKey:
    rt = runtime_of(request)
    key = await rt.api_keys.authenticate(_bearer(request))
    if key is None:
        raise ApiError(401, "missing or invalid API key", "invalid_api_key", {"WWW-Authenticate": "Bearer"})
    wait = rt.key_limiter.take(key)
    if wait > 0:
        raise ApiError(429, f"rate limit of {key.rate_per_minute}/min exceeded for this key", "rate_limit_exceeded",
                       {"Retry-After": str(max(1, math.ceil(wait)))})
    request.state.api_key = key
    return key


def require_feature(feature: str) -> Callable[[Request], "ApiKey"]:
    async def dependency(request: Request) -> ApiKey:
        key = await authenticate(request)
        if not key.allows_feature(feature):
            raise ApiError(403, f"this API key may not use the {feature!r} feature", "scope_feature")
        return key

    return dependency
