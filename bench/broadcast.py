"""Broadcast throughput: the durable outbox (Storage) drained by the Deliverer to many subscribers.

Every run goes through ``Storage.enqueue`` and ``Deliverer.drain`` on one temporary SQLite file:
10,000 messages through PTB's plain ``Bot.send_message`` (no rate limiter) to the fake Bot API;
the same with a send function that does nothing (what the outbox itself costs); and 1,000
messages through an ``ExtBot`` with ``AIORateLimiter(max_retries=0)``, as the running bot sends.
"""

from __future__ import annotations

import asyncio
import collections
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench.common import load_kb, sniffio_missing, sniffio_stub
from bench.report import peak_rss_mb, section, table
from bot.announcements import Deliverer, event_text
from bot.knowledge import KnowledgeBase
from bot.storage import Storage
from bot.texts import t
from tests.fake_bot_api import TOKEN, FakeBotApi

SUBSCRIBERS = 10_000
LIMITED = 1_000  # at ~30 messages/s this run alone takes half a minute
BURST_SKIPPED = 100  # the limiter lets a first burst through; "sustained" starts after it
SendFn = Callable[[int, str], Awaitable[object]]


def _texts(kb: KnowledgeBase) -> tuple[str, str]:
    """A real announcement (the first event in events.yaml) in English and Polish."""
    if not kb.events:
        return "🆕 <b>Workshop</b>", "🆕 <b>Warsztaty</b>"
    event = kb.events[0]
    return event_text(event, "en", t("ev_new", "en")), event_text(event, "pl", t("ev_new", "pl"))


async def _add_subscribers(storage: Storage) -> None:
    """10,000 subscribers, half Polish; the first 1,000 on topic ka1, the others on ka2."""
    now = time.time()
    rows = [
        (100_000 + i, "ka1" if i < LIMITED else "ka2", "pl" if i % 2 else "en", now)
        for i in range(SUBSCRIBERS)
    ]
    # One statement instead of 10,000 subscribe() commits: the set-up is not what is measured.
    await storage.db.executemany(
        "INSERT INTO subscriptions (chat_id, topics, lang, since) VALUES (?, ?, ?, ?)", rows
    )
    await storage.db.commit()


def _html_sender(bot: Bot, stamps: list[float]) -> SendFn:
    """The send function bot/app.py gives the Deliverer; notes when each message was accepted."""

    async def send(chat_id: int, text: str) -> object:
        message = await bot.send_message(
            chat_id, text, parse_mode="HTML", disable_web_page_preview=True
        )
        stamps.append(time.perf_counter())
        return message

    return send


async def _nothing(chat_id: int, text: str) -> None:
    return None


async def _drain(
    storage: Storage, send: SendFn, key: str, topics: tuple[str, ...], texts: tuple[str, str]
) -> dict[str, Any]:
    started = time.perf_counter()
    queued = await storage.enqueue(key, topics, *texts)
    enqueued = time.perf_counter() - started
    deliverer = Deliverer(storage, send)
    started = time.perf_counter()
    sent = await deliverer.drain()
    drained = time.perf_counter() - started
    return {"queued": queued, "enqueue": enqueued, "sent": sent, "drain": drained}


def _row(name: str, result: dict[str, Any], rate: float, memory: str = "") -> list[object]:
    return [
        name,
        result["queued"],
        result["sent"],
        f"{1000 * result['enqueue']:.0f}",
        f"{result['drain']:.2f}",
        f"{rate:.0f}",
        memory,
    ]


async def _measure(kb: KnowledgeBase, directory: Path) -> list[list[object]]:
    api = FakeBotApi()
    # Keep only the last calls: a 10,000-entry log would be the fake server's memory, not ours.
    api.calls = collections.deque(maxlen=100)  # type: ignore[assignment]
    await api.start()
    storage = await Storage.open(directory / "bench.sqlite3")
    texts = _texts(kb)
    everyone = ("ka1", "ka2")
    rows: list[list[object]] = []
    try:
        await _add_subscribers(storage)
        # The same connection pool as the running bot (ApplicationBuilder's default, 256).
        bot = Bot(TOKEN, base_url=api.base_url, request=HTTPXRequest(connection_pool_size=256))
        async with bot:
            before = peak_rss_mb()
            result = await _drain(storage, _html_sender(bot, []), "bench:http", everyone, texts)
            memory = f"RSS peak {before:.0f} -> {peak_rss_mb():.0f} MB"
            rate = result["sent"] / result["drain"]
            rows.append(_row("Bot.send_message, no limiter", result, rate, memory))
            if sniffio_missing():
                with sniffio_stub():
                    result = await _drain(
                        storage, _html_sender(bot, []), "bench:sniffio", everyone, texts
                    )
                rate = result["sent"] / result["drain"]
                rows.append(_row("  same, sniffio importable", result, rate))

        result = await _drain(storage, _nothing, "bench:outbox", everyone, texts)
        rows.append(_row("no-op send (outbox only)", result, result["sent"] / result["drain"]))

        limited = ExtBot(TOKEN, base_url=api.base_url, rate_limiter=AIORateLimiter(max_retries=0))
        async with limited:
            stamps: list[float] = []
            tracemalloc.start()
            result = await _drain(
                storage, _html_sender(limited, stamps), "bench:limited", ("ka1",), texts
            )
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            steady = stamps[BURST_SKIPPED:]
            rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
            memory = f"traced peak {peak / 2**20:.1f} MB"
            rows.append(_row("ExtBot + AIORateLimiter", result, rate, memory))
        counts = await storage.outbox_counts()
        rows.append(["outbox rows by status at the end", "", "", "", "", "", str(counts)])
    finally:
        await storage.close()
        await api.stop()
    return rows


def run(eval_path: Path) -> None:
    section("5. Broadcast: outbox + Deliverer to subscribers, fake Bot API on 127.0.0.1")
    kb = load_kb()
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(_measure(kb, Path(tmp)))
    headers = ["send function", "queued", "sent", "enqueue ms", "drain s", "msg/s", "memory"]
    print(table(headers, rows))
    print(
        "Deliverer concurrency 8, one commit per delivered row; the fake server shares this"
        " process and event loop. Targets: >= 2000 msg/s without the limiter (HTTP included);\n"
        f">= 28 msg/s with it, sustained: measured after the first {BURST_SKIPPED} messages,"
        " which the limiter lets through in a burst. Memory: this process's peak RSS before and"
        "\nafter the first 10,000-message run; tracemalloc peak of Python allocations during the"
        " rate-limited run (tracing is too slow for the fast runs)."
    )
    if sniffio_missing():
        print(
            "sniffio is not installed: httpcore 1.0.9 retries a failed `import sniffio` several"
            " times per request (encode/httpcore#1103); the 'sniffio importable' row puts a stub"
            "\nin sys.modules to show what adding `sniffio` to the dependencies would gain."
        )
