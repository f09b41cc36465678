"""Presidio's pattern recognizers (email, phone, IBAN, credit card, IP), with no NLP model.

The analyzer runs on Presidio's ``NoOpNlpEngine`` with only pattern
recognizers registered: no spaCy model is loaded or downloaded, ever. The
email recognizer is used without its top-level-domain check (that check
would fetch the public suffix list from the internet; an address-shaped
string is redacted whatever its domain). Presidio is imported on first use
(a second or two; its optional NLP back-ends such as transformers are kept
out): call ``warm()`` at start-up to pay that early.
"""

from __future__ import annotations

import importlib.abc
import threading
from typing import Any, Sequence

ENTITY_KINDS = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CARD",
    "IP_ADDRESS": "IP",
}
# Regions whose national phone formats are recognised (international +NN numbers are found anyway).
DEFAULT_PHONE_REGIONS = ("DE", "AT", "CH", "FR", "NL", "BE", "IT", "ES", "PL", "GB", "IE", "US")


class PresidioFinder:
    """Finds ``(start, end, kind)`` spans with Presidio's pattern recognizers. Thread-safe."""

    def __init__(self, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        self.phone_regions = tuple(phone_regions)
        self._engine: Any = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        self._analyzer()

    def _analyzer(self) -> Any:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _build(self.phone_regions)
        return self._engine

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        results = self._analyzer().analyze(text=text, language="en", entities=list(ENTITY_KINDS), score_threshold=0.0)
        return [(r.start, r.end, ENTITY_KINDS[r.entity_type]) for r in results]


# Optional NLP back-ends Presidio imports if they are installed (transformers alone takes seconds and
# pulls in torch); the pattern recognizers need none of them, so they are hidden while Presidio loads,
# from the loading thread only: other threads (the embedding model loading at the same time) still
# import them normally.
_NOT_NEEDED = ("transformers", "torch", "stanza", "spacy_stanza")


class _HiddenInThisThread(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if threading.get_ident() == self.thread and fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{fullname} is not needed by the pattern recognizers", name=fullname)
        return None


def _build(phone_regions: Sequence[str]) -> Any:
    import sys
    import warnings

    finder = _HiddenInThisThread([name for name in _NOT_NEEDED if name not in sys.modules])
    sys.meta_path.insert(0, finder)
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
        )
    finally:
        sys.meta_path.remove(finder)

    class AnyDomainEmail(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return True

    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        AnyDomainEmail(),
        PhoneRecognizer(supported_regions=tuple(phone_regions)),
        IbanRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no context words from text with NoOpNlpEngine": known
        return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
