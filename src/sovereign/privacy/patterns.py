"""EU street addresses and postcodes, found by pattern (no NLP model).

Streets: German, Austrian, Swiss and Dutch compounds (``Königsallee 27``,
``Berliner Str. 5a``, ``Keizersgracht 123``), French/Belgian/Luxembourgish
(``12 bis, rue de la Paix``), Spanish, Italian and Portuguese
(``Calle Mayor 5``, ``Via Roma, 10``, ``Rua Augusta 24``), English/Irish
(``3 Marina Road``). Postcodes only where they cannot be confused with other
numbers: followed by a place name (``40212 Düsseldorf``, ``75001 Paris``),
or in a shape only postcodes have (``1017 CT``, ``SW1A 1AA``, ``00-950``,
``1100-148``, ``D02 X285``). Over-matching is accepted: a redacted street
name costs the model little, a leaked one cannot be taken back.
"""

from __future__ import annotations

import re
from typing import Iterator

_W = r"[^\W\d_]"  # a letter, any script
_NAME = rf"{_W}[{_W[1:-1]}'’.\-]*"  # one word of a name: Königs-allee, d'Italie, St.
_NUM = r"\d{1,5}(?:\s?[a-zA-Z](?!\w))?(?:\s?[-/]\s?\d{1,5}[a-zA-Z]?)?"  # 27, 5a, 12-14, 7/2

_DE_SUFFIX = (
    r"stra(?:ss|ß)e|str\.|allee|weg|gasse|platz|ring|damm|ufer|chaussee|steig|pfad|markt|berg|graben|"
    r"straat|laan|plein|gracht|kade|singel|dijk|dreef|hof|park|gasse|brücke|tor|feld"
)
_ROMANCE = (
    r"rue|avenue|av\.|boulevard|bd\.?|place|chemin|allée|impasse|quai|route|cours|passage|"
    r"calle|c/|avenida|avda\.|plaza|paseo|camino|carrer|rambla|via|viale|piazza|corso|largo|vicolo|"
    r"rua|travessa|praça|estrada|alameda"
)
_EN_SUFFIX = r"street|st\.?|road|rd\.?|avenue|ave\.?|lane|ln\.?|drive|dr\.?|way|close|court|ct\.?|crescent|terrace|place|square|hill|gardens|row|mews"

STREET = re.compile(
    "|".join(
        (
            # Königsallee 27, Berliner Str. 5a, Am Alten Markt 3 (compound or separate suffix)
            rf"(?<!\w)(?:{_NAME}\s+){{0,3}}{_W}*(?:{_DE_SUFFIX})(?:\s*,)?\s+{_NUM}(?!\d)",
            # 12 bis, rue de la Paix / Calle Mayor 5 / Via Roma, 10
            rf"(?<!\w)(?:\d{{1,5}}(?:\s?(?:bis|ter|[a-z]))?,?\s+)?(?:{_ROMANCE})\s+(?:{_NAME}\s+){{0,4}}{_NAME}(?:\s*,?\s*{_NUM}(?!\d))?",
            # 3 Marina Road
            rf"(?<!\w)\d{{1,5}}[a-zA-Z]?\s+(?:{_NAME}\s+){{0,3}}(?:{_EN_SUFFIX})(?!\w)",
        )
    ),
    re.IGNORECASE,
)

# 40212 Düsseldorf, D-40212 Düsseldorf, F-75001 Paris, 1010 Wien, L-1010 Luxembourg: a capitalised place follows
POSTCODE_PLACE = re.compile(
    rf"(?<![\w.,-])(?:[A-Z]{{1,2}}-)?\d{{4,5}}\s+({_W})(?:[{_W[1:-1]}\-]|\s(?=[A-ZÄÖÜ]))*{_W}"
)
POSTCODE_SHAPE = re.compile(
    "|".join(
        (
            r"(?<!\w)\d{4}\s?(?!SS|SA|SD)[A-Z]{2}(?!\w)",  # NL: 1017 CT
            r"(?<!\w)[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?!\w)",  # UK: SW1A 1AA
            r"(?<![\w.-])\d{2}-\d{3}(?![\w-])",  # PL: 00-950
            r"(?<![\w.-])\d{4}-\d{3}(?![\w-])",  # PT: 1100-148
            r"(?<!\w)[AC-FHKNPRTV-Y]\d{2}\s?[AC-FHKNPRTV-Y\d]{4}(?!\w)",  # IE Eircode: D02 X285
        )
    ),
)


def find(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, kind)`` of every street address and postcode in ``text``."""
    for m in STREET.finditer(text):
        yield m.start(), m.end(), "ADDRESS"
    for m in POSTCODE_PLACE.finditer(text):
        if m.group(1).isupper():
            yield m.start(), m.end(), "POSTCODE"
    for m in POSTCODE_SHAPE.finditer(text):
        yield m.start(), m.end(), "POSTCODE"
