"""The final fraud assessment: the rules' result, optionally raised by the AI review.

``combine`` is where the never-lower rule lives: the final score is
``max(rules score, LLM risk)``, so a model that was talked into "risk 0" by a
customer note changes nothing. LLM reasons are shown only when the model raised
the score, at most ``MAX_LLM_REASONS`` of them, and only as our own text for the
``AI_REASONS`` codes the model named: the model's words never reach a note or meta.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .fraud_config import band_for
from .fraud_llm import AI_REASONS, LlmAnswer, ai_reason_code, parse_llm_answer
from .fraud_rules import Reason, RulesResult

__all__ = ["FraudAssessment", "MAX_LLM_REASONS", "MAX_LLM_REASON_CHARS", "clean_llm_text", "combine"]

MAX_LLM_REASONS = 3
MAX_LLM_REASON_CHARS = 160

_TAG = re.compile(r"<[^>]{0,200}>")
_MD_LINK = re.compile(r"!?\[([^\]]{0,200})\]\([^)]{0,500}\)")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
_MARKUP_CHARS = re.compile(r"[*_`#~|<>\[\]{}]")


@dataclass(frozen=True, slots=True)
class FraudAssessment:
    score: int  # 0-100, never below rules_score
    band: str
    reasons: tuple[Reason, ...]  # the rules' reasons first, then the AI review's
    threshold: int  # the hold threshold score() applied to this order
    rules_score: int
    llm_risk: int | None = None  # None when there was no usable AI answer

    @property
    def source(self) -> str:
        return "rules" if self.llm_risk is None else "rules+llm"


def clean_llm_text(text: str, limit: int = MAX_LLM_REASON_CHARS) -> str:
    """Plain text for a merchant: no HTML/Markdown, no links, no control characters, at most ``limit`` chars."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _URL.sub("(link removed)", text)
    text = _MARKUP_CHARS.sub("", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def combine(rules_result: RulesResult, llm_answer: LlmAnswer | Any | None, *, max_raise: int = 100) -> FraudAssessment:
    """Merge the rules' result with an optional AI answer (``LlmAnswer``, parsed JSON or raw text).

    The score is ``max(rules, min(clamp(llm risk, 0, 100), rules + max_raise))``: the AI can
    raise it (by at most ``max_raise``), never lower it. An unusable answer counts as no answer.
    """
    answer = parse_llm_answer(llm_answer) if llm_answer is not None else None
    reasons = list(rules_result.reasons)
    final = rules_result.score
    if answer is not None and answer.risk > rules_result.score:
        final = min(answer.risk, rules_result.score + max(0, max_raise), 100)
        reasons.append(Reason("llm", final - rules_result.score,
                              f"AI review raised the risk score from {rules_result.score} to {final}"))
        seen: set[str] = set()
        for raw in answer.reasons:
            code = ai_reason_code(raw)
            if code and code not in seen:
                seen.add(code)
                reasons.append(Reason("llm", 0, f"AI review: {AI_REASONS[code]}"))
            if len(seen) >= MAX_LLM_REASONS:
                break
    final = max(rules_result.score, min(100, final))
    return FraudAssessment(
        score=final,
        band=band_for(rules_result.bands, final) if rules_result.bands else rules_result.band,
        reasons=tuple(reasons),
        threshold=rules_result.threshold,
        rules_score=rules_result.score,
        llm_risk=answer.risk if answer is not None else None,
    )
