"""The few PHP / WordPress / WooCommerce behaviours the fake store must reproduce byte for byte.

Written from WooCommerce 10.0.2's behaviour, independently of ``sovereign.woo``
(the client's OAuth signer is tested against this verifier, so the two must
not share code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote

__all__ = [
    "php_json",
    "wpautop",
    "unautop",
    "rawurlencode",
    "php_get_params",
    "wc_oauth_signature",
    "add_query_arg",
    "wp_hash",
]


def php_json(value: Any) -> str:
    """PHP ``json_encode`` with WordPress's default flags: compact, ``\\/`` and ``\\uXXXX`` escapes (pure ASCII)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def wpautop(text: str) -> str:
    """The subset of WordPress ``wpautop`` product texts need: blank-line paragraphs, single newlines as ``<br />``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br />\n") + "</p>\n" for p in paragraphs)


def unautop(html: str) -> str:
    """Inverse of ``wpautop`` above, used to recover the raw texts of the captured GET bodies."""
    text = html.strip()
    if not (text.startswith("<p>") and text.endswith("</p>")):
        return html
    text = re.sub(r"</p>\s*<p>", "\n\n", text[3:-4])
    return re.sub(r"<br />\n", "\n", text)


def rawurlencode(value: str) -> str:
    """PHP ``rawurlencode``: everything but ``A-Z a-z 0-9 - _ . ~`` percent-encoded."""
    return quote(value.encode("utf-8"), safe="")


def php_get_params(query_string: str) -> dict[str, str]:
    """``$_GET`` as PHP builds it from a query string: ``+`` is a space, the last duplicate wins."""
    return dict(parse_qsl(query_string, keep_blank_values=True))


def wc_oauth_signature(method: str, base_request_uri: str, params: Mapping[str, str], consumer_secret: str) -> str:
    """``WC_REST_Authentication::check_oauth_signature``: the signature WooCommerce expects.

    ``params`` is ``$_GET`` without ``oauth_signature``: keys sorted with
    ``strcmp``, keys and values ``rawurlencode``d, each ``key=value`` encoded
    again, joined with ``%26``; the key is ``consumer_secret . '&'``.
    """
    ordered = sorted(params.items(), key=lambda kv: kv[0].encode("utf-8"))
    pairs = [rawurlencode(f"{rawurlencode(k)}={rawurlencode(v)}") for k, v in ordered]
    string_to_sign = f"{method.upper()}&{rawurlencode(base_request_uri)}&{'%26'.join(pairs)}"
    algorithm = params.get("oauth_signature_method", "").replace("HMAC-", "").lower()
    if algorithm not in ("sha1", "sha256"):
        raise ValueError("Invalid signature - signature method is invalid.")
    digest = hmac.new(f"{consumer_secret}&".encode("utf-8"), string_to_sign.encode("utf-8"), algorithm).digest()
    return base64.b64encode(digest).decode("ascii")


def add_query_arg(url: str, query_string: str, key: str, value: str) -> str:
    """WordPress ``add_query_arg`` on ``url?query_string``: replace ``key`` in place or append it."""
    pairs = [p for p in query_string.split("&") if p] if query_string else []
    out, done = [], False
    for pair in pairs:
        name = pair.split("=", 1)[0]
        if name == key:
            if not done:
                out.append(f"{key}={value}")
                done = True
            continue
        out.append(pair)
    if not done:
        out.append(f"{key}={value}")
    return f"{url}?{'&'.join(out)}"


def wp_hash(data: str, salt: str = "sovereign-fake-woo") -> str:
    """``wp_hash``: HMAC-MD5 with a site salt. Delivery ids are ``wp_hash(webhook_id . time())``."""
    return hmac.new(salt.encode(), data.encode(), hashlib.md5).hexdigest()
