"""Commands for the office staff listed in BOT_ADMINS: statistics, unanswered questions, reload."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime
from functools import wraps
from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode

from bot.handlers import Context, unknown_command
from bot.runtime import Runtime, runtime
from bot.telegram_html import escape

logger = logging.getLogger(__name__)


def admins_only(handler: Any) -> Any:
    """Anyone not in BOT_ADMINS gets exactly the reply to an unknown command."""

    @wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None or user.id not in runtime(context).settings.admins:
            await unknown_command(update, context)
            return
        await handler(update, context)

    return guarded


@admins_only
async def stats(update: Update, context: Context) -> None:
    """Users, questions per day, answered share, top entries, 👍/👎 per entry."""
    data = await runtime(context).storage.stats()
    lines = [
        f"<b>Statistics</b> (last 30 days)\nUsers: {data['users']} · subscribers: "
        f"{data['subscribers']}",
        "",
        "<b>Questions per day</b> (answered)",
    ]
    lines += [
        f"{row['day']}: {row['n']} ({row['answered'] or 0} answered, "
        f"{100 * (row['answered'] or 0) // max(row['n'], 1)}%)"
        for row in data["per_day"]
    ]
    lines += ["", "<b>Top entries</b>"]
    lines += [f"{escape(row['entry_id'])}: {row['n']}" for row in data["top_entries"]] or ["—"]
    lines += ["", "<b>Feedback</b> 👍/👎"]
    lines += [
        f"{escape(row['entry_id'])}: {row['up']}/{row['down']}" for row in data["feedback"]
    ] or ["—"]
    await update.effective_chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)  # type: ignore[union-attr]


@admins_only
async def unanswered(update: Update, context: Context) -> None:
    """Recent questions the bot could not answer or that got 👎; `/unanswered csv` exports."""
    rows = await runtime(context).storage.unanswered(limit=500)
    chat = update.effective_chat
    if chat is None:
        return
    if context.args and context.args[0].lower() in ("csv", "yaml"):
        if context.args[0].lower() == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["asked_at", "lang", "outcome", "entry_id", "question"])
            for row in rows:
                writer.writerow(
                    [
                        _when(row["at"]),
                        _cell(row["lang"]),
                        _cell(row["outcome"]),
                        _cell(row["entry_id"]),
                        _cell(row["text"]),
                    ]
                )
            data, name = ("\ufeff" + buffer.getvalue()).encode("utf-8"), "unanswered.csv"
        else:
            import yaml

            items = [
                {
                    "q": row["text"],
                    "lang": row["lang"],
                    "outcome": row["outcome"],
                    "entry": row["entry_id"],
                    "asked_at": _when(row["at"]),
                }
                for row in rows
            ]
            data = yaml.safe_dump(items, allow_unicode=True, sort_keys=False).encode("utf-8")
            name = "unanswered.yaml"
        await chat.send_document(
            io.BytesIO(data), filename=name, caption=f"{len(rows)} question(s)"
        )
        return
    if not rows:
        await chat.send_message("Nothing unanswered. 🎉")
        return
    lines = ["<b>Unanswered or 👎</b> (newest first; /unanswered csv or yaml to export)"]
    for row in rows[:25]:
        what = escape(row["text"][:120]) if row["text"] else f"👎 on {escape(row['entry_id'])}"
        lines.append(f"• {_when(row['at'])} [{escape(row['lang'])}] {what}")
    await chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)


@admins_only
async def reload(update: Update, context: Context) -> None:
    """Reload knowledge/ now and say exactly what is wrong if it cannot be used."""
    rt = runtime(context)
    replaced, problems, took = await rt.reload()
    await report_reload(context.bot, rt, update.effective_chat.id, replaced, problems, took)  # type: ignore[union-attr]


async def report_reload(
    bot: Bot, rt: Runtime, chat_id: int, replaced: bool, problems: list[Any], took: float
) -> None:
    """Tell one admin whether the reload took, with the validator's lines when it did not, and
    what is out of date (the `python -m bot stale` list) in a section of its own."""
    errors = [p for p in problems if p.severity == "error"]
    stale = [p for p in problems if p.code == "stale"]
    others = [p for p in problems if p.code != "stale"]
    if replaced:
        text = (
            f"✅ Knowledge base reloaded in {took * 1000:.0f} ms: {len(rt.kb.entries)} entries, "
            f"{len(rt.kb.events)} events, {len(others)} warning(s)."
        )
    else:
        text = (
            f"❌ The edit was rejected ({len(errors)} error(s)); the bot keeps answering from "
            "the previous version. Fix these and save again:"
        )
    body = _with_problems(text, others, "python -m bot validate")
    if stale:
        heading = f"{body}\n\n🕰 <b>Out of date: {len(stale)}</b>"
        body = _with_problems(heading, stale, "python -m bot stale")
    await bot.send_message(chat_id, body, parse_mode=ParseMode.HTML)


def _with_problems(text: str, problems: list[Any], command: str, limit: int = 4000) -> str:
    """The report and as many whole problem lines as fit in one Telegram message.

    Lines are cut whole and escaped one by one, so the HTML stays valid however long they are.
    """
    shown: list[str] = []
    for problem in problems[:20]:
        line = str(problem)
        if len(line) > 500:
            line = line[:499] + "…"
        if len(text) + sum(len(s) + 1 for s in shown) + len(line) + 80 > limit:
            break
        shown.append(line)
    if not shown:
        return text
    details = "\n".join(escape(line) for line in shown)
    if len(problems) > len(shown):
        details += f"\n… and {len(problems) - len(shown)} more (run {command})"
    return f"{text}\n<pre>{details}</pre>"


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
