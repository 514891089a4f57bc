"""Updates per second through the whole PTB Application, against the fake Bot API on 127.0.0.1.

Each update is a text question: PTB parses it, the handler asks the Assistant, writes the user and
the question to SQLite (two commits) and sends the reply over HTTP to the fake server, which runs
in the same process and event loop, so its cost is included.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bench.common import load_kb, ms_stats, questions, sniffio_missing, sniffio_stub
from bench.report import CACHE, KNOWLEDGE, section, table
from bot.app import build_application
from bot.config import load_settings
from bot.limits import RateLimit
from tests.fake_bot_api import TOKEN, FakeBotApi

UPDATES = 500
WARM_UP = 20
USERS = 50


async def _handle_all(app: Application, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Feed updates one by one, as the bot does (concurrent_updates=False); time each."""
    durations: list[float] = []
    started = time.perf_counter()
    for payload in payloads:
        begun = time.perf_counter()
        await app.process_update(Update.de_json(payload, app.bot))
        durations.append(time.perf_counter() - begun)
    return {"elapsed": time.perf_counter() - started, "durations": durations}


async def _measure(asked: list[str], directory: Path) -> list[tuple[str, dict[str, Any]]]:
    api = FakeBotApi()
    await api.start()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "BOT_DB": str(directory / "bot.sqlite3"),
        "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "BOT_CACHE_DIR": str(CACHE),  # embeddings on when installed, as the bot runs
    }
    app = build_application(load_settings(env), rate_limit=False, watch_knowledge=False)
    # 50 users asking hundreds of questions would trip the per-user limit (20 a minute), which
    # would then measure how fast the bot ignores them.
    app.bot_data["message_limit"] = RateLimit(10**9, 60)
    # As tests/conftest.py start_app: everything run_polling does except polling.
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    try:
        payloads = [
            {
                "update_id": i + 1,
                "message": api.message(
                    asked[i % len(asked)], user_id=1000 + i % USERS, first_name="Bench"
                ),
            }
            for i in range(WARM_UP + UPDATES)
        ]
        await _handle_all(app, payloads[:WARM_UP])
        results: list[tuple[str, dict[str, Any]]] = []
        before = len(api.sent())
        result = await _handle_all(app, payloads[WARM_UP:])
        result["replies"] = len(api.sent()) - before
        results.append(("app.process_update, rate limiter off", result))
        if sniffio_missing():
            before = len(api.sent())
            with sniffio_stub():
                result = await _handle_all(app, payloads[WARM_UP:])
            result["replies"] = len(api.sent()) - before
            results.append(("  same, sniffio importable", result))
        return results
    finally:
        await app.stop()
        await app.post_shutdown(app)  # type: ignore[misc]
        await app.shutdown()
        await api.stop()


def run(eval_path: Path) -> None:
    section("4. End to end: text questions through the PTB Application")
    asked, source = questions(eval_path, load_kb())
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(_measure(asked, Path(tmp)))
    rows = [
        [
            name,
            UPDATES,
            result["replies"],
            f"{UPDATES / result['elapsed']:.0f}",
            *ms_stats(result["durations"]),
        ]
        for name, result in results
    ]
    print(f"{UPDATES} updates from {USERS} users, after {WARM_UP} warm-up; questions: {source}")
    print(table(["what", "updates", "replies", "updates/s", "p50 ms", "p99 ms", "max ms"], rows))
    print(
        "One update at a time, as the bot runs (concurrent_updates=False). Includes JSON parsing,"
        " matching, two SQLite commits and one HTTP reply per update."
    )
    if sniffio_missing():
        print("'sniffio importable': the same updates again with sniffio importable (see 5.).")
