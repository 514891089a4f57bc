"""A delivery process for the crash test: drains the outbox of DB through the Bot API at URL.

Run as `python -m tests.outbox_worker DB URL`; the test kills it with SIGKILL mid-broadcast.
"""

from __future__ import annotations

import asyncio
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.announcements import Deliverer
from bot.storage import Storage
from tests.fake_bot_api import TOKEN


async def main(db_path: str, base_url: str) -> None:
    storage = await Storage.open(db_path)
    bot = Bot(TOKEN, base_url=base_url, request=HTTPXRequest(connection_pool_size=16))
    async with bot:
        deliverer = Deliverer(storage, lambda chat, text: bot.send_message(chat, text))
        sent = await deliverer.drain()
    await storage.close()
    print(f"sent {sent}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
