"""How a store's TLS certificate is checked: a CA bundle per store, one for every store, or (loudly) not at all."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi

__all__ = ["TlsConfigError", "verify_for"]


class TlsConfigError(ValueError):
    """A CA bundle that cannot be read or holds no certificate."""


def verify_for(ca_file: str | Path | None = None, *, insecure: bool = False, global_bundle: str | Path | None = None) -> ssl.SSLContext | bool:
    """What ``httpx`` gets as ``verify``: ``False`` when ``insecure``; otherwise the public roots
    (certifi) plus the store's ``ca_file``, else plus ``global_bundle`` (``SOVEREIGN_WOO_CA_BUNDLE``)."""
    if insecure:
        return False
    extra = ca_file or global_bundle
    if not extra:
        return True
    path = Path(extra).expanduser()
    ctx = ssl.create_default_context(cafile=certifi.where())
    try:
        ctx.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise TlsConfigError(f"CA bundle {path} does not exist") from None
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(f"CA bundle {path} holds no PEM certificate: {exc}") from None
    return ctx
