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
    await bot.staff_reply(HOSTILE, settings.staff_chat_id, staff_message_id)
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


# -- item 7: one user cannot slow everyone -------------------------------------------------------


async def test_a_slow_chat_does_not_hold_up_another_and_order_is_kept(bot: Running) -> None:
    """While one chat's question is stuck, another chat is answered; the stuck chat's next
    message waits for the first, so its replies come in order."""
    import threading

    runtime = bot.app.bot_data["runtime"]
    assistant = runtime.assistant
    stuck = threading.Event()

    class Slow:
        def __getattr__(self, name: str) -> object:
            return getattr(assistant, name)

        def answer(self, text: str, *args: object) -> object:
            if "hamster" in text:
                stuck.wait(10)
            return assistant.answer(text, *args)

    runtime.assistant = Slow()
    try:
        api = bot.api
        for number, (text, user) in enumerate(
            (("can my hamster come on exchange", 1), ("what is ECHE", 1), ("what is ECHE", 2))
        ):
            data = {"update_id": number, "message": api.message(text, user)}
            await bot.app.update_queue.put(Update.de_json(data, bot.app.bot))
        await api.wait_for("sendMessage", chat_id=2)
        assert api.sent(chat_id=1) == [], "the second message of chat 1 did not overtake"
        stuck.set()
        first, second = await api.wait_for("sendMessage", chat_id=1, count=2)
        assert "ECHE" not in first.params["text"] and "ECHE" in second.params["text"]
    finally:
        stuck.set()
        runtime.assistant = assistant


async def test_a_flood_gets_one_notice_then_silence(bot: Running) -> None:
    """25 messages in a minute: 20 answers, one polite notice, then nothing; a minute later
    the user is answered again, and other users never notice."""
    from bot.limits import RateLimit

    now = [0.0]
    bot.app.bot_data["message_limit"] = RateLimit(20, 60, clock=lambda: now[0])
    for _ in range(25):
        await bot.send("/help", user_id=7)
    texts = [c.params["text"] for c in bot.api.sent(chat_id=7)]
    assert len(texts) == 21 and "a lot of messages" in texts[-1]
    await bot.send("/help", user_id=8)
    assert len(bot.api.sent(chat_id=8)) == 1
    now[0] = 61.0
    await bot.send("/help", user_id=7)
    assert len(bot.api.sent(chat_id=7)) == 22


async def test_contact_forwards_are_limited(bot: Running, settings: Settings) -> None:
    """A user can forward 3 questions an hour to staff; the fourth is politely refused."""
    for n in range(4):
        await bot.send(f"/contact question number {n}")
        await bot.press("contact:yes")
    assert len(bot.api.sent(chat_id=settings.staff_chat_id)) == 3
    assert "in the last hour" in bot.last_text()


# -- item 8: logs hold no secrets ----------------------------------------------------------------


async def test_debug_logs_hold_no_token_and_no_message_text(
    settings: Settings, api: FakeBotApi
) -> None:
    """With BOT_DEBUG=1, a session of questions, buttons and an error logs the token and the
    webhook secret nowhere, and no message text either; the libraries log at INFO at most."""
    import io
    import logging
    from dataclasses import replace

    from bot import logs
    from tests.conftest import start_app, stop_app
    from tests.fake_bot_api import TOKEN

    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in logs.QUIET})
    out = io.StringIO()
    debug = replace(settings, debug=True, webhook_secret="hook-secret-42")
    logs.configure(debug, out)
    try:
        running = await start_app(debug, api, watch_knowledge=False)
        await running.send("my private question about a hamster visa")
        await running.press("fb:+:programme-overview")
        await running.send("/help")
        logging.getLogger("bot.test").error("request to %s/getMe failed", api.base_url + TOKEN)
        logging.getLogger("bot.test").warning("secret hook-secret-42 in a message")
        try:
            raise RuntimeError(f"boom with {TOKEN}")
        except RuntimeError:
            logging.getLogger("bot.test").exception("an error")
        await stop_app(running)
        levels = [logging.getLogger(n).getEffectiveLevel() for n in ("telegram.ext", "aiosqlite")]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    text = out.getvalue()
    assert "update=" in text and "boom with" in text
    assert "hamster" not in text, "no message text"
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "hook-secret-42" not in text
    assert min(levels) >= logging.INFO


# -- item 13: the deadline's closing hour; admin buttons pressed by someone else -----------------


@pytest.mark.parametrize(
    ("now", "due", "when"),
    [
        ("2027-03-04 13:00", "2027-03-05 12:00", "(tomorrow)"),
        ("2027-03-05 00:01", "2027-03-05 12:00", "(today)"),
        ("2027-03-05 11:59", "2027-03-05 12:00", "(today)"),
        ("2027-03-05 12:00", "2027-10-01 12:00", "(in 210 days)"),
        ("2027-03-05 12:01", "2027-10-01 12:00", "(in 210 days)"),
        ("2027-10-01 12:01", "2027-10-01 12:00", "has passed"),
    ],
)
def test_deadline_day_before_and_after_the_closing_hour(now: str, due: str, when: str) -> None:
    """On the closing day a deadline is "today" until 12:00 Brussels time and not after it:
    then the next round is shown, or that the last one has passed."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from bot.assistant import deadline_text
    from bot.knowledge import Deadline
    from bot.telegram_html import to_plain

    brussels = ZoneInfo("Europe/Brussels")

    def deadline(day: str, round_: int) -> Deadline:
        due = datetime.fromisoformat(f"{day} 12:00").replace(tzinfo=brussels)
        return Deadline(
            "KA210", {"en": "Small-scale partnerships"}, round_, due, 2027, "na", None,
            "https://erasmus-plus.ec.europa.eu/", date(2026, 11, 24), {},
        )  # fmt: skip

    deadlines = (deadline("2027-03-05", 1), deadline("2027-10-01", 2))
    # Asked from Warsaw (same offset as Brussels) and from UTC, an hour behind in winter.
    warsaw = datetime.fromisoformat(now).replace(tzinfo=ZoneInfo("Europe/Warsaw"))
    for moment in (warsaw, warsaw.astimezone(ZoneInfo("UTC"))):
        text = to_plain(deadline_text(deadlines, "KA210", moment, "en") or "")
        assert due in text.split("\n\n")[0] and when in text, (moment, text)
        if when != "(today)":
            assert "today" not in text


async def test_a_non_admin_pressing_every_admin_button_changes_nothing(
    bot: Running, settings: Settings
) -> None:
    """Someone who is not an admin pressing the real Send and Cancel of an admin's preview gets
    an acknowledgement and nothing else: nothing is queued and the admin's buttons still work."""
    await bot.send("/subscribe", user_id=301)
    await bot.press("sub:all", user_id=301)
    await bot.send("/announce Info session on Friday", user_id=ADMIN_ID)
    markup = json.loads(bot.api.sent(chat_id=ADMIN_ID)[-1].params["reply_markup"])
    admin_buttons = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert [b.split(":")[1] for b in admin_buttons] == ["send", "cancel"]
    for data in admin_buttons:
        before = len(bot.api.sent("answerCallbackQuery"))
        await bot.press(data, user_id=301)
        assert len(bot.api.sent("answerCallbackQuery")) == before + 1, data
    assert rows(settings, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert len(bot.api.sent(chat_id=301)) == 1, "only the /subscribe reply"
    await bot.press(admin_buttons[0], user_id=ADMIN_ID)
    assert "Queued for 1 subscriber" in bot.last_text(ADMIN_ID)


# -- item 10: staff files and long texts cannot hurt the process ---------------------------------

ALIAS_BOMB = """a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_refused_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A 400-byte "billion laughs" file is refused with one problem, without expanding it;
    a few aliases of a normal size are still read."""
    from bot.yamlsource import read_yaml

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    doc, problems = read_yaml(bomb, "bomb.yaml")
    assert doc is None and "aliases expand" in problems[0].message
    small = tmp_path / "small.yaml"
    small.write_text("a: &a [1, 2]\nb: *a\n")
    doc, problems = read_yaml(small, "small.yaml")
    assert doc is not None and doc.data == {"a": [1, 2], "b": [1, 2]} and problems == []


@pytest.mark.parametrize(
    ("href", "ok"),
    [
        ("https://erasmus-plus.ec.europa.eu/", True),
        ("mailto:erasmus@pb.edu.pl", True),
        ("tel:+48857469000", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("ftp://example.org/file", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("https://example.org:99999/", False),
        ("http://[::1", False),
    ],
)
def test_links_in_answers_must_be_web_mail_or_phone(href: str, ok: bool) -> None:
    """The validator refuses links Telegram cannot open or that are malformed."""
    from bot.telegram_html import check

    assert (check(f'<a href="{href}">x</a>') == []) is ok


async def test_csv_export_neutralises_formulas(bot: Running, settings: Settings) -> None:
    """Questions starting with = + - @ come out of /unanswered csv as text, not formulas."""
    import csv
    import io

    for text in ('=HYPERLINK("https://evil.example")', "+48 what", "-1 grant?", "@home"):
        await bot.send(text)
    await bot.send("/unanswered csv", user_id=ADMIN_ID)
    (document,) = bot.api.sent("sendDocument")
    data = document.params["document"]["data"].decode("utf-8-sig")
    cells = [row[-1] for row in csv.reader(io.StringIO(data))][1:]
    assert cells and all(cell.startswith("'") for cell in cells), cells


async def test_a_long_reload_report_stays_valid_html(bot: Running) -> None:
    """A reload report with many long problems (holding < and &) is cut to whole lines that fit
    one Telegram message, and Telegram accepts it."""
    from bot.admin import report_reload
    from bot.yamlsource import Problem

    problems = [
        Problem(f"entries/x{n}.yaml", n, "<b> & " + "very long message " * 40) for n in range(30)
    ]
    runtime = bot.app.bot_data["runtime"]
    await report_reload(bot.app.bot, runtime, ADMIN_ID, False, problems, 0.1)
    text = bot.last_text(ADMIN_ID)
    assert "rejected" in text and "more (run python -m bot validate)" in text
    assert refused(bot.api) == []


async def test_a_long_contact_text_is_truncated_not_rejected(
    bot: Running, settings: Settings
) -> None:
    """/contact with a 5,000-character question is confirmed and forwarded, shortened."""
    await bot.send("/contact " + "is 5 < 6 & ok? " * 340)
    await bot.press("contact:yes")
    staff = bot.api.sent(chat_id=settings.staff_chat_id)
    assert staff and "…" in staff[-1].params["text"]
    assert refused(bot.api) == []


async def test_a_vote_counts_once(bot: Running, settings: Settings) -> None:
    """Pressing 👍 three times and then 👎 leaves one vote, the last one."""
    for vote in "++ +-":
        if vote != " ":
            await bot.press(f"fb:{vote}:programme-overview")
    assert rows(settings, "SELECT entry_id, vote FROM feedback") == [("programme-overview", -1)]


# -- item 9: data is gone when promised ----------------------------------------------------------

PERSON_COLUMNS = ("user_id", "chat_id", "report_chat")


def rows_about(settings: Settings, person: int) -> dict[str, int]:
    """Rows that name ``person`` in any column of any table (found from the schema itself)."""
    found: dict[str, int] = {}
    with sqlite3.connect(settings.db_path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in (r[1] for r in db.execute(f"PRAGMA table_info({table})")):
                if column in PERSON_COLUMNS:
                    (n,) = db.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE {column}=?", (person,)
                    ).fetchone()
                    if n:
                        found[f"{table}.{column}"] = n
    return found


async def test_forget_leaves_no_row_anywhere(bot: Running, settings: Settings) -> None:
    """After /forget, no table names the person: questions, ratings, subscription, a delivered
    announcement, a handoff, finder answers and an announcement report are all gone."""
    await bot.send("what is erasmus+")
    await bot.send("/subscribe")
    await bot.press("sub:all")
    await bot.press("fb:+:programme-overview")
    await bot.press("finder")
    await bot.send("/contact can my hamster come")
    await bot.press("contact:yes")
    storage = bot.app.bot_data["runtime"].storage
    await storage.enqueue("news", (), "News", "Wieści", report_chat=111)
    await bot.app.bot_data["deliverer"].drain()
    before = rows_about(settings, 111)
    assert {"outbox.chat_id", "handoffs.user_id", "feedback.user_id"} <= set(before), before
    await bot.send("/forget")
    await bot.press("forget:yes")
    assert rows_about(settings, 111) == {}


async def test_retention_purges_every_personal_table(bot: Running, settings: Settings) -> None:
    """Past BOT_RETENTION_DAYS, questions, ratings, handoffs, delivered outbox rows, finder
    answers and people who are gone are purged; a subscriber's own row stays."""
    await bot.send("what is erasmus+", user_id=5)
    await bot.press("fb:+:programme-overview", user_id=5)
    await bot.press("finder", user_id=5)
    await bot.send("/contact can my hamster come", user_id=5)
    await bot.press("contact:yes", user_id=5)
    await bot.send("/subscribe", user_id=6)
    await bot.press("sub:all", user_id=6)
    storage = bot.app.bot_data["runtime"].storage
    await storage.subscribe(5, {"all"}, "en")
    await storage.enqueue("news", (), "News", "Wieści")
    await bot.app.bot_data["deliverer"].drain()
    await storage.unsubscribe(5)
    old = "strftime('%s', 'now') - 200 * 86400"
    with sqlite3.connect(settings.db_path) as db:
        for table, column in (
            ("questions", "asked_at"),
            ("feedback", "at"),
            ("handoffs", "at"),
            ("outbox", "done_at"),
            ("finder_state", "updated_at"),
            ("users", "last_seen"),
        ):
            db.execute(f"UPDATE {table} SET {column} = {old}")
    await storage.purge_old(180)
    assert rows_about(settings, 5) == {}
    assert rows_about(settings, 6) == {"subscriptions.chat_id": 1}


async def test_privacy_says_what_is_kept_and_for_how_long(bot: Running) -> None:
    """/privacy names every kind of data, the retention period, and that the staff chat's copy
    of a forwarded question stays there."""
    await bot.send("/privacy")
    text = bot.last_text()
    for words in ("180 days", "ratings", "announcements", "/finder", "staff chat", "stays there"):
        assert words in text, words


async def test_one_chat_keeps_its_order_under_a_burst() -> None:
    """Thirty updates of one chat, each yielding to the event loop, finish in arrival order even
    while new ones keep arriving as earlier ones finish."""
    from bot.limits import ChatOrderedProcessor

    processor = ChatOrderedProcessor()
    done: list[int] = []

    async def handle(n: int) -> None:
        for _ in range(n % 3 + 1):
            await asyncio.sleep(0)
        done.append(n)

    def update(n: int) -> Update:
        return Update.de_json({"update_id": n, "message": FakeBotApi().message("x", 5)}, None)

    tasks = []
    for n in range(30):
        tasks.append(asyncio.create_task(processor.process_update(update(n), handle(n))))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert done == list(range(30))
