"""Descriptions in the shop's language: the fact sheet, the grounded check and the template per language."""

from __future__ import annotations

import pytest

from sovereign.domain.descriptions import ProductFacts, real_categories, template, validate
from sovereign.domain.grounded import assemble, build_grounded_messages, fact_sheet, grounded_bounds
from sovereign.domain.shop_language import ENGLISH, LANGUAGES, ShopLanguage, is_supported, shop_language

# Per language, the product of its first worked example: the sheet it gets must be the example's sheet.
MUGS = {
    "en": ProductFacts(name="Garden Mug", categories=("Homeware",), attributes=(("Colour", ("Green", "Blue")),),
                       short_description="Glazed inside and out."),
    "de": ProductFacts(name="Gartenbecher", categories=("Wohnen",), attributes=(("Farbe", ("Grün", "Blau")),),
                       short_description="Innen und außen glasiert."),
    "fr": ProductFacts(name="Tasse Jardin", categories=("Maison",), attributes=(("Couleur", ("Vert", "Bleu")),),
                       short_description="Émaillée à l'intérieur et à l'extérieur."),
    "es": ProductFacts(name="Taza Jardín", categories=("Hogar",), attributes=(("Color", ("Verde", "Azul")),),
                       short_description="Esmaltada por dentro y por fuera."),
    "nl": ProductFacts(name="Tuinmok", categories=("Wonen",), attributes=(("Kleur", ("Groen", "Blauw")),),
                       short_description="Binnen en buiten geglazuurd."),
}


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_each_languages_worked_example_is_itself_accepted(code: str) -> None:
    """The model is shown these answers as the way to write: our own check must keep every sentence."""
    lang, f = LANGUAGES[code], MUGS[code]
    sheet = fact_sheet(f, lang)
    example_facts, example_answer = lang.examples_facts[0]
    assert [fact.text for fact in sheet] == [e["fact"] for e in example_facts]
    built = assemble(example_answer, f, sheet, lang)
    assert built.kept == len(example_answer["sentences"]), built.dropped
    checked = validate(built.text, f, grounded_bounds(sheet), lang=lang)
    assert checked.ok, checked.problems


@pytest.mark.parametrize("code", sorted(LANGUAGES))
@pytest.mark.parametrize("tone", [None, "warm", "formal"])
def test_the_template_is_written_in_the_shops_language_and_passes_the_validator(code: str, tone: str | None) -> None:
    lang, f = LANGUAGES[code], MUGS[code]
    text = template(f, tone, lang)
    checked = validate(text, f, grounded_bounds(fact_sheet(f, lang)), lang=lang)
    assert checked.ok, (text, checked.problems)
    assert f.name in text and f.categories[0] in text
    if lang is not ENGLISH:
        assert "range" not in text and " or " not in text  # no English left in it
        assert f" {lang.word_or} " in text


def test_woocommerce_default_category_says_nothing_in_any_language() -> None:
    for default in ("Uncategorized", "Unkategorisiert", "Non classé", "Sin categorizar", "Ongecategoriseerd"):
        assert real_categories((default, "Küche")) == ("Küche",)
    text = template(ProductFacts(name="Bräter", categories=("Unkategorisiert",)), "warm", shop_language("de"))
    assert text == "Entdecken Sie Bräter."


def test_a_german_sentence_with_a_word_no_fact_supports_is_dropped() -> None:
    de = shop_language("de_DE")
    f = MUGS["de"]
    sheet = fact_sheet(f, de)
    answer = {"sentences": [
        {"text": "Entdecken Sie den Gartenbecher, ein schönes Stück aus unserem Sortiment Wohnen.", "facts": ["F1", "F2"]},
        {"text": "Der Gartenbecher ist aus weicher Baumwolle und spülmaschinenfest.", "facts": ["F1"]},
        {"text": "Wählen Sie ihn in Grün oder Blau.", "facts": ["F3"]},
    ]}
    built = assemble(answer, f, sheet, de)
    assert built.kept == 2 and "Baumwolle" not in built.text
    assert any(d.startswith("unsupported:") and "baumwolle" in d for d in built.dropped), built.dropped
    # the English rules would have refused the German shop words (nouns are capitalised in German)
    bounds = grounded_bounds(sheet)
    assert validate(built.text, f, bounds, lang=de).ok
    assert any(p.startswith("unknown_name:") for p in validate(built.text, f, bounds).problems)


def test_the_prompt_asks_for_the_shops_language_with_examples_in_it() -> None:
    de = shop_language("German")
    messages = build_grounded_messages(MUGS["de"], fact_sheet(MUGS["de"], de), lang=de)
    assert "Write the sentences in German" in messages[0].content and "Sortiment" in messages[0].content
    assert "Gartenbecher" in messages[1].content and "Garden Mug" not in messages[1].content
    english = build_grounded_messages(MUGS["en"], fact_sheet(MUGS["en"]))
    assert "Write the sentences in" not in english[0].content and "Garden Mug" in english[1].content


@pytest.mark.parametrize("given, code", [
    ("de_DE", "de"), ("de-AT", "de"), ("German", "de"), ("Deutsch", "de"), ("fr_FR", "fr"), ("es_MX", "es"),
    ("nl_BE", "nl"), ("en_GB", "en"), (None, "en"), ("", "en"),
])
def test_a_wordpress_locale_or_a_name_picks_the_language(given: str | None, code: str) -> None:
    assert shop_language(given).code == code and is_supported(given)


def test_an_unsupported_language_is_reported_and_falls_back_to_english() -> None:
    assert not is_supported("ja_JP") and shop_language("ja_JP") is ENGLISH
    assert isinstance(shop_language("pt_BR"), ShopLanguage)
