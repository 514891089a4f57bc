"""Commands for the office staff listed in BOT_ADMINS: statistics, unanswered questions, reload."""

from __future__ import annotations

import io
import logging
from collections import Counter
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode

from bot.charts import bar_chart, week_start, weekly, weekly_chart
from bot.handlers import Context, unknown_command
from bot.runtime import Runtime, runtime
from bot.telegram_html import escape
from bot.unanswered import Row, group, kind_of, to_csv, when

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
    lines += ["", *await charts_section(runtime(context))]
    await update.effective_chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)  # type: ignore[union-attr]


async def charts_section(rt: Runtime, weeks: int = 8) -> list[str]:
    """/stats' charts: questions per week stacked by reply kind, and the topics (the /topics
    groups) the questions led to, as monospace bars."""
    now = datetime.now().astimezone(rt.settings.timezone)
    since = (week_start(now) - timedelta(weeks=weeks - 1)).timestamp()
    asked = await rt.storage.asked_since(since)
    bins = weekly(((at, outcome) for at, outcome, _ in asked), now, weeks)
    titles = {g.id: g.title.get("en") or g.id for g in rt.kb.groups}
    topics: Counter[str] = Counter()
    for _, outcome, entry_id in asked:
        entry = rt.kb.entries.get(entry_id or "")
        if entry is not None and kind_of(outcome) in ("answer", "guess"):
            topics[titles.get(entry.group, entry.group)] += 1
    lines = [
        f"<b>Questions per week</b> (last {weeks}, by reply)",
        f"<pre>{escape(weekly_chart(bins))}</pre>",
        "<b>Top topics</b> (answers and guesses)",
    ]
    if topics:
        lines.append(f"<pre>{escape(bar_chart(topics.most_common(8)))}</pre>")
    else:
        lines.append("—")
    return lines


@admins_only
async def unanswered(update: Update, context: Context) -> None:
    """Every declined, chosen or guessed question and every 👎, similar ones grouped (the most
    frequent first) with what the bot replied; `/unanswered csv` (or `yaml`) exports them."""
    rows = [Row.from_db(r) for r in await runtime(context).storage.unanswered(limit=2000)]
    groups = group(rows)
    chat = update.effective_chat
    if chat is None:
        return
    if context.args and context.args[0].lower() in ("csv", "yaml"):
        if context.args[0].lower() == "csv":
            data, name = to_csv(groups), "unanswered.csv"
        else:
            import yaml

            items = [
                {
                    "q": found.text,
                    "similar": found.count,
                    "reply": found.kinds(),
                    "entries": found.entries(),
                    "last_asked": when(found.last),
                    "phrasings": list(dict.fromkeys(r.text for r in found.rows if r.text)),
                }
                for found in groups
            ]
            data = yaml.safe_dump(items, allow_unicode=True, sort_keys=False).encode("utf-8")
            name = "unanswered.yaml"
        await chat.send_document(
            io.BytesIO(data),
            filename=name,
            caption=f"{len(rows)} question(s) in {len(groups)} group(s)",
        )
        return
    if not rows:
        await chat.send_message("Nothing unanswered. 🎉")
        return
    lines = [
        f"<b>Unanswered or 👎</b>: {len(rows)} in {len(groups)} group(s), the most frequent "
        "first (/unanswered csv or yaml to export; <code>python -m bot suggest</code> turns them "
        "into phrasings to add)"
    ]
    shown = 0
    for found in groups[:25]:
        what = escape(found.text[:120]) if found.text else "(no question logged)"
        entries = ", ".join(escape(e) for e in found.entries()[:2])
        line = (
            f"• <b>{found.count}×</b> {what}\n   {escape(found.kinds())}"
            + (f" → {entries}" if entries else "")
            + f" · {when(found.last)}"
        )
        if sum(len(x) + 1 for x in lines) + len(line) > 3900:  # one Telegram message
            break
        lines.append(line)
        shown += 1
    if len(groups) > shown:
        lines.append(f"… and {len(groups) - shown} more group(s): /unanswered csv")
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


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
