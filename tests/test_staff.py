"""Staff workflows while the bot runs: live reload, broken edits, statistics, retention."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import ADMIN_ID, KNOWLEDGE, Running, start_app, stop_app
from tests.fake_bot_api import FakeBotApi


@pytest.fixture
async def live(settings: Settings, api: FakeBotApi, tmp_path: Path):  # type: ignore[no-untyped-def]
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    running = await start_app(
        replace(settings, knowledge_dir=directory), api, watch_knowledge=True
    )
    yield running, directory
    await stop_app(running)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def test_broken_edit_is_rejected_and_the_fix_goes_live(live, api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    """A broken save is reported to admins with file:line while the bot keeps answering;
    the corrected save goes live by itself (how fast: bench/coldstart.py)."""
    running, directory = live
    entries = directory / "entries" / "mobility-organisations.yaml"
    rewrite(entries, "  - id: eche\n", "  - id: eche\n    bogus_field: [unclosed\n")
    (message,) = await api.wait_for("sendMessage", chat_id=ADMIN_ID, within=5)
    text = message.params["text"]
    assert "rejected" in text and "mobility-organisations.yaml:" in text

    await running.send("what is the Erasmus Charter for Higher Education")
    assert "Sources:" in running.last_text(), "the old knowledge base still answers"

    rewrite(entries, "    bogus_field: [unclosed\n", "")
    rewrite(entries, "<b>The ECHE is", "<b>LIVE-EDIT The ECHE is")
    await api.wait_for("sendMessage", count=2, chat_id=ADMIN_ID, within=20)
    assert "reloaded" in api.sent(chat_id=ADMIN_ID)[-1].params["text"]
    await running.send("what is the Erasmus Charter for Higher Education")
    assert "LIVE-EDIT" in running.last_text()


async def test_reload_command_reports_problems(live) -> None:  # type: ignore[no-untyped-def]
    """/reload tells the admin exactly what is wrong in a broken file."""
    running, directory = live
    running.app.bot_data["watch_task"].cancel()
    rewrite(
        directory / "entries" / "students.yaml",
        "related: [learning-agreement-recognition",
        "related: [no-such-entry",
    )
    await running.send("/reload", user_id=ADMIN_ID)
    text = running.last_text(ADMIN_ID)
    assert "students.yaml:" in text and "'no-such-entry', which does not exist" in text


async def test_five_unanswerable_questions_reach_unanswered(bot: Running) -> None:
    """Five questions the bot cannot answer are all listed for staff, and exportable as CSV."""
    questions = [
        "how do I fix my bike",
        "recipe for pierogi",
        "who won the match yesterday",
        "best cafe in Bialystok",
        "how to learn guitar fast",
    ]
    for question in questions:
        await bot.send(question)
    await bot.send("/unanswered", user_id=ADMIN_ID)
    listing = bot.last_text(ADMIN_ID)
    assert all(q in listing for q in questions)
    await bot.send("/unanswered csv", user_id=ADMIN_ID)
    (document,) = bot.api.sent("sendDocument")
    data = document.params["document"]["data"].decode("utf-8-sig")
    assert data.startswith("group,similar,asked_at,lang,reply,entry_id,thumbs_down,question")
    assert all(q in data for q in questions)


async def test_stats_count_questions_and_feedback(bot: Running) -> None:
    """/stats shows users, answered share and 👍/👎 per entry."""
    await bot.send("what is ECHE")
    await bot.press("fb:+:eche")
    await bot.send("recipe for pierogi", user_id=222)
    await bot.send("/stats", user_id=ADMIN_ID)
    text = bot.last_text(ADMIN_ID)
    assert "Users: 2" in text
    assert "eche: 1/0" in text


async def test_old_questions_are_purged(bot: Running) -> None:
    """Questions older than the retention period are deleted."""
    storage = bot.app.bot_data["runtime"].storage
    await bot.send("what is ECHE")
    await storage.db.execute("UPDATE questions SET asked_at = ?", (time.time() - 200 * 86400,))
    await storage.db.commit()
    assert await storage.purge_old(180) == 1
    assert await storage.purge_old(180) == 0


async def test_reload_report_has_an_out_of_date_section(live) -> None:  # type: ignore[no-untyped-def]
    """A reload that makes an entry stale still takes, and the report lists it apart."""
    running, directory = live
    running.app.bot_data["watch_task"].cancel()
    rewrite(directory / "entries" / "programme.yaml", "call_year: 2026", "call_year: 2024")
    await running.send("/reload", user_id=ADMIN_ID)
    text = running.last_text(ADMIN_ID)
    assert "reloaded" in text
    assert "Out of date:" in text and "call year 2024 is older than the current call" in text
