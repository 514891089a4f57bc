"""Answers lead to events: a test knowledge base with a KA220 workshop tomorrow, in the
assistant, `ask --json`, the terminal chat and Telegram (the real PTB application)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import knowledge
from bot.assistant import Assistant
from bot.cli import reply_json
from bot.config import Settings
from bot.semantic import Embedder
from bot.terminal import TerminalChat
from tests.conftest import KNOWLEDGE, Running, start_app, stop_app, with_knowledge
from tests.fake_bot_api import FakeBotApi

KA220 = "What is a KA220 cooperation partnership?"
EVENTS = """\
timezone: Europe/Warsaw
topics:
  ka2:
    title: {{en: Partnerships and KA2 projects, pl: Partnerstwa i projekty KA2}}
    about: {{en: KA220 workshops, pl: Warsztaty KA220}}
    entries: [ka220-cooperation-partnerships]
  youth:
    title: {{en: Youth, pl: Młodzież}}
    entries: [youth-activities]
events:
  - id: ka220-workshop
    title: {{en: Writing a KA220 application, pl: Jak napisać wniosek KA220}}
    description: {{en: A workshop., pl: Warsztaty.}}
    start: "{tomorrow} 10:00"
    end: "{tomorrow} 13:00"
    place: {{en: "CNK, room 12", pl: "CNK, sala 12"}}
    topics: [ka2]
  - id: ka220-past
    title: {{en: An old KA220 workshop, pl: Dawne warsztaty KA220}}
    description: {{en: Over., pl: Minęło.}}
    start: "{yesterday} 10:00"
    end: "{yesterday} 11:00"
    topics: [ka2]
  - id: youth-day
    title: {{en: Youth day, pl: Dzień młodzieży}}
    description: {{en: For youth workers., pl: Dla osób pracujących z młodzieżą.}}
    start: "{tomorrow} 09:00"
    end: "{tomorrow} 10:00"
    online_url: https://example.org/youth
    topics: [youth]
"""


def events_yaml() -> str:
    today = datetime.now().date()
    return EVENTS.format(
        tomorrow=(today + timedelta(days=1)).isoformat(),
        yesterday=(today - timedelta(days=1)).isoformat(),
    )


@pytest.fixture(scope="module")
def event_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the knowledge base whose events.yaml holds a KA220 workshop tomorrow."""
    directory = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    (directory / "events.yaml").write_text(events_yaml(), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def event_assistant(event_kb_dir: Path, embedder: Embedder | None) -> Assistant:
    result = knowledge.load(event_kb_dir)
    assert result.kb is not None, "\n".join(map(str, result.errors))
    return Assistant(result.kb, embedder=embedder)


def actions(reply) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.action for row in reply.buttons for b in row]


def test_answer_about_ka220_ends_with_tomorrows_workshop(event_assistant: Assistant) -> None:
    """An answer on a topic with an upcoming event ends with one line naming it (date, time,
    place) and offers Remind me / Add to calendar; ask --json names the event."""
    reply = event_assistant.answer(KA220)
    assert reply.kind == "answer" and reply.entry_id == "ka220-cooperation-partnerships"
    tomorrow = (datetime.now().date() + timedelta(days=1)).isoformat()
    last = reply.text.splitlines()[-1]
    assert last.startswith("📅 Next event: <b>Writing a KA220 application</b>")
    assert f"{tomorrow} 10:00" in last and "CNK, room 12" in last
    assert "rem:ka220-workshop" in actions(reply) and "ics:ka220-workshop" in actions(reply)
    assert reply_json(KA220, reply)["event"] == "ka220-workshop"


def test_past_events_and_other_topics_never_show(event_assistant: Assistant) -> None:
    """The past KA220 workshop and the youth day (another topic) are not shown with a KA220
    answer; an entry on no topic shows no event and `event` is null."""
    reply = event_assistant.entry_reply("ka220-cooperation-partnerships", "en")
    assert "An old KA220" not in reply.text and "Youth day" not in reply.text
    assert reply.event_id == "ka220-workshop"
    plain = event_assistant.entry_reply("insurance", "en")
    assert plain.event_id is None and "📅" not in plain.text
    assert not any(a.startswith(("rem:", "ics:")) for a in actions(plain))


def test_online_event_line_links_it_in_polish(event_assistant: Assistant) -> None:
    """An event without a place links its online page; the line is in the reply's language."""
    reply = event_assistant.entry_reply("youth-activities", "pl", full=True)
    assert "Najbliższe wydarzenie: <b>Dzień młodzieży</b>" in reply.text
    assert '<a href="https://example.org/youth">online</a>' in reply.text


def test_example_events_do_not_lead_answers(tmp_path: Path, embedder: Embedder | None) -> None:
    """An event marked `example: true` is never offered under an answer."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    text = events_yaml().replace(
        "  - id: ka220-workshop\n", "  - id: ka220-workshop\n    example: true\n"
    )
    (directory / "events.yaml").write_text(text, encoding="utf-8")
    kb = knowledge.load(directory).kb
    assert kb is not None
    assert Assistant(kb).entry_reply("ka220-cooperation-partnerships", "en").event_id is None


def test_topic_naming_a_missing_entry_is_reported_with_its_line(tmp_path: Path) -> None:
    """A topic whose `entries` names an id that does not exist is an error at file:line."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    text = events_yaml().replace("entries: [youth-activities]", "entries: [youth-activites]")
    (directory / "events.yaml").write_text(text, encoding="utf-8")
    result = knowledge.load(directory)
    assert result.kb is None
    (problem,) = [p for p in result.errors if "youth-activites" in p.message]
    assert problem.file.endswith("events.yaml") and problem.line == 9
    assert "youth-activities" in problem.hint


def test_terminal_shows_the_event_and_its_buttons_work(
    event_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the terminal the KA220 answer ends with the event line; Add to calendar saves the
    .ics, Remind me says what it does in Telegram."""
    monkeypatch.chdir(tmp_path)
    chat = TerminalChat(event_assistant)
    shown = chat.handle(KA220)
    assert "📅 Next event: Writing a KA220 application" in shown
    numbers = {b.action: i for i, b in enumerate(chat.buttons, 1)}
    saved = chat.handle(str(numbers["ics:ka220-workshop"]))
    ics = (tmp_path / "ka220-workshop.ics").read_text()
    assert "ka220-workshop.ics" in saved and "SUMMARY:Writing a KA220 application" in ics
    chat.handle(KA220)
    numbers = {b.action: i for i, b in enumerate(chat.buttons, 1)}
    assert "Partnerships and KA2 projects" in chat.handle(str(numbers["rem:ka220-workshop"]))
    assert "no longer available" in chat.press("ics:removed-event")


@pytest.fixture
async def event_bot(
    settings: Settings, api: FakeBotApi, event_kb_dir: Path
) -> AsyncIterator[Running]:
    running = await start_app(with_knowledge(settings, event_kb_dir), api, watch_knowledge=False)
    yield running
    await stop_app(running)


def markup_data(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = json.loads(call.params.get("reply_markup") or "{}")
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def subscription(settings: Settings, chat_id: int = 111) -> str | None:
    with sqlite3.connect(settings.db_path) as db:
        row = db.execute("SELECT topics FROM subscriptions WHERE chat_id=?", (chat_id,)).fetchone()
    return row[0] if row else None


async def test_telegram_answer_leads_to_the_event_and_its_buttons_work(
    event_bot: Running, settings: Settings
) -> None:
    """In Telegram the KA220 answer ends with the event line and its two buttons; Remind me
    subscribes the chat to the event's topic, Add to calendar sends the .ics."""
    await event_bot.send(KA220)
    call = event_bot.api.sent()[-1]
    assert "📅 Next event: <b>Writing a KA220 application</b>" in call.params["text"]
    assert {"rem:ka220-workshop", "ics:ka220-workshop"} <= set(markup_data(call))
    await event_bot.press("rem:ka220-workshop")
    assert subscription(settings) == "ka2"
    assert "I will remind you of <b>Writing a KA220 application</b>" in event_bot.last_text()
    await event_bot.press("ics:ka220-workshop")
    (document,) = event_bot.api.sent("sendDocument")
    sent = document.params["document"]
    assert sent["filename"] == "ka220-workshop.ics"
    assert b"SUMMARY:Writing a KA220 application" in sent["data"]


async def test_stale_event_buttons_change_nothing(event_bot: Running, settings: Settings) -> None:
    """A press for a removed or past event is "no longer available" and subscribes nobody."""
    before = len(event_bot.api.sent())
    for data in ("rem:removed-event", "rem:ka220-past", "ics:removed-event", "ev:ka220-past"):
        await event_bot.press(data)
    answers = event_bot.api.sent("answerCallbackQuery")
    assert [a.params.get("text") for a in answers[-4:]] == [
        "Sorry, this is no longer available."
    ] * 4
    assert subscription(settings) is None
    assert len(event_bot.api.sent()) == before and not event_bot.api.sent("sendDocument")


async def test_remind_me_after_the_reminder_went_out_still_reminds(
    event_bot: Running, settings: Settings
) -> None:
    """Remind me pressed after the event's 1-day reminder was queued for the others queues it
    for this chat too, once."""
    runtime = event_bot.app.bot_data["runtime"]
    await runtime.storage.enqueue("event:ka220-workshop:remind:1", ("ka2",), "Tomorrow!", "Jutro!")
    await event_bot.press("rem:ka220-workshop")
    await event_bot.press("rem:ka220-workshop")
    reminders = await event_bot.api.wait_for("sendMessage", chat_id=111, count=3)
    assert [c.params["text"] for c in reminders].count("Tomorrow!") == 1


def test_a_guess_ends_with_the_event_line_too(event_assistant: Assistant) -> None:
    """A guess at the KA220 entry shows the same event line and buttons as an answer, before
    its "Not this?" line."""
    from bot.matching import Match, Ranking

    ranking = Ranking("suggest", (Match("ka220-cooperation-partnerships", 50.0),))
    reply = event_assistant._guess(ranking, "en", [])
    event_line, _, not_this = reply.text.rpartition("\n\n")
    assert event_line.splitlines()[-1].startswith("📅 Next event: <b>Writing a KA220")
    assert not_this.startswith("Not this?")
    assert reply.event_id == "ka220-workshop" and "rem:ka220-workshop" in actions(reply)
