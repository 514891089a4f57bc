"""Issue 23: forged button data, hostile text in every echo path, faults in the database and
in Telegram, floods. Through the real PTB application, the fake Bot API and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from telegram import Update

from bot.config import Settings
from tests.conftest import ADMIN_ID, Running
from tests.fake_bot_api import FakeBotApi

HOSTILE = 'is 5 < 6 ECTS & is 7 > 6 ok? <a href="https://evil.example">x</a> <b>'


def rows(settings: Settings, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(settings.db_path) as db:
        return db.execute(sql).fetchall()


def refused(api: FakeBotApi) -> list[str]:
    """Texts the fake Bot API refused: every one would have been lost in Telegram."""
    return [c.params.get("text", "") for c in api.calls if c.method == "refused"]


# -- item 2: button payloads are checked before anything is stored -------------------------------


@pytest.mark.parametrize(
    "data",
    [
        'fb:-:<a href="https://evil.example">x</a>',
        "fb:+:no-such-entry",
        "fb:?:student-grant-amount",
        "e:no-such-entry",
        "g:no-such-group",
        "sub:t:<b>not-a-topic",
        "sub:bogus",
        "lang:de",
        "forget:no",
        "ev:no-such-event",
        "ics:no-such-event",
        "f:no-such-step:x",
        "ann:send:forged-token",
    ],
)
async def test_forged_button_data_stores_nothing(
    bot: Running, settings: Settings, data: str
) -> None:
    """A button payload that names no real entry, topic, event or token is answered as out of
    date and leaves no feedback, subscription or anything else in the database."""
    await bot.press(data)
    assert len(bot.api.sent("answerCallbackQuery")) == 1
    assert rows(settings, "SELECT * FROM feedback") == []
    assert rows(settings, "SELECT * FROM subscriptions") == []
    assert rows(settings, "SELECT * FROM outbox") == []


async def test_stats_escape_what_is_stored(bot: Running, settings: Settings) -> None:
    """/stats and /unanswered print stored ids and texts escaped: a row holding HTML (from an
    older version, or a bug) is shown as text and does not break the message."""
    await bot.send("what is erasmus+")
    with sqlite3.connect(settings.db_path) as db:
        db.execute(
            "INSERT INTO feedback (user_id, entry_id, vote, at) VALUES (1, ?, -1, 0)",
            ('<a href="https://evil.example">x</a>',),
        )
        db.execute("UPDATE questions SET entry_id='<i>x & y'")
    for command in ("/stats", "/unanswered"):
        await bot.send(command, user_id=ADMIN_ID)
        text = bot.last_text(ADMIN_ID)
        assert "&lt;a href=" in text and "<a href" not in text, command
    assert refused(bot.api) == []


# -- item 13: user text with < & > through every path that echoes it ----------------------------


async def test_hostile_text_through_every_echo_path(bot: Running, settings: Settings) -> None:
    """User text with <, & and > reaches every place it is echoed: the question itself, the
    /contact confirmation, the staff chat (with a hostile name), the staff reply back,
    /unanswered, and an announcement's preview and delivery; Telegram refuses none of them."""
    await bot.send(HOSTILE, first_name="<Ala & Co>")
    await bot.send("/contact " + HOSTILE, first_name="<Ala & Co>")
    assert "5 &lt; 6" in bot.last_text()
    await bot.press("contact:yes", first_name="<Ala & Co>")
    staff = bot.api.sent(chat_id=settings.staff_chat_id)
    assert staff and "5 &lt; 6 ECTS &amp;" in staff[-1].params["text"]
    assert "&lt;Ala &amp; Co&gt;" in staff[-1].params["text"]
    (staff_message_id,) = rows(settings, "SELECT staff_message_id FROM handoffs")[0]
    reply = {
        "update_id": 77,
        "message": {
            **bot.api.message(HOSTILE, user_id=5, chat_id=settings.staff_chat_id),
            "reply_to_message": {
                "message_id": staff_message_id,
                "date": 0,
                "text": "q",
                "chat": {"id": settings.staff_chat_id, "type": "group"},
            },
        },
    }
    await bot.app.process_update(Update.de_json(reply, bot.app.bot))
    assert "5 &lt; 6" in bot.last_text(111)
    await bot.send("/unanswered", user_id=ADMIN_ID)
    await bot.send("/subscribe", user_id=301)
    await bot.press("sub:all", user_id=301)
    await bot.send("/announce " + HOSTILE, user_id=ADMIN_ID)
    preview = bot.api.sent(chat_id=ADMIN_ID)[-1].params
    assert "5 &lt; 6" in preview["text"]
    token = preview["reply_markup"].split("ann:send:")[1].split('"')[0]
    await bot.press(f"ann:send:{token}", user_id=ADMIN_ID)
    (_, announcement) = await bot.api.wait_for("sendMessage", chat_id=301, count=2)
    assert "5 &lt; 6" in announcement.params["text"]
    assert refused(bot.api) == []
    assert "Sorry, something went wrong" not in json.dumps([c.params for c in bot.api.calls])


async def test_fake_api_refuses_what_telegram_refuses(bot: Running) -> None:
    """The fake Bot API answers 400 to a bare '<', a bare '&', an unknown tag, an unclosed tag
    and a text over 4096 characters, as Telegram does; well-formed HTML passes."""
    from telegram.error import BadRequest

    for text in ("is 5 < 6 ok?", "R&D", "<p>x</p>", "<b>x", "x" * 4097):
        with pytest.raises(BadRequest):
            await bot.app.bot.send_message(111, text, parse_mode="HTML")
    await bot.app.bot.send_message(
        111, "<b>5 &lt; 6</b> &amp; <a href='https://x.org'>x</a>", parse_mode="HTML"
    )
    await bot.app.bot.send_message(111, "plain 5 < 6 & 7 > 6")


# -- items 3 and 4: the database fails, the answer and the announcement do not ------------------


class Locked:
    """Another process holding SQLite's write lock, as a long write or a backup would."""

    def __init__(self, settings: Settings) -> None:
        self.db = sqlite3.connect(settings.db_path, isolation_level=None)
        self.db.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.db.execute("ROLLBACK")
        self.db.close()


async def impatient(bot: Running) -> None:
    """The bot's connection gives up on a lock after 50 ms instead of 5 s."""
    await bot.app.bot_data["runtime"].storage.db.execute("PRAGMA busy_timeout=50")


async def test_answer_is_sent_while_the_database_is_locked(
    bot: Running, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """With the database locked by someone else, a question still gets its answer (no
    apology); the log row is dropped with one warning, and the next question is logged again."""
    await bot.send("/start")
    await impatient(bot)
    lock = Locked(settings)
    try:
        await bot.send("how much is the erasmus grant per month for students", user_id=111)
    finally:
        lock.release()
    assert "Sources:" in bot.last_text()
    assert any("could not store a question" in r.getMessage() for r in caplog.records)
    await bot.send("what is the Erasmus Charter for Higher Education")
    assert rows(settings, "SELECT COUNT(*) FROM questions") == [(1,)]


async def test_answer_is_sent_when_the_disk_is_full(
    bot: Running, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When every write fails ("database or disk is full"), questions are still answered."""
    storage = bot.app.bot_data["runtime"].storage

    async def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(storage, "log_question", full)
    monkeypatch.setattr(storage, "touch_user", full)
    monkeypatch.setattr(storage, "set_user_language", full)
    await bot.send("ile wynosi stypendium erasmus dla studenta na miesiac")
    assert "Źródła:" in bot.last_text()


async def test_a_failed_write_leaves_no_open_transaction(bot: Running, settings: Settings) -> None:
    """After "database is locked" the connection is rolled back: the next write and an
    announcement's BEGIN IMMEDIATE work."""
    storage = bot.app.bot_data["runtime"].storage
    await impatient(bot)
    lock = Locked(settings)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await storage.touch_user(5)
    lock.release()
    assert not storage.db.in_transaction
    await storage.subscribe(5, {"all"}, "en")
    assert await storage.enqueue("after-lock", (), "News", "Wieści") == 1


async def test_announcement_confirm_survives_a_locked_database(
    bot: Running, settings: Settings
) -> None:
    """An admin's Send pressed while the database is locked fails with the apology, and pressing
    the same Send again afterwards queues and delivers the announcement."""
    await bot.send("/subscribe", user_id=301)
    await bot.press("sub:all", user_id=301)
    await bot.send("/announce Info session on Friday", user_id=ADMIN_ID)
    preview = bot.api.sent(chat_id=ADMIN_ID)[-1].params
    token = preview["reply_markup"].split("ann:send:")[1].split('"')[0]
    await impatient(bot)
    lock = Locked(settings)
    try:
        await bot.press(f"ann:send:{token}", user_id=ADMIN_ID)
    finally:
        lock.release()
    assert rows(settings, "SELECT COUNT(*) FROM outbox") == [(0,)]
    await bot.press(f"ann:send:{token}", user_id=ADMIN_ID)
    assert "Queued for 1 subscriber" in bot.last_text(ADMIN_ID)
    (_, announcement) = await bot.api.wait_for("sendMessage", chat_id=301, count=2)
    assert "Info session" in announcement.params["text"]


# -- items 5 and 6: the outbox through outages and bugs ------------------------------------------


@pytest.fixture
async def storage(tmp_path):  # type: ignore[no-untyped-def]
    from bot.storage import Storage

    store = await Storage.open(tmp_path / "outbox.sqlite3")
    yield store
    await store.close()


async def make_due(storage) -> None:  # type: ignore[no-untyped-def]
    """Let time pass: every pending row's backoff is over."""
    await storage.db.execute("UPDATE outbox SET not_before = 0")
    await storage.db.commit()


@pytest.mark.parametrize("outage", ["500", "drop"])
async def test_a_long_outage_loses_nobody(storage, api: FakeBotApi, outage: str) -> None:  # type: ignore[no-untyped-def]
    """Through 12 failed rounds of 5xx answers or dropped connections every row stays pending,
    each wait longer than the one before; when Telegram is back, everyone gets it exactly once."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.announcements import Deliverer
    from tests.fake_bot_api import TOKEN

    for chat in range(1, 21):
        await storage.subscribe(chat, {"all"}, "en")
    await storage.enqueue("outage", (), "News", "Wieści")
    api.down = outage
    request = HTTPXRequest(connection_pool_size=8, read_timeout=2, connect_timeout=2)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
        deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
        waits = []
        for _ in range(12):
            await make_due(storage)
            await deliverer.drain()
            async with storage.db.execute(
                "SELECT MIN(not_before) - strftime('%s', 'now') FROM outbox"
            ) as cur:
                waits.append((await cur.fetchone())[0])  # type: ignore[index]
        assert await storage.outbox_counts() == {"pending": 20}
        assert waits[1] > waits[0] and waits[-1] >= 600, waits
        api.down = None
        await make_due(storage)
        await deliverer.drain()
    assert await storage.outbox_counts() == {"sent": 20}
    assert sorted(int(c.params["chat_id"]) for c in api.sent()) == list(range(1, 21))


async def test_outage_rows_give_up_only_after_days(storage, api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    """A 5xx on a row of an announcement older than GIVE_UP_AFTER (72 h) marks it failed."""
    from telegram import Bot

    from bot.announcements import GIVE_UP_AFTER, Deliverer
    from tests.fake_bot_api import TOKEN

    await storage.subscribe(1, {"all"}, "en")
    await storage.enqueue("old", (), "News", "Wieści")
    await storage.db.execute(
        "UPDATE announcements SET created_at = created_at - ?", (GIVE_UP_AFTER - 60,)
    )
    await storage.db.commit()
    api.down = "500"
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
        await deliverer.drain()
        assert await storage.outbox_counts() == {"pending": 1}
        await storage.db.execute("UPDATE announcements SET created_at = created_at - 120")
        await make_due(storage)
        await deliverer.drain()
    assert await storage.outbox_counts() == {"failed": 1}


async def test_any_exception_is_recorded_on_its_row(storage) -> None:  # type: ignore[no-untyped-def]
    """A non-Telegram exception for one row is stored on it with the attempt count, the other
    rows are delivered, and the row is not sent again before its backoff."""
    from bot.announcements import Deliverer

    for chat in (1, 2, 3):
        await storage.subscribe(chat, {"all"}, "en")
    await storage.enqueue("bug", (), "News", "Wieści")
    tries: list[int] = []

    async def send(chat: int, text: str) -> None:
        tries.append(chat)
        if chat == 2:
            raise ValueError("a bad row")

    deliverer = Deliverer(storage, send)
    for _ in range(5):
        await deliverer.drain()
    assert sorted(tries) == [1, 2, 3]
    async with storage.db.execute(
        "SELECT status, attempts, last_error FROM outbox WHERE chat_id=2"
    ) as cur:
        assert tuple(await cur.fetchone()) == ("pending", 1, "ValueError: a bad row")  # type: ignore[arg-type]
    for _ in range(5):
        await make_due(storage)
        await deliverer.drain()
    assert tries.count(2) == 5
    assert await storage.outbox_counts() == {"sent": 2, "failed": 1}


async def test_a_sent_row_whose_mark_fails_is_not_sent_again(
    storage, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """When Telegram accepted a message but the "sent" mark cannot be stored, the message is
    not sent again, and the mark is stored on a later pass."""
    from bot.announcements import Deliverer

    await storage.subscribe(1, {"all"}, "en")
    await storage.enqueue("mark", (), "News", "Wieści")
    tries: list[int] = []

    async def send(chat: int, text: str) -> None:
        tries.append(chat)

    real_mark = storage.mark

    async def broken_mark(*args: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(storage, "mark", broken_mark)
    deliverer = Deliverer(storage, send)
    for _ in range(3):
        await deliverer.drain()
    monkeypatch.setattr(storage, "mark", real_mark)
    await deliverer.drain()
    assert tries == [1]
    assert await storage.outbox_counts() == {"sent": 1}


async def test_delivery_report_survives_a_restart(settings: Settings, api: FakeBotApi) -> None:
    """An announcement confirmed before a restart still gets its delivery report to the admin
    after the restart, once everyone has it."""
    from tests.conftest import start_app, stop_app

    first = await start_app(settings, api, watch_knowledge=False)
    await first.send("/subscribe", user_id=301)
    await first.press("sub:all", user_id=301)
    await first.send("/announce Open day", user_id=ADMIN_ID)
    token = api.sent(chat_id=ADMIN_ID)[-1].params["reply_markup"].split("ann:send:")[1]
    api.down = "500"
    await first.press(f"ann:send:{token.split(chr(34))[0]}", user_id=ADMIN_ID)
    await stop_app(first)
    api.down = None
    with sqlite3.connect(settings.db_path) as db:
        db.execute("UPDATE outbox SET not_before = 0")
    second = await start_app(settings, api, watch_knowledge=False)
    try:
        await api.wait_for("sendMessage", chat_id=301, count=2, within=10)
        for _ in range(200):
            if "delivered to 1 subscriber" in second.last_text(ADMIN_ID):
                break
            await asyncio.sleep(0.05)
        assert "delivered to 1 subscriber" in second.last_text(ADMIN_ID)
    finally:
        await stop_app(second)
