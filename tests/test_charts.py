"""/stats draws questions per week by reply kind and the top topics as monospace bars."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.charts import bar_chart, weekly, weekly_chart
from tests.conftest import ADMIN_ID, Running

WARSAW = ZoneInfo("Europe/Warsaw")


def test_weekly_bins_stack_reply_kinds_and_read_old_outcomes() -> None:
    """Questions fall in their week; old outcomes count as today's kinds; the largest week's
    bar is full width and a smaller one proportionally shorter."""
    now = datetime(2026, 12, 9, 12, tzinfo=WARSAW)  # a Wednesday
    this_week = now.timestamp()
    last_week = (now - timedelta(days=7)).timestamp()
    rows = [(this_week, "answer")] * 6 + [(this_week, "none")] * 2 + [(last_week, "suggest")] * 4
    bins = weekly(rows, now, weeks=3)
    assert [b[0].strftime("%m-%d") for b in bins] == ["11-23", "11-30", "12-07"]
    assert bins[2][1] == {"answer": 6, "decline": 2} and bins[1][1] == {"choice": 4}
    lines = weekly_chart(bins).splitlines()
    assert lines[2] == "12-07 " + "█" * 15 + "░" * 5 + "   8"
    assert lines[1] == "11-30 " + "▒" * 10 + " " * 10 + "   4"
    assert lines[0].endswith("   0") and "░ decline" in lines[3]


def test_bar_chart_scales_to_the_largest() -> None:
    """The largest count gets the whole width; a label too long is cut with an ellipsis."""
    lines = bar_chart([("Students: studying abroad", 10), ("KA2", 1)], width=20).splitlines()
    assert lines[0] == "Students: study… " + "█" * 20 + "  10"
    assert lines[1] == "KA2              ██" + " " * 18 + "   1"


async def test_stats_shows_the_charts_to_an_admin(bot: Running) -> None:
    """/stats, run as an admin, has the weekly chart and the top topics next to the figures."""
    await bot.send("what is ECHE")
    await bot.send("recipe for pierogi", user_id=222)
    await bot.send("/stats", user_id=ADMIN_ID)
    text = bot.last_text(ADMIN_ID)
    assert "Users: 2" in text and "<b>Questions per week</b>" in text
    week = [line for line in text.split("<pre>")[1].splitlines() if line.endswith("   2")]
    assert len(week) == 1 and "█" in week[0] and "░" in week[0]
    assert "<b>Top topics</b>" in text and "<pre>" in text.split("Top topics")[1]
