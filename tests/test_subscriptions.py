"""/subscribe asks before it subscribes: topic toggles, All/None, /subscriptions, and the
"Unsubscribe from this topic" button under every announcement, through the real PTB application
against the fake Bot API and a real SQLite file."""

from __future__ import annotations

import json
import sqlite3

from bot.config import Settings
from tests.conftest import ADMIN_ID, Running


def subscription(settings: Settings, chat_id: int = 111) -> str | None:
    with sqlite3.connect(settings.db_path) as db:
        row = db.execute("SELECT topics FROM subscriptions WHERE chat_id=?", (chat_id,)).fetchone()
    return row[0] if row else None


def labels(bot: Running) -> list[str]:
    call = [c for c in bot.api.calls if c.method in ("sendMessage", "editMessageText")][-1]
    markup = json.loads(call.params.get("reply_markup") or "{}")
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_subscribe_shows_toggles_and_subscribes_nothing_yet(
    bot: Running, settings: Settings
) -> None:
    """/subscribe lists every topic with its short line and a toggle; nothing is stored until
    a button is pressed."""
    await bot.send("/subscribe")
    text = bot.last_text()
    assert "• <b>Partnerships and KA2 projects</b>: KA210 and KA220 workshops" in text
    assert "Partnerships and KA2 projects" in labels(bot) and "None" in labels(bot)
    assert subscription(settings) is None


async def test_toggles_all_and_none_end_to_end(bot: Running, settings: Settings) -> None:
    """A toggle turns one topic on (✓) and off again; All is every topic, None is no
    subscription; /subscriptions says what the person gets."""
    await bot.send("/subscribe")
    await bot.press("sub:t:youth")
    assert subscription(settings) == "youth"
    assert "✓ Youth" in labels(bot) and "✓ <b>Youth</b>" in bot.last_text()
    await bot.press("sub:t:ka2")
    assert subscription(settings) == "ka2,youth"
    await bot.press("sub:t:youth")
    assert subscription(settings) == "ka2"
    await bot.send("/subscriptions")
    text = bot.last_text()
    assert "You get announcements on:" in text and "Partnerships and KA2 projects" in text
    assert "Youth" not in text
    await bot.press("sub:all")
    assert subscription(settings) == "all"
    await bot.press("sub:t:deadlines")  # All minus one
    assert "deadlines" not in (subscription(settings) or "").split(",")
    assert "ka2" in (subscription(settings) or "").split(",")
    await bot.press("sub:none")
    assert subscription(settings) is None
    await bot.send("/subscriptions")
    assert "You are not subscribed" in bot.last_text()


async def test_subscribe_speaks_polish_to_a_polish_user(bot: Running, settings: Settings) -> None:
    """/subscribe and /subscriptions are in the person's language."""
    await bot.send("/language pl")
    await bot.send("/subscribe")
    assert "Młodzież" in labels(bot) and "Żadne" in labels(bot)
    await bot.press("sub:t:youth")
    await bot.send("/subscriptions")
    assert "Dostajesz powiadomienia z tematów:" in bot.last_text()
    assert "✓ <b>Młodzież</b>" in bot.last_text()


async def test_removed_topic_press_changes_nothing(bot: Running, settings: Settings) -> None:
    """A toggle for a topic that no longer exists is "no longer available" and keeps the
    subscription as it was."""
    await bot.send("/subscribe")
    await bot.press("sub:t:youth")
    await bot.press("sub:t:removed-topic")
    assert bot.api.sent("answerCallbackQuery")[-1].params["text"] == (
        "Sorry, this is no longer available."
    )
    assert subscription(settings) == "youth"


async def test_announcement_carries_unsubscribe_from_its_topic(
    bot: Running, settings: Settings
) -> None:
    """Every announcement has an "Unsubscribe from this topic" button; pressing it drops that
    topic only; an unknown announcement's button changes nothing."""
    runtime = bot.app.bot_data["runtime"]
    await bot.send("/subscribe", user_id=301)
    await bot.press("sub:t:youth", user_id=301)
    await bot.press("sub:t:ka2", user_id=301)
    await runtime.storage.enqueue("event:youth-day:new", ("youth",), "Youth day", "Dzień")
    bot.app.bot_data["deliverer"].wake.set()
    await bot.api.wait_for("sendMessage", chat_id=301, count=2)
    (sent,) = [c for c in bot.api.sent(chat_id=301) if c.params.get("text") == "Youth day"]
    markup = json.loads(sent.params["reply_markup"])["inline_keyboard"]
    (button,) = [b for row in markup for b in row]
    assert button["text"] == "🔕 Unsubscribe from this topic"
    await bot.press("unsub:999", user_id=301)
    assert subscription(settings, 301) == "ka2,youth"
    await bot.press(button["callback_data"], user_id=301)
    assert subscription(settings, 301) == "ka2"
    assert "No more announcements on Youth" in bot.last_text(301)


async def test_manual_announcement_unsubscribes_from_everything(
    bot: Running, settings: Settings
) -> None:
    """An admin's announcement (no topic) carries "Unsubscribe", which ends the subscription."""
    await bot.send("/subscribe", user_id=302)
    await bot.press("sub:all", user_id=302)
    await bot.send("/announce Open day on Friday", user_id=ADMIN_ID)
    token = bot.api.sent(chat_id=ADMIN_ID)[-1].params["reply_markup"].split("ann:send:")[1]
    await bot.press("ann:send:" + token.split('"')[0], user_id=ADMIN_ID)
    await bot.api.wait_for("sendMessage", chat_id=302, count=2)
    (sent,) = [c for c in bot.api.sent(chat_id=302) if "Open day" in c.params.get("text", "")]
    (button,) = json.loads(sent.params["reply_markup"])["inline_keyboard"][0]
    assert button["text"] == "🔕 Unsubscribe"
    data = button["callback_data"]
    await bot.press(data, user_id=302)
    assert subscription(settings, 302) is None
