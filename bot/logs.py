"""Logging set-up: nothing secret or personal reaches a log line, BOT_DEBUG included.

Request URLs contain the bot token and library debug lines carry whole updates (message text)
and SQL parameters, so the libraries' loggers stay at INFO or above whatever BOT_DEBUG says,
and a filter on the handler replaces the token and the webhook secret wherever they appear.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.config import Settings

# Library loggers and the lowest level they may log at, even with BOT_DEBUG=1.
QUIET = {
    "httpx": logging.WARNING,  # every request URL contains the token
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,  # DEBUG prints whole updates and request bodies
    "aiosqlite": logging.INFO,  # DEBUG prints every statement with its parameters
    "apscheduler": logging.INFO,
    "tornado": logging.INFO,
    "asyncio": logging.INFO,
}


class Redact(logging.Filter):
    """Replace each secret with [redacted] in the formatted message and the traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.msg, record.args = self._clean(message), None
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
        return True


def configure(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger, with the redacting filter; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    secrets = [settings.token or "", settings.webhook_secret or ""]
    if settings.token and ":" in settings.token:
        secrets.append(settings.token.split(":", 1)[1])
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if settings.debug else logging.INFO)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    return handler
