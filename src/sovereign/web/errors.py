"""JSON error bodies everywhere, in the OpenAI shape so API clients parse them: {"error": {...}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


def error_body(status: int, message: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    err = {"message": message, "type": _TYPES.get(status, "api_error"), "code": code, "param": None}
    err.update(extra)
    return {"error": err}


def error_response(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, code, **extra), status_code=status, headers=headers)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers, self.param = status, message, code, headers, param


def noted(request: Request, code: str | None) -> None:
    """Keep the error code for the access log line (``middleware`` writes it beside the status)."""
    request.scope.setdefault("state", {})["error_code"] = code or "error"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        noted(request, exc.code)
        return error_response(exc.status, exc.message, exc.code, exc.headers, param=exc.param)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        noted(request, "not_found" if exc.status_code == 404 else "http_error")
        return error_response(exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid request")
        noted(request, "invalid_request")
        return error_response(400, msg, "invalid_request", param=where or None)
