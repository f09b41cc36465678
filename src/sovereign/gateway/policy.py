"""Which providers may see a request: the ``CandidatePolicy`` port and its default.

The router asks the policy for the request's candidates (in priority order)
and then, whatever the policy returned, drops every non-local provider for
``hr_personal`` data: that rule is enforced twice on purpose.

A policy that also decides *what* a provider receives (e.g. a redacted form,
``sovereign.gateway.residency.ResidencyPolicy``) implements ``Shaping`` too:
the router asks it for each candidate's form and, once per form and call,
for the ``Outbound`` request of that form.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from .config import ProviderConfig
from .outbound import Outbound
from .types import HR_PERSONAL, ChatRequest


@runtime_checkable
class CandidatePolicy(Protocol):
    def filter(self, request: ChatRequest, providers: Sequence[ProviderConfig]) -> list[ProviderConfig]:
        """The providers allowed to answer ``request``, best first (a sub-list of ``providers``)."""
        ...


@runtime_checkable
class Shaping(Protocol):
    def form(self, request: ChatRequest, provider: ProviderConfig) -> str:
        """The form ``provider`` may receive ``request`` in: ``"raw"`` or another (e.g. ``"redacted"``)."""
        ...

    async def shape(self, request: ChatRequest, form: str) -> Outbound:
        """``request`` in ``form``; raises (any exception) when it cannot be made: nothing is sent then."""
        ...


def local_only_guard(request: ChatRequest, providers: Sequence[ProviderConfig]) -> list[ProviderConfig]:
    """``hr_personal`` goes only to ``jurisdiction == "local"`` providers, whatever the config says."""
    if request.data_class != HR_PERSONAL:
        return list(providers)
    return [p for p in providers if p.jurisdiction == "local"]


class DataClassPolicy:
    """The default: providers whose ``data_classes`` list the request's data class."""

    def filter(self, request: ChatRequest, providers: Sequence[ProviderConfig]) -> list[ProviderConfig]:
        dc = request.data_class
        allowed = [p for p in providers if dc in p.data_classes]
        return local_only_guard(request, allowed)
