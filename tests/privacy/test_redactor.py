"""Redaction on the fraud feature's real prompt for a captured order, and placeholder restoration."""

from __future__ import annotations

import socket

import pytest

from sovereign.privacy import Placeholders, PresidioFinder, RedactionError, Redactor
from sovereign.privacy.denylist import terms

from .support import fraud_request, leaks, order


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    r = Redactor()
    r.warm()
    return r


def test_no_personal_value_of_the_order_survives(redactor: Redactor) -> None:
    o = order()
    request = fraud_request(o)
    texts = [m.content for m in request.messages]
    personal = o.personal_fields()
    assert leaks("".join(texts).encode(), personal), "the prompt should contain personal data to begin with"
    redacted = redactor.redact(texts, personal)
    assert leaks("\n".join(redacted.texts).encode(), personal) == []
    assert redacted.counts["NAME"] == 4 and redacted.counts["ADDRESS"] == 2 and redacted.counts["POSTCODE"] == 2
    assert "Sunglasses" in redacted.texts[1] and "949.90" in redacted.texts[1]  # the facts the model needs stay
    restored = [redacted.placeholders.restore(t) for t in redacted.texts]
    for value in (personal["billing.full_name"], personal["shipping.address_1"], personal["billing.city"]):
        assert any(value in t for t in restored) or all(w in "".join(restored) for w in value.split())


def test_other_spellings_of_record_values_are_found(redactor: Redactor) -> None:
    record = {"billing.last_name": "Müller", "billing.address_1": "Königsallee 27", "billing.phone": "+49 211 5555 0199",
              "email": "klaus.m.1987@mailinator.com", "billing.first_name": "Klaus"}
    text = ("MÜLLER, Mueller and Muller; M\\u00fcller in JSON. Konigsallee (no number). Call 0211/5555-0199 "
            "or 0049 211 55550199. Mail KLAUS.M.1987@MAILINATOR.COM, user klaus.m.1987. Klausur is a word.")
    out = redactor.redact([text], record)
    red = out.texts[0]
    for gone in ("MÜLLER", "Mueller", "Muller", "\\u00fcller", "Konigsallee", "0211/5555-0199", "55550199",
                 "MAILINATOR.COM", "klaus.m.1987"):
        assert gone not in red, (gone, red)
    assert "Klausur is a word" in red  # word boundaries: a longer word that starts like a name stays


def test_presidio_and_eu_patterns_find_what_no_record_lists(redactor: Redactor) -> None:
    text = ("Refund to IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111. Contact jane.doe@example.org, "
            "+33 1 42 68 53 00. Ship to Hauptstraße 5a, 10115 Berlin or 12 rue de la Paix, 75002 Paris; "
            "NL: Keizersgracht 123, 1017 CT Amsterdam; UK: SW1A 1AA.")
    out = redactor.redact([text], None)
    red = out.texts[0]
    for gone in ("DE89 3704", "4111 1111", "jane.doe@example.org", "42 68 53 00", "Hauptstraße 5a", "10115 Berlin",
                 "rue de la Paix", "75002 Paris", "Keizersgracht 123", "1017 CT", "SW1A 1AA"):
        assert gone not in red, (gone, red)
    assert {"IBAN", "CARD", "EMAIL", "PHONE", "ADDRESS", "POSTCODE"} <= set(out.counts)


def test_ordinary_numbers_are_left_alone(redactor: Redactor) -> None:
    text = "Order total 949.90 USD, 8 items, created 2026-11-22T16:22:23+00:00, risk 70/100, SKU 4411."
    assert redactor.redact([text], None).texts == [text]


def test_the_same_value_gets_the_same_placeholder_and_existing_tokens_are_not_reused(redactor: Redactor) -> None:
    out = redactor.redact(["[NAME_1] is a literal. Klaus wrote to Klaus.", "KLAUS again"], {"first_name": "Klaus"})
    assert out.texts == ["[NAME_1] is a literal. [NAME_2] wrote to [NAME_2].", "[NAME_2] again"]
    assert out.placeholders.restore("Dear [NAME_2], re [NAME_1] [NAME_9]") == "Dear Klaus, re [NAME_1] [NAME_9]"


def test_restoring_json_keeps_it_valid() -> None:
    p = Placeholders()
    token = p.token("NAME", 'Dr. "Q" O\'Neil')
    import json

    text = json.dumps({"reasons": [f"{token} uses a throwaway mailbox"]})
    assert json.loads(p.restore_json_text(text)) == {"reasons": ['Dr. "Q" O\'Neil uses a throwaway mailbox']}
    assert p.restore_value({"a": [token, 3, None]}) == {"a": ['Dr. "Q" O\'Neil', 3, None]}


@pytest.mark.parametrize("cut", range(1, 12))
def test_a_placeholder_split_across_stream_chunks_is_restored_whole(cut: int) -> None:
    p = Placeholders()
    token = p.token("EMAIL", "a@b.de")
    text = f"write to {token} [x] or [NOTE]."
    pieces = [text[:cut], text[cut:cut + 7], text[cut + 7:]]
    s = p.stream()
    shown = [s.feed(piece) for piece in pieces] + [s.flush()]
    assert "".join(shown) == "write to a@b.de [x] or [NOTE]."
    assert all("[EMA" not in part or "]" in part for part in shown)


def test_a_failing_recognizer_fails_the_redaction() -> None:
    def broken(text: str) -> list[tuple[int, int, str]]:
        raise MemoryError("recognizer crashed")

    with pytest.raises(RedactionError, match="recognizer crashed"):
        Redactor(finders=[broken]).redact(["Klaus"], {"first_name": "Klaus"})


def test_a_record_value_still_present_after_replacement_fails_the_redaction() -> None:
    # "_1]" is a record value that the placeholder for "Klaus" ("[NAME_1]") itself would spell out
    record = {"first_name": "Klaus", "note": "_1]"}
    with pytest.raises(RedactionError, match="survived"):
        Redactor(finders=[]).redact(["Klaus"], record)


def test_overlapping_spans_from_two_sources_leave_no_fragment() -> None:
    def inside(text: str) -> list[tuple[int, int, str]]:
        return [(3, 9, "ADDRESS")]  # overlaps the end of the first name and the start of the last

    out = Redactor(finders=[inside]).redact(["Klaus Mueller"], {"first_name": "Klaus", "last_name": "Mueller"})
    assert out.texts == ["[NAME_1]"] and out.counts == {"NAME": 1}


def test_short_values_are_not_searched_and_terms_cover_spellings() -> None:
    ts = terms({"billing.first_name": "K", "billing.last_name": "Müller", "x.unknown": "Secret Thing"})
    assert [(t.kind, bool(t.pattern.search("MUELLER"))) for t in ts] == [("PERSONAL", False), ("NAME", True)]


def test_presidio_runs_without_any_nlp_model_or_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kw: object) -> None:
        raise AssertionError("redaction tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    finder = PresidioFinder()
    found = finder("mail bob@unknown-tld.zzz or +49 30 901820, IBAN GB82 WEST 1234 5698 7654 32")
    assert {k for _, _, k in found} == {"EMAIL", "PHONE", "IBAN"}
    engine = finder._analyzer()
    assert type(engine.nlp_engine).__name__ == "NoOpNlpEngine"
    import sys

    assert not [m for m in sys.modules if m.startswith(("en_core_web", "de_core_news"))]
