"""Grounded answers: the prompt that asks for citations, and the check that every kept claim has one.

    messages = prompt(question, passages, audience="employee")
    grounded = ground(model_text, passages)
    grounded.declined        # the model said the passages do not answer
    grounded.text            # kept sentences, each ending with its [document §Section] citations
    grounded.citations       # the passages cited, in order of first use

The model is told to cite the passage label after every sentence and to answer
``NOT_IN_POLICIES`` when the passages do not answer. The check then keeps a
sentence only when it is supported by a retrieved passage: a cited passage (or,
for an uncited sentence, the best one) must hold every number of the sentence
and at least half of its content words. Unknown labels are dropped, unsupported
sentences are dropped and counted. A small model's slips become fewer claims,
never an uncited one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from sovereign.gateway.types import Message

from sovereign.store.policy_index import Passage

__all__ = ["NOT_FOUND", "Claim", "Grounded", "ground", "prompt", "relevant", "strip_citations"]

NOT_FOUND = "NOT_IN_POLICIES"
Audience = Literal["employee", "shopper"]

_SYSTEM = {
    "employee": (
        "You answer employees' questions about company policies, using only the passages given. "
        "Write the answer in one to three full sentences. End every sentence with the label of the passage it "
        "comes from, in square brackets, for example: Employees get 10 days of training per year. "
        "[manual.md §Training]\n"
        "Do not guess and do not use outside knowledge. "
        f"If the passages do not answer the question, reply only: {NOT_FOUND}"
    ),
    "shopper": (
        "You answer shoppers' questions for an online store, using only the store's policy passages given. "
        "Write one to three short, friendly sentences. End every sentence with the label of the passage it "
        "comes from, in square brackets, for example: Gift wrapping costs 3 euros. [extras.md §Gift wrap]\n"
        "Do not guess and do not promise anything the passages do not say. "
        f"If the passages do not answer the question, reply only: {NOT_FOUND}"
    ),
}


def prompt(question: str, passages: Sequence[Passage], *, audience: Audience = "employee") -> list[Message]:
    blocks = "\n\n".join(f"[{p.label}]\n{p.text}" for p in passages)
    user = f"Passages:\n\n{blocks}\n\nQuestion: {question.strip()}\n\nAnswer:"
    return [Message("system", _SYSTEM[audience]), Message("user", user)]


@dataclass(frozen=True)
class Claim:
    text: str
    citations: tuple[Passage, ...]

    def render(self) -> str:
        """``Sentence text [doc §Section].`` (labels before the sentence's own end mark)."""
        core = self.text.rstrip(" .!?")
        end = self.text[len(core):].strip() or "."
        return core + "".join(f" [{p.label}]" for p in self.citations) + end


@dataclass(frozen=True)
class Grounded:
    claims: tuple[Claim, ...] = ()
    declined: bool = False
    dropped: int = 0  # sentences without support in the passages
    unknown_labels: tuple[str, ...] = ()
    citations: tuple[Passage, ...] = field(default=())

    @property
    def text(self) -> str:
        return " ".join(c.render() for c in self.claims)

    @property
    def answered(self) -> bool:
        return bool(self.claims) and not self.declined


_CITE = re.compile(r"\[([^\[\]\n]{1,200})\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_DECLINE = re.compile(
    r"not[\s_]*in[\s_]*(the[\s_]*)?polic|(passages|documents|policies) (do|does) not (answer|say|mention|cover|contain)"
    r"|no (information|mention)|not (mentioned|covered|specified|stated)|cannot (find|answer)|can't (find|answer)",
    re.IGNORECASE,
)
_STOP = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its "
    "may me might must my no not of on or our per shall should so such than that the their them then there these "
    "they this those to up us was we were what when where which who will with would you your yes also any all "
    "each every get gets got only other same some very just about after before more most over under".split()
)


def _norm_label(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", label.lower())


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _content(text: str) -> tuple[set[str], set[str]]:
    """(content word stems, numbers) of a text."""
    low = text.lower()
    numbers = {n.replace(",", ".") for n in _NUMBER.findall(low)}
    words = {_stem(w) for w in _WORD.findall(low) if w not in _STOP and not w[0].isdigit() and len(w) > 2}
    return words, numbers


def _supports(sentence: str, passages: Sequence[Passage]) -> bool:
    words, numbers = _content(sentence)
    held_words: set[str] = set()
    held_numbers: set[str] = set()
    for p in passages:
        w, n = _content(p.text + " " + p.section)
        held_words |= w
        held_numbers |= n
    if not numbers <= held_numbers:
        return False  # an invented number is the costliest kind of wrong
    if not words:
        return bool(numbers)
    return len(words & held_words) / len(words) >= 0.5


class _Labels:
    """Resolves what the model wrote inside brackets to a retrieved passage."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.exact = {_norm_label(p.label): p for p in passages}

    def resolve(self, raw: str) -> Passage | None:
        key = _norm_label(raw)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        if raw.strip().isdigit():  # "[2]": the second passage
            i = int(raw.strip()) - 1
            return self.passages[i] if 0 <= i < len(self.passages) else None
        matches = [p for p in self.passages
                   if _norm_label(p.section) and _norm_label(p.section) in key and _norm_label(p.document) in key]
        if not matches:  # the right section under a wrong or missing document name, if only one passage has it
            matches = [p for p in self.passages if _norm_label(p.section) and key.endswith(_norm_label(p.section))]
        return matches[0] if len({m.label for m in matches}) == 1 else None


def _segments(text: str) -> list[tuple[str, list[str]]]:
    """Sentences with the bracketed labels written right after them (or inside them)."""
    out: list[tuple[str, list[str]]] = []
    for para in re.split(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)", text):
        pos = 0
        pending = ""
        for m in _CITE.finditer(para):
            pending += para[pos:m.start()]
            pos = m.end()
            sentences = [s for s in _SENTENCE.split(pending) if s.strip()]
            if sentences:
                out.extend((s, []) for s in sentences[:-1])
                out.append((sentences[-1], [m.group(1)]))
                pending = ""
            elif out:
                out[-1][1].append(m.group(1))  # "... [a] [b]": both cite the same sentence
        pending += para[pos:]
        out.extend((s, []) for s in _SENTENCE.split(pending) if s.strip())
    return [(_tidy(s), labels) for s, labels in out if _tidy(s)]


def _tidy(sentence: str) -> str:
    s = re.sub(r"\s+", " ", sentence).strip()
    s = re.sub(r"^[-*•]\s+|^\d+[.)]\s+", "", s)
    s = re.sub(r"\s+([.,;:!?])", r"\1", s)
    return s.strip(" ;,")


def ground(text: str, passages: Sequence[Passage]) -> Grounded:
    labels = _Labels(passages)
    if NOT_FOUND.lower() in text.lower().replace(" ", "_"):
        return Grounded(declined=True)
    claims: list[Claim] = []
    unknown: list[str] = []
    dropped = 0
    segments = _segments(text)
    for i, (sentence, raw) in enumerate(segments):
        cited = [p for p in (labels.resolve(r) for r in raw) if p is not None]
        unknown += [r for r in raw if labels.resolve(r) is None]
        if not cited and not raw:  # uncited: the next cited sentence of the answer may cover it
            later = next((r for _, r in segments[i + 1:] if r), [])
            cited = [p for p in (labels.resolve(r) for r in later) if p is not None]
        cited = [p for p in dict.fromkeys(cited) if _supports(sentence, [p])]
        if not cited:
            best = [p for p in passages if _supports(sentence, [p])]
            cited = best[:1]
        if not re.search(r"[A-Za-z0-9]", sentence) or _DECLINE.search(sentence) and not cited:
            continue
        if cited:
            claims.append(Claim(sentence, tuple(cited)))
        else:
            dropped += 1
    if not claims and segments and any(_DECLINE.search(s) for s, _ in segments):
        return Grounded(declined=True, dropped=dropped, unknown_labels=tuple(unknown))
    used = tuple(dict.fromkeys(p for c in claims for p in c.citations))
    return Grounded(tuple(claims), False, dropped, tuple(unknown), used)


def relevant(question: np.ndarray, claims: np.ndarray, min_similarity: float) -> bool:
    """Whether any claim is about the question (embedding cosine at least ``min_similarity``).

    Supported but beside the point (a model quoting a passage it was given when the question
    was about something else) does not count as an answer."""
    return bool(len(claims)) and float(np.max(claims @ question)) >= min_similarity


def strip_citations(text: str) -> str:
    """The answer without its bracketed labels (for shoppers, who get sources listed apart)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s*\[[^\[\]\n]{1,200}\]", "", text)).strip()
