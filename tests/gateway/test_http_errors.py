import email.utils
import time

import httpx

from sovereign.gateway.providers._http import error_from_exception, error_from_status, parse_retry_after


def test_retry_after_seconds_date_and_ms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28.0 <= parse_retry_after({"retry-after": date}, now=now) <= 30.0
    assert parse_retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_status_mapping_is_truthful() -> None:
    def err(status: int, **h: str):
        return error_from_status("p", status, h, b'{"error": "x"}')

    e = err(429, **{"retry-after": "3"})
    assert (e.kind, e.retryable, e.retry_after, e.status) == ("rate_limited", True, 3.0, 429)
    assert (err(401).kind, err(401).retryable) == ("auth", False)
    assert (err(403).kind, err(403).retryable) == ("auth", False)
    for status in (500, 502, 503, 504, 529):
        assert (err(status).kind, err(status).retryable) == ("server", True)
    assert (err(400).kind, err(400).retryable) == ("bad_request", False)
    assert (err(408).kind, err(408).retryable) == ("timeout", True)


def test_exception_mapping() -> None:
    kinds = {
        TimeoutError(): "timeout",
        httpx.ReadTimeout("x"): "timeout",
        httpx.ConnectTimeout("x"): "connect",
        httpx.ConnectError("x"): "connect",
        httpx.ReadError("x"): "reset",
        httpx.RemoteProtocolError("x"): "reset",
    }
    for exc, kind in kinds.items():
        e = error_from_exception("p", exc, 1.0)
        assert e.kind == kind and e.retryable and e.provider == "p"
