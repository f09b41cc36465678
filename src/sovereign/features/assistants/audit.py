"""The assistants' settings and their audit trail: every question and answer recorded as sha256 hashes.

The clear text is stored only when the operator turns it on
(``SOVEREIGN_ASSISTANTS__AUDIT_CLEAR_TEXT=true``). Hashes let an auditor
confirm that a given question was asked (hash the text they hold and
compare) without the log itself holding what employees asked.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Sequence

import asyncpg
from pydantic_settings import BaseSettings, SettingsConfigDict
from sovereign.store.assistant_audit import AssistantAuditRows

__all__ = ["AssistantSettings", "AuditEntry", "AuditLog", "assistant_settings", "sha256_text"]

log = logging.getLogger("sovereign.assistants")


class AssistantSettings(BaseSettings):
    """``SOVEREIGN_ASSISTANTS__<FIELD>`` environment variables (or ``Settings.assistants`` when wired there)."""

    model_config = SettingsConfigDict(env_prefix="SOVEREIGN_ASSISTANTS__", extra="ignore")

    audit_clear_text: bool = False  # store questions and answers in clear in the audit table
    top_k: int = 4  # passages given to the model
    min_similarity: float = 0.3  # a passage scoring below this does not answer anything
    answer_timeout_s: float = 90.0  # the local model's whole answer (HR questions)
    support_timeout_s: float = 30.0
    max_tokens: int = 320
    cache_min_similarity: float = 0.88  # a cached shopper answer serves questions at least this close
    cache_max_entries: int = 5000  # per collection and policy version; least recently used go first
    chunk_words: int = 160
    chunk_overlap_words: int = 32


def assistant_settings(settings: Any) -> AssistantSettings:
    """The operator's assistant settings: ``settings.assistants`` if the service settings carry them, else env."""
    configured = getattr(settings, "assistants", None)
    return configured if isinstance(configured, AssistantSettings) else AssistantSettings()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    feature: str
    outcome: str
    question: str
    answer: str
    api_key_id: str | None = None
    scope: Sequence[str] = ()
    citations: Sequence[str] = ()
    provider: str = ""
    model: str = ""
    latency_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, pool: asyncpg.Pool, *, clear_text: bool = False) -> None:
        self.rows = AssistantAuditRows(pool)
        self.clear_text = clear_text

    async def record(self, e: AuditEntry) -> None:
        """Append one entry; an audit failure is logged, never turned into a failed answer."""
        try:
            await self.rows.insert(
                feature=e.feature, api_key_id=e.api_key_id, scope=e.scope, outcome=e.outcome,
                question_sha256=sha256_text(e.question), answer_sha256=sha256_text(e.answer), citations=e.citations,
                provider=e.provider, model=e.model, latency_ms=e.latency_ms,
                question=e.question if self.clear_text else None, answer=e.answer if self.clear_text else None,
            )
        except Exception:  # noqa: BLE001
            log.exception("assistant audit write failed (%s, %s)", e.feature, e.outcome)
