"""Captured WooCommerce error bodies map to distinct error types."""

from __future__ import annotations

from sovereign_testkit.fixtures import load_json
from sovereign.woo.errors import (
    AuthenticationError,
    CredentialsError,
    InvalidParamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnknownKeyError,
    WooError,
    error_from_body,
    error_from_response,
)


def captured(name: str) -> WooError:
    response = load_json(name)["response"]
    return error_from_body(response["status"], response["body"])


def test_the_two_captured_401s_are_different_types() -> None:
    bad_key, bad_secret = captured("rest_error_401_bad_key.json"), captured("rest_error_401_bad_secret.json")
    assert type(bad_key) is UnknownKeyError and bad_key.code == "woocommerce_rest_cannot_view"
    assert type(bad_secret) is AuthenticationError and bad_secret.message == "Consumer secret is invalid."
    assert isinstance(bad_key, CredentialsError) and isinstance(bad_secret, CredentialsError)
    assert bad_key.hint != bad_secret.hint


def test_oauth_401s_share_a_code_but_not_a_type() -> None:
    code = "woocommerce_rest_authentication_error"
    unknown = error_from_body(401, {"code": code, "message": "Consumer key is invalid.", "data": {"status": 401}})
    signature = error_from_body(401, {"code": code, "message": "Invalid signature - provided signature does not match."})
    read_only = error_from_body(401, {"code": code, "message": "The API key provided does not have write permissions."})
    assert (type(unknown), type(signature), type(read_only)) == (UnknownKeyError, AuthenticationError, PermissionDeniedError)


def test_404_and_400_keep_their_data() -> None:
    missing = captured("rest_error_404_missing_order.json")
    assert type(missing) is NotFoundError and missing.code == "woocommerce_rest_shop_order_invalid_id"
    bad = captured("rest_error_400_per_page.json")
    assert type(bad) is InvalidParamError and bad.status == 400
    assert bad.data["params"]["per_page"] == "per_page must be between 1 (inclusive) and 100 (inclusive)"


def test_non_json_and_rate_limit_answers() -> None:
    html = error_from_response(503, b"<html><head><title>503 Service Temporarily Unavailable</title></head></html>", retry_after=5)
    assert type(html) is ServerError and html.code == "http_503" and html.retry_after == 5 and "503" in html.message
    limited = error_from_response(429, b'{"code":"x","message":"slow down","data":{"status":429}}', retry_after=2.0)
    assert type(limited) is RateLimitedError and limited.retry_after == 2.0
    forbidden = error_from_body(403, {"code": "woocommerce_rest_cannot_edit", "message": "no", "data": {"status": 403}})
    assert type(forbidden) is PermissionDeniedError
    assert type(error_from_response(409, b"")) is WooError
