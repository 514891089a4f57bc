"""The bot as a real process: long polling a local Bot API, SIGTERM, restart with its data."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from tests.conftest import CACHE, ROOT
from tests.fake_bot_api import TOKEN, FakeBotApi


async def spawn_bot(api: FakeBotApi, db: Path, **settings: str) -> asyncio.subprocess.Process:
    """`python -m bot` against the fake API, with ``settings`` added to a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        BOT_DB=str(db),
        BOT_CACHE_DIR=str(CACHE),
        PYTHONPATH=str(ROOT),
    )
    env.update(settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return process


async def start_bot(api: FakeBotApi, db: Path, **settings: str) -> asyncio.subprocess.Process:
    """`spawn_bot`, once it has reached the fake API."""
    process = await spawn_bot(api, db, **settings)
    await api.wait_for("getMe", within=20)
    return process


async def stop_bot(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then the whole log; the bot must have stopped cleanly."""
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert "Traceback" not in log, log[-2000:]
    return log


async def read_until(process: asyncio.subprocess.Process, text: str, count: int = 1) -> str:
    """The log lines up to the ``count``-th one that contains ``text`` (20 s at most)."""
    assert process.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(20):
        while sum(text in line for line in seen) < count:
            line = (await process.stderr.readline()).decode()
            assert line, "the bot exited:\n" + "".join(seen)[-2000:]
            seen.append(line)
    return "".join(seen)


async def test_sigterm_stops_cleanly_and_a_restart_keeps_the_data(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """The bot answers over long polling, stops cleanly on SIGTERM, and after a restart still
    knows the user's language choice and answers again."""
    db = tmp_path / "bot.sqlite3"
    process = await start_bot(api, db)
    api.push_message("/language pl", user_id=7)
    api.push_message("co to jest ECHE", user_id=7)
    replies = await api.wait_for("sendMessage", count=2, chat_id=7, within=20)
    assert "Źródła" in replies[-1].params["text"]

    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"stopped cleanly" in stderr
    assert b"Traceback" not in stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute(
            "SELECT lang, lang_pinned FROM users WHERE user_id=7"
        ).fetchone() == ("pl", 1)

    process = await start_bot(api, db)
    try:
        api.push_message("what is the Erasmus Charter for Higher Education", user_id=7)
        replies = await api.wait_for("sendMessage", count=3, chat_id=7, within=20)
        assert "Źródła" in replies[-1].params["text"], "the pinned language survived the restart"
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 20)


async def test_webhook_mode_accepts_only_updates_with_the_secret(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """With BOT_WEBHOOK_URL the bot registers the webhook, answers updates posted to it, and
    refuses posts without the secret or with a wrong one: a forged `forget:yes` deletes nothing."""
    import json
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "bot.sqlite3"
    process = await start_bot(
        api,
        db,
        BOT_WEBHOOK_URL="https://bot.example.org/hook",
        BOT_WEBHOOK_PORT=str(port),
        BOT_WEBHOOK_SECRET="s3cret-token",
    )
    try:
        (registered,) = await api.wait_for("setWebhook", within=20)
        assert registered.params["url"] == "https://bot.example.org/hook"
        assert registered.params["secret_token"] == "s3cret-token"

        def post(update: dict, secret: str | None) -> int:  # type: ignore[type-arg]
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/hook",
                data=json.dumps(update).encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        # PTB may call setWebhook a moment before its server accepts connections; Telegram
        # retries a refused delivery, and so does this test, for up to 10 s.
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await asyncio.sleep(0.1)
        question = {"update_id": 5, "message": api.message("what is ECHE", 9)}
        assert await asyncio.to_thread(post, question, "wrong") == 403
        assert await asyncio.to_thread(post, question, "s3cret-token") == 200
        (reply,) = await api.wait_for("sendMessage", chat_id=9, within=10)
        assert "ECHE" in reply.params["text"]
        forged = {**api.callback("forget:yes", 9), "update_id": 6}
        for secret in (None, "s3cret-tokeX", "s3cret-token-longer", "S3CRET-TOKEN"):
            assert await asyncio.to_thread(post, forged, secret) == 403
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert not api.sent("answerCallbackQuery"), "no forged button press was handled"
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM questions WHERE user_id=9").fetchone() == (
            1,
        )


async def test_webhook_without_a_secret_does_not_start(api: FakeBotApi, tmp_path: Path) -> None:
    """A webhook without BOT_WEBHOOK_SECRET stops at once with one line naming the variable;
    BOT_WEBHOOK_NO_SECRET=1 is the explicit opt-out."""
    from bot.config import ConfigError, load_settings

    env = {"BOT_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_BOT_TOKEN": TOKEN}
    code, lines = await run_bot_process({**env, "BOT_DB": str(tmp_path / "db.sqlite3")})
    assert code == 2
    assert len(lines) == 1 and "BOT_WEBHOOK_SECRET" in lines[0], lines
    assert not (tmp_path / "db.sqlite3").exists()
    assert load_settings({**env, "BOT_WEBHOOK_NO_SECRET": "1"}).webhook_secret is None
    try:
        load_settings({**env, "BOT_WEBHOOK_SECRET": "has spaces"})
    except ConfigError as exc:
        assert "BOT_WEBHOOK_SECRET" in str(exc)
    else:
        raise AssertionError("a secret Telegram would refuse was accepted")


def test_webhook_listens_on_loopback_and_checks_in_constant_time(
    settings: object, monkeypatch: object
) -> None:
    """By default the webhook server binds 127.0.0.1, and the secret header is compared with
    hmac.compare_digest (PTB's own check uses !=)."""
    import hmac
    from dataclasses import replace
    from types import SimpleNamespace

    import pytest
    from telegram.ext._utils.webhookhandler import TelegramHandler

    from bot import app as app_module

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    seen: dict = {}  # type: ignore[type-arg]
    mp.setattr(TelegramHandler, "_validate_post", TelegramHandler._validate_post)
    hooked = replace(
        settings,  # type: ignore[type-var]
        webhook_url="https://bot.example.org/hook",
        webhook_secret="s3cret",
    )
    seen.update(app_module.webhook_options(hooked))
    assert seen["listen"] == "127.0.0.1" and seen["secret_token"] == "s3cret"
    app_module.check_secret_in_constant_time()
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest
    mp.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    request = SimpleNamespace(
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3creX"}
    )
    handler = SimpleNamespace(request=request, secret_token="s3cret")
    with pytest.raises(Exception, match="403"):
        TelegramHandler._validate_post(handler)  # type: ignore[arg-type]
    assert compared == [(b"s3creX", b"s3cret")]


async def test_a_cold_cache_answers_on_words_while_the_meaning_index_is_built(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """With an empty embedding cache the bot polls and answers on words alone at once, says so
    in one line, and SIGTERM stops it meanwhile, keeping the vectors embedded so far."""
    cache = tmp_path / "cache"
    process = await start_bot(api, tmp_path / "bot.sqlite3", BOT_CACHE_DIR=str(cache))
    api.push_message("what is the Erasmus Charter for Higher Education", user_id=7)
    (reply,) = await api.wait_for("sendMessage", chat_id=7, within=20)
    assert "Sources:" in reply.params["text"]
    log = await stop_bot(process)
    assert "answering on words alone until it is ready" in log
    if "meaning ready" not in log:  # a machine that embeds 2,500 phrasings in a blink is fine
        assert list(cache.glob("phrasings-*.npz")), "the vectors done so far were kept"
    assert "stopped cleanly" in log


async def test_an_unreachable_api_is_one_line_per_retry_without_a_traceback(
    tmp_path: Path,
) -> None:
    """Without network the bot logs one line per attempt, waits longer each time, and still
    stops cleanly on SIGTERM."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = FakeBotApi()
    nowhere.port = port
    process = await spawn_bot(nowhere, tmp_path / "bot.sqlite3")
    log = await read_until(process, "cannot reach the Telegram API", count=2)
    waits = [
        line.rsplit("retrying in ", 1)[1] for line in log.splitlines() if "retrying in" in line
    ]
    assert waits == ["1 s", "2 s"]
    await stop_bot(process)


async def test_a_refused_token_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    """A token Telegram refuses ends the bot at once with one line and exit code 2."""
    server = FakeBotApi()
    await server.start()
    try:
        process = await spawn_bot(
            server, tmp_path / "bot.sqlite3", TELEGRAM_BOT_TOKEN="4242:revoked-token"
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        await server.stop()
    log = stderr.decode()
    assert process.returncode == 2, log[-2000:]
    assert "Telegram refused the bot token" in log
    assert "Traceback" not in log and "revoked-token" not in log


async def test_losing_the_api_while_polling_is_one_line_and_a_clean_stop(tmp_path: Path) -> None:
    """When the API goes away under a running bot, each failed poll is one line (no traceback)
    and SIGTERM still stops it cleanly."""
    api = FakeBotApi()
    await api.start()
    process = await start_bot(api, tmp_path / "bot.sqlite3")
    api.push_message("what is ECHE", user_id=7)
    await api.wait_for("sendMessage", chat_id=7, within=20)
    await api.stop()
    await read_until(process, "cannot reach the Telegram API", count=2)
    await stop_bot(process)


async def run_bot_process(env: dict[str, str]) -> tuple[int, list[str]]:
    """`python -m bot` with ``env`` added to a clean environment, run to its end: (exit code,
    the lines it wrote to stderr)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env={**environment, "BOT_CACHE_DIR": str(CACHE), "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stderr.decode().strip().splitlines()


async def test_an_unusable_database_is_one_line_and_exit_2(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """BOT_DB naming a folder, or a file under a file, stops the bot at once with one line
    naming BOT_DB and exit code 2, before anything else is logged."""
    (tmp_path / "a-file").write_text("x")
    for db in (tmp_path, tmp_path / "a-file" / "bot.sqlite3"):
        code, lines = await run_bot_process(
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url, "BOT_DB": str(db)}
        )
        assert code == 2 and len(lines) == 1 and "BOT_DB" in lines[0], lines
