"""Forged webhook updates against the real bot process: how many get in?

`python -m bench.forgery [N]`: starts `python -m bot` in webhook mode (BOT_WEBHOOK_SECRET set)
against the fake Bot API, lets one user ask a question through the webhook with the right
secret, then posts N forged `forget:yes` presses for that user: a third without the secret
header, a third with a wrong one of the same length, a third with the secret plus one character.
Prints the HTTP answers, whether the user's rows are still there, and whether the bot starts
without a secret at all.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tests.fake_bot_api import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-token-0123456789"


def post(port: int, update: dict, secret: str | None) -> int:  # type: ignore[type-arg]
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/hook", json.dumps(update).encode(), headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def main(forged: int) -> None:
    api = FakeBotApi()
    await api.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.mkdtemp()
    db = Path(directory) / "bot.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        BOT_DB=str(db),
        BOT_CACHE_DIR=str(ROOT / ".cache"),
        BOT_WEBHOOK_URL="https://bot.example.org/hook",
        BOT_WEBHOOK_PORT=str(port),
        PYTHONPATH=str(ROOT),
    )
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await refused.communicate()
    print(f"without BOT_WEBHOOK_SECRET: exit {refused.returncode}: {stderr.decode().strip()}")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env={**env, "BOT_WEBHOOK_SECRET": SECRET},
        cwd=ROOT,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await api.wait_for("setWebhook", within=60)
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await asyncio.sleep(0.1)
        question = {"update_id": 1, "message": api.message("what is ECHE", 9)}
        print("the real update:", await asyncio.to_thread(post, port, question, SECRET))
        await api.wait_for("sendMessage", chat_id=9, within=20)
        answers: collections.Counter[int] = collections.Counter()
        wrong = "x" * len(SECRET)
        for n in range(forged):
            secret = (None, wrong, SECRET + "x")[n % 3]
            update = {**api.callback("forget:yes", 9), "update_id": 100 + n}
            answers[await asyncio.to_thread(post, port, update, secret)] += 1
        await asyncio.sleep(1)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        await api.stop()
    with sqlite3.connect(db) as connection:
        (kept,) = connection.execute("SELECT COUNT(*) FROM questions WHERE user_id=9").fetchone()
    print(f"{forged} forged forget:yes posts: HTTP {dict(answers)}")
    handled = len(api.sent("answerCallbackQuery"))
    print(f"button presses handled: {handled}; the user's questions still stored: {kept}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
