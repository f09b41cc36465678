"""The HR policy assistant: answers from the company's own documents, on local models only, with citations.

    parts = runtime.assistants()                    # built once per process (features/assistants/parts.py)
    allowed = await visible_collections(parts.store, key, ["hr-eu"])   # AccessDenied if not granted
    answer = await parts.policies.ask("How many days of annual leave?", allowed, api_key_id=key.id)
    answer.outcome   # "answered" | "not_in_policies" | "passages"
    answer.answer    # "Full-time employees get 25 days of paid leave. [handbook.md §Annual leave]"

Retrieval keeps passages scoring at least ``min_similarity``; with none, the
answer is ``not_in_policies`` and no model is asked. The model gets the
passages, must cite one after every sentence and say ``NOT_IN_POLICIES`` when
they do not answer; ``policies_answer.ground`` then keeps only the claims a
retrieved passage supports. Requests carry ``data_class="hr_personal"``, which
the gateway sends to ``jurisdiction == "local"`` providers only: with none
configured the call fails (``NoLocalModel``) and nothing leaves the machine.
When the local model is unavailable the answer falls back to the passages
themselves (``passages``). Every question is audited as hashes
(``policies_audit``).

Access: a key needs the ``policies`` feature and grants for the collections it
asks about (``sovereign policies grant KEY COLLECTION``, ``*`` for all).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from sovereign.embeddings import Embedder
from sovereign.gateway import HR_PERSONAL, ChatRequest, Gateway, GatewayError
from sovereign.store.api_keys import ApiKey

from sovereign.features.assistants.answer import ground, prompt, relevant
from sovereign.features.assistants.audit import AssistantSettings, AuditEntry, AuditLog, assistant_settings
from sovereign.store.policy_index import Passage, PolicyStore

__all__ = [
    "FEATURE",
    "AccessDenied",
    "NoLocalModel",
    "PolicyAnswer",
    "PolicyAssistant",
    "visible_collections",
]

FEATURE = "policies"
NOT_IN_POLICIES = "The policy documents available to you do not answer this question. Please ask HR directly."
UNAVAILABLE = "The assistant cannot write an answer right now. These passages of the policies look relevant:"
UNCLEAR = "The policy documents do not clearly answer this question. The closest passages are:"


class AccessDenied(Exception):
    """The key may not read (some of) the asked collections."""


class NoLocalModel(Exception):
    """No local provider may answer: hr_personal questions are refused rather than sent elsewhere."""


@dataclass
class PolicyAnswer:
    outcome: str  # answered | not_in_policies | passages (refused: audited, raised as NoLocalModel)
    answer: str
    citations: list[Passage] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    provider: str = ""
    model: str = ""
    dropped: int = 0  # model sentences left out for want of support in the passages
    latency_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"

    def as_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "outcome": self.outcome,
            "answer": self.answer,
            "citations": [p.as_json(with_text=False) for p in self.citations],
            "passages": [p.as_json() for p in self.passages],
            "provider": self.provider,
            "model": self.model,
            "dropped_sentences": self.dropped,
            "elapsed_ms": round(self.latency_ms, 1),
        }


async def visible_collections(store: PolicyStore, key: ApiKey, requested: Sequence[str] | None) -> list[str]:
    """The collections ``key`` may search: the requested ones (all granted), or every granted one."""
    grants = await store.grants(key.id)
    if not grants:
        raise AccessDenied("this API key has no policy collections granted (sovereign policies grant)")
    if requested:
        names = list(dict.fromkeys(requested))
        denied = [c for c in names if "*" not in grants and c not in grants]
        if denied:
            raise AccessDenied(f"this API key may not read the collection(s) {', '.join(denied)}")
        return names
    if "*" in grants:
        return await store.existing()
    return sorted(grants)


class PolicyAssistant:
    def __init__(
        self, store: PolicyStore, embedder: Embedder, gateway: Gateway, audit: AuditLog, settings: AssistantSettings
    ) -> None:
        self.store, self.embedder, self.gateway, self.audit, self.settings = store, embedder, gateway, audit, settings

    async def ask(self, question: str, collections: Sequence[str], *, api_key_id: str | None = None) -> PolicyAnswer:
        start = time.monotonic()
        question = question.strip()
        (vector,) = await self.embedder.embed([question])
        passages = await self.store.search(
            collections, vector, limit=self.settings.top_k, min_score=self.settings.min_similarity
        )
        if not passages:
            answer = PolicyAnswer("not_in_policies", NOT_IN_POLICIES)
        else:
            try:
                answer = await self._compose(question, vector, passages)
            except NoLocalModel as exc:
                refused = PolicyAnswer("refused", str(exc), latency_ms=(time.monotonic() - start) * 1000.0)
                await self._audit(question, refused, collections, api_key_id)
                raise
        answer.latency_ms = (time.monotonic() - start) * 1000.0
        await self._audit(question, answer, collections, api_key_id)
        return answer

    async def _audit(
        self, question: str, answer: PolicyAnswer, collections: Sequence[str], api_key_id: str | None
    ) -> None:
        await self.audit.record(AuditEntry(
            FEATURE, answer.outcome, question, answer.answer, api_key_id, collections,
            [p.label for p in answer.citations], answer.provider, answer.model, answer.latency_ms,
        ))

    async def _compose(self, question: str, vector: np.ndarray, passages: list[Passage]) -> PolicyAnswer:
        request = ChatRequest(
            messages=prompt(question, passages, audience="employee"),
            feature=FEATURE,
            data_class=HR_PERSONAL,
            deadline=time.monotonic() + self.settings.answer_timeout_s,
            max_tokens=self.settings.max_tokens,
            temperature=0.0,
        )
        try:
            result = await self.gateway.complete(request)
        except GatewayError as exc:
            if exc.reason == "policy":
                raise NoLocalModel(
                    "no local model may answer HR policy questions (hr_personal data never leaves this machine): "
                    "configure a provider with jurisdiction \"local\""
                ) from None
            return _passages_only(UNAVAILABLE, passages)
        grounded = ground(result.text, passages)
        meta = {"provider": result.provider, "model": result.model, "passages": passages, "dropped": grounded.dropped}
        if grounded.declined:
            return PolicyAnswer("not_in_policies", NOT_IN_POLICIES, **meta)
        if grounded.answered:
            claims = await self.embedder.embed([c.text for c in grounded.claims])
            if relevant(vector, claims, self.settings.min_similarity):
                return PolicyAnswer("answered", grounded.text, list(grounded.citations), **meta)
        # nothing the model wrote is both supported by a passage and about the question
        return _passages_only(UNCLEAR, **meta)


def _passages_only(intro: str, passages: list[Passage], **meta: Any) -> PolicyAnswer:
    quoted = " ".join(f"“{_excerpt(p.text)}” [{p.label}]" for p in passages[:2])
    return PolicyAnswer("passages", f"{intro} {quoted}", list(passages[:2]), passages=passages, **meta)


def _excerpt(text: str, words: int = 60) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
