"""Alt text and a match check from a vision model, through the gateway; never raises for the product's sake.

    writer = AltWriter.for_gateway(gateway)          # None when no provider is configured with vision = true
    answer = await writer.describe(product_facts, image_bytes, language="German")
    answer.status      # ok | refused (the text failed the check) | unavailable (no provider could answer)
    answer.alt, answer.shows_product, answer.reason, answer.problems, answer.model

The image is scaled down (longest side 768 px, JPEG) before it leaves, and
only to providers whose config says ``vision = true`` (the gateway enforces
this for every request that carries an image). Product images are public
data (``public``), so residency rules for public data apply; a store whose
images are not public sets the store setting ``image_data_class``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

from sovereign.domain.descriptions import ProductFacts
from sovereign.features.prompts import chat_messages
from sovereign.domain.image_alt import ANSWER_SCHEMA, build_messages, check_alt, language_name
from sovereign.gateway import PUBLIC, ChatRequest, Gateway, GatewayError

__all__ = ["AltAnswer", "AltWriter", "vision_providers"]

log = logging.getLogger("sovereign.images")

SEND_SIDE = 768


@dataclass(frozen=True, slots=True)
class AltAnswer:
    status: Literal["ok", "refused", "unavailable"]
    alt: str = ""
    shows_product: bool | None = None
    reason: str = ""  # the model's match reason (ok/refused) or why no answer (unavailable)
    problems: tuple[str, ...] = field(default=())
    model: str | None = None


def vision_providers(gateway: Gateway | None) -> tuple[str, ...]:
    if gateway is None:
        return ()
    return tuple(c.name for c in gateway.configs if getattr(c, "vision", False))


def _data_url(data: bytes) -> str:
    """The image scaled to fit SEND_SIDE, as a JPEG data URL (CPU work: run in a thread)."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (SEND_SIDE, SEND_SIDE))
        rgb = im.convert("RGB")
    rgb.thumbnail((SEND_SIDE, SEND_SIDE))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


class AltWriter:
    def __init__(
        self, gateway: Gateway, providers: tuple[str, ...], *, timeout_s: float = 120.0, data_class: str = PUBLIC,
    ) -> None:
        self.gateway = gateway
        self.providers = providers
        self.timeout_s = timeout_s
        self.data_class = data_class

    @classmethod
    def for_gateway(cls, gateway: Gateway | None, **kw: Any) -> "AltWriter | None":
        names = vision_providers(gateway)
        return cls(gateway, names, **kw) if gateway is not None and names else None

    async def describe(self, f: ProductFacts, data: bytes, *, language: str | None, product_id: int | None = None) -> AltAnswer:
        try:
            url = await asyncio.to_thread(_data_url, data)
        except Exception as exc:  # noqa: BLE001 - an image we measured but cannot re-encode: no alt, no harm
            return AltAnswer("unavailable", reason=f"the image could not be prepared ({type(exc).__name__})")
        request = ChatRequest(
            messages=chat_messages(build_messages(f, language=language_name(language), image_url=url,
                                                   image_sha256=hashlib.sha256(data).hexdigest())),
            feature="images",
            data_class=self.data_class,
            deadline=time.monotonic() + self.timeout_s,
            max_tokens=200,
            temperature=0.0,
            json_schema=ANSWER_SCHEMA,
            metadata={"product_id": product_id},
            providers=self.providers,
        )
        try:
            result = await self.gateway.complete(request)
        except GatewayError as exc:
            log.info("product %s: vision %s, floor only", product_id, exc.reason)
            return AltAnswer("unavailable", reason=f"vision provider {exc.reason}")
        model = f"{result.provider}/{result.model}"
        parsed = result.parsed if isinstance(result.parsed, dict) else {}
        shows = parsed.get("shows_product")
        match_reason = str(parsed.get("reason") or "")[:300]
        checked = check_alt(str(parsed.get("alt") or ""), f)
        if not checked.ok:
            log.info("product %s: alt text of %s refused (%s)", product_id, model, ", ".join(checked.problems))
            return AltAnswer("refused", checked.text, shows if isinstance(shows, bool) else None, match_reason,
                             checked.problems, model)
        return AltAnswer("ok", checked.text, shows if isinstance(shows, bool) else None, match_reason, (), model)
