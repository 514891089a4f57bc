"""Watch knowledge/ and reload it live; a broken edit is rejected and admins are told why.

Polling file modification times every quarter second costs a few stat calls and needs no extra
dependency, and picks up an edit well under a second after it is saved.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram.ext import Application

from bot.runtime import Runtime

logger = logging.getLogger(__name__)
INTERVAL = 0.25


def snapshot(directory: Path) -> dict[str, tuple[float, int]]:
    """Modification time and size of every YAML file under ``directory``."""
    result: dict[str, tuple[float, int]] = {}
    for path in directory.rglob("*.y*ml"):
        try:
            info = path.stat()
        except OSError:
            continue
        result[str(path)] = (info.st_mtime, info.st_size)
    return result


async def watch(app: Application) -> None:  # type: ignore[type-arg]
    rt: Runtime = app.bot_data["runtime"]
    seen = snapshot(rt.settings.knowledge_dir)
    while True:
        await asyncio.sleep(INTERVAL)
        current = snapshot(rt.settings.knowledge_dir)
        if current == seen:
            continue
        await asyncio.sleep(0.1)  # let an editor finish writing before reading
        seen = snapshot(rt.settings.knowledge_dir)
        was_broken = rt.broken
        replaced, problems, took = await rt.reload()
        if not replaced or problems or was_broken:
            await tell_admins(app, replaced, problems, took)


async def tell_admins(
    app: Application,
    replaced: bool,
    problems: list,  # type: ignore[type-arg]
    took: float,
) -> None:
    from bot.admin import report_reload

    rt: Runtime = app.bot_data["runtime"]
    for admin_id in rt.settings.admins:
        try:
            await report_reload(app.bot, rt, admin_id, replaced, problems, took)
        except Exception:
            logger.warning("could not tell admin %s about the reload", admin_id, exc_info=True)
