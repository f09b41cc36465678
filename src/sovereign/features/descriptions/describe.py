"""One product → one description: the model's answer when it is clean and true, the template otherwise.

Shared by the ``descriptions.generate`` job and ``sovereign describe``::

    describer = Describer(gateway, max_tokens=400, timeout_s=120)
    described = await describer.describe(product, tone="warm", examples=style_texts)
    described.text, described.source      # "llm" | "template"
    described.reason                      # why the template was used (None for llm)

The model never gets a say on what is true. By default it answers grounded
sentences (``domain.grounded``): each names the facts it stands on, and only
sentences that stand on their facts are kept. The result still goes through
``domain.descriptions.validate``; anything invented sends the product to the
template. ``grounded=False`` asks for free text instead (checked the same way).
``Describer(None)`` is the template only (``--fallback-only``).
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass
from typing import Literal, Sequence

from sovereign.domain.descriptions import Bounds, ProductFacts, build_messages, clean, facts, template, validate
from sovereign.domain.grounded import (
    assemble,
    build_grounded_messages,
    build_retry_messages,
    fact_sheet,
    grounded_bounds,
    grounded_schema,
)
from sovereign.domain.products import Product
from sovereign.domain.shop_language import ShopLanguage, shop_language
from sovereign.gateway import PUBLIC, ChatRequest, Gateway, GatewayError
from sovereign.features.prompts import chat_messages

__all__ = ["Described", "Describer", "drift_outcome", "to_html"]

log = logging.getLogger("sovereign.descriptions")

Source = Literal["llm", "template"]
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


@dataclass(frozen=True, slots=True)
class Described:
    """A description (plain text paragraphs separated by one blank line) and where it came from."""

    text: str
    source: Source
    reason: str | None = None  # template only: fallback_only | gateway_<reason> | invalid: <problems>
    model: str | None = None  # provider/model that answered, when one did


def drift_outcome(d: Described) -> Literal["model", "refused", "unavailable"]:
    """For the drift watch: the model's text was used, refused by a check, or there was none to use."""
    if d.source == "llm":
        return "model"
    reason = d.reason or ""
    return "refused" if reason.startswith(("invalid", "gateway_invalid_output")) else "unavailable"


def to_html(text: str) -> str:
    """Plain paragraphs → WooCommerce description markup: each paragraph in ``<p>``, HTML-escaped."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _complete_sentences(text: str, min_chars: int) -> str:
    """An answer cut by the token limit ends mid-sentence: keep it up to its last full sentence."""
    if not text or text[-1] in ".!?\"'”)":
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or ends[-1] < min_chars:
        return text
    return text[: ends[-1]].rstrip()


class Describer:
    def __init__(
        self,
        gateway: Gateway | None,
        *,
        bounds: Bounds = Bounds(),
        max_tokens: int = 400,
        timeout_s: float = 120.0,
        feature: str = "descriptions",
        grounded: bool = True,
        retries: int = 1,
    ) -> None:
        self.gateway = gateway
        self.bounds = bounds
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.feature = feature
        self.grounded = grounded
        self.retries = retries  # grounded mode: further tries, each told why the one before was refused

    async def describe(
        self, product: Product, *, tone: str | None = None, examples: Sequence[str] = (), language: str | None = None
    ) -> Described:
        """Never raises for the product's sake: every failure of the model path ends in the template.

        ``examples``: the store's own descriptions of similar products (``StyleExamples``), shown to the
        model for style only (grounded mode); their facts can never reach the draft, which is checked
        against this product's facts alone. ``language``: the shop's (``de_DE``, ``fr``; unset: English),
        for the facts, the allowed shop words and the template."""
        f = facts(product)
        lang = shop_language(language)
        if self.gateway is None:
            return Described(template(f, tone, lang), "template", "fallback_only")
        if self.grounded:
            return await self._grounded(self.gateway, product, f, tone, examples, lang)
        request = ChatRequest(
            messages=chat_messages(build_messages(f, tone, self.bounds)),
            feature=self.feature,
            data_class=PUBLIC,
            deadline=time.monotonic() + self.timeout_s,
            max_tokens=self.max_tokens,
            temperature=0.0,
            metadata={"product_id": product.id},
        )
        try:
            result = await self.gateway.complete(request)
        except GatewayError as exc:
            log.info("product %s: gateway %s, template used", product.id, exc.reason)
            return Described(template(f, tone, lang), "template", f"gateway_{exc.reason}")
        model = f"{result.provider}/{result.model}"
        checked = validate(_complete_sentences(clean(result.text), self.bounds.min_chars), f, self.bounds, lang)
        if checked.ok:
            return Described(checked.text, "llm", None, model)
        problems = ", ".join(checked.problems[:8])
        log.info("product %s: answer of %s refused (%s), template used", product.id, model, problems)
        return Described(template(f, tone, lang), "template", f"invalid: {problems}", model)

    async def _grounded(
        self, gateway: Gateway, product: Product, f: ProductFacts, tone: str | None, examples: Sequence[str],
        lang: ShopLanguage,
    ) -> Described:
        """One try, and when nothing usable comes back, a second one that is told why the first was refused."""
        sheet = fact_sheet(f, lang)
        messages = build_grounded_messages(f, sheet, tone, examples, lang)
        outcome: Described | None = None
        for attempt in range(1 + self.retries):
            request = ChatRequest(
                messages=chat_messages(messages),
                feature=self.feature,
                data_class=PUBLIC,
                deadline=time.monotonic() + self.timeout_s,
                max_tokens=self.max_tokens,
                temperature=0.0,
                json_schema=grounded_schema(sheet),
                metadata={"product_id": product.id, "attempt": attempt + 1},
            )
            try:
                result = await gateway.complete(request)
            except GatewayError as exc:
                log.info("product %s: gateway %s, template used", product.id, exc.reason)
                return outcome or Described(template(f, tone, lang), "template", f"gateway_{exc.reason}")
            model = f"{result.provider}/{result.model}"
            built = assemble(result.parsed if result.parsed is not None else result.text, f, sheet, lang)
            if not built.text:
                reasons = ", ".join(dict.fromkeys(built.dropped)) or "nothing grounded"
                log.info("product %s: no sentence of %s stood on its facts (%s)", product.id, model, reasons)
                outcome = Described(template(f, tone, lang), "template", f"invalid: ungrounded ({reasons})", model)
                problems: tuple[str, ...] = ()
            else:
                checked = validate(built.text, f, grounded_bounds(sheet, self.bounds), lang)
                if checked.ok:
                    return Described(checked.text, "llm", None, model)
                problems = checked.problems
                log.info("product %s: answer of %s refused (%s)", product.id, model, ", ".join(problems[:8]))
                outcome = Described(template(f, tone, lang), "template", f"invalid: {', '.join(problems[:8])}", model)
            messages = build_retry_messages(messages[:2], result.text, built.dropped, problems)
        assert outcome is not None
        log.info("product %s: template used (%s)", product.id, outcome.reason)
        return outcome
