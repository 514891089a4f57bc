"""The staff loop: /unanswered and its CSV group similar questions (the most frequent first) with
the reply kind, entry and time, every 👎 carries the question it rated, and `python -m bot
suggest` turns the log into phrasings per entry."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import yaml

from bot.assistant import Assistant
from bot.cli import main
from bot.storage import Storage
from bot.unanswered import Row, group, suggest_yaml
from tests.conftest import ADMIN_ID, Running

PIEROGI = ["recipe for pierogi", "pierogi recipe?", "Recipe for pierogi please"]


async def ask_all(bot: Running) -> None:
    for i, question in enumerate(PIEROGI):
        await bot.send(question, user_id=200 + i)
    await bot.send("best cafe in Bialystok", user_id=210)
    await bot.send("what is ECHE", user_id=211)
    await bot.press("fb:-:eche", user_id=211)


async def test_unanswered_groups_similar_questions_most_frequent_first(bot: Running) -> None:
    """Three ways of asking for a pierogi recipe are one group of 3, listed first; the 👎 shows
    the question it rated, the reply kind and the entry."""
    await ask_all(bot)
    await bot.send("/unanswered", user_id=ADMIN_ID)
    text = bot.last_text(ADMIN_ID)
    lines = text.splitlines()
    assert "5 in 3 group(s)" in lines[0]
    assert lines[1].startswith("• <b>3×</b> Recipe for pierogi please")
    assert lines[2].startswith("   decline ×3")
    assert "<b>1×</b> what is ECHE" in text and "👎 answer → eche" in text


async def test_unanswered_csv_has_one_line_per_question_grouped(bot: Running) -> None:
    """The CSV lists every question with its group, the group's size, time, reply and entry."""
    await ask_all(bot)
    await bot.send("/unanswered csv", user_id=ADMIN_ID)
    (document,) = bot.api.sent("sendDocument")
    rows = list(
        csv.DictReader(io.StringIO(document.params["document"]["data"].decode("utf-8-sig")))
    )
    assert [r["similar"] for r in rows] == ["3", "3", "3", "1", "1"]
    assert {r["question"] for r in rows[:3]} == set(PIEROGI)
    rated = next(r for r in rows if r["thumbs_down"] == "1")
    assert (rated["question"], rated["reply"], rated["entry_id"]) == (
        "what is ECHE",
        "answer",
        "eche",
    )
    assert all(r["asked_at"][:2] == "20" for r in rows)


async def test_unanswered_is_for_admins_only(bot: Running) -> None:
    """Anyone else gets the unknown-command reply and sees no question."""
    await ask_all(bot)
    await bot.send("/unanswered", user_id=555)
    assert "pierogi" not in bot.last_text(555) and "don't know that command" in bot.last_text(555)


def test_similar_means_the_same_question_not_a_shared_word() -> None:
    """Reordered or padded questions group; one word shared with a longer question does not."""
    rows = [
        Row(4.0, "en", "erasmus", "decline", None),
        Row(3.0, "en", "erasmus grant for spain", "decline", None),
        Row(2.0, "en", "Grant for Spain erasmus?", "choice", None),
    ]
    assert [g.count for g in group(rows)] == [2, 1]


def test_suggest_puts_each_phrasing_under_the_closest_entry(assistant: Assistant) -> None:
    """A declined question about an Erasmus+ topic is suggested as a phrasing of the entry it
    ranks closest to; the snippet is valid YAML naming the entry's file and line."""
    rows = [
        Row(3.0, "en", "can my erasmus grant be paid before I leave", "decline", None),
        Row(2.0, "en", "can my Erasmus grant be paid before I leave?", "choice", None),
        Row(1.0, "en", "how do I fix my bike", "decline", None),
    ]
    text = suggest_yaml(assistant, group(rows))
    snippets = yaml.safe_load(text)
    first = snippets[0]
    entry = assistant.kb.entries[first["id"]]
    assert first["questions"]["en"] == ["can my erasmus grant be paid before I leave"]
    assert f"# {entry.file}:{entry.line}: add these phrasings" in text
    assert "# decline, choice; matches" in text
    assert snippets[-1]["id"] == "NEW" and "how do I fix my bike" in text


def test_suggest_command_reads_the_log(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`python -m bot suggest --db FILE` prints the snippets from a real SQLite log."""
    path = tmp_path / "bot.sqlite3"

    async def fill() -> None:
        storage = await Storage.open(path)
        await storage.log_question(1, "when is the grant paid to me", "en", "decline", None, 20)
        await storage.log_question(2, "when is the grant paid to me?", "en", "none", None, 20)
        await storage.close()

    asyncio.run(fill())
    monkeypatch.setenv("BOT_SEMANTIC", "off")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["suggest", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "when is the grant paid to me" in out and "decline ×2" in out
    assert isinstance(yaml.safe_load(out), list)
