"""A Telegram outage during a broadcast: how many subscribers still get the announcement.

`python -m bench.outage [--seconds 90] [--subscribers 1000] [--mode 500|drop]`: the outbox
(a temporary SQLite file) holds one announcement for every subscriber; the Deliverer runs as in
the bot (its `run` loop) against the fake Bot API, which answers every send with a 502 ("500")
or drops the connection ("drop") for the first SECONDS, then works again. Prints what was sent,
failed and still pending, and how long after the recovery the last subscriber got it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import tempfile
import time
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.announcements import Deliverer
from bot.storage import Storage
from tests.fake_bot_api import TOKEN, FakeBotApi


async def measure(seconds: float, subscribers: int, mode: str) -> dict[str, float]:
    api = FakeBotApi()
    api.calls = collections.deque(maxlen=subscribers * 2)  # type: ignore[assignment]
    await api.start()
    with tempfile.TemporaryDirectory() as directory:
        storage = await Storage.open(Path(directory) / "outage.sqlite3")
        for chat in range(1, subscribers + 1):
            await storage.subscribe(chat, {"all"}, "en")
        await storage.enqueue("outage", (), "📣 Open day", "📣 Dzień otwarty")
        request = HTTPXRequest(connection_pool_size=16, connect_timeout=5, read_timeout=5)
        async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
            deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
            api.down = mode
            started = time.monotonic()
            task = asyncio.create_task(deliverer.run(idle_seconds=1.0))
            await asyncio.sleep(seconds)
            during = await storage.outbox_counts()
            api.down = None
            recovered = time.monotonic()
            for _ in range(2400):  # polls the outbox for up to 20 minutes
                if not (await storage.outbox_counts()).get("pending", 0):
                    break
                await asyncio.sleep(0.5)
            finished = time.monotonic()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        counts = await storage.outbox_counts()
        async with storage.db.execute("SELECT MAX(attempts) FROM outbox") as cur:
            attempts = (await cur.fetchone())[0]  # type: ignore[index]
        await storage.close()
    await api.stop()
    received = len({int(c.params["chat_id"]) for c in api.calls if c.method == "sendMessage"})
    return {
        "outage_s": recovered - started,
        "failed_during": during.get("failed", 0),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "pending": counts.get("pending", 0),
        "received": received,
        "max_attempts": attempts,
        "last_after_recovery_s": finished - recovered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--mode", choices=("500", "drop"), default="500")
    args = parser.parse_args()
    result = asyncio.run(measure(args.seconds, args.subscribers, args.mode))
    for name, value in result.items():
        print(f"{name:>22}: {value:.1f}" if isinstance(value, float) else f"{name:>22}: {value}")


if __name__ == "__main__":
    main()
