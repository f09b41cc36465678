"""The words a shop's descriptions are written in: one ``ShopLanguage`` per supported language.

    lang = shop_language("de_DE")        # → German; "de", "German", "Deutsch" work too
    lang.fact_name.format(name="Bräter") # → "Das Produkt heißt Bräter."

Grounded descriptions (``domain.grounded``) allow only the words of the product's facts plus a
small list of neutral shop words; the template (``domain.descriptions.template``) is built from
fixed phrases. Both are per language, so a German store gets German drafts and a German fallback,
and its ``Unkategorisiert`` category is as empty as ``Uncategorized``.

What is *not* per language: the generator's and the judge's lists of risky terms (materials,
colours, claims such as "waterproof") are English. In another language an invented claim is still
refused when it uses a word that no fact and no neutral word supports (grounded mode, the default),
but free-text mode checks it less well.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ENGLISH", "LANGUAGES", "ShopLanguage", "is_supported", "shop_language"]

Example = tuple[list[dict[str, str]], dict[str, Any]]


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: one object per language
class ShopLanguage:
    code: str
    name: str  # for the prompt: "Write in German."
    # the fact sheet
    fact_name: str  # "{name}"
    fact_category: str  # "{category}"
    fact_download: str
    fact_virtual: str
    # the template
    open_plain: str  # "{name}", "{cats}"
    open_plain_bare: str
    open_friendly: str
    open_friendly_bare: str
    open_formal: str
    open_formal_bare: str
    download: str
    this_product: str
    word_and: str
    word_or: str
    # what a grounded sentence may add to the facts' words
    shop_words: tuple[str, ...]  # offered in the prompt
    neutral: frozenset[str]  # accepted (a superset of the shop words' words)
    stop: frozenset[str]  # function words, never counted as content
    clause_words: tuple[str, ...]  # where an over-long sentence may be cut back
    placeholder_categories: frozenset[str]
    examples_facts: tuple[Example, ...]
    examples_name_only: tuple[Example, ...]

    @property
    def common_words(self) -> frozenset[str]:
        """Words any sentence in this language may hold without naming a thing: neutral and function words."""
        return self.neutral | self.stop


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _ex(facts: list[str], sentences: list[tuple[str, list[str]]]) -> Example:
    return ([{"id": f"F{i + 1}", "fact": t} for i, t in enumerate(facts)],
            {"sentences": [{"text": t, "facts": ids} for t, ids in sentences]})


ENGLISH = ShopLanguage(
    code="en", name="English",
    fact_name="The product is called {name}.",
    fact_category="It belongs to the {category} category.",
    fact_download="It is delivered as a download.",
    fact_virtual="It is not shipped: nothing physical is sent.",
    open_plain="{name}, from our {cats} range.", open_plain_bare="{name}.",
    open_friendly="Meet the {name}, from our {cats} range.", open_friendly_bare="Meet the {name}.",
    open_formal="The {name} is part of our {cats} range.", open_formal_bare="The {name}.",
    download="Delivered as a download.", this_product="This product", word_and="and", word_or="or",
    shop_words=("meet", "say hello to", "discover", "choose", "lovely", "stylish", "classic", "charming",
                "pretty", "little", "piece", "range", "collection", "from our", "available"),
    neutral=_words(
        "meet say hello welcome discover introducing introduce presenting present find choose pick add bring "
        "lovely beautiful charming delightful elegant stylish classic timeless simple pretty sweet smart neat "
        "nice fine wonderful favourite favorite little new great good stunning gorgeous cheerful cute quirky fun "
        "shop store range collection selection line part available offer offers offered comes come product item "
        "piece design designed named called look looks one"
    ),
    stop=_words(
        "the and for with from this that these those our your you are was were will can has have its into onto "
        "than then them they their there here what when which while who whom why how all any each every both "
        "more most other some such only own same very just also not nor but yet off out over under again"
    ),
    clause_words=("and", "with", "for", "that", "which", "perfect", "ideal"),
    placeholder_categories=frozenset({"uncategorized", "uncategorised", "default", "general", "misc", "other"}),
    examples_facts=(
        _ex(["The product is called Garden Mug.", "It belongs to the Homeware category.", "Colour: Green or Blue.",
             "Glazed inside and out."],
            [("Meet the Garden Mug, a lovely piece from our Homeware range.", ["F1", "F2"]),
             ("Choose it in green or blue.", ["F3"]), ("It is glazed inside and out.", ["F4"])]),
        _ex(["The product is called Star Print.", "It belongs to the Posters category.", "This is a simple product."],
            [("Discover the Star Print, a charming piece from our Posters range.", ["F1", "F2"]),
             ("The Star Print is a simple product.", ["F1", "F3"])]),
    ),
    examples_name_only=(
        _ex(["The product is called Blue Garden Mug."],
            [("Say hello to the Blue Garden Mug, a lovely little piece.", ["F1"])]),
        _ex(["The product is called Set/4 Star Paper Lanterns."],
            [("Meet the Set/4 Star Paper Lanterns, a charming piece from our range.", ["F1"])]),
    ),
)

GERMAN = ShopLanguage(
    code="de", name="German",
    fact_name="Das Produkt heißt {name}.",
    fact_category="Es gehört zur Kategorie {category}.",
    fact_download="Es wird als Download geliefert.",
    fact_virtual="Es wird nicht versandt: nichts Physisches wird verschickt.",
    open_plain="{name}, aus unserem Sortiment {cats}.", open_plain_bare="{name}.",
    open_friendly="Entdecken Sie {name}, aus unserem Sortiment {cats}.", open_friendly_bare="Entdecken Sie {name}.",
    open_formal="{name} ist Teil unseres Sortiments {cats}.", open_formal_bare="{name}.",
    download="Als Download erhältlich.", this_product="Dieses Produkt", word_and="und", word_or="oder",
    shop_words=("entdecken Sie", "wählen Sie", "schön", "hübsch", "klassisch", "stilvoll", "charmant", "Stück",
                "Sortiment", "Kollektion", "aus unserem", "erhältlich"),
    neutral=_words(
        "entdecken entdecke entdeckt wählen wähle wählt finden finde findet treffen lernen kennen willkommen "
        "schön schöne schönes schöner schönen hübsch hübsche hübsches klassisch klassische klassisches "
        "klassischer stilvoll stilvolle stilvolles charmant charmante charmantes elegant elegante elegantes "
        "neu neue neues neuer lieblich liebevoll wunderbar wunderbare wunderbares toll tolle tolles "
        "stück sortiment sortiments kollektion auswahl produkt produkte artikel erhältlich verfügbar angebot "
        "teil unser unsere unserem unseren unseres unserer heißt namens gibt"
    ),
    stop=_words(
        "der die das den dem des ein eine einer einem einen eines und oder mit für von aus bei nach zum zur "
        "sie ihr ihre ihnen ist sind war wird werden wurde hat haben als auch nur noch schon sehr wie was "
        "wer wo hier dort dies diese dieser dieses diesem diesen jede jeder jedes alle allen kein keine "
        "nicht aber doch denn weil wenn dass ins im am an auf über unter vor hinter neben zwischen durch "
        "ohne gegen bis sich man uns wir euch ihn ihm er es"
    ),
    clause_words=("und", "mit", "für", "das", "die", "der", "perfekt", "ideal"),
    placeholder_categories=frozenset({"unkategorisiert", "allgemein", "sonstiges", "standard"}),
    examples_facts=(
        _ex(["Das Produkt heißt Gartenbecher.", "Es gehört zur Kategorie Wohnen.", "Farbe: Grün oder Blau.",
             "Innen und außen glasiert."],
            [("Entdecken Sie den Gartenbecher, ein schönes Stück aus unserem Sortiment Wohnen.", ["F1", "F2"]),
             ("Wählen Sie ihn in Grün oder Blau.", ["F3"]), ("Er ist innen und außen glasiert.", ["F4"])]),
        _ex(["Das Produkt heißt Sternposter.", "Es gehört zur Kategorie Poster."],
            [("Das Sternposter ist ein charmantes Stück aus unserem Sortiment Poster.", ["F1", "F2"])]),
    ),
    examples_name_only=(
        _ex(["Das Produkt heißt Blauer Gartenbecher."],
            [("Entdecken Sie Blauer Gartenbecher, ein schönes kleines Stück.", ["F1"])]),
    ),
)

FRENCH = ShopLanguage(
    code="fr", name="French",
    fact_name="Le produit s'appelle {name}.",
    fact_category="Il appartient à la catégorie {category}.",
    fact_download="Il est livré en téléchargement.",
    fact_virtual="Il n'est pas expédié : rien de physique n'est envoyé.",
    open_plain="{name}, de notre gamme {cats}.", open_plain_bare="{name}.",
    open_friendly="Découvrez {name}, de notre gamme {cats}.", open_friendly_bare="Découvrez {name}.",
    open_formal="{name} fait partie de notre gamme {cats}.", open_formal_bare="{name}.",
    download="Disponible en téléchargement.", this_product="Ce produit", word_and="et", word_or="ou",
    shop_words=("découvrez", "choisissez", "joli", "charmant", "classique", "élégant", "pièce", "gamme",
                "collection", "de notre", "disponible"),
    neutral=_words(
        "découvrez découvrir choisissez choisir trouvez bienvenue voici présentons "
        "joli jolie jolis jolies charmant charmante charmants classique classiques élégant élégante "
        "beau belle beaux nouveau nouvelle petit petite adorable superbe ravissant ravissante "
        "pièce pièces gamme collection sélection produit article disponible disponibles offre partie "
        "notre nos appelle nommé"
    ),
    stop=_words(
        "le la les un une des du de d' l' et ou avec pour par sur sous dans en au aux ce cet cette ces "
        "il elle ils elles est sont était sera a ont qui que quoi dont où ne pas plus très aussi tout "
        "tous toute toutes son sa ses leur leurs vous votre vos nous se"
    ),
    clause_words=("et", "avec", "pour", "qui", "parfait", "idéal"),
    placeholder_categories=frozenset({"non classé", "non classe", "général", "divers", "autre"}),
    examples_facts=(
        _ex(["Le produit s'appelle Tasse Jardin.", "Il appartient à la catégorie Maison.", "Couleur: Vert ou Bleu.",
             "Émaillée à l'intérieur et à l'extérieur."],
            [("Découvrez Tasse Jardin, une jolie pièce de notre gamme Maison.", ["F1", "F2"]),
             ("Choisissez-la en vert ou bleu.", ["F3"]),
             ("Elle est émaillée à l'intérieur et à l'extérieur.", ["F4"])]),
    ),
    examples_name_only=(
        _ex(["Le produit s'appelle Tasse Jardin Bleue."],
            [("Découvrez Tasse Jardin Bleue, une jolie petite pièce.", ["F1"])]),
    ),
)

SPANISH = ShopLanguage(
    code="es", name="Spanish",
    fact_name="El producto se llama {name}.",
    fact_category="Pertenece a la categoría {category}.",
    fact_download="Se entrega como descarga.",
    fact_virtual="No se envía: no se manda nada físico.",
    open_plain="{name}, de nuestra gama {cats}.", open_plain_bare="{name}.",
    open_friendly="Descubre {name}, de nuestra gama {cats}.", open_friendly_bare="Descubre {name}.",
    open_formal="{name} forma parte de nuestra gama {cats}.", open_formal_bare="{name}.",
    download="Disponible como descarga.", this_product="Este producto", word_and="y", word_or="o",
    shop_words=("descubre", "elige", "bonito", "encantador", "clásico", "elegante", "pieza", "gama",
                "colección", "de nuestra", "disponible"),
    neutral=_words(
        "descubre descubrir elige elegir encuentra bienvenido presentamos conoce "
        "bonito bonita bonitos bonitas encantador encantadora clásico clásica elegante elegantes "
        "nuevo nueva pequeño pequeña precioso preciosa estupendo estupenda "
        "pieza piezas gama colección selección producto artículo disponible disponibles oferta parte "
        "nuestra nuestro nuestras nuestros llama"
    ),
    stop=_words(
        "el la los las un una unos unas y o con para por de del al en sobre bajo este esta estos estas "
        "ese esa es son era será ha han que quien cual cuyo donde no más muy también todo todos toda "
        "todas su sus tu tus usted se lo le les está están"
    ),
    clause_words=("y", "con", "para", "que", "perfecto", "ideal"),
    placeholder_categories=frozenset({"sin categorizar", "sin categoría", "general", "varios", "otros"}),
    examples_facts=(
        _ex(["El producto se llama Taza Jardín.", "Pertenece a la categoría Hogar.", "Color: Verde o Azul.",
             "Esmaltada por dentro y por fuera."],
            [("Descubre Taza Jardín, una bonita pieza de nuestra gama Hogar.", ["F1", "F2"]),
             ("Disponible en verde o azul.", ["F3"]), ("Está esmaltada por dentro y por fuera.", ["F4"])]),
    ),
    examples_name_only=(
        _ex(["El producto se llama Taza Jardín Azul."],
            [("Descubre Taza Jardín Azul, una bonita pieza pequeña.", ["F1"])]),
    ),
)

DUTCH = ShopLanguage(
    code="nl", name="Dutch",
    fact_name="Het product heet {name}.",
    fact_category="Het hoort bij de categorie {category}.",
    fact_download="Het wordt geleverd als download.",
    fact_virtual="Het wordt niet verzonden: er wordt niets fysieks verstuurd.",
    open_plain="{name}, uit ons assortiment {cats}.", open_plain_bare="{name}.",
    open_friendly="Ontdek {name}, uit ons assortiment {cats}.", open_friendly_bare="Ontdek {name}.",
    open_formal="{name} maakt deel uit van ons assortiment {cats}.", open_formal_bare="{name}.",
    download="Verkrijgbaar als download.", this_product="Dit product", word_and="en", word_or="of",
    shop_words=("ontdek", "kies", "mooi", "leuk", "klassiek", "stijlvol", "charmant", "stuk", "assortiment",
                "collectie", "uit ons", "verkrijgbaar"),
    neutral=_words(
        "ontdek ontdekken kies kiezen vind maak kennis welkom maak "
        "mooi mooie leuk leuke klassiek klassieke stijlvol stijlvolle charmant charmante elegant elegante "
        "nieuw nieuwe klein kleine prachtig prachtige fijn fijne "
        "stuk stukje assortiment collectie selectie product artikel verkrijgbaar beschikbaar aanbod deel "
        "ons onze heet genaamd"
    ),
    stop=_words(
        "de het een en of met voor van uit bij naar aan op in over onder dit dat deze die is zijn was "
        "wordt worden heeft hebben als ook nog al zeer wat wie waar hier daar elk elke alle geen niet maar "
        "want omdat wanneer dan hem haar hun je jij jouw u uw we wij zich er hij zij"
    ),
    clause_words=("en", "met", "voor", "die", "perfect", "ideaal"),
    placeholder_categories=frozenset({"ongecategoriseerd", "geen categorie", "algemeen", "overig"}),
    examples_facts=(
        _ex(["Het product heet Tuinmok.", "Het hoort bij de categorie Wonen.", "Kleur: Groen of Blauw.",
             "Binnen en buiten geglazuurd."],
            [("Ontdek de Tuinmok, een mooi stuk uit ons assortiment Wonen.", ["F1", "F2"]),
             ("Kies hem in groen of blauw.", ["F3"]), ("Hij is binnen en buiten geglazuurd.", ["F4"])]),
    ),
    examples_name_only=(
        _ex(["Het product heet Blauwe Tuinmok."], [("Ontdek de Blauwe Tuinmok, een mooi klein stuk.", ["F1"])]),
    ),
)

LANGUAGES: dict[str, ShopLanguage] = {lang.code: lang for lang in (ENGLISH, GERMAN, FRENCH, SPANISH, DUTCH)}
_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr", "francais": "fr",
    "spanish": "es", "español": "es", "espanol": "es", "dutch": "nl", "nederlands": "nl",
}


def shop_language(code: str | None) -> ShopLanguage:
    """The language for a WordPress locale (``de_DE``, ``de-AT``), a code (``fr``) or a name (``German``).

    Unset or not supported: English (callers that want to warn check ``is_supported`` first)."""
    return LANGUAGES.get(_code(code), ENGLISH)


def is_supported(code: str | None) -> bool:
    return not code or _code(code) in LANGUAGES


def _code(code: str | None) -> str:
    value = (code or "en").strip().casefold()
    return _NAMES.get(value, value.replace("-", "_").split("_")[0])
