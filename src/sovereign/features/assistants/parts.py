"""The assistants' parts (policy index, embedder, audit, the HR assistant, the support desk), built once per process.

The composition root owns them (``Runtime.assistants()``); features, the API, the
CLI and the ingestion job reach them through the ``AssistantsServices`` port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sovereign.embeddings import Embedder
from sovereign.features.assistants.audit import AssistantSettings, AuditLog, assistant_settings
from sovereign.store.policy_index import PolicyStore
from sovereign.features.assistants.policies import PolicyAssistant
from sovereign.features.assistants.support import SupportDesk
from sovereign.features.services import FeatureServices

__all__ = ["Assistants", "AssistantsServices", "assistants", "build_assistants"]


@dataclass
class Assistants:
    settings: AssistantSettings
    store: PolicyStore
    embedder: Embedder
    audit: AuditLog
    policies: PolicyAssistant
    support: SupportDesk


class AssistantsServices(FeatureServices, Protocol):
    def assistants(self) -> Assistants:
        """The process's assistants, built on first use."""
        ...


def build_assistants(services: FeatureServices, embedder: Embedder) -> Assistants:
    """The assistants over the service's pool and gateway, embedding with ``embedder``."""
    settings = assistant_settings(services.settings)
    store = PolicyStore(services.db.pool)
    audit = AuditLog(services.db.pool, clear_text=settings.audit_clear_text)
    support = SupportDesk(store, embedder, services.gateway, audit, settings, woo=services.woo)
    policies = PolicyAssistant(store, embedder, services.gateway, audit, settings)
    return Assistants(settings, store, embedder, audit, policies, support)


def assistants(services: AssistantsServices) -> Assistants:
    return services.assistants()
