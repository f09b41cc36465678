"""The citation check on model answers, and the prompt that asks for citations (no model, no database)."""

from __future__ import annotations

import numpy as np

from sovereign.features.assistants.answer import NOT_FOUND, ground, prompt, relevant, strip_citations
from sovereign.store.policy_index import Passage

LEAVE = Passage(1, "hr-eu", "handbook.md", "Annual leave",
                "Full-time employees receive 25 days of paid annual leave per calendar year. "
                "Up to 5 unused days may be carried over into the first quarter of the next year.", 0.6)
SICK = Passage(2, "hr-eu", "handbook.md", "Sick leave",
               "A doctor's note is required from the fourth consecutive day of sickness. "
               "Sick pay is 100% of salary for the first 6 weeks.", 0.4)
MEALS = Passage(3, "hr-eu", "expenses.txt", "2. Meal allowance",
                "The daily meal allowance on business trips is 45 euros. Alcohol is not reimbursed.", 0.35)
ALL = [LEAVE, SICK, MEALS]


def test_prompt_labels_every_passage_and_asks_for_citations_and_the_refusal_word() -> None:
    system, user = prompt("How much leave do I get?", ALL)
    assert system.role == "system" and NOT_FOUND in system.content and "square brackets" in system.content
    assert "[handbook.md §Annual leave]\nFull-time employees" in user.content
    assert "[expenses.txt §2. Meal allowance]" in user.content
    assert user.content.endswith("Question: How much leave do I get?\n\nAnswer:")
    shopper_system, _ = prompt("Do you ship to Spain?", ALL, audience="shopper")
    assert "shoppers" in shopper_system.content and NOT_FOUND in shopper_system.content


def test_cited_supported_sentences_are_kept_with_their_labels() -> None:
    g = ground("You get 25 days of paid annual leave per year [handbook.md §Annual leave]. "
               "Sick pay is 100% of salary for the first 6 weeks. [handbook.md §Sick leave]", ALL)
    assert g.answered and not g.declined and g.dropped == 0
    assert g.text == ("You get 25 days of paid annual leave per year [handbook.md §Annual leave]. "
                      "Sick pay is 100% of salary for the first 6 weeks [handbook.md §Sick leave].")
    assert [p.chunk_id for p in g.citations] == [1, 2]


def test_loosely_written_labels_resolve_to_the_retrieved_passage() -> None:
    # a small model copies the prompt's example document name: the section still finds its passage
    for label in ("handbook.md, §Annual leave", "Handbook.md - Annual Leave", "Annual leave", "1",
                  "manual.md §Annual leave"):
        g = ground(f"Up to 5 unused days may be carried over. [{label}]", ALL)
        assert g.answered and g.citations == (LEAVE,), label


def test_an_invented_number_is_dropped_even_when_cited() -> None:
    g = ground("You get 30 days of paid annual leave. [handbook.md §Annual leave] "
               "The meal allowance is 45 euros per day. [expenses.txt §2. Meal allowance]", ALL)
    assert g.dropped == 1 and len(g.claims) == 1
    assert g.text == "The meal allowance is 45 euros per day [expenses.txt §2. Meal allowance]."


def test_unsupported_claims_are_dropped_and_an_unknown_label_never_survives() -> None:
    g = ground("Employees may bring dogs to the office on Fridays. [handbook.md §Pets]", ALL)
    assert not g.answered and g.dropped == 1 and g.unknown_labels == ("handbook.md §Pets",)
    # a supported sentence under a wrong label gets the passage that supports it
    g = ground("A doctor's note is required from the fourth day of sickness. [expenses.txt §2. Meal allowance]", ALL)
    assert g.answered and g.citations == (SICK,)


def test_uncited_sentences_get_the_supporting_passage_or_go() -> None:
    g = ground("Full-time employees receive 25 days of paid annual leave. I hope this helps!", ALL)
    assert g.text == "Full-time employees receive 25 days of paid annual leave [handbook.md §Annual leave]."
    assert g.dropped == 1  # "I hope this helps!" is no claim a passage holds


def test_the_refusal_word_or_a_plain_refusal_means_declined() -> None:
    assert ground(NOT_FOUND, ALL).declined
    assert ground("not in policies", ALL).declined
    g = ground("The passages do not mention company cars.", ALL)
    assert g.declined and not g.answered


def test_relevance_is_the_best_claim_against_the_question() -> None:
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    claims = np.array([[0.1, 0.99, 0.0], [0.6, 0.8, 0.0]], dtype=np.float32)
    assert relevant(q, claims, 0.5) and not relevant(q, claims, 0.7)
    assert not relevant(q, np.empty((0, 3), dtype=np.float32), 0.0)


def test_strip_citations_for_shoppers() -> None:
    assert strip_citations("Returns are free [returns.md §How to return]. Refunds take 5 days [returns.md §Refunds].") \
        == "Returns are free. Refunds take 5 days."
