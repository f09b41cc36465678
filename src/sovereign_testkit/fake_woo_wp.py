"""WordPress's rules for where a webhook may be sent: ``wp_safe_remote_post`` → ``wp_http_validate_url``.

WooCommerce delivers webhooks (and their creation ping) with ``wp_safe_remote_post``, which refuses
a URL unless ``wp_http_validate_url`` accepts it (WordPress 6.8, ``wp-includes/http.php``):

* a host that is not the site's own (``home``) and is, or resolves to, 127/8, 10/8, 0/8,
  172.16/12 or 192.168/16 is refused unless the filter ``http_request_host_is_external``
  returns true for it;
* a URL with an explicit port is refused unless the port is in ``http_allowed_safe_ports``
  (default 80, 443, 8080) or the host and port are the site's own.

A refused request never leaves the site: the error is ``http_request_failed`` "A valid URL was
not provided.". ``DeliveryRules`` holds the two filters as a store owner would set them.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Collection, Literal
from urllib.parse import urlsplit

__all__ = ["DEFAULT_SAFE_PORTS", "DeliveryRules", "REFUSED"]

DEFAULT_SAFE_PORTS = (80, 443, 8080)
REFUSED = "http_request_failed: A valid URL was not provided."
_IPV4 = re.compile(r"^(([1-9]?\d|1\d\d|25[0-5]|2[0-4]\d)\.){3}([1-9]?\d|1\d\d|25[0-5]|2[0-4]\d)$")


@dataclass(frozen=True)
class DeliveryRules:
    """``safe_ports``: what ``http_allowed_safe_ports`` returns (``"any"``: a filter allowing every
    port). ``external_hosts``: the hosts ``http_request_host_is_external`` says true for (``"any"``:
    every host)."""

    home: str
    safe_ports: Collection[int] | Literal["any"] = DEFAULT_SAFE_PORTS
    external_hosts: Collection[str] | Literal["any"] = ()

    def allows(self, url: str) -> bool:
        """``wp_http_validate_url``: True when WordPress would send a request to ``url``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        home = urlsplit(self.home)
        host = parts.hostname.strip(".")
        same_host = (home.hostname or "").lower() == parts.hostname.lower()
        if not same_host:
            ip = host if _IPV4.match(host) else _resolve(host)
            if ip is None:
                return False
            a, b = (int(x) for x in ip.split(".")[:2])
            local = a in (127, 10, 0) or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168)
            if local and not (self.external_hosts == "any" or host in self.external_hosts):
                return False
        if port is None:
            return True
        if self.safe_ports == "any" or port in self.safe_ports:
            return True
        return same_host and home.port is not None and home.port == port


def _resolve(host: str) -> str | None:
    """``gethostbyname``: the first IPv4 address, None when the name does not resolve."""
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None
