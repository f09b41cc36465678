"""The assistants' audit rows (``sovereign_assistant_audit``): hashes always, clear text only when configured."""

from __future__ import annotations

from typing import Sequence

import asyncpg

__all__ = ["AssistantAuditRows"]

_INSERT = (
    "INSERT INTO sovereign_assistant_audit (feature, api_key_id, scope, outcome, question_sha256, "
    "answer_sha256, citations, provider, model, latency_ms, question, answer) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
)


class AssistantAuditRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(
        self, *, feature: str, api_key_id: str | None, scope: Sequence[str], outcome: str, question_sha256: str,
        answer_sha256: str, citations: Sequence[str], provider: str, model: str, latency_ms: float,
        question: str | None, answer: str | None,
    ) -> None:
        await self.pool.execute(_INSERT, feature, api_key_id, list(scope), outcome, question_sha256, answer_sha256,
                                list(citations), provider, model, latency_ms, question, answer)
