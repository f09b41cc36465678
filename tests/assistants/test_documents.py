"""Policy documents to sections and chunks: Markdown, text, PDF and DOCX files (no database, no model)."""

from __future__ import annotations

import pytest

from sovereign.domain.policy_chunks import chunk_sections
from sovereign.features.assistants.parse import Section, UnsupportedDocument, parse_document
from tests.assistants.conftest import DATA
from tests.assistants.docs import docx_bytes, pdf_bytes


def titles(doc) -> list[str]:  # noqa: ANN001
    return [s.title for s in doc.sections]


def test_markdown_sections_follow_headings_and_drop_markup() -> None:
    doc = parse_document("handbook.md", (DATA / "hr-eu" / "handbook.md").read_bytes())
    assert doc.title == "Employee Handbook" and doc.format == "markdown"
    assert titles(doc) == ["Employee Handbook", "Annual leave", "Sick leave", "Parental leave", "Remote work"]
    leave = doc.sections[1]
    assert leave.path == ("Employee Handbook", "Annual leave")
    assert leave.text.startswith("Full-time employees receive 25 days") and "\n" not in leave.text  # lines joined

    md = ("Intro *text* with a [link](https://example.com).\n\nSetext Title\n============\n\n```\n# not a heading\n```\n"
          "### Deep ###\nUnder `code`.\n").encode()
    doc = parse_document("x.markdown", md)
    assert titles(doc) == ["x", "Setext Title", "Deep"]
    assert doc.sections[0].text == "Intro text with a link."
    assert "# not a heading" in doc.sections[1].text  # fenced code is text, not structure
    assert doc.sections[2].path == ("Setext Title", "Deep") and doc.sections[2].text == "Under code."


def test_plain_text_headings_are_recognised_and_unstructured_text_is_cut_in_parts() -> None:
    doc = parse_document("expenses.txt", (DATA / "hr-eu" / "expenses.txt").read_bytes())
    assert doc.title == "TRAVEL AND EXPENSES"
    assert titles(doc) == ["1. Travel booking", "2. Meal allowance", "3. Submitting expenses"]
    assert doc.sections[1].text == "The daily meal allowance on business trips is 45 euros. Alcohol is not reimbursed."

    paragraphs = "\n\n".join(" ".join(f"w{p}x{i}" for i in range(100)) + "." for p in range(5))
    doc = parse_document("notes.txt", f"no structure here at all, just text that goes on.\n\n{paragraphs}".encode())
    assert titles(doc) == ["part 1", "part 2", "part 3"]  # paragraph groups of about 200 words
    assert sum(len(s.text.split()) for s in doc.sections) == 510
    # cp1252 files (old Windows editors) are read too
    assert parse_document("w.txt", "Café rules apply.".encode("cp1252")).sections[0].text == "Café rules apply."


def test_pdf_pages_keep_their_section_across_a_page_break() -> None:
    pdf = pdf_bytes([
        ["SECURITY POLICY", "1. Passwords", "Passwords must be at least 14 characters long.",
         "They are changed every 12 months.", "2. Laptops", "Laptops must use full-disk encryption."],
        ["Screens must lock after 5 minutes.", "3. Incidents", "Report incidents within 1 hour."],
    ])
    doc = parse_document("security.pdf", pdf)
    assert doc.title == "SECURITY POLICY" and doc.format == "pdf"
    assert titles(doc) == ["1. Passwords", "2. Laptops", "2. Laptops (page 2)", "3. Incidents"]
    assert doc.sections[0].text == "Passwords must be at least 14 characters long. They are changed every 12 months."
    assert doc.sections[2].text == "Screens must lock after 5 minutes."

    untitled = parse_document("memo.pdf", pdf_bytes([["just a sentence on page one."], ["and one on page two."]]))
    assert titles(untitled) == ["page 1", "page 2"]


def test_docx_headings_paragraphs_and_tables() -> None:
    data = docx_bytes(
        "Code of Conduct",
        [("Gifts", ["Gifts worth more than 50 euros must be declared.", "Cash gifts are never accepted."]),
         ("Conflicts of interest", ["Side jobs need written approval."])],
        table=[["Level", "Approver"], ["Director", "CEO"]],
    )
    doc = parse_document("conduct.docx", data)
    assert doc.title == "Code of Conduct" and doc.format == "docx"
    assert titles(doc) == ["Gifts", "Conflicts of interest"]
    assert doc.sections[0].text == "Gifts worth more than 50 euros must be declared.\n\nCash gifts are never accepted."
    assert doc.sections[1].text.endswith("Level | Approver\n\nDirector | CEO")  # tables in document order


def test_unsupported_and_broken_files_are_refused_with_the_name() -> None:
    with pytest.raises(UnsupportedDocument, match="slides.pptx: unsupported"):
        parse_document("slides.pptx", b"PK...")
    with pytest.raises(UnsupportedDocument, match="broken.pdf: cannot be read as pdf"):
        parse_document("broken.pdf", b"%PDF-1.4 this is not a pdf")
    with pytest.raises(UnsupportedDocument, match="broken.docx: cannot be read as docx"):
        parse_document("broken.docx", b"not a zip file")


def test_chunks_stay_in_their_section_and_overlap() -> None:
    long = " ".join(f"Rule {i} says something." for i in range(60))  # 240 words, one paragraph
    sections = [Section("Short", "Only this.", ("Doc", "Short")), Section("Long", long, ("Doc", "Long"))]
    chunks = chunk_sections(sections, max_words=50, overlap_words=10)
    assert chunks[0].section == "Short" and chunks[0].text == "Only this." and chunks[0].ord == 0
    long_chunks = [c for c in chunks if c.section == "Long"]
    assert len(long_chunks) >= 5 and [c.ord for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text.split()) <= 50 for c in long_chunks)
    for a, b in zip(long_chunks, long_chunks[1:]):
        tail = " ".join(a.text.split()[-10:])
        assert b.text.startswith(tail)  # the last 10 words of a chunk open the next one
    # every word of the section is in some chunk, in order
    joined = " ".join(long_chunks[0].text.split() + [w for c in long_chunks[1:] for w in c.text.split()[10:]])
    assert joined == long
    assert chunks[1].context.startswith("Doc › Long: ")  # the heading path is embedded with the text
    with pytest.raises(ValueError):
        chunk_sections(sections, max_words=4)
