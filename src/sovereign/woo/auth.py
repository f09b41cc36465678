"""Authentication for the WooCommerce REST API.

WooCommerce accepts HTTP Basic auth (consumer key / secret) only over HTTPS.
Over plain HTTP it accepts only one-legged OAuth 1.0a: no token, the
``oauth_*`` parameters in the query string, HMAC-SHA1 or HMAC-SHA256, a
timestamp within 15 minutes and a nonce never used before with that key.
``choose_auth`` picks by URL scheme unless a mode is forced.

The signer follows RFC 5849 section 3.4: the base string is
``METHOD&enc(base-URI)&enc(sorted, encoded parameters)`` where the parameters
are the query parameters, form-body parameters and the ``oauth_*`` ones.
A fresh timestamp and nonce are drawn every time a request is sent, so a
retried request is signed anew (WooCommerce rejects a reused nonce).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Callable, Generator, Iterable, Literal
from urllib.parse import parse_qsl, quote

import httpx

__all__ = [
    "AuthMode",
    "SignatureMethod",
    "OAuth1",
    "percent_encode",
    "base_string_uri",
    "signature_base_string",
    "sign",
    "basic_auth",
    "choose_auth",
]

AuthMode = Literal["auto", "basic", "oauth1"]
SignatureMethod = Literal["HMAC-SHA1", "HMAC-SHA256"]

_DIGESTS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 text: only ``A-Z a-z 0-9 - . _ ~`` stay as is."""
    return quote(value.encode("utf-8"), safe="~")


def base_string_uri(url: httpx.URL) -> str:
    """Scheme and host in lower case, default port dropped, path as sent, no query (RFC 5849 3.4.1.2)."""
    scheme = url.scheme.lower()
    host = url.host.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = url.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port is None or port == default else f"{host}:{port}"
    path = url.raw_path.split(b"?", 1)[0].decode("ascii") or "/"
    return f"{scheme}://{netloc}{path}"


def signature_base_string(method: str, url: httpx.URL, params: Iterable[tuple[str, str]]) -> str:
    """The RFC 5849 signature base string for decoded ``params`` (without ``oauth_signature``)."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join((method.upper(), percent_encode(base_string_uri(url)), percent_encode(normalized)))


def sign(base_string: str, consumer_secret: str, token_secret: str = "", method: SignatureMethod = "HMAC-SHA256") -> str:
    """Base64 HMAC of the base string keyed by ``enc(consumer_secret)&enc(token_secret)``."""
    if method not in _DIGESTS:
        raise ValueError(f"unsupported OAuth signature method {method!r}")
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}".encode("utf-8")
    mac = hmac.new(key, base_string.encode("utf-8"), _DIGESTS[method])
    return base64.b64encode(mac.digest()).decode("ascii")


class OAuth1(httpx.Auth):
    """One-legged OAuth 1.0a as WooCommerce expects it: parameters in the query string."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        signature_method: SignatureMethod = "HMAC-SHA256",
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        if signature_method not in _DIGESTS:
            raise ValueError(f"unsupported OAuth signature method {signature_method!r}")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.signature_method: SignatureMethod = signature_method
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"OAuth1(consumer_key={_mask(self.consumer_key)!r}, signature_method={self.signature_method!r})"

    def oauth_params(self) -> list[tuple[str, str]]:
        return [
            ("oauth_consumer_key", self.consumer_key),
            ("oauth_nonce", self._nonce()),
            ("oauth_signature_method", self.signature_method),
            ("oauth_timestamp", str(int(self._clock()))),
        ]

    def sign_url(self, method: str, url: httpx.URL, form: Iterable[tuple[str, str]] = ()) -> httpx.URL:
        """``url`` with the ``oauth_*`` parameters and their signature appended to its query."""
        query = [(k, v) for k, v in url.params.multi_items() if not k.startswith("oauth_")]
        oauth = self.oauth_params()
        base = signature_base_string(method, url, [*query, *form, *oauth])
        signature = sign(base, self._consumer_secret, "", self.signature_method)
        return url.copy_with(params=httpx.QueryParams([*query, *oauth, ("oauth_signature", signature)]))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        form: list[tuple[str, str]] = []
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)
        request.url = self.sign_url(request.method, request.url, form)
        yield request


def basic_auth(consumer_key: str, consumer_secret: str) -> httpx.BasicAuth:
    """HTTP Basic with the key pair; WooCommerce honours it over HTTPS only."""
    return httpx.BasicAuth(consumer_key, consumer_secret)


def choose_auth(
    base_url: str | httpx.URL,
    consumer_key: str,
    consumer_secret: str,
    mode: AuthMode = "auto",
    *,
    signature_method: SignatureMethod = "HMAC-SHA256",
) -> httpx.Auth:
    """HTTPS gets Basic, HTTP gets OAuth 1.0a, unless ``mode`` forces one."""
    if mode == "auto":
        mode = "basic" if httpx.URL(str(base_url)).scheme == "https" else "oauth1"
    if mode == "basic":
        return basic_auth(consumer_key, consumer_secret)
    if mode == "oauth1":
        return OAuth1(consumer_key, consumer_secret, signature_method=signature_method)
    raise ValueError(f"unknown auth mode {mode!r}")


def _mask(key: str) -> str:
    return key[:6] + "…" if len(key) > 6 else "…"
