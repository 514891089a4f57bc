"""Guess the language of a message from its letters and most common words."""

from __future__ import annotations

import re

_PL_LETTERS = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")
_WORDS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")

# A few dozen of the most frequent words per language are enough for chat-length messages.
_COMMON = {
    "en": set(
        [
            "the",
            "a",
            "an",
            "is",
            "are",
            "what",
            "how",
            "much",
            "can",
            "i",
            "do",
            "my",
            "for",
            "of",
            "to",
            "in",
            "when",
            "where",
            "who",
            "which",
            "does",
            "with",
            "and",
            "or",
            "be",
            "get",
            "should",
            "about",
            "apply",
            "there",
            "need",
            "my",
            "you",
            "we",
            "our",
        ]
    ),
    "pl": set(
        [
            "jak",
            "ile",
            "czy",
            "co",
            "jest",
            "sa",
            "się",
            "sie",
            "w",
            "na",
            "do",
            "z",
            "dla",
            "kiedy",
            "gdzie",
            "mozna",
            "moge",
            "jaki",
            "jaka",
            "jakie",
            "ktore",
            "ktory",
            "nie",
            "mam",
            "moja",
            "moj",
            "wniosek",
            "studia",
            "stypendium",
            "wyjazd",
            "termin",
            "prosze",
            "czym",
            "jakie",
            "ze",
        ]
    ),
    "de": set(
        [
            "der",
            "die",
            "das",
            "ist",
            "wie",
            "viel",
            "kann",
            "ich",
            "und",
            "oder",
            "wann",
            "wo",
            "wer",
            "was",
            "für",
            "fur",
            "ein",
            "eine",
            "mit",
            "nicht",
            "sind",
            "gibt",
            "es",
            "bei",
        ]
    ),
    "cs": set(
        [
            "jak",
            "kolik",
            "je",
            "jsou",
            "co",
            "kdy",
            "kde",
            "kdo",
            "muzu",
            "mohu",
            "se",
            "na",
            "pro",
            "a",
            "v",
            "ze",
            "jaky",
            "jaka",
            "jake",
            "jsem",
            "byt",
        ]
    ),
    "sk": set(
        [
            "ako",
            "kolko",
            "je",
            "su",
            "co",
            "kedy",
            "kde",
            "kto",
            "mozem",
            "sa",
            "na",
            "pre",
            "a",
            "v",
            "ze",
            "aky",
            "aka",
            "ake",
            "som",
            "byt",
            "dostanem",
        ]
    ),
    "it": set(
        [
            "il",
            "la",
            "come",
            "quanto",
            "posso",
            "cosa",
            "quando",
            "dove",
            "chi",
            "per",
            "di",
            "che",
            "sono",
            "un",
            "una",
            "del",
            "lo",
            "gli",
            "ci",
            "si",
            "non",
            "ho",
            "cos",
            "qual",
            "quali",
        ]
    ),
    "fr": set(
        [
            "le",
            "la",
            "les",
            "comment",
            "combien",
            "puis",
            "je",
            "est",
            "quand",
            "ou",
            "qui",
            "pour",
            "de",
            "des",
            "que",
            "un",
            "une",
            "du",
            "ce",
            "qu",
            "et",
            "au",
            "aux",
            "mon",
            "mes",
            "peux",
            "faut",
            "quel",
            "quelle",
        ]
    ),
    "es": set(
        [
            "el",
            "la",
            "los",
            "como",
            "cuanto",
            "puedo",
            "que",
            "es",
            "cuando",
            "donde",
            "quien",
            "para",
            "de",
            "un",
            "una",
            "del",
            "hay",
            "cual",
            "cuales",
            "y",
            "puede",
            "tengo",
        ]
    ),
}

SUPPORTED = ("en", "pl")
OTHER = tuple(lang for lang in _COMMON if lang not in SUPPORTED)  # recognised, not spoken


def common_words(lang: str) -> frozenset[str]:
    """The most frequent words of a language this module knows (empty for others)."""
    return frozenset(_COMMON.get(lang, ()))


def detect(text: str) -> str | None:
    """The likely language code of ``text``, or None when there is nothing to go on."""
    if _PL_LETTERS.search(text):
        return "pl"
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic and cyrillic >= len(_LATIN.findall(text)):
        # Many students in Białystok write in Ukrainian, Russian or Belarusian; "KA131" or
        # "Erasmus" in Latin letters does not make such a question English.
        lowered = text.lower()
        if re.search("[іїєґ]", lowered) and not re.search("[ўыэъ]", lowered):
            return "uk"
        return "be" if "ў" in lowered else "ru"
    words = [w.lower() for w in _WORDS.findall(text)]
    if not words:
        return None
    counts = {lang: sum(w in common for w in words) for lang, common in _COMMON.items()}
    best = max(counts, key=lambda lang: (counts[lang], lang in SUPPORTED, lang == "en"))
    if counts[best] == 0:
        return None
    if re.search(r"[äöüß]", text.lower()) and counts["de"] >= counts[best] - 1:
        return "de"
    return best
