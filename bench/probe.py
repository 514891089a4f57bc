"""The start-up probe, run in a fresh process by `run.py --probe`: prints one line of JSON.

It imports nothing of the bot before it starts timing, so the import steps are real cold imports.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.report import CACHE, KNOWLEDGE, peak_rss_mb


def main() -> None:
    """Import, load knowledge, build the Assistant and the PTB Application; print timings."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    from bot import knowledge
    from bot.assistant import Assistant

    steps["import bot core (matching, numpy, rapidfuzz, yaml)"] = time.perf_counter() - started
    mark = time.perf_counter()
    result = knowledge.load(KNOWLEDGE)
    steps["knowledge.load(knowledge/)"] = time.perf_counter() - mark
    if result.kb is None:
        raise SystemExit(f"{KNOWLEDGE} has errors; run `python -m bot validate`.")
    mark = time.perf_counter()
    from bot.semantic import make_embedder

    embedder = make_embedder("auto", CACHE)
    Assistant(result.kb, embedder=embedder)
    what = "words + meaning, cached vectors" if embedder else "words only"
    steps[f"Assistant(kb): matcher index ({what})"] = time.perf_counter() - mark
    rss_core = peak_rss_mb()

    mark = time.perf_counter()
    from bot.app import build_application
    from bot.config import load_settings

    steps["import bot.app (python-telegram-bot, aiosqlite)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "TELEGRAM_BOT_TOKEN": "123456:bench-fake-token",
            "BOT_DB": str(Path(tmp) / "bot.sqlite3"),
            "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
            "BOT_CACHE_DIR": str(CACHE),
        }
        build_application(load_settings(env))
    steps["build_application(settings)"] = time.perf_counter() - mark
    print(json.dumps({"steps": steps, "rss_core_mb": rss_core, "rss_mb": peak_rss_mb()}))
