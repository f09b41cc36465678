"""Typed errors of the WooCommerce REST API.

WooCommerce answers errors as ``{"code", "message", "data": {"status", ...}}``.
``error_from_response`` turns such a body (or a non-JSON one) into the matching
class below, so callers branch on types, never on strings.

The two 401 kinds a merchant must tell apart:

* ``UnknownKeyError``: the store does not know the consumer key (revoked,
  mistyped, or the credentials never reached WooCommerce: Basic auth over plain
  HTTP, a proxy stripping ``Authorization``). Over HTTPS/Basic WooCommerce
  answers ``woocommerce_rest_cannot_*`` with 401; over OAuth 1.0a it answers
  ``woocommerce_rest_authentication_error`` "Consumer key is invalid.".
* ``AuthenticationError``: the key is known but the secret is wrong ("Consumer
  secret is invalid." over Basic, "Invalid signature - ..." over OAuth 1.0a),
  or another authentication step failed (timestamp, nonce).

WooCommerce translates ``message`` into the site language and reuses the code
``woocommerce_rest_authentication_error`` for several cases, so the English
message is consulted only to split that one code; an unrecognised message
falls back to ``AuthenticationError``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

__all__ = [
    "WooError",
    "TransportError",
    "InvalidResponseError",
    "CredentialsError",
    "AuthenticationError",
    "UnknownKeyError",
    "PermissionDeniedError",
    "NotFoundError",
    "InvalidParamError",
    "RateLimitedError",
    "ServerError",
    "BatchItemError",
    "error_from_body",
    "error_from_response",
    "describe",
]


class WooError(Exception):
    """Any failure talking to WooCommerce. ``status`` is the HTTP status (0 when none arrived)."""

    hint: ClassVar[str] = "WooCommerce returned an error."

    def __init__(self, status: int, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.data: dict[str, Any] = data or {}


_TRANSPORT_HINTS = {
    "certificate": (
        "The store's TLS certificate is not trusted. Trust its CA with `--ca-file PEM` (or "
        "SOVEREIGN_WOO_CA_BUNDLE for every store); `--insecure-skip-tls-verify` only for a test store."
    ),
    "tls": "The TLS handshake with the store failed (wrong port for HTTPS, or an old TLS version?).",
    "dns": "The store's host name does not resolve (DNS): check the URL.",
    "refused": "Nothing accepts connections at the store's address (connection refused): check the URL, its port, and that the web server runs.",
    "timeout": "The store did not answer in time (timeout): is the URL right, and is the site up?",
    "network": "The store could not be reached (network error).",
}


class TransportError(WooError):
    """No HTTP answer (after the allowed retries). ``cause`` names why: ``certificate``, ``tls``,
    ``dns``, ``refused``, ``timeout`` or ``network``; ``hint`` says what to do about it."""

    hint = "The store could not be reached."

    def __init__(self, message: str, *, timeout: bool = False, cause: str | None = None) -> None:
        cause = cause or ("timeout" if timeout else "network")
        super().__init__(0, "timeout" if cause == "timeout" else "transport_error", message)
        self.timeout = cause == "timeout"
        self.cause = cause
        self.hint = _TRANSPORT_HINTS.get(cause, TransportError.hint)  # type: ignore[misc]


class InvalidResponseError(WooError):
    """An answer that is not the JSON WooCommerce sends (an HTML page from a proxy or a plugin)."""

    hint = "The store answered with something that is not the WooCommerce REST API."


class CredentialsError(WooError):
    """A 401 about the API key pair; see the two subclasses."""

    hint = "The store rejected the API credentials."


class AuthenticationError(CredentialsError):
    """The consumer key is known but the consumer secret (or the OAuth signature) is wrong."""

    hint = "The consumer secret does not match the consumer key."


class UnknownKeyError(CredentialsError):
    """The store does not know the consumer key, or no credentials reached it."""

    hint = "The store does not recognise the consumer key (revoked or mistyped), or the credentials never reached it."


class PermissionDeniedError(WooError):
    """Authenticated, but the key (read-only / write-only) or its user may not do this."""

    hint = "The API key lacks the permission for this action (it needs Read/Write)."


class NotFoundError(WooError):
    hint = "The resource does not exist."


class InvalidParamError(WooError):
    """400: a parameter was rejected (``data["params"]`` names which)."""

    hint = "WooCommerce rejected a parameter."


class RateLimitedError(WooError):
    """429. ``retry_after`` (seconds) when the store said how long to wait."""

    hint = "The store is rate limiting requests."

    def __init__(
        self, status: int, code: str, message: str, data: dict[str, Any] | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message, data)
        self.retry_after = retry_after


class ServerError(WooError):
    """5xx. ``retry_after`` is set when a 503 carried ``Retry-After``."""

    hint = "The store had an internal error or is unavailable."

    def __init__(
        self, status: int, code: str, message: str, data: dict[str, Any] | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message, data)
        self.retry_after = retry_after


class BatchItemError(WooError):
    """One failed item inside a batch answer (the batch call itself returned 200).

    ``op`` is ``"create"``, ``"update"`` or ``"delete"``; ``index`` the item's
    position in the list the caller passed; ``item_id`` the id WooCommerce echoed.
    """

    hint = "One item of a batch request failed."

    def __init__(
        self, op: str, index: int, item_id: int | None, status: int, code: str, message: str, data: dict[str, Any] | None
    ) -> None:
        super().__init__(status, code, message, data)
        self.op = op
        self.index = index
        self.item_id = item_id

    def __repr__(self) -> str:
        return f"BatchItemError(op={self.op!r}, index={self.index}, item_id={self.item_id}, code={self.code!r})"


_UNKNOWN_KEY_MESSAGES = ("Consumer key is invalid.",)
_PERMISSION_MESSAGES = (
    "The API key provided does not have read permissions.",
    "The API key provided does not have write permissions.",
    "Incorrect permissions level.",
)


def error_from_body(status: int, body: Any, *, retry_after: float | None = None) -> WooError:
    """Map a status and a decoded WooCommerce error body to the matching ``WooError``."""
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code = body["code"]
        message = str(body.get("message", ""))
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
    else:
        code, message, data = f"http_{status}", _snippet(body), {}
    if status == 401:
        if code.startswith("woocommerce_rest_cannot_") or message in _UNKNOWN_KEY_MESSAGES:
            return UnknownKeyError(status, code, message, data)
        if message in _PERMISSION_MESSAGES:
            return PermissionDeniedError(status, code, message, data)
        return AuthenticationError(status, code, message, data)
    if status == 403:
        return PermissionDeniedError(status, code, message, data)
    if status == 404:
        return NotFoundError(status, code, message, data)
    if status == 429:
        return RateLimitedError(status, code, message, data, retry_after=retry_after)
    if status >= 500:
        return ServerError(status, code, message, data, retry_after=retry_after)
    if status == 400:
        return InvalidParamError(status, code, message, data)
    return WooError(status, code, message, data)


def error_from_response(status: int, content: bytes, *, retry_after: float | None = None) -> WooError:
    """Like ``error_from_body`` but from raw bytes, tolerating non-JSON bodies."""
    try:
        body: Any = json.loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace")
    return error_from_body(status, body, retry_after=retry_after)


def describe(exc: WooError) -> str:
    """One line for a merchant: the real cause, what the store said, and what to do."""
    if isinstance(exc, TransportError):
        return f"{exc.cause}: {exc.message}. {exc.hint}"
    said = f"HTTP {exc.status}" + (f" {exc.code}" if exc.code and not exc.code.startswith("http_") else "")
    return f"{said}: {exc.message}. {exc.hint}" if exc.message else f"{said}. {exc.hint}"


def _snippet(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body)[:200]
    text = " ".join(text.split())
    return text[:200] or "(empty body)"
