"""Monospace bar charts for /stats: they read the same in Telegram's <pre> on a phone, a
desktop and the terminal, with no image library. Pure functions over counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from bot.unanswered import kind_of

WIDTH = 20  # bar characters for the largest value: a line stays under 34 characters
# One block per reply kind, from the best outcome to the worst, so a stacked bar reads left to
# right from "answered" to "declined".
KINDS = (("answer", "█"), ("guess", "▓"), ("choice", "▒"), ("decline", "░"), ("smalltalk", "·"))


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 of the moment's week."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly(
    rows: Iterable[tuple[float, str]], now: datetime, weeks: int = 8, tz: tzinfo | None = None
) -> list[tuple[datetime, Counter[str]]]:
    """(Monday, reply kinds counted) for each of the last ``weeks`` weeks, oldest first; rows
    are (asked_at timestamp, stored outcome)."""
    first = week_start(now) - timedelta(weeks=weeks - 1)
    bins = [(first + timedelta(weeks=i), Counter[str]()) for i in range(weeks)]
    for at, outcome in rows:
        moment = datetime.fromtimestamp(at, tz or now.tzinfo)
        index = (week_start(moment) - first).days // 7
        if 0 <= index < weeks:
            bins[index][1][kind_of(outcome)] += 1
    return bins


def weekly_chart(bins: list[tuple[datetime, Counter[str]]]) -> str:
    """Questions per week, each bar stacked by reply kind, with its total and a legend."""
    top = max((sum(c.values()) for _, c in bins), default=0)
    lines = []
    for monday, counts in bins:
        total = sum(counts.values())
        bar, done, cum = "", 0, 0
        for kind, block in KINDS:  # cumulative rounding: the stacked bar is never too long
            cum += counts[kind]
            end = round(cum * WIDTH / top) if top else 0
            bar += block * (end - done)
            done = end
        lines.append(f"{monday:%m-%d} {bar:<{WIDTH}} {total:>3}")
    lines.append(" ".join(f"{block} {kind}" for kind, block in KINDS))
    return "\n".join(lines)


def bar_chart(items: list[tuple[str, int]], label_width: int = 16, width: int = 14) -> str:
    """One bar per (label, count), largest first as given; labels cut to ``label_width`` (a
    line stays under 36 characters, what a phone shows of a <pre> without wrapping)."""
    top = max((n for _, n in items), default=0)
    return "\n".join(
        f"{_cut(label, label_width):<{label_width}} {'█' * _cells(n, top, width):<{width}} {n:>3}"
        for label, n in items
    )


def _cells(count: int, top: int, width: int) -> int:
    if top <= 0 or count <= 0:
        return 0
    return max(1, round(count * width / top))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
