"""Fair use: one user cannot slow everyone else down.

``ChatOrderedProcessor`` lets PTB handle updates of different chats at the same time while each
chat's own updates stay in the order they came. ``RateLimit`` is a sliding-window counter per
user: the bot answers LIMIT messages a minute, sends one polite notice, and then ignores the rest
until the window has room again.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MESSAGES_PER_MINUTE = 20
CONTACTS_PER_HOUR = 3


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within one chat (an asyncio.Lock per chat is FIFO)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        # chat id -> its lock and how many updates hold or wait for it (dropped at zero).
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.setdefault(chat.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class RateLimit:
    """At most ``limit`` events per ``window`` seconds per key: "ok", then one "notice", then
    "drop" until the window frees up."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._noticed: set[int] = set()

    def hit(self, key: int) -> str:
        now = self.clock()
        stamps = self._seen.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            self._noticed.discard(key)
            return "ok"
        if key in self._noticed:
            return "drop"
        self._noticed.add(key)
        return "notice"
