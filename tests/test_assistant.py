"""The assistant's replies to awkward input and deadline questions, without Telegram."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import knowledge
from bot.assistant import Assistant
from bot.knowledge import BRUSSELS
from bot.telegram_html import check, visible_length
from tests.conftest import ROOT

GOOD = ROOT / "tests" / "data" / "good"


def sample(now: datetime) -> Assistant:
    kb = knowledge.load(GOOD).kb
    assert kb is not None
    return Assistant(kb, now=lambda: now)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "🙂🎓✈️",
        "<b>hello</b><script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "x" * 10_000,
        "Wie viel kostet ein Döner in Berlin?",
        "\x00\x01",
        "ąęółżźćń",
    ],
)
def test_awkward_input_gets_a_valid_reply(assistant: Assistant, text: str) -> None:
    """Empty, huge, emoji, HTML, SQL-looking and foreign text all get a valid, sendable reply."""
    reply = assistant.answer(text)
    assert reply.text.strip()
    assert check(reply.text) == []
    assert visible_length(reply.text) <= 4096
    assert "<script>" not in reply.text


@pytest.mark.parametrize(
    "text",
    ["Скільки становить стипендія Erasmus для студентів?", "Как подать заявку на Erasmus?"],
)
def test_cyrillic_question_is_told_which_languages_are_spoken(
    assistant: Assistant, text: str
) -> None:
    """A Ukrainian or Russian question is answered in English with a note on the languages
    spoken, even when the user's chat language is Polish."""
    reply = assistant.answer(text, "pl")
    assert reply.lang == "en"
    assert reply.text.startswith("ℹ️ I speak English and Polish")


def test_ukrainian_keywords_find_the_topic(assistant: Assistant) -> None:
    """Ukrainian words for the main topics are synonyms too: an insurance question written in
    Ukrainian ranks the insurance entry first."""
    reply = assistant.answer("Чи потрібна страховка на Erasmus?", "pl")
    assert reply.ranking is not None
    assert reply.ranking.matches[0].entry_id == "insurance"


def test_a_general_deadline_question_gets_the_deadlines(assistant: Assistant) -> None:
    """ "What are the application deadlines?" names no action, yet it asks for the dates: it gets
    the deadlines answer, not a choice. A person asking about their own dates does not: those
    are their university's, or not Erasmus+ at all."""
    for question, lang in (
        ("Jakie są terminy składania wniosków?", "pl"),
        ("Wann sind die Antragsfristen?", None),
    ):
        reply = assistant.answer(question, lang)
        assert (reply.kind, reply.entry_id) == ("answer", "deadlines"), question
    for question in (
        "Are there any deadlines I need to respect?",
        "what's the due date of my library book",
    ):
        assert assistant.answer(question).kind != "answer", question


def test_a_question_about_the_home_university_is_not_answered_with_erasmus(
    assistant: Assistant,
) -> None:
    """A dorm place, a rector's scholarship or NFZ insurance at home share words with Erasmus+
    entries; they get a pointer to the right office (outside.yaml), the Erasmus+ entry as a
    button in case that was meant, and never a confident Erasmus+ answer."""
    cases = (
        ("how do I get a room in the student dorm", "en", "accommodation"),
        ("stypendium rektora ile wynosi", "pl", "combining-grants"),
        ("czy jako student mam ubezpieczenie NFZ", "pl", "insurance"),
    )
    for question, lang, instead in cases:
        reply = assistant.answer(question, lang)
        assert reply.kind == "decline" and reply.entry_id is None, question
        assert "Erasmus+" in reply.text and ("office" in reply.text or "dział" in reply.text)
        actions = [b.action for row in reply.buttons for b in row]
        assert f"e:{instead}" in actions and "contact" in actions, actions
        assert reply.ranking is not None
        assert not any(m.entry_id.startswith("outside:") for m in reply.ranking.matches)


def test_the_same_words_about_erasmus_still_get_the_answer(assistant: Assistant) -> None:
    """With Erasmus+ in the question, the dorm or the scholarship is the Erasmus+ entry; an
    off-topic question that is none of outside.yaml's topics gets no note about them."""
    for question, expected in (
        ("czy dostane miejsce w akademiku na wymianie", "accommodation"),
        ("Czy na Erasmusie zachowam stypendium rektora?", "combining-grants"),
        ("will the partner uni find me a room in a dorm", "accommodation"),
    ):
        reply = assistant.answer(question)
        assert (reply.kind, reply.entry_id) == ("answer", expected), question
    # Off topic, but not one of outside.yaml's topics: no dorm or scholarship note.
    visa = assistant.answer("how do I get a US student visa")
    assert visa.kind != "answer" and "something else" not in visa.text


def test_off_topic_question_is_not_answered(assistant: Assistant) -> None:
    """A question about something else gets an honest "I don't know" and a way to a person."""
    reply = assistant.answer("what is the weather in Lisbon tomorrow")
    assert reply.kind == "decline"
    assert "/contact" in reply.text
    assert any(b.action == "contact" for row in reply.buttons for b in row)


def test_long_message_is_cut_with_a_note(assistant: Assistant) -> None:
    """A 10,000-character message is read up to the limit and the user is told so."""
    reply = assistant.answer("erasmus grant " * 800)
    assert "first 1000 characters" in reply.text


def test_next_deadline_comes_from_the_data() -> None:
    """Before the first round, the next deadline is round 1 with the later round listed."""
    reply = sample(datetime(2026, 2, 1, 9, 0, tzinfo=BRUSSELS)).answer("next deadline for ka210?")
    assert (reply.kind, reply.entry_id) == ("answer", "deadlines")
    assert "2026-03-05 12:00" in reply.text and "round 1" in reply.text
    assert "2026-10-01 12:00" in reply.text
    assert "in 32 days" in reply.text


def test_deadline_between_rounds_gives_the_second_round() -> None:
    """After round 1 closes, the answer is round 2."""
    reply = sample(datetime(2026, 6, 1, tzinfo=BRUSSELS)).answer("KA 210 termin")
    assert "2026-10-01 12:00" in reply.text
    assert "2026-03-05" not in reply.text
    assert reply.lang == "pl" or "round 2" in reply.text


def test_passed_deadline_is_said_to_have_passed() -> None:
    """After the last known deadline the bot says it passed and does not invent the next one."""
    reply = sample(datetime(2026, 11, 24, tzinfo=BRUSSELS)).answer("when is the ka210 deadline")
    assert "has passed" in reply.text
    assert "2026-10-01 12:00" in reply.text


def test_deadline_answer_in_polish() -> None:
    """A Polish question gets the deadline answer in Polish."""
    reply = sample(datetime(2026, 2, 1, tzinfo=BRUSSELS)).answer("kiedy jest termin na KA210?")
    assert reply.lang == "pl"
    assert "Najbliższy termin" in reply.text


def test_when_with_applying_is_a_deadline_question() -> None:
    """ "When can we apply for KA210?" names no deadline word but asks for one."""
    assistant = sample(datetime(2026, 2, 1, tzinfo=BRUSSELS))
    questions = (
        "When can we apply for KA210?",
        "kiedy składać wniosek na KA210",
        "Wann kann man KA210 beantragen?",
    )
    for question in questions:
        reply = assistant.answer(question)
        assert (reply.kind, reply.entry_id) == ("answer", "deadlines"), question
        assert "2026-03-05 12:00" in reply.text


def test_when_without_applying_is_not_a_deadline_question(assistant: Assistant) -> None:
    """Asking "when is accreditation needed?" is about a condition: accreditation, no date."""
    questions = ("kiedy potrzebna jest akredytacja erasmusa", "when is an accreditation needed")
    for question in questions:
        reply = assistant.answer(question)
        assert reply.entry_id != "deadlines", question
        assert reply.ranking is not None and reply.ranking.matches[0].entry_id == "accreditation"


def test_every_entry_renders_as_valid_telegram_html(assistant: Assistant) -> None:
    """Each entry in both languages renders to valid HTML that fits one message."""
    for entry_id in assistant.kb.entries:
        for lang in ("en", "pl"):
            reply = assistant.entry_reply(entry_id, lang)
            assert check(reply.text) == [], (entry_id, lang)
            assert visible_length(reply.text) <= 4096


def test_every_button_fits_telegram_callback_data(assistant: Assistant) -> None:
    """Callback data of every button the assistant can show fits Telegram's 64 bytes."""
    replies = [assistant.topics_reply("pl")]
    replies += [assistant.group_reply(g.id, "pl") for g in assistant.kb.groups]
    replies += [assistant.entry_reply(e, "pl") for e in assistant.kb.entries]
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                assert len(button.action.encode("utf-8")) <= 64, button.action


def test_answers_say_which_call_year_they_hold_for(assistant: Assistant) -> None:
    """Every answer ends with the call year (or the programme period) and the verified date."""
    for entry in assistant.kb.entries.values():
        text = assistant.entry_reply(entry.id, "en").text
        assert f"verified {entry.verified.isoformat()}" in text
        if entry.call_year == "2021-2027":
            assert "the 2021-2027 programme" in text
        else:
            assert f"the {entry.call_year} call" in text, entry.id


def test_a_vague_question_is_asked_back_in_the_users_language(assistant: Assistant) -> None:
    """A too-general question gets "which one do you mean?" with topic buttons, not a guess."""
    if assistant.embedder is None:
        pytest.skip("with words alone these questions are a close race, not vague")
    reply = assistant.answer("who can take part", "en")
    assert reply.kind == "choice"
    assert reply.text.startswith("Your question could fit several topics")
    assert len([row for row in reply.buttons if row[0].action.startswith("e:")]) == 3
    reply = assistant.answer("jakie dokumenty są potrzebne", "pl")
    assert reply.kind == "choice" and "kilku tematów" in reply.text
