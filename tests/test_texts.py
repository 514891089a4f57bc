"""The bot's own words: plural forms come from Babel's plural rules, Polish dates read natively."""

from __future__ import annotations

from datetime import date

import pytest

from bot.texts import TEXTS, holds_for, plural_form, t


@pytest.mark.parametrize(
    ("key", "lang", "days", "expected"),
    [
        ("ev_remind", "pl", 1, "⏰ Przypomnienie: jutro"),
        ("ev_remind", "pl", 2, "⏰ Przypomnienie: za 2 dni"),
        ("ev_remind", "pl", 7, "⏰ Przypomnienie: za 7 dni"),
        ("ev_remind", "en", 1, "⏰ Reminder: tomorrow"),
        ("ev_remind", "en", 7, "⏰ Reminder: in 7 days"),
        ("ev_deadline_remind", "pl", 1, "⏰ Termin jutro"),
        ("ev_deadline_remind", "pl", 22, "⏰ Termin za 22 dni"),
        ("in_days", "pl", 1, "za 1 dzień"),
        ("in_days", "pl", 5, "za 5 dni"),
        ("in_days", "en", 1, "in 1 day"),
        ("in_days", "en", 3, "in 3 days"),
    ],
)
def test_counted_texts_take_the_plural_form_of_the_language(
    key: str, lang: str, days: int, expected: str
) -> None:
    """No "za 1 dni": the form follows the CLDR plural rule of the language."""
    assert t(key, lang, days=days) == expected


def test_polish_plural_categories_come_from_babel() -> None:
    """1 is "one", 2–4 and 22–24 are "few", 5–21 and 25 are "many" in Polish."""
    assert [plural_form("pl", n) for n in (1, 2, 4, 5, 12, 22, 25)] == [
        "one",
        "few",
        "few",
        "many",
        "many",
        "few",
        "many",
    ]


def test_every_counted_text_has_an_other_form() -> None:
    """A text with plural forms always has the "other" form to fall back on."""
    for key, variants in TEXTS.items():
        for lang, text in variants.items():
            if isinstance(text, dict):
                assert "other" in text, (key, lang)


def test_polish_footer_dates_and_dashes() -> None:
    """The Polish footer writes 24.11.2026 and 2021–2027; English keeps ISO dates."""
    assert holds_for("2021-2027", date(2026, 11, 24), "pl") == (
        "Dotyczy programu na lata 2021–2027 · sprawdzono 24.11.2026"
    )
    assert holds_for("2026", date(2026, 11, 24), "en") == (
        "Holds for the 2026 call · verified 2026-11-24"
    )
