"""Policy documents to titled sections: Markdown, plain text, PDF (pypdf) and DOCX (python-docx).

    doc = parse_document("handbook.md", data)        # bytes as uploaded
    doc.title, [(s.title, s.text) for s in doc.sections]

Sections follow the document's own headings (Markdown ``#``/setext headings,
DOCX ``Heading``/``Title`` styles, heading-like lines in text and PDF). A PDF
page with no heading before its text is cited as ``page N``; a text without
any heading gets one untitled section per paragraph group (``part N``).
Nothing here touches disk or network: the caller hands bytes in.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from sovereign.domain.policy_chunks import Section

__all__ = ["FORMATS", "ParsedDocument", "Section", "UnsupportedDocument", "format_of", "parse_document"]

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".pdf": "pdf", ".docx": "docx"}


class UnsupportedDocument(ValueError):
    """The file is not a supported format, or it cannot be read as one."""


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    format: str
    sections: list[Section] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(len(s.text.split()) for s in self.sections)


def format_of(name: str) -> str | None:
    return FORMATS.get(PurePosixPath(name).suffix.lower())


def parse_document(name: str, data: bytes) -> ParsedDocument:
    fmt = format_of(name)
    if fmt is None:
        raise UnsupportedDocument(f"{name}: unsupported file type (use {', '.join(sorted(FORMATS))})")
    stem = PurePosixPath(name).stem
    try:
        if fmt == "markdown":
            return _markdown(_decode(data), stem)
        if fmt == "text":
            return _text(_decode(data), stem)
        if fmt == "pdf":
            return _pdf(data, stem)
        return _docx(data, stem)
    except UnsupportedDocument:
        raise
    except Exception as exc:  # noqa: BLE001 - a library's parse error is the document's problem
        raise UnsupportedDocument(f"{name}: cannot be read as {fmt}: {exc}") from exc


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


class _Builder:
    """Collects lines under the current heading path; empty sections are dropped."""

    def __init__(self, default_title: str) -> None:
        self.doc_title = ""
        self.path: list[tuple[int, str]] = []
        self.default_title = default_title
        self.lines: list[str] = []
        self.sections: list[Section] = []

    def heading(self, level: int, title: str) -> None:
        self.flush()
        title = _clean_inline(title).strip(" #:") or self.default_title
        if not self.doc_title and not self.sections and level <= 1:
            self.doc_title = title
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, title))

    def line(self, text: str) -> None:
        self.lines.append(text)

    def flush(self, title: str | None = None) -> None:
        text = _paragraphs(self.lines)
        self.lines = []
        if not text:
            return
        names = tuple(t for _, t in self.path)
        self.sections.append(Section(title or (names[-1] if names else self.default_title), text, names))

    def done(self, fmt: str, fallback_title: str) -> ParsedDocument:
        self.flush()
        return ParsedDocument(self.doc_title or fallback_title, fmt, self.sections)


def _paragraphs(lines: list[str]) -> str:
    """Lines to paragraphs separated by one blank line; soft-wrapped lines joined."""
    paras: list[str] = []
    current: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                paras.append(" ".join(current))
                current = []
            continue
        if current and re.match(r"^([-*+•]|\d+[.)])\s", line):  # list items stay on their own line
            paras.append(" ".join(current))
            current = []
        current.append(line)
    if current:
        paras.append(" ".join(current))
    return "\n\n".join(p for p in paras if p)


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _clean_inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return text.replace("\\", "").strip()


_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_SETEXT = re.compile(r"^(=+|-+)\s*$")


def _markdown(text: str, stem: str) -> ParsedDocument:
    b = _Builder(stem)
    lines = text.splitlines()
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line.strip()):
            fenced = not fenced
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        m = _ATX.match(line) if not fenced else None
        if m:
            b.heading(len(m.group(1)), m.group(2))
        elif not fenced and line.strip() and _SETEXT.match(nxt) and not _SETEXT.match(line):
            b.heading(1 if nxt.strip().startswith("=") else 2, line)
            i += 1
        elif not fenced and re.match(r"^\s*([-*_]\s*){3,}$", line):
            b.line("")
        else:
            b.line(_clean_inline(line) if not fenced else line)
        i += 1
    return b.done("markdown", stem)


_NUMBERED = re.compile(r"^(?:(?:section|article|chapter|part)\s+)?(\d+(?:\.\d+)*)\.?\s+\S", re.IGNORECASE)


def _heading_level(line: str, before: str, *, after_heading: bool = False) -> int | None:
    """The heading level of a plain-text line, or None: short, no final period, set apart, numbered or titled."""
    s = line.strip()
    if not s or len(s) > 70 or s[-1] in ".,;:!?" or len(s.split()) > 9:
        return None
    prev = before.strip()
    if prev and prev[-1] not in ".!?:" and not _SETEXT.match(prev) and not after_heading:
        return None  # inside a paragraph (extracted PDF text has no blank lines between paragraphs)
    m = _NUMBERED.match(s)
    if m:
        return min(m.group(1).count(".") + 1, 6)
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters):
        return 1
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", s)]
    small = {"a", "an", "and", "the", "of", "for", "to", "in", "on", "or", "at", "by", "with", "&"}
    if words and all(w[0].isupper() or w.lower() in small for w in words):
        return 2
    return None


def _text(text: str, stem: str, *, page_labels: list[tuple[int, int]] | None = None) -> ParsedDocument:
    lines = text.splitlines()
    b = _Builder(stem)
    headings = 0
    last_was_heading = False
    for i, line in enumerate(lines):
        before = lines[i - 1] if i else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if _SETEXT.match(line.strip() or "x") and before.strip():
            continue  # the underline of a setext heading handled below
        if after.strip() and _SETEXT.match(after.strip()) and line.strip() and not _SETEXT.match(line.strip()):
            b.heading(1 if after.strip().startswith("=") else 2, line)
            headings += 1
            last_was_heading = True
            continue
        level = _heading_level(line, before, after_heading=last_was_heading)
        if level is not None:
            b.heading(level, line)
            headings += 1
        else:
            b.line(line)
        last_was_heading = level is not None
    doc = b.done("text", stem)
    if headings == 0:  # no structure: cite paragraph groups
        doc = ParsedDocument(stem, "text", _parts(doc.sections))
    return doc


def _parts(sections: list[Section], words_per_part: int = 200) -> list[Section]:
    paras = [p for s in sections for p in s.text.split("\n\n") if p.strip()]
    out: list[Section] = []
    current: list[str] = []
    count = 0
    for p in paras:
        current.append(p)
        count += len(p.split())
        if count >= words_per_part:
            out.append(Section(f"part {len(out) + 1}", "\n\n".join(current)))
            current, count = [], 0
    if current:
        out.append(Section(f"part {len(out) + 1}", "\n\n".join(current)))
    return out


def _pdf(data: bytes, stem: str) -> ParsedDocument:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnsupportedDocument(f"{stem}.pdf is encrypted")
    title = ""
    if reader.metadata is not None and reader.metadata.title:
        title = str(reader.metadata.title).strip()
    sections: list[Section] = []
    path: tuple[str, ...] = ()
    for number, page in enumerate(reader.pages, start=1):
        page_doc = _text(page.extract_text() or "", stem)
        if number == 1 and not title and page_doc.title != stem:
            title = page_doc.title
        has_heading = page_doc.sections and page_doc.sections[0].path
        for k, s in enumerate(page_doc.sections):
            if s.path:
                path = s.path
                sections.append(Section(s.title, s.text, s.path))
            elif k == 0 and not has_heading and path:  # continues the previous page's section
                sections.append(Section(f"{path[-1]} (page {number})", s.text, path))
            else:
                sections.append(Section(f"page {number}", s.text, ()))
    if not sections:
        raise UnsupportedDocument(f"{stem}.pdf has no extractable text (scanned? run OCR first)")
    return ParsedDocument(title or stem, "pdf", sections)


def _docx(data: bytes, stem: str) -> ParsedDocument:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = Document(io.BytesIO(data))
    b = _Builder(stem)
    core_title = (document.core_properties.title or "").strip()
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(element, document)
            style = (para.style.name if para.style is not None else "") or ""
            text = para.text.strip()
            if style == "Title" and text:
                b.heading(1, text)
            elif style.startswith("Heading") and text:
                digits = "".join(c for c in style if c.isdigit())
                b.heading(int(digits) + 1 if digits else 2, text)
            else:
                b.line(text)
                b.line("")
        elif tag == "tbl":
            for row in Table(element, document).rows:
                cells = [c.text.strip() for c in row.cells]
                b.line(" | ".join(dict.fromkeys(c for c in cells if c)))
                b.line("")
    return b.done("docx", core_title or stem)
