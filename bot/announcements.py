"""Events, subscriptions and announcements delivered exactly once through a durable outbox.

Planning (which announcements are due) is pure and keyed: an announcement's key (``event:ID:new``,
``event:ID:remind:7``, ``deadline:KA210:2027:1:remind:1``) is unique in SQLite, so planning can run
every minute, after every restart and every reload without ever queueing anything twice. Delivery
drains the outbox: each (announcement, subscriber) row is marked done in its own commit right after
Telegram confirms it.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.assistant import Button, Reply
from bot.knowledge import Deadline, Event, KnowledgeBase
from bot.storage import Delivery, Storage
from bot.telegram_html import escape
from bot.texts import in_language, t

logger = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

MAX_ATTEMPTS = 5  # for errors that are not Telegram's (a bug, a bad row)
# A 5xx or network error keeps a row pending this long: a day-long outage loses nobody.
GIVE_UP_AFTER = 72 * 3600
# Words of a 400 that mean the chat is gone for good.
GONE = ("chat not found", "user is deactivated", "bot was kicked", "peer_id_invalid")


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 5, 10, 20 ... 900."""
    return float(min(5 * 2 ** min(attempts, 20), 900))


# -- texts ---------------------------------------------------------------------------------------


def event_text(event: Event, lang: str, headline: str = "") -> str:
    """An event as a message: headline, title, when, where, description, registration."""
    title = escape(event.title.get(lang) or event.title["en"])
    start, end = event.start, event.end
    when = (
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        if start.date() == end.date()
        else f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    )
    lines = [f"{headline}\n<b>{title}</b>" if headline else f"<b>{title}</b>"]
    if event.example:
        lines[0] += f" <i>{t('ev_example', lang)}</i>"
    lines.append(f"🗓 {t('ev_when', lang)}: {when} ({start.tzname()})")
    place = event.place.get(lang) or event.place.get("en")
    if place:
        lines.append(f"📍 {t('ev_where', lang)}: {escape(place)}")
    if event.online_url:
        lines.append(
            f'💻 {t("ev_online", lang)}: <a href="{html.escape(event.online_url)}">'
            f"{html.escape(event.online_url)}</a>"
        )
    lines.append("")
    lines.append(escape(event.description.get(lang) or event.description["en"]))
    if event.registration_url:
        lines.append(
            f'\n✍️ <a href="{html.escape(event.registration_url)}">{t("ev_register", lang)}</a>'
        )
    return "\n".join(lines)


def deadline_reminder_text(deadline: Deadline, days: int, lang: str) -> str:
    title = escape(deadline.title.get(lang) or deadline.title["en"])
    return (
        f"{t('ev_deadline_remind', lang, days=days)}\n<b>{title}</b>"
        f"{t('deadline_round', lang, round=deadline.round) if deadline.round else ''}\n"
        f"{deadline.due:%Y-%m-%d %H:%M} ({t('ev_brussels', lang)}), {deadline.call_year}\n"
        f'<a href="{html.escape(deadline.source)}">{html.escape(deadline.source)}</a>'
    )


# -- planning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    key: str
    topics: tuple[str, ...]
    text_en: str
    text_pl: str


def plan(kb: KnowledgeBase, now: datetime, reminder_days: tuple[int, ...]) -> list[Planned]:
    """Announcements due at ``now``: new upcoming events, and the nearest reminder that is due."""
    result: list[Planned] = []
    days = sorted(set(reminder_days))
    for event in kb.events:
        if event.start <= now or event.example:  # examples are shown, never announced
            continue
        result.append(
            Planned(
                f"event:{event.id}:new",
                event.topics,
                event_text(event, "en", t("ev_new", "en")),
                event_text(event, "pl", t("ev_new", "pl")),
            )
        )
        due = [d for d in days if event.start - timedelta(days=d) <= now]
        if due and event.start - now < timedelta(days=due[0]):
            d = due[0]
            result.append(
                Planned(
                    f"event:{event.id}:remind:{d}",
                    event.topics,
                    event_text(event, "en", t("ev_remind", "en", days=d)),
                    event_text(event, "pl", t("ev_remind", "pl", days=d)),
                )
            )
    for deadline in kb.deadlines:
        if deadline.due <= now:
            continue
        due = [d for d in days if deadline.due - timedelta(days=d) <= now]
        if due:
            d = due[0]
            key = (
                f"deadline:{deadline.action}:{deadline.call_year}:{deadline.round or 1}:remind:{d}"
            )
            result.append(
                Planned(
                    key,
                    ("deadlines",),
                    deadline_reminder_text(deadline, d, "en"),
                    deadline_reminder_text(deadline, d, "pl"),
                )
            )
    return result


async def queue_due(
    storage: Storage, kb: KnowledgeBase, now: datetime, reminder_days: tuple[int, ...]
) -> int:
    """Queue every due announcement once; returns how many outbox rows were added now."""
    added = 0
    for item in plan(kb, now, reminder_days):
        added += await storage.enqueue(item.key, item.topics, item.text_en, item.text_pl)
    return added


# -- delivery ------------------------------------------------------------------------------------

SendFn = Callable[[int, str], Awaitable[object]]
SendItemFn = Callable[[Delivery], Awaitable[object]]


def unsubscribe_row(item: Delivery) -> tuple[Button, ...]:
    """The button under every announcement: leave its topic (or, for a manual one, all)."""
    key = "unsub_button" if item.topics else "unsub_all_button"
    return (Button(t(key, item.lang), f"unsub:{item.announcement_id}"),)


class Deliverer:
    """Drains the outbox: sends, then marks each row done in its own commit.

    Only a permanent answer ends a row early: blocked, chat not found or deactivated (the chat
    is unsubscribed) and any other 400 (the request itself is wrong). RetryAfter pauses all
    sending for the time Telegram asks. A 5xx or a network error keeps the row pending with a
    growing backoff (5 s doubling to 15 min) until the announcement is GIVE_UP_AFTER old, so a
    long Telegram outage loses nobody. Any other exception (a bug, a bad row) is recorded on the
    row with its attempt count and retried with the same backoff, MAX_ATTEMPTS times.
    A row is marked only after Telegram answered, so a crash can at worst repeat the few
    messages that were in flight at that instant, never lose one.
    """

    def __init__(
        self,
        storage: Storage,
        send: SendFn,
        concurrency: int = 8,
        send_item: SendItemFn | None = None,
    ) -> None:
        self.storage = storage
        self.send = send
        # Sends an announcement with its buttons; without it, ``send`` sends the text alone.
        self.send_item = send_item
        self.concurrency = concurrency
        self.wake = asyncio.Event()
        self._pause_until = 0.0
        self.sent = 0
        self.stopping = False  # set at shutdown: finish the messages in flight, start no new one
        # Rows Telegram accepted whose "sent" mark could not be stored: never sent again.
        self._unrecorded: set[int] = set()

    async def deliver_one(self, item: Delivery) -> None:
        """Send one row and record the outcome; no exception escapes (a row never stops a run)."""
        if item.id in self._unrecorded:
            await self._record_sent(item)
            return
        wait = self._pause_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            if self.send_item is not None:
                await self.send_item(item)
            else:
                await self.send(item.chat_id, item.text)
        except RetryAfter as exc:
            delay = (
                exc.retry_after
                if isinstance(exc.retry_after, (int, float))
                else exc.retry_after.total_seconds()
            )
            self._pause_until = max(self._pause_until, time.monotonic() + delay)
            logger.warning("flood control: pausing deliveries for %.1f s", delay)
            await self._record(self.storage.retry_later(item.id, delay, f"RetryAfter {delay}"))
            return
        except Forbidden as exc:
            logger.info("chat %s blocked the bot; unsubscribing", item.chat_id)
            await self._gone(item, exc)
            return
        except BadRequest as exc:
            if any(word in str(exc).lower() for word in GONE):
                await self._gone(item, exc)
            else:
                logger.error("outbox row %s refused by Telegram: %s", item.id, exc)
                await self._record(self.storage.mark(item.id, "failed", str(exc)))
            return
        except TelegramError as exc:  # 5xx, time-outs, the network: Telegram will be back
            await self._transient(item, exc)
            return
        except Exception as exc:
            logger.exception("outbox row %s: unexpected error", item.id)
            await self._broken(item, exc)
            return
        self.sent += 1
        await self._record_sent(item)

    async def _record_sent(self, item: Delivery) -> None:
        try:
            await self.storage.mark(item.id, "sent")
        except Exception:
            logger.warning("outbox row %s was sent but could not be marked; will retry", item.id)
            self._unrecorded.add(item.id)
        else:
            self._unrecorded.discard(item.id)

    async def _record(self, write: Awaitable[object]) -> None:
        """Store a row's outcome; a failure here leaves the row pending for the next pass."""
        try:
            await write
        except Exception:
            logger.warning("could not record an outbox outcome", exc_info=True)

    async def _gone(self, item: Delivery, exc: Exception) -> None:
        await self._record(self.storage.mark(item.id, "blocked", str(exc)))
        await self._record(self.storage.unsubscribe(item.chat_id))

    async def _transient(self, item: Delivery, exc: Exception) -> None:
        if item.created_at and time.time() - item.created_at > GIVE_UP_AFTER:
            logger.error(
                "giving up on outbox row %s after %d attempts: %s", item.id, item.attempts + 1, exc
            )
            await self._record(self.storage.mark(item.id, "failed", str(exc)))
            return
        error = f"{type(exc).__name__}: {exc}"[:500]
        await self._record(self.storage.retry_later(item.id, backoff(item.attempts), error))

    async def _broken(self, item: Delivery, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if item.attempts + 1 >= MAX_ATTEMPTS:
            logger.error("giving up on outbox row %s after %d attempts", item.id, MAX_ATTEMPTS)
            await self._record(self.storage.mark(item.id, "failed", error))
        else:
            await self._record(self.storage.retry_later(item.id, backoff(item.attempts), error))

    async def report(self) -> int:
        """Send every delivery report that is due (stored, so a restart still sends it)."""
        done = 0
        for item in await self.storage.reports_due():
            counts = item.counts
            try:
                await self.send(
                    item.chat_id,
                    f"✅ Announcement delivered to {counts.get('sent', 0)} subscriber(s); "
                    f"{counts.get('blocked', 0)} had blocked the bot, {counts.get('failed', 0)} "
                    "failed.",
                )
            except Exception as exc:
                logger.warning("could not send a delivery report: %s", exc)
                continue
            await self._record(self.storage.reported(item.announcement_id))
            done += 1
        return done

    async def drain(self) -> int:
        """Send everything due now; returns how many were sent."""
        before = self.sent
        # A row whose outcome could not be stored is still due; it waits for the next drain
        # rather than being sent again in a tight loop.
        seen: set[int] = set()
        while not self.stopping:
            batch = [
                item
                for item in await self.storage.due_deliveries(limit=self.concurrency * 25)
                if item.id not in seen
            ]
            if not batch:
                return self.sent - before
            seen.update(item.id for item in batch)
            queue: asyncio.Queue[Delivery] = asyncio.Queue()
            for item in batch:
                queue.put_nowait(item)
            await asyncio.gather(*(self._worker(queue) for _ in range(self.concurrency)))
        return self.sent - before

    async def _worker(self, queue: asyncio.Queue[Delivery]) -> None:
        while not queue.empty() and not self.stopping:
            await self.deliver_one(queue.get_nowait())

    async def run(self, idle_seconds: float = 5.0) -> None:
        """Deliver forever: drain, then sleep until woken or the next retry may be due."""
        while not self.stopping:
            try:
                await self.drain()
                await self.report()
            except Exception:
                logger.exception("delivery loop error; retrying shortly")
            if self.stopping:
                return
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), idle_seconds)


# -- calendar ------------------------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets are folded with CRLF and a space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not parts else 74
        if len((current + ch).encode("utf-8")) > limit:
            parts.append(current)
            current = ch
        else:
            current += ch
    parts.append(current)
    return "\r\n ".join(parts)


def to_ics(event: Event, lang: str, now: datetime | None = None) -> bytes:
    """One event as an iCalendar file; times in UTC, so every calendar shows them correctly."""
    stamp = (now or datetime.now().astimezone()).astimezone(tz=None)

    def utc(moment: datetime) -> str:
        return moment.astimezone(tz=__import__("datetime").timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    description = event.description.get(lang) or event.description["en"]
    if event.registration_url:
        description += f"\n{event.registration_url}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Erasmus+ assistant//events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.id}@erasmus-assistant",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(event.start)}",
        f"DTEND:{utc(event.end)}",
        f"SUMMARY:{_ics_escape(event.title.get(lang) or event.title['en'])}",
        f"DESCRIPTION:{_ics_escape(description)}",
    ]
    place = event.place.get(lang) or event.place.get("en") or event.online_url
    if place:
        lines.append(f"LOCATION:{_ics_escape(place)}")
    if event.registration_url or event.online_url:
        lines.append(f"URL:{event.registration_url or event.online_url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


# -- Telegram handlers ---------------------------------------------------------------------------


def _rt(context: Context):
    from bot.runtime import runtime

    return runtime(context)


def upcoming(kb: KnowledgeBase, now: datetime) -> list[Event]:
    return [e for e in kb.events if e.end > now]


def events_reply(kb: KnowledgeBase, lang: str, now: datetime) -> Reply:
    items = upcoming(kb, now)
    if not items:
        return Reply(t("ev_none", lang), lang=lang)
    lines = [t("ev_upcoming", lang)]
    rows: list[tuple[Button, ...]] = []
    for event in items[:10]:
        title = event.title.get(lang) or event.title["en"]
        mark = " *" if event.example else ""
        lines.append(f"• {event.start:%Y-%m-%d %H:%M} — {escape(title)}{mark}")
        rows.append((Button(f"{event.start:%d.%m} {title}"[:60], f"ev:{event.id}"),))
    if any(e.example for e in items):
        lines.append(f"\n* {t('ev_example', lang)}")
    return Reply("\n".join(lines), tuple(rows), lang=lang)


def subscription_reply(kb: KnowledgeBase, chosen: set[str] | None, lang: str) -> Reply:
    """/subscribe: every topic as a toggle button (✓ when on) with its short line, then All and
    None. Nothing is subscribed until a button is pressed."""
    chosen = chosen or set()
    lines = [t("sub_intro", lang)]
    rows: list[tuple[Button, ...]] = []
    for topic, title in kb.event_topics.items():
        on = topic in chosen or "all" in chosen
        name = in_language(title, lang) or topic
        about = in_language(kb.topic_about.get(topic, {}), lang)
        lines.append(
            f"{'✓' if on else '•'} <b>{escape(name)}</b>" + (f": {escape(about)}" if about else "")
        )
        rows.append((Button(f"{'✓ ' if on else ''}{name}"[:60], f"sub:t:{topic}"),))
    rows.append((Button(t("ev_all", lang), "sub:all"), Button(t("sub_none", lang), "sub:none")))
    rows.append((Button(t("ev_done", lang), "sub:done"),))
    return Reply("\n".join(lines), tuple(rows), lang=lang)


def subscriptions_text(
    kb: KnowledgeBase, chosen: set[str] | None, lang: str, days: tuple[int, ...]
) -> Reply:
    """/subscriptions: what the person gets, topic by topic, and a button to change it."""
    rows = ((Button(t("sub_change", lang), "subscribe"),),)
    if not chosen:
        return Reply(t("ev_not_subscribed", lang), rows, lang=lang)
    topics = (
        list(kb.event_topics) if "all" in chosen else [c for c in kb.event_topics if c in chosen]
    )
    lines = [t("sub_you_get", lang)]
    for topic in topics:
        about = in_language(kb.topic_about.get(topic, {}), lang)
        name = escape(in_language(kb.event_topics[topic], lang))
        lines.append(f"✓ <b>{name}</b>" + (f": {escape(about)}" if about else ""))
    when = ", ".join(str(d) for d in sorted(days, reverse=True))
    lines.append("\n" + t("sub_how", lang, days=when))
    return Reply("\n".join(lines), rows, lang=lang)


async def events_command(update: Update, context: Context) -> None:
    """List upcoming events, next first, with a button per event."""
    from bot.handlers import send, user_lang

    lang = await user_lang(update, context)
    now = datetime.now().astimezone(_rt(context).settings.timezone)
    await send(update, events_reply(_rt(context).kb, lang, now))


async def subscribe(update: Update, context: Context) -> None:
    """Show the topics as toggles; nothing is subscribed until the person picks."""
    from bot.handlers import send, user_lang

    lang = await user_lang(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    current = await _rt(context).storage.subscription(chat.id)
    await send(update, subscription_reply(_rt(context).kb, current, lang))


async def unsubscribe(update: Update, context: Context) -> None:
    """Stop all announcements."""
    from bot.handlers import send, user_lang

    lang = await user_lang(update, context)
    if update.effective_chat:
        await _rt(context).storage.unsubscribe(update.effective_chat.id)
    await send(update, Reply(t("ev_unsubscribed", lang), lang=lang))


async def subscriptions(update: Update, context: Context) -> None:
    """Show what the person gets, in their language."""
    from bot.handlers import send, user_lang

    lang = await user_lang(update, context)
    if update.effective_chat is None:
        return
    rt = _rt(context)
    current = await rt.storage.subscription(update.effective_chat.id)
    await send(update, subscriptions_text(rt.kb, current, lang, rt.settings.reminder_days))


async def save_topics(storage: Storage, chat_id: int, topics: set[str], lang: str) -> None:
    """Store the chosen topics; none chosen is no subscription at all."""
    if topics:
        await storage.subscribe(chat_id, topics, lang)
    else:
        await storage.unsubscribe(chat_id)


async def on_button(update: Update, context: Context, lang: str) -> bool:
    """Buttons of events and subscriptions; False when the button is not ours."""
    from bot.handlers import send

    query = update.callback_query
    if query is None or query.data is None or update.effective_chat is None:
        return False
    rt = _rt(context)
    kind, _, value = query.data.partition(":")
    chat_id = update.effective_chat.id
    if query.data in ("events", "subscribe"):
        await query.answer()
        await (events_command if query.data == "events" else subscribe)(update, context)
        return True
    if kind in ("ev", "ics", "rem"):
        # An event that was removed, or has started, is "no longer available", whatever the
        # button (an old message, a forged press): nothing changes.
        event = rt.assistant.event(value)
        if event is None:
            await query.answer(t("gone", lang), show_alert=True)
            return True
        if kind == "ev":
            await query.answer()
            rows: list[tuple[Button, ...]] = [(Button(t("ev_calendar", lang), f"ics:{event.id}"),)]
            if event.registration_url and event.registration_url.startswith("https://"):
                rows.append((Button("✍️ " + t("ev_register", lang), event.registration_url),))
            await send(update, Reply(event_text(event, lang), tuple(rows), lang=lang))
        elif kind == "ics":
            await query.answer()
            await context.bot.send_document(
                chat_id, io.BytesIO(to_ics(event, lang)), filename=f"{event.id}.ics"
            )
        else:
            await query.answer()
            await remind(update, context, event, lang)
        return True
    if kind == "sub":
        every = set(rt.kb.event_topics)
        if value not in ("all", "none", "done") and not (
            value.startswith("t:") and value[2:] in every
        ):
            await query.answer(t("gone", lang), show_alert=True)  # a topic that was removed
            return True
        await query.answer()
        current = await rt.storage.subscription(chat_id) or set()
        if value == "done":
            await send(
                update,
                subscriptions_text(rt.kb, current, lang, rt.settings.reminder_days),
                edit=True,
            )
            return True
        if value in ("all", "none"):
            current = {"all"} if value == "all" else set()
        else:
            if "all" in current:
                current = set(every)
            current ^= {value[2:]}
            current = {"all"} if current >= every else current & every
        await save_topics(rt.storage, chat_id, current, lang)
        await send(update, subscription_reply(rt.kb, current, lang), edit=True)
        return True
    if kind == "unsub":
        return await unsubscribe_button(update, context, value, lang)
    if kind == "ann":
        await on_announce_button(update, context, value, lang)
        return True
    return False


def topic_names(kb: KnowledgeBase, topics: Iterable[str], lang: str) -> str:
    """Topic titles in ``lang``, joined: "Partnerships and KA2 projects, Youth"."""
    return ", ".join(
        escape(in_language(kb.event_topics[topic], lang))
        for topic in topics
        if topic in kb.event_topics
    )


async def remind(update: Update, context: Context, event: Event, lang: str) -> None:
    """ "Remind me" under an answer: subscribe the chat to the event's topics (its reminders
    then come 7 and 1 days before), and queue the event's latest reminder if it already went
    out to the others."""
    from bot.handlers import send

    rt = _rt(context)
    chat = update.effective_chat
    if chat is None:
        return
    current = await rt.storage.subscription(chat.id) or set()
    if "all" not in current:
        current |= set(event.topics)
    await rt.storage.subscribe(chat.id, current, lang)
    if await rt.storage.add_to_latest(f"event:{event.id}:remind:", chat.id):
        deliverer: Deliverer | None = context.bot_data.get("deliverer")
        if deliverer:
            deliverer.wake.set()
    title = escape(in_language(event.title, lang))
    names = topic_names(rt.kb, event.topics, lang)
    await send(update, Reply(t("ev_reminder_set", lang, title=title, topics=names), lang=lang))


async def unsubscribe_button(update: Update, context: Context, value: str, lang: str) -> bool:
    """ "Unsubscribe from this topic" under an announcement: drop its topics (a manual
    announcement has none: drop all); an unknown announcement changes nothing."""
    from bot.handlers import send

    query = update.callback_query
    chat = update.effective_chat
    rt = _rt(context)
    topics = await rt.storage.announcement_topics(int(value)) if value.isdigit() else None
    if query is None or chat is None or topics is None:
        if query is not None:
            await query.answer(t("gone", lang), show_alert=True)
        return True
    await query.answer()
    current = await rt.storage.subscription(chat.id) or set()
    if "all" in current:
        current = set(rt.kb.event_topics)
    left = (current - topics) & set(rt.kb.event_topics) if topics else set()
    await save_topics(rt.storage, chat.id, left, lang)
    names = topic_names(rt.kb, sorted(topics), lang) or t("ev_all", lang)
    reply = subscriptions_text(rt.kb, left, lang, rt.settings.reminder_days)
    await send(
        update,
        Reply(
            t("sub_dropped", lang, topics=names) + "\n\n" + reply.text, reply.buttons, lang=lang
        ),
    )
    return True


async def announce(update: Update, context: Context) -> None:
    """Admins: preview a free-form announcement, then send it after a confirm button."""
    from bot.handlers import send, unknown_command

    user = update.effective_user
    rt = _rt(context)
    if user is None or user.id not in rt.settings.admins:
        await unknown_command(update, context)
        return
    message = update.effective_message
    text = message.text.partition(" ")[2].strip() if message and message.text else ""
    if not text:
        await send(
            update,
            Reply(
                "Usage: /announce TEXT — I will show a preview and ask before "
                "sending it to all subscribers."
            ),
        )
        return
    token = uuid.uuid4().hex[:12]
    context.bot_data.setdefault("pending_announcements", {})[token] = text
    stats = await rt.storage.stats()
    rows = (
        (
            Button(f"📣 Send to {stats['subscribers']} subscriber(s)", f"ann:send:{token}"),
            Button("✖ Cancel", f"ann:cancel:{token}"),
        ),
    )
    await send(update, Reply(f"<b>Preview</b>\n\n{escape(text)}", rows))


async def on_announce_button(update: Update, context: Context, value: str, lang: str) -> None:
    from bot.handlers import send

    query = update.callback_query
    rt = _rt(context)
    if query is None:
        return
    if query.from_user.id not in rt.settings.admins:
        await query.answer(t("outdated", lang))
        return
    await query.answer()
    action, _, token = value.partition(":")
    pending: dict[str, str] = context.bot_data.setdefault("pending_announcements", {})
    text = pending.get(token)
    if text is None or action == "cancel":
        pending.pop(token, None)
        await send(update, Reply("Not sent."), edit=True)
        return
    body = f"📣 {escape(text)}"
    # The token is spent only once the outbox rows are committed: if this write fails, the
    # admin's Send button still works.
    chat_id = update.effective_chat.id if update.effective_chat else None
    count = await rt.storage.enqueue(f"manual:{token}", (), body, body, report_chat=chat_id)
    pending.pop(token, None)
    deliverer: Deliverer | None = context.bot_data.get("deliverer")
    if deliverer:
        deliverer.wake.set()
    await send(
        update,
        Reply(f"📣 Queued for {count} subscriber(s). I will report when it is delivered."),
        edit=True,
    )


async def plan_job(context: Context) -> None:
    """JobQueue: queue what is due in the current knowledge base and wake delivery."""
    rt = _rt(context)
    now = datetime.now().astimezone(rt.settings.timezone)
    added = await queue_due(rt.storage, rt.kb, now, rt.settings.reminder_days)
    if added:
        logger.info("queued %d announcement message(s)", added)
        deliverer: Deliverer | None = context.bot_data.get("deliverer")
        if deliverer:
            deliverer.wake.set()
