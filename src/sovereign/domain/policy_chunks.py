"""Sections to retrieval chunks: by section, at most ``max_words`` each, consecutive chunks overlapping.

    chunks = chunk_sections(doc.sections, max_words=160, overlap_words=32)
    chunks[0].section, chunks[0].text, chunks[0].context   # context = heading path + text, for embedding

A section that fits is one chunk. A longer one is packed paragraph by
paragraph; a paragraph longer than a chunk is split at sentence ends (words
as a last resort). Each following chunk of the same section starts with the
last ``overlap_words`` words of the one before, so a rule that straddles a
boundary is whole in at least one chunk. Chunks never cross sections: a
citation names exactly one section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence


__all__ = ["Chunk", "Section", "chunk_sections"]

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class Section:
    title: str  # the heading the text sits under (what citations name)
    text: str
    path: tuple[str, ...] = ()  # the enclosing headings, outermost first (context for retrieval)


@dataclass(frozen=True)
class Chunk:
    section: str
    ord: int  # position in the document, from 0
    text: str
    path: tuple[str, ...] = ()

    @property
    def context(self) -> str:
        """What is embedded: the heading path, then the text (headings carry much of the meaning)."""
        heads = [h for h in self.path if h != self.section] + [self.section]
        return " › ".join(dict.fromkeys(heads)) + ": " + self.text


def chunk_sections(sections: Sequence[Section], *, max_words: int = 160, overlap_words: int = 32) -> list[Chunk]:
    if max_words < 8:
        raise ValueError("max_words must be at least 8")
    overlap = max(0, min(overlap_words, max_words // 2))
    out: list[Chunk] = []
    for section in sections:
        for text in _split(section.text, max_words, overlap):
            out.append(Chunk(section.title, len(out), text, section.path))
    return out


def _pieces(text: str, max_words: int) -> Iterable[str]:
    """Paragraphs, with any paragraph over ``max_words`` cut at sentence ends (or, failing that, words)."""
    for para in (p.strip() for p in text.split("\n\n")):
        if not para:
            continue
        if len(para.split()) <= max_words:
            yield para
            continue
        for sentence in _SENTENCE_END.split(para):
            words = sentence.split()
            for i in range(0, len(words), max_words):
                yield " ".join(words[i:i + max_words])


def _split(text: str, max_words: int, overlap: int) -> list[str]:
    chunks: list[list[str]] = []  # each chunk: its pieces (paragraphs keep their breaks)
    current: list[str] = []
    count = 0
    for piece in _pieces(text, max_words):
        n = len(piece.split())
        if current and count + n > max_words:
            chunks.append(current)
            tail = " ".join(" ".join(current).split()[-overlap:]) if overlap else ""
            current, count = ([tail] if tail else []), len(tail.split())
            if count + n > max_words:  # the overlap would not fit beside this piece: trim it
                keep = max(0, max_words - n)
                current = [" ".join(tail.split()[-keep:])] if keep else []
                count = keep
        current.append(piece)
        count += n
    if current:
        chunks.append(current)
    return ["\n\n".join(c) for c in chunks]
