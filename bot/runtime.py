"""The bot's shared state with a lifecycle: created in post_init, closed in post_shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot import knowledge
from bot.assistant import Assistant
from bot.config import Settings
from bot.semantic import Embedder, EmbeddingStopped
from bot.storage import Storage
from bot.yamlsource import Problem

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Settings, storage and the current knowledge base; the assistant is swapped on reload."""

    settings: Settings
    storage: Storage
    assistant: Assistant
    loaded_at: float = field(default_factory=time.time)
    last_problems: list[Problem] = field(default_factory=list)
    broken: bool = False  # the files on disk have errors; the last good version is serving
    # The embedder meant to be used, and whether the assistant uses it yet: a cold start
    # answers on words alone while ``add_meaning`` embeds the phrasings.
    embedder: Embedder | None = None
    meaning_ready: bool = True

    @property
    def kb(self) -> knowledge.KnowledgeBase:
        return self.assistant.kb

    async def reload(self) -> tuple[bool, list[Problem], float]:
        """Load the knowledge base again; keep the old one when the new one has errors.

        Loading and indexing run in a worker thread, so updates keep being answered meanwhile.
        Returns (replaced, problems, seconds taken).
        """
        started = time.perf_counter()
        result = await asyncio.to_thread(knowledge.load, self.settings.knowledge_dir)
        self.last_problems = result.problems
        if result.kb is None:
            self.broken = True
            logger.warning(
                "knowledge reload rejected: %d error(s); still serving the old one",
                len(result.errors),
            )
            return False, result.problems, time.perf_counter() - started
        embedder = self.embedder if self.meaning_ready else None
        assistant = await asyncio.to_thread(
            Assistant, result.kb, embedder=embedder, tz=self.settings.timezone
        )
        if embedder is None and self.meaning_ready:  # the meaning index got ready meanwhile
            assistant = await asyncio.to_thread(
                Assistant, result.kb, embedder=self.embedder, tz=self.settings.timezone
            )
        self.assistant = assistant
        self.loaded_at = time.time()
        self.broken = False
        took = time.perf_counter() - started
        logger.info(
            "knowledge reloaded: %d entries in %.0f ms", len(result.kb.entries), took * 1000
        )
        return True, result.problems, took

    async def add_meaning(self) -> None:
        """Embed every phrasing in a worker thread while words alone answer, then answer on
        both. One log line when done; nothing (the vectors so far are on disk) when stopped."""
        embedder = self.embedder
        if embedder is None or self.meaning_ready:
            return
        started = time.perf_counter()
        while True:
            kb = self.kb
            try:
                assistant = await asyncio.to_thread(
                    Assistant, kb, embedder=embedder, tz=self.settings.timezone
                )
            except EmbeddingStopped:
                return
            if self.kb is kb:  # else a reload came meanwhile: index the new version too
                break
        self.assistant = assistant
        self.meaning_ready = True
        phrasings = sum(
            len(e.title) + sum(map(len, e.questions.values())) for e in kb.entries.values()
        )
        took = time.perf_counter() - started
        logger.info("meaning ready: %s phrasings in %.0f s", f"{phrasings:,}", took)


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    """The one typed way handlers reach shared state."""
    value = context.application.bot_data["runtime"]
    assert isinstance(value, Runtime)
    return value
