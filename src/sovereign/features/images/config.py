"""The store's image settings (``StoreRecord.settings``), typed, with their defaults.

=========================  =========  ===================================================================
key                        default    meaning
=========================  =========  ===================================================================
``images_enabled``         true       check product images at all
``image_mode``             review     ``review``: alt text waits as a draft; ``auto``: written to the image
``image_hosts``            []         hosts besides the store's own that images may be fetched from
``image_language``         store's    alt text language (``de``, ``fr_FR``, ``German``); the store's ``language``
``image_alt``              missing    write alt text for images ``missing`` one, or ``all``, or ``off``
``image_max_bytes``        10000000   largest image fetched; bigger downloads are stopped
``image_timeout_s``        10         connect/read timeout per image
``image_delay_s``          5          delay between a product webhook and its check
``image_data_class``       public     data class of the images sent to a vision model (residency rules)
``image_min_side``         800        see ``domain.images.Thresholds`` for these four
``image_max_aspect``       2.0
``image_max_file_bytes``   1500000
``image_min_sharpness``    20
=========================  =========  ===================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from sovereign.domain.images import Thresholds

__all__ = ["ImageSettings"]

log = logging.getLogger("sovereign.images")

Mode = Literal["review", "auto"]
AltScope = Literal["missing", "all", "off"]


@dataclass(frozen=True, slots=True)
class ImageSettings:
    enabled: bool = True
    mode: Mode = "review"
    hosts: tuple[str, ...] = ()
    language: str = "en"
    alt: AltScope = "missing"
    max_bytes: int = 10_000_000
    timeout_s: float = 10.0
    delay_s: float = 5.0
    data_class: str = "public"
    thresholds: Thresholds = field(default_factory=Thresholds)

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> "ImageSettings":
        mode = settings.get("image_mode", "review")
        if mode not in ("review", "auto"):
            log.warning("unknown image_mode %r: using review", mode)
            mode = "review"
        alt = settings.get("image_alt", "missing")
        if alt not in ("missing", "all", "off"):
            log.warning("unknown image_alt %r: using missing", alt)
            alt = "missing"
        hosts = settings.get("image_hosts") or ()
        if isinstance(hosts, str):
            hosts = [h for h in hosts.replace(",", " ").split() if h]
        return cls(
            enabled=bool(settings.get("images_enabled", True)),
            mode=mode,
            hosts=tuple(str(h) for h in hosts),
            language=str(settings.get("image_language") or settings.get("language") or "en"),
            alt=alt,
            max_bytes=int(settings.get("image_max_bytes", 10_000_000)),
            timeout_s=float(settings.get("image_timeout_s", 10.0)),
            delay_s=float(settings.get("image_delay_s", 5.0)),
            data_class=str(settings.get("image_data_class") or "public"),
            thresholds=Thresholds.of(settings),
        )
