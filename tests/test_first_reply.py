"""The first reply: its kind (answer, guess, choice, decline, small talk), its size, and the
buttons that unfold the rest — through the assistant, the terminal chat and Telegram."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import pytest

from bot import knowledge
from bot.assistant import SHORT_BUDGET, Assistant, render_entry, render_short
from bot.evaluation import strip_diacritics
from bot.telegram_html import check, visible_length
from bot.terminal import TerminalChat
from bot.texts import holds_for
from tests.conftest import Running, start_app, stop_app, with_knowledge
from tests.test_telegram import buttons

REPO = Path(__file__).resolve().parent.parent


def actions(reply) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.action for row in reply.buttons for b in row]


def test_every_first_message_is_chat_sized_and_keeps_year_and_date(
    assistant: Assistant,
) -> None:
    """Every entry's first message fits a phone screen (median <= 700, none over 1,500 visible
    characters), shows at most 2 source links and still says which call it holds for."""
    lengths = []
    for entry in assistant.kb.entries.values():
        for lang in ("en", "pl"):
            text = render_short(entry, lang)
            assert check(text) == [], (entry.id, lang)
            assert text.count("<a href=") <= 2, (entry.id, lang)
            assert holds_for(entry.call_year, entry.verified, lang) in text
            lengths.append(visible_length(text))
    assert max(lengths) <= 1500
    assert statistics.median(lengths) <= 700


def test_nothing_is_lost_only_folded(assistant: Assistant) -> None:
    """What the short answer leaves out is in the full one behind "More", with every source."""
    entry = assistant.kb.entries["student-grant-amount"]
    reply = assistant.entry_reply(entry.id, "en")
    assert f"more:{entry.id}" in actions(reply) and f"src:{entry.id}" in actions(reply)
    full = render_entry(entry, "en")
    for url in entry.sources:
        assert url in full
    assert visible_length(reply.text) < visible_length(full)
    sources = assistant.sources_reply(entry.id, "en")
    assert all(url in sources.text for url in entry.sources)


def test_a_long_answer_is_cut_at_a_paragraph_or_bullet(assistant: Assistant) -> None:
    """The short answer ends at a paragraph or a bullet, never in the middle of a sentence."""
    for entry in assistant.kb.entries.values():
        body = entry.answer["en"].strip()
        short = render_short(entry, "en").split("\n\n<b>Source")[0]
        for piece in short.split("\n"):
            assert piece in body, (entry.id, piece)
        assert visible_length(short) <= max(SHORT_BUDGET, visible_length(body.split("\n\n")[0]))


@pytest.mark.parametrize(
    ("message", "lang", "words"),
    [
        ("hi", "en", "Hello"),
        ("Hello!", "en", "Hello"),
        ("dzień dobry", "pl", "Dzień dobry"),
        ("dzien dobry", "pl", "Dzień dobry"),
        ("thanks!", "en", "welcome"),
        ("dzięki", "pl", "Nie ma za co"),
        ("thnaks", "en", "welcome"),
        ("bye", "en", "Good luck"),
        ("who are you?", "en", "bot"),
        ("kim jesteś", "pl", "asystentem"),
        ("what can you do", "en", "Erasmus+ funding"),
        ("pomoc", "pl", "Odpowiadam"),
    ],
)
def test_small_talk_gets_a_short_friendly_reply_with_starters(
    assistant: Assistant, message: str, lang: str, words: str
) -> None:
    reply = assistant.answer(message, lang)
    assert reply.kind == "smalltalk", message
    assert words in reply.text
    assert visible_length(reply.text) <= 400
    starters = [a for a in actions(reply) if a.startswith("e:")]
    assert 3 <= len(starters) <= 4
    assert "contact" in actions(reply)


def test_a_greeting_before_a_question_answers_the_question(assistant: Assistant) -> None:
    reply = assistant.answer("Hi, what is the Erasmus Charter for Higher Education?")
    assert (reply.kind, reply.entry_id) == ("answer", "eche")
    reply = assistant.answer("dzień dobry, co to jest OLS?")
    assert reply.entry_id == "online-language-support" and reply.lang == "pl"


def test_an_unsure_question_gets_the_best_answer_as_a_guess(assistant: Assistant) -> None:
    """Not sure enough to answer outright, sure enough to show: the short answer, opened with
    what it answers, with "Not this?" buttons for the next entries and for a person."""
    if assistant.embedder is None:
        pytest.skip("needs the meaning model")
    reply = assistant.answer("Who is eligible for an Erasmus grant?", "en")
    assert reply.kind == "guess"
    title = assistant.kb.entries[reply.entry_id].title["en"]
    assert reply.text.startswith(f"<i>This is about: {title}</i>")
    assert "Not this?" in reply.text
    others = [a for a in actions(reply) if a.startswith("e:")]
    assert 1 <= len(others) <= 2 and f"e:{reply.entry_id}" not in others
    assert "contact" in actions(reply)
    assert visible_length(reply.text) <= 1500


@pytest.mark.parametrize(
    "message",
    ["", "   ", "🙂", "🙂🙂🙂", "<b>hi</b>?", "x" * 10_000, "Wie spät ist es in Tokio?"],
)
def test_bad_input_gets_a_clear_reply_of_the_right_kind(
    assistant: Assistant, message: str
) -> None:
    """Empty, emoji, HTML, 10,000 characters, another language: small talk or a decline,
    never an exception, never the grant table."""
    reply = assistant.answer(message)
    assert reply.kind in ("smalltalk", "decline"), (message[:20], reply.kind)
    assert "670" not in reply.text
    assert check(reply.text) == []


def test_polish_without_diacritics_ranks_like_polish_with_them(assistant: Assistant) -> None:
    """The same Polish questions typed without Polish letters rank the same entry first."""
    if assistant.embedder is None:
        pytest.skip("words alone fold diacritics anyway")
    questions = [
        "ile wynosi stypendium erasmusa na miesiąc w hiszpanii",
        "czy mogę wyjechać na praktykę po studiach",
        "jak długo może trwać wyjazd na studia",
        "kto może złożyć wniosek o partnerstwo współpracy",
        "czy dostanę dodatek jeśli mam orzeczenie o niepełnosprawności",
    ]
    for question in questions:
        plain = strip_diacritics(question)
        assert plain != question
        first = assistant.matcher.rank(question).matches[0].entry_id
        assert assistant.matcher.rank(plain).matches[0].entry_id == first, plain


def test_the_terminal_shows_the_same_kinds_and_unfolds_more(assistant: Assistant) -> None:
    chat = TerminalChat(assistant)
    assert "Hello" in chat.handle("hi")
    shown = chat.handle("what is the Erasmus Charter for Higher Education")
    assert "➕ More" in shown or "🔗 Sources" in shown
    number = next(i for i, b in enumerate(chat.buttons, 1) if b.action.startswith("src:"))
    sources = chat.handle(str(number))
    assert "erasmus-plus.ec.europa.eu" in sources


def test_ask_json_prints_the_reply_kind_and_the_first_message(assistant: Assistant) -> None:
    from bot.cli import reply_json

    for message, kind in (("hi", "smalltalk"), ("best pizza in Naples", "decline")):
        row = reply_json(message, assistant.answer(message))
        assert row["reply"] == kind and row["answer"] == assistant.answer(message).text
        json.dumps(row)


async def test_telegram_more_edits_the_message_and_sources_follow_it(bot: Running) -> None:
    """The short answer in Telegram; "More" turns that message into the whole answer, "Sources"
    sends every source after it."""
    await bot.send("how much is the erasmus grant per month")
    first = bot.api.sent()[-1]
    datas = [b.get("callback_data", "") for b in buttons(first.params)]
    more = next(d for d in datas if d.startswith("more:"))
    entry_id = more.split(":", 1)[1]
    await bot.press(more)
    edits = bot.api.sent("editMessageText")
    assert edits and visible_length(edits[-1].params["text"]) > visible_length(
        first.params["text"]
    )
    await bot.press(f"src:{entry_id}")
    assert bot.last_text().count("•") >= 2


async def test_telegram_small_talk_and_guess(bot: Running) -> None:
    await bot.send("dzień dobry")
    assert "Dzień dobry" in bot.last_text()
    await bot.send("thanks")
    assert "welcome" in bot.last_text()


async def test_a_forged_more_button_changes_nothing(bot: Running) -> None:
    before = len(bot.api.sent()) + len(bot.api.sent("editMessageText"))
    await bot.press("more:no-such-entry")
    await bot.press("src:<b>x</b>")
    after = len(bot.api.sent()) + len(bot.api.sent("editMessageText"))
    assert after == before
    assert bot.api.sent("answerCallbackQuery")


async def test_a_broken_smalltalk_edit_names_file_and_line(
    tmp_path: Path,
    settings,
    api,  # type: ignore[no-untyped-def]
) -> None:
    """A starter that is not an entry is reported with smalltalk.yaml and its line; the bot
    started on that folder keeps no broken knowledge (validate exits 1)."""
    folder = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    path = folder / "smalltalk.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  - student-grant-amount\n", "  - student-grant-amout\n", 1
    )
    path.write_text(text, encoding="utf-8")
    result = knowledge.load(folder)
    assert result.kb is None
    (problem,) = [p for p in result.errors if "smalltalk.yaml" in p.file]
    line = text.splitlines().index("  - student-grant-amout") + 1
    assert problem.line == line and "student-grant-amount" in str(problem)
    running = await start_app(with_knowledge(settings, REPO / "knowledge"), api)
    await stop_app(running)
