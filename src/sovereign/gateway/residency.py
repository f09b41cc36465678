"""Residency, fail closed: which jurisdictions may receive each data class, raw or redacted.

    policy = ResidencyPolicy({"customer_personal": {"raw": ["local", "EU-DE"], "redacted": ["US"]}})
    gateway = Gateway(configs, policy=policy)

A provider is a candidate for a request when both say yes:

* the rules: its jurisdiction is in the data class's ``raw`` or ``redacted``
  list (a name, an ``"EU-*"`` prefix or ``"*"``). A data class without a rule
  is refused everywhere but ``local``; ``public`` goes anywhere raw unless it
  has a rule of its own. ``local`` always gets raw data.
* the provider: a non-local provider lists the data class in its
  ``data_classes`` (its operator's opt-in; local providers need none).

``hr_personal`` never leaves ``local`` providers, whatever the rules say.
Providers allowed only the redacted form get the request through the
``Redactor`` (in a worker thread); if redaction fails, that provider is
dropped for the call (``GatewayError(reason="redaction")`` when none is left).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sovereign.privacy import Redactor

from .config import ProviderConfig, ResidencyRule
from .outbound import RAW, REDACTED, Outbound, redactable_texts
from .types import HR_PERSONAL, PUBLIC, ChatRequest

LOCAL = "local"
REFUSED = "refused"


def _matches(patterns: Sequence[str], jurisdiction: str) -> bool:
    j = jurisdiction.casefold()
    for p in patterns:
        p = p.casefold()
        if p == "*" or p == j or (p.endswith("*") and j.startswith(p[:-1])):
            return True
    return False


class ResidencyPolicy:
    """The gateway's ``CandidatePolicy`` and ``Shaping`` for residency and redaction."""

    def __init__(
        self,
        rules: Mapping[str, ResidencyRule | Mapping[str, Any]] | None = None,
        *,
        redactor: Redactor | None = None,
    ) -> None:
        self.rules: dict[str, ResidencyRule] = {PUBLIC: ResidencyRule(raw=["*"])}  # unless configured otherwise
        for dc, r in (rules or {}).items():
            self.rules[dc] = r if isinstance(r, ResidencyRule) else ResidencyRule.model_validate(r)
        self.redactor = redactor if redactor is not None else Redactor()

    def form_for(self, data_class: str, provider: ProviderConfig) -> str:
        """``"raw"``, ``"redacted"`` or ``"refused"`` for this data class at this provider."""
        if provider.jurisdiction == LOCAL:
            return RAW
        if data_class == HR_PERSONAL or data_class not in provider.data_classes:
            return REFUSED
        rule = self.rules.get(data_class)
        if rule is None:
            return REFUSED
        if _matches(rule.raw, provider.jurisdiction):
            return RAW
        if _matches(rule.redacted, provider.jurisdiction):
            return REDACTED
        return REFUSED

    # --- CandidatePolicy ----------------------------------------------------

    def filter(self, request: ChatRequest, providers: Sequence[ProviderConfig]) -> list[ProviderConfig]:
        dc = request.data_class
        return [p for p in providers if self.form_for(dc, p) != REFUSED]

    # --- Shaping ------------------------------------------------------------

    def form(self, request: ChatRequest, provider: ProviderConfig) -> str:
        return self.form_for(request.data_class, provider)

    async def shape(self, request: ChatRequest, form: str) -> Outbound:
        if form == RAW:
            return Outbound(request)
        if form != REDACTED:
            raise ValueError(f"no provider may receive {request.data_class!r} data in form {form!r}")
        redacted = await self.redactor.aredact(redactable_texts(request), request.record)
        return Outbound.redacted(request, redacted.texts, redacted.counts, redacted.placeholders)

    def describe(self) -> dict[str, dict[str, list[str]]]:
        """The rules as configured (for status pages and docs)."""
        return {dc: {"raw": list(r.raw), "redacted": list(r.redacted)} for dc, r in sorted(self.rules.items())}
