"""Can the store reach Sovereign? WordPress's delivery rules, checked before and explained after.

WooCommerce sends webhooks with ``wp_safe_remote_post``; WordPress's ``wp_http_validate_url``
refuses ports other than 80, 443 and 8080, and loopback or private addresses, unless the host is
the site's own. A store owner can widen both with the filters ``http_allowed_safe_ports`` and
``http_request_host_is_external``. Requests it refuses never leave the store, so nothing arrives.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

SAFE_PORTS = (80, 443, 8080)

PORT_RULE = (
    "WordPress sends webhooks only to ports 80, 443 and 8080 (wp_safe_remote_post), unless the host and port "
    "are the store's own. Put Sovereign behind a reverse proxy on 443 (or 80/8080) and pass that URL as "
    "--public-url, or let the store allow the port with the filter http_allowed_safe_ports, e.g. "
    "add_filter('http_allowed_safe_ports', fn($p) => array_merge($p, [{port}]));"
)
ADDRESS_RULE = (
    "WordPress refuses to send webhooks to loopback and private addresses ({host}) unless that is the store's "
    "own host. Use an address the store sees as external, or let the store allow it with the filter "
    "http_request_host_is_external, e.g. add_filter('http_request_host_is_external', fn($e, $h) => $e || $h === '{host}', 10, 2);"
)


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _local(host: str) -> bool:
    """127/8, 10/8, 0/8, 172.16/12, 192.168/16, as WordPress checks them (names are resolved here)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError:
            return False
    if ip.version != 4:
        return False
    a, b = ip.packed[0], ip.packed[1]
    return a in (127, 10, 0) or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168)


def port_problem(public_url: str, store_url: str) -> str | None:
    """The port rule, when the public URL breaks it (explicit port not 80/443/8080, not the store's own)."""
    parts, store = urlsplit(public_url), urlsplit(store_url)
    if parts.port is None or parts.port in SAFE_PORTS:
        return None
    same = (parts.hostname or "").lower() == (store.hostname or "").lower()
    if same and store.port == parts.port:
        return None
    return PORT_RULE.format(port=parts.port)


def address_problem(public_url: str, store_url: str) -> str | None:
    parts, store = urlsplit(public_url), urlsplit(store_url)
    host = (parts.hostname or "").lower()
    if not host or host == (store.hostname or "").lower():
        return None
    return ADDRESS_RULE.format(host=host) if _local(host) else None


def rule_problems(public_url: str, store_url: str) -> list[str]:
    """What WordPress's own rules say about delivering to ``public_url`` (empty: nothing)."""
    return [p for p in (address_problem(public_url, store_url), port_problem(public_url, store_url)) if p]


async def service_answers(public_url: str, *, timeout: float = 5.0, verify: bool = True) -> str | None:
    """None when Sovereign answers ``GET /healthz`` at ``public_url`` from here; else why not."""
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=verify) as client:
            r = await client.get(public_url.rstrip("/") + "/healthz")
    except httpx.HTTPError as exc:
        return f"nothing answered at {public_url} from this machine ({type(exc).__name__})"
    if r.status_code >= 500 or "json" not in r.headers.get("content-type", ""):
        return f"{public_url}/healthz answered HTTP {r.status_code}, not Sovereign"
    return None
