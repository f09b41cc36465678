"""Authentication for the WooCommerce REST API.

WooCommerce accepts HTTP Basic auth (consumer key / secret) only over HTTPS.
Over plain HTTP it accepts only one-legged OAuth 1.0a: no token, the
``oauth_*`` parameters in the query string, HMAC-SHA1 or HMAC-SHA256, a
timestamp within 15 minutes and a nonce never used before with that key.
``choose_auth`` picks by URL scheme unless a mode is forced.

The RFC 5849 signing itself is oauthlib's (a maintained, spec-tested
implementation); this module only adapts it to httpx and to WooCommerce's
habits: parameters in the query string, a fresh timestamp and nonce every time
a request is sent (so a retried request is signed anew: WooCommerce rejects a
reused nonce), and any stale ``oauth_*`` parameters (say, on a URL taken from a
``Link`` header) replaced rather than signed again.
"""

from __future__ import annotations

import secrets
import time
from typing import Callable, Generator, Iterable, Literal
from urllib.parse import urlencode

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY, Client

__all__ = ["AuthMode", "SignatureMethod", "OAuth1", "basic_auth", "choose_auth"]

AuthMode = Literal["auto", "basic", "oauth1"]
SignatureMethod = Literal["HMAC-SHA1", "HMAC-SHA256"]

_METHODS: dict[str, str] = {"HMAC-SHA1": SIGNATURE_HMAC_SHA1, "HMAC-SHA256": SIGNATURE_HMAC_SHA256}
_FORM = "application/x-www-form-urlencoded"


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
        if signature_method not in _METHODS:
            raise ValueError(f"unsupported OAuth signature method {signature_method!r}")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.signature_method: SignatureMethod = signature_method
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"OAuth1(consumer_key={_mask(self.consumer_key)!r}, signature_method={self.signature_method!r})"

    def sign_url(self, method: str, url: httpx.URL, form: Iterable[tuple[str, str]] = ()) -> httpx.URL:
        """``url`` with the ``oauth_*`` parameters and their signature appended to its query."""
        query = [(k, v) for k, v in url.params.multi_items() if not k.startswith("oauth_")]
        unsigned = url.copy_with(params=httpx.QueryParams(query))
        client = Client(
            self.consumer_key,
            client_secret=self._consumer_secret,
            signature_method=_METHODS[self.signature_method],
            signature_type=SIGNATURE_TYPE_QUERY,
            nonce=self._nonce(),
            timestamp=str(int(self._clock())),
        )
        form = list(form)
        body = urlencode(form) if form else None
        headers = {"Content-Type": _FORM} if form else {}
        signed, _, _ = client.sign(str(unsigned), http_method=method.upper(), body=body, headers=headers)
        return httpx.URL(signed)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        form: list[tuple[str, str]] = []
        if request.headers.get("content-type", "").startswith(_FORM):
            form = httpx.QueryParams(request.content.decode("utf-8")).multi_items()
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
