"""One user floods the bot: how long does everybody else wait for an answer?

`python -m bench.flood`: the whole PTB application (as `bot/app.py` builds it, with the sending
rate limiter) against the fake Bot API (20 ms per call). User 1 sends 100 questions at once;
at the same moment user 2 starts asking 20 questions, one every 250 ms. Printed: user 2's answer
time (update queued -> reply accepted by the API) p50 / p95 / max, and how many replies user 1
got, for three set-ups: updates one at a time without the per-user limit (the bot before
issue 23), chats side by side without the limit, and chats side by side with the limit (now).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

import bot.app as app_module
from bot.config import load_settings
from bot.limits import RateLimit
from tests.fake_bot_api import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
FLOOD = [
    "how much is the erasmus grant per month for students",
    "what is the Erasmus Charter for Higher Education",
    "ile wynosi stypendium erasmus dla studenta na miesiac",
    "can I do a traineeship after graduation",
]
VICTIM = [
    "when is the KA220 deadline",
    "what is a blended intensive programme",
    "czy mogę wyjechać na erasmusa drugi raz",
    "how long can I stay abroad as a student",
]


async def measure(sequential: bool, limited: bool) -> dict[str, float]:
    api = FakeBotApi(latency=0.02)
    await api.start()
    replied: dict[int, list[float]] = {1: [], 2: []}
    api.on_send = lambda chat: replied.setdefault(chat, []).append(time.perf_counter())
    original = app_module.ChatOrderedProcessor
    if sequential:
        app_module.ChatOrderedProcessor = lambda: SimpleUpdateProcessor(1)  # type: ignore[assignment,misc,return-value]
    with tempfile.TemporaryDirectory() as directory:
        settings = load_settings(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "BOT_DB": str(Path(directory) / "flood.sqlite3"),
                "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
                "BOT_CACHE_DIR": str(ROOT / ".cache"),
            }
        )
        app = app_module.build_application(settings, watch_knowledge=False)
        app_module.ChatOrderedProcessor = original  # type: ignore[misc]
        if not limited:
            app.bot_data["message_limit"] = RateLimit(10**9, 60)
        await app.initialize()
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        update_ids = iter(range(1, 10**6))

        async def put(text: str, user: int) -> None:
            data = {"update_id": next(update_ids), "message": api.message(text, user)}
            await app.update_queue.put(Update.de_json(data, app.bot))

        asked: list[float] = []
        for n in range(100):
            await put(FLOOD[n % len(FLOOD)], 1)
        for n in range(20):
            asked.append(time.perf_counter())
            await put(VICTIM[n % len(VICTIM)], 2)
            await asyncio.sleep(0.25)
        for _ in range(1200):
            if len(replied[2]) >= 20:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        flooder = len(replied[1])
        await app.stop()
        await app.post_shutdown(app)  # type: ignore[misc]
        await app.shutdown()
    await api.stop()
    waits = sorted(done - sent for sent, done in zip(asked, replied[2], strict=False))
    return {
        "p50": statistics.median(waits),
        "p95": waits[int(0.95 * (len(waits) - 1))],
        "max": waits[-1],
        "victim_replies": len(replied[2]),
        "flooder_replies": flooder,
    }


def main() -> None:
    print("set-up                                   user 2 p50 / p95 / max (s)  replies 2 / 1")
    for name, sequential, limited in (
        ("one update at a time, no per-user limit", True, False),
        ("chats side by side, no per-user limit", False, False),
        ("chats side by side + 20/min limit (now)", False, True),
    ):
        r = asyncio.run(measure(sequential, limited))
        print(
            f"{name:<42} {r['p50']:.2f} / {r['p95']:.2f} / {r['max']:.2f}"
            f"            {r['victim_replies']} / {r['flooder_replies']}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
