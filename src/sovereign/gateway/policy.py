"""Which providers may see a request: the ``CandidatePolicy`` port and its default.

The router asks the policy for the request's candidates (in priority order)
and then, whatever the policy returned, drops every non-local provider for
``hr_personal`` data: that rule is enforced twice on purpose.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from .config import ProviderConfig
from .types import HR_PERSONAL, ChatRequest


@runtime_checkable
class CandidatePolicy(Protocol):
    def filter(self, request: ChatRequest, providers: Sequence[ProviderConfig]) -> list[ProviderConfig]:
        """The providers allowed to answer ``request``, best first (a sub-list of ``providers``)."""
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
