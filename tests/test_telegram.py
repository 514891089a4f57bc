"""End to end through the real PTB Application and a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from bot.app import build_application
from bot.config import Settings
from tests.conftest import ADMIN_ID, Running
from tests.fake_bot_api import FakeBotApi


def buttons(call_params: dict) -> list[dict]:  # type: ignore[type-arg]
    markup = json.loads(call_params.get("reply_markup") or "{}")
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_in_polish_for_a_polish_client(bot: Running) -> None:
    """A user whose Telegram is in Polish is greeted in Polish."""
    await bot.send("/start", language_code="pl")
    assert "Dzień dobry" in bot.last_text()


async def test_question_gets_the_answer_with_sources_and_buttons(bot: Running) -> None:
    """A question gets the answer, its sources, the call year and feedback buttons."""
    await bot.send("how long can I stay abroad on erasmus as a student, is there a 12 month limit")
    call = bot.api.sent()[-1]
    text = call.params["text"]
    assert "12" in text and "Sources:" in text and "verified" in text
    datas = [b.get("callback_data", "") for b in buttons(call.params)]
    assert "fb:+:mobility-duration-cap" in datas
    assert all(len(d.encode()) <= 64 for d in datas)


async def test_polish_question_without_diacritics_is_answered_in_polish(bot: Running) -> None:
    """Polish typed without Polish letters is still understood and answered in Polish."""
    await bot.send("ile wynosi stypendium erasmus dla studenta na miesiac")
    text = bot.last_text()
    assert "Źródła:" in text


async def test_unknown_question_is_logged_for_staff(bot: Running, settings: Settings) -> None:
    """An off-topic question gets "I don't know" and shows up in /unanswered for admins."""
    await bot.send("what is the best pizza topping in Naples")
    assert "I don't have an answer" in bot.last_text()
    await bot.send("/unanswered", user_id=ADMIN_ID)
    assert "pizza" in bot.last_text(ADMIN_ID)


async def test_home_university_question_points_to_the_right_office(bot: Running) -> None:
    """A rector's-scholarship question is not answered with an Erasmus+ entry: the reply says
    who handles it, offers the Erasmus+ entry as a button, and pressing it shows that entry."""
    await bot.send("jaka średnia do stypendium rektora na mojej uczelni")
    call = bot.api.sent()[-1]
    assert "dział spraw studenckich" in call.params["text"]
    assert "Źródła:" not in call.params["text"]
    datas = [b.get("callback_data", "") for b in buttons(call.params)]
    assert "e:combining-grants" in datas and "contact" in datas
    await bot.press("e:combining-grants")
    assert "Źródła:" in bot.last_text()


async def test_feedback_is_stored(bot: Running, settings: Settings) -> None:
    """Pressing 👎 stores the vote and answers the callback query."""
    await bot.press("fb:-:student-grant-amount")
    assert bot.api.sent("answerCallbackQuery")
    await asyncio.sleep(0)
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT entry_id, vote FROM feedback").fetchall()
    assert rows == [("student-grant-amount", -1)]


async def test_every_callback_query_is_answered(bot: Running) -> None:
    """Topic browsing buttons, and even stale buttons, get an answerCallbackQuery."""
    for data in ("topics", "g:students", "e:traineeship", "e:no-such-entry", "bogus"):
        await bot.press(data)
    assert len(bot.api.sent("answerCallbackQuery")) == 5


async def test_language_command_switches_and_is_remembered(bot: Running) -> None:
    """/language pl makes ambiguous messages get Polish replies from then on."""
    await bot.press("lang:pl")
    await bot.send("/help")
    assert "Jak ze mną rozmawiać" in bot.last_text()
    await bot.send("what is the Erasmus Charter for Higher Education")
    assert "Źródła:" in bot.last_text(), "a chosen language wins over detection"


async def test_admin_commands_are_hidden_from_others(bot: Running) -> None:
    """A non-admin typing /stats gets exactly the unknown-command reply."""
    await bot.send("/stats")
    stats_reply = bot.last_text()
    await bot.send("/nonsense")
    assert stats_reply == bot.last_text()
    await bot.send("/stats", user_id=ADMIN_ID)
    assert "Statistics" in bot.last_text(ADMIN_ID)


async def test_human_handoff_round_trip(bot: Running, settings: Settings) -> None:
    """An unanswered question reaches staff after consent; the staff reply comes back."""
    await bot.send("can my hamster come with me on exchange")
    await bot.send("/contact")
    assert "hamster" in bot.last_text()
    await bot.press("contact:yes")
    staff = bot.api.sent(chat_id=settings.staff_chat_id)
    assert staff and "hamster" in staff[-1].params["text"]
    with sqlite3.connect(settings.db_path) as db:
        (staff_message_id,) = db.execute("SELECT staff_message_id FROM handoffs").fetchone()
    await bot.staff_reply("No pets, sorry.", settings.staff_chat_id, staff_message_id)
    assert "No pets, sorry." in bot.last_text(111)


async def test_forget_deletes_everything(bot: Running, settings: Settings) -> None:
    """/forget, confirmed, leaves no row about the user in the database."""
    await bot.send("what is erasmus+")
    await bot.send("/subscribe")
    await bot.press("sub:all")
    await bot.press("fb:+:programme-overview")
    await bot.send("/forget")
    await bot.press("forget:yes")
    storage = bot.app.bot_data["runtime"].storage
    assert await storage.count_about(111) == 0
    assert "deleted" in bot.last_text()


async def test_error_handler_apologises_and_bot_keeps_running(bot: Running) -> None:
    """An exception inside a handler becomes a short apology; the next question still works."""
    runtime = bot.app.bot_data["runtime"]
    original = runtime.assistant

    class Broken:
        def answer(self, *args: object) -> None:
            raise RuntimeError("boom")

    runtime.assistant = Broken()
    await bot.send("what is erasmus")
    await asyncio.sleep(0.05)
    assert "Sorry, something went wrong" in bot.last_text()
    runtime.assistant = original
    await bot.send("what is erasmus+ programme")
    assert "Sources:" in bot.last_text()


async def test_long_polling_against_the_fake_server(settings: Settings, api: FakeBotApi) -> None:
    """The bot polls getUpdates like in production and replies to a queued message."""
    app = build_application(settings, watch_knowledge=False)
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    await app.start()
    try:
        api.push_message("/start")
        api.push_message("how much is the erasmus grant per month for students")
        calls = await api.wait_for("sendMessage", count=2, chat_id=111)
        assert "Hello" in calls[0].params["text"]
        assert "Sources:" in calls[1].params["text"]
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.post_shutdown(app)  # type: ignore[misc]
        await app.shutdown()


async def test_asking_for_a_human_in_polish_offers_the_handoff(bot: Running) -> None:
    """ "Chcę rozmawiać z człowiekiem" after an unanswered question offers to forward it."""
    await bot.send("czy mogę zabrać psa na wymianę")
    await bot.send("chcę rozmawiać z człowiekiem")
    text = bot.last_text()
    assert "psa" in text
    assert any(b.get("callback_data") == "contact:yes" for b in buttons(bot.api.sent()[-1].params))
