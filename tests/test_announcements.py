"""Events, subscriptions and the outbox: every subscriber hears each announcement exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot import knowledge
from bot.announcements import Deliverer, plan, queue_due, to_ics
from bot.knowledge import Event
from bot.storage import Storage
from tests.conftest import KNOWLEDGE, ROOT, Running
from tests.fake_bot_api import TOKEN, FakeBotApi

WARSAW = knowledge.ZoneInfo("Europe/Warsaw")


def event(start: datetime, example: bool = False, topics: tuple[str, ...] = ("ka2",)) -> Event:
    return Event(
        "ka2-workshop",
        {"en": "KA2 workshop", "pl": "Warsztaty KA2"},
        {"en": "How to write a KA220 application.", "pl": "Jak napisać wniosek."},
        start,
        start + timedelta(hours=3),
        {"en": "Room 1, Białystok"},
        None,
        "https://example.org/register",
        topics,
        {},
        example,
    )


def kb_with(events: tuple[Event, ...]) -> knowledge.KnowledgeBase:
    base = knowledge.load(ROOT / "tests" / "data" / "good").kb
    assert base is not None
    from dataclasses import replace

    return replace(base, events=events, event_topics={"ka2": {"en": "KA2", "pl": "KA2"}})


@pytest.fixture
async def storage(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = await Storage.open(tmp_path / "bot.sqlite3")
    yield store
    await store.close()


def test_plan_new_event_then_the_nearest_reminder() -> None:
    """An upcoming event is announced; 7-day and 1-day reminders come due in turn, not both."""
    start = datetime(2027, 1, 21, 10, 0, tzinfo=WARSAW)
    kb = kb_with((event(start),))
    keys = {p.key for p in plan(kb, start - timedelta(days=30), (7, 1))}
    assert keys == {"event:ka2-workshop:new"}
    keys = {p.key for p in plan(kb, start - timedelta(days=6), (7, 1))}
    assert keys == {"event:ka2-workshop:new", "event:ka2-workshop:remind:7"}
    keys = {p.key for p in plan(kb, start - timedelta(hours=20), (7, 1))}
    assert "event:ka2-workshop:remind:1" in keys and "event:ka2-workshop:remind:7" not in keys
    assert plan(kb, start + timedelta(minutes=1), (7, 1)) == []


def test_example_events_are_never_announced() -> None:
    """Events marked as examples are listed but never sent to subscribers."""
    start = datetime(2027, 1, 21, 10, 0, tzinfo=WARSAW)
    assert plan(kb_with((event(start, example=True),)), start - timedelta(days=1), (7, 1)) == []


async def test_queueing_twice_adds_nothing(storage: Storage) -> None:
    """Planning runs every minute and after restarts; each announcement is queued once."""
    for chat in (1, 2, 3):
        await storage.subscribe(chat, {"all"}, "en")
    await storage.subscribe(4, {"youth"}, "pl")
    start = datetime(2027, 1, 21, 10, 0, tzinfo=WARSAW)
    kb = kb_with((event(start),))
    now = start - timedelta(days=20)
    assert await queue_due(storage, kb, now, (7, 1)) == 3
    assert await queue_due(storage, kb, now, (7, 1)) == 0
    assert (await storage.outbox_counts()) == {"pending": 3}


async def test_subscriber_gets_the_text_in_their_language(storage: Storage) -> None:
    """A Polish subscriber gets the Polish text."""
    await storage.subscribe(7, {"all"}, "pl")
    await storage.enqueue("k", (), "Hello", "Dzień dobry")
    (delivery,) = await storage.due_deliveries()
    assert delivery.text == "Dzień dobry"


async def deliver_all(storage: Storage, api: FakeBotApi) -> Deliverer:
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
        await deliverer.drain()
    return deliverer


async def test_blocked_user_is_unsubscribed_and_not_retried(
    storage: Storage, api: FakeBotApi
) -> None:
    """A user who blocked the bot is unsubscribed; everyone else still gets the message."""
    for chat in (1, 2, 3):
        await storage.subscribe(chat, {"all"}, "en")
    api.blocked.add(2)
    await storage.enqueue("a1", (), "News", "Wieści")
    await deliver_all(storage, api)
    assert sorted(int(c.params["chat_id"]) for c in api.sent()) == [1, 3]
    assert await storage.subscription(2) is None
    assert await storage.outbox_counts() == {"sent": 2, "blocked": 1}


async def test_retry_after_is_honoured(storage: Storage, api: FakeBotApi) -> None:
    """On flood control the message waits the time Telegram asked for, then is delivered once."""
    await storage.subscribe(1, {"all"}, "en")
    api.flood[1] = 1
    await storage.enqueue("a1", (), "News", "Wieści")
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
        asked_at = time.time()
        await deliverer.drain()
        assert api.sent() == [] and await storage.outbox_counts() == {"pending": 1}
        async with storage.db.execute("SELECT not_before FROM outbox") as cursor:
            (not_before,) = await cursor.fetchone()  # type: ignore[misc]
        assert not_before >= asked_at + 1, "rescheduled for the time Telegram asked"
        while not api.sent():
            await deliverer.drain()
            await asyncio.sleep(0.1)
    assert len(api.sent(chat_id=1)) == 1


async def test_server_errors_are_retried_with_backoff(storage: Storage, api: FakeBotApi) -> None:
    """A 500 from Telegram is retried later instead of being dropped."""
    await storage.subscribe(1, {"all"}, "en")
    api.fail_times[1] = 1
    await storage.enqueue("a1", (), "News", "Wieści")
    failed_at = time.time()
    await deliver_all(storage, api)
    async with storage.db.execute("SELECT status, attempts, not_before FROM outbox") as cur:
        status, attempts, not_before = await cur.fetchone()  # type: ignore[misc]
    assert (status, attempts) == ("pending", 1)
    assert not_before >= failed_at + 5, "the first retry waits 5 s"
    await storage.db.execute("UPDATE outbox SET not_before = 0")
    await storage.db.commit()
    await deliver_all(storage, api)
    assert len(api.sent(chat_id=1)) == 1


async def test_stopping_finishes_the_message_in_flight_and_sends_nothing_twice(
    storage: Storage, api: FakeBotApi
) -> None:
    """A stop during a broadcast lets the message in flight finish and be marked sent, starts
    no other; the next start delivers the rest, so every subscriber gets it exactly once."""
    for chat in (1, 2, 3, 4):
        await storage.subscribe(chat, {"all"}, "en")
    await storage.enqueue("a1", (), "News", "Wieści")
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        deliverer = Deliverer(storage, lambda c, t: bot.send_message(c, t), concurrency=1)

        def stop_now(chat_id: int) -> None:  # SIGTERM while the first message is in flight
            deliverer.stopping = True
            deliverer.wake.set()

        api.on_send = stop_now
        await deliverer.run()
        assert len(api.sent()) == 1
        assert await storage.outbox_counts() == {"sent": 1, "pending": 3}
        api.on_send = None
        await Deliverer(storage, lambda c, t: bot.send_message(c, t)).drain()
    assert Counter(int(c.params["chat_id"]) for c in api.sent()) == {1: 1, 2: 1, 3: 1, 4: 1}


async def test_broadcast_survives_sigkill(tmp_path: Path, api: FakeBotApi) -> None:
    """1,000 subscribers, the delivery process SIGKILLed mid-broadcast and restarted: every
    subscriber gets the announcement, and only the few sends in flight at the kill can repeat.

    The kill lands while a send is on the wire (the plug pulled before Telegram accepted it);
    the restarted process sends what was not confirmed. Telegram has no idempotency key, so a
    send it accepted whose answer the dead process never recorded is sent again: at most the
    deliverer's concurrency (8), usually none (a loaded machine widens the window).
    """
    db_path = tmp_path / "bot.sqlite3"
    store = await Storage.open(db_path)
    for chat in range(1, 1001):
        await store.subscribe(chat, {"all"}, "en")
    assert await store.enqueue("broadcast", (), "Open Day!", "Dzień otwarty!") == 1000
    await store.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.outbox_worker", str(db_path), api.base_url]
    first = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    killed = asyncio.Event()

    def pull_the_plug(chat_id: int) -> None:
        if len(api.sent()) >= 400 and not killed.is_set():
            os.kill(first.pid, signal.SIGKILL)
            killed.set()
            raise ConnectionError("process killed")  # this request never reaches "Telegram"

    api.on_send = pull_the_plug
    await asyncio.wait_for(first.wait(), 60)
    assert killed.is_set() and first.returncode == -signal.SIGKILL
    delivered_before = len(api.sent())
    assert 400 <= delivered_before < 1000
    api.on_send = None

    second = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    assert await asyncio.wait_for(second.wait(), 60) == 0
    received = Counter(int(c.params["chat_id"]) for c in api.sent())
    assert set(received) == set(range(1, 1001)), "no subscriber missed"
    repeated = sum(count - 1 for count in received.values())
    assert repeated <= 8, "only the sends in flight at the kill (the concurrency) repeat"
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall() == [
            ("sent", 1000)
        ]


def test_ics_file_is_valid_icalendar() -> None:
    """The calendar file has CRLF lines, UTC times that match the Warsaw start, and escaping."""
    start = datetime(2027, 7, 1, 10, 0, tzinfo=WARSAW)  # summer time: UTC+2
    data = to_ics(event(start), "en").decode()
    lines = data.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert "DTSTART:20270701T080000Z" in lines
    assert "DTEND:20270701T110000Z" in lines
    assert "LOCATION:Room 1\\, Białystok" in lines
    assert all(len(line.encode()) <= 75 for line in lines)


async def test_events_subscribe_and_calendar_in_telegram(bot: Running) -> None:
    """/events lists the upcoming events; /subscribe's All subscribes to every topic and a
    toggle then leaves one out."""
    await bot.send("/events")
    text = bot.last_text()
    kb = bot.app.bot_data["runtime"].kb
    upcoming = [e for e in kb.events if e.end > datetime.now().astimezone()]
    if upcoming:
        assert (upcoming[0].title["en"][:20]) in text.replace("&amp;", "&")
        await bot.press(f"ics:{upcoming[0].id}")
        (doc,) = bot.api.sent("sendDocument")
        assert doc.params["document"]["data"].startswith(b"BEGIN:VCALENDAR")
    else:
        assert "No upcoming events" in text
    await bot.send("/subscribe")
    await bot.press("sub:all")
    assert "✓ <b>Youth</b>" in bot.last_text()
    await bot.press("sub:t:ka2")
    storage = bot.app.bot_data["runtime"].storage
    assert "ka2" not in (await storage.subscription(111) or set())
    await bot.send("/unsubscribe")
    assert await storage.subscription(111) is None


def test_shipped_events_file_is_marked_or_real() -> None:
    """Every shipped event is either marked as an example or has a registration link."""
    kb = knowledge.load(KNOWLEDGE).kb
    assert kb is not None
    for item in kb.events:
        assert item.example or item.registration_url, item.id


async def test_new_event_in_the_file_reaches_subscribers_once(
    settings, api: FakeBotApi, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A real event added to events.yaml while the bot runs is announced once per subscriber,
    in their language, by the running bot's JobQueue job and outbox."""
    import shutil
    from dataclasses import replace as with_settings

    from tests.conftest import start_app, stop_app

    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    running = await start_app(
        with_settings(settings, knowledge_dir=directory), api, watch_knowledge=True
    )
    try:
        await running.send("/subscribe", user_id=501)
        await running.press("sub:all", user_id=501)
        await running.send("/language pl", user_id=502)
        await running.send("/subscribe", user_id=502)
        await running.press("sub:all", user_id=502)
        start = (datetime.now(WARSAW) + timedelta(days=20)).strftime("%Y-%m-%d 10:00")
        end = (datetime.now(WARSAW) + timedelta(days=20)).strftime("%Y-%m-%d 12:00")
        events = directory / "events.yaml"
        events.write_text(
            events.read_text(encoding="utf-8")
            + f"""
  - id: real-open-day
    title: {{en: InnHUB Open Day, pl: Dzień Otwarty InnHUB}}
    description: {{en: Meet the team., pl: Poznaj zespół.}}
    start: "{start}"
    end: "{end}"
    registration_url: https://example.org/register
    topics: [ka2]
""",
            encoding="utf-8",
        )
        runtime = running.app.bot_data["runtime"]
        for _ in range(50):  # the file watcher picks the edit up within a second
            if any(e.id == "real-open-day" for e in runtime.kb.events):
                break
            await asyncio.sleep(0.05)
        job = running.app.job_queue.get_jobs_by_name("plan-announcements")[0]
        await job.run(running.app)
        await job.run(running.app)  # planning again queues nothing new
        english = await api.wait_for("sendMessage", chat_id=501, count=2)
        polish = await api.wait_for("sendMessage", chat_id=502, count=3)
        assert "InnHUB Open Day" in english[-1].params["text"]
        assert "Dzień Otwarty InnHUB" in polish[-1].params["text"]
        await asyncio.sleep(0.2)
        assert len([c for c in api.sent(chat_id=501) if "Open Day" in c.params["text"]]) == 1
    finally:
        await stop_app(running)


async def test_admin_announcement_preview_confirm_and_count(bot: Running) -> None:
    """/announce shows a preview, sends only after confirm, and reports how many received it."""
    from tests.conftest import ADMIN_ID

    for user in (301, 302, 303):
        await bot.send("/subscribe", user_id=user)
        await bot.press("sub:all", user_id=user)
    bot.api.blocked.add(303)
    await bot.send("/announce Info session on Friday at 10:00", user_id=ADMIN_ID)
    preview = bot.api.sent(chat_id=ADMIN_ID)[-1].params
    assert "Preview" in preview["text"] and "3 subscriber" in preview["reply_markup"]
    assert len(bot.api.sent(chat_id=301)) == 1, "only the /subscribe reply before confirming"
    token = preview["reply_markup"].split("ann:send:")[1].split('"')[0]
    await bot.press(f"ann:send:{token}", user_id=ADMIN_ID)
    await bot.api.wait_for("sendMessage", chat_id=301, count=2)
    await bot.api.wait_for("sendMessage", chat_id=302, count=2)
    report = ""
    for _ in range(100):
        report = bot.api.sent(chat_id=ADMIN_ID)[-1].params["text"]
        if "delivered to" in report:
            break
        await asyncio.sleep(0.05)
    assert "delivered to 2 subscriber(s); 1 had blocked the bot" in report
    await bot.send("/announce hello", user_id=301)
    assert "don't know that command" in bot.last_text(301)


def test_deadline_reminders_come_from_the_deadline_data() -> None:
    """A deadline 6 days away is reminded once to "deadlines" subscribers, in both languages."""
    kb = kb_with(())
    first = kb.deadlines[0]
    (item,) = plan(kb, first.due - timedelta(days=6), (7, 1))
    assert item.key == "deadline:KA210:2026:1:remind:7" and item.topics == ("deadlines",)
    assert "2026-03-05 12:00" in item.text_en and "round 1" in item.text_en
    assert "runda 1" in item.text_pl and "czasu brukselskiego" in item.text_pl
