"""What in the knowledge base is out of date, so staff find it before an applicant does.

An entry is stale when its call year is older than the current call, when every deadline linked to
it has passed, when it was last verified over a year ago, or when a page it shows (a source or a
link in its answer) is not official (knowledge/official.yaml). A deadline is stale when its source
is not official. The current call is the newest call year in deadlines.yaml. Entries whose
deadlines have all passed are not listed while ``next_call`` in deadlines.yaml says someone looked
for the next call in the last ``WAITING_DAYS`` days and it was not out yet: the answers then say
where the dates will appear.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.yamlsource import Problem

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

VERIFIED_DAYS = 365
WAITING_DAYS = 31
_YEARS = re.compile(r"20\d\d")
_HREF = re.compile(r'href="([^"]+)"')


@dataclass(frozen=True)
class Stale:
    """One thing out of date: where it is, what, and what to do."""

    file: str
    line: int
    what: str  # entry or deadline id
    reason: str
    hint: str

    def problem(self) -> Problem:
        return Problem(
            self.file, self.line, f"{self.what}: {self.reason}", self.hint, "warning", "stale"
        )

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}: {self.reason} — {self.hint}"


def _links(html_text: str) -> list[str]:
    return [html.unescape(u) for u in _HREF.findall(html_text)]


def current_call(kb: KnowledgeBase) -> int | None:
    """The newest call year that deadlines.yaml has dates for."""
    return max((d.call_year for d in kb.deadlines), default=None)


def last_year(call_year: str) -> int:
    """The last year a ``call_year`` holds for: 2026 -> 2026, 2021-2027 -> 2027."""
    return max(int(y) for y in _YEARS.findall(call_year))


def waiting_for_next_call(kb: KnowledgeBase, today: date) -> bool:
    """Someone looked for the next call recently and it was not published yet."""
    nxt = kb.next_call
    current = current_call(kb)
    return (
        nxt is not None
        and (current is None or nxt.year > current)
        and timedelta(0) <= today - nxt.checked <= timedelta(days=WAITING_DAYS)
    )


def find_stale(kb: KnowledgeBase, today: date) -> list[Stale]:
    """Everything out of date on ``today``, in file order."""
    found: list[Stale] = []
    current = current_call(kb)
    waiting = waiting_for_next_call(kb, today)
    by_entry: dict[str, list[date]] = {}
    for d in kb.deadlines:
        if d.entry:
            by_entry.setdefault(d.entry, []).append(d.due.date())
    for entry in kb.entries.values():
        reasons: list[tuple[str, str]] = []
        if current is not None and last_year(entry.call_year) < current:
            reasons.append(
                (
                    f"call year {entry.call_year} is older than the current call ({current})",
                    f"check the answer against the {current} Programme Guide and call, then set "
                    f"call_year: {current}",
                )
            )
        dues = by_entry.get(entry.id)
        if dues and max(dues) < today and not waiting:
            reasons.append(
                (
                    f"all its deadlines have passed (the last on {max(dues)})",
                    "add the next call's dates to deadlines.yaml, or, if it is not out yet, set "
                    "next_call.checked in deadlines.yaml to the day you looked",
                )
            )
        if today - entry.verified > timedelta(days=VERIFIED_DAYS):
            reasons.append(
                (
                    f"last verified on {entry.verified}, over a year ago",
                    "check the sources again and update 'verified'",
                )
            )
        if kb.official is not None:
            shown = [*entry.sources, *(u for text in entry.answer.values() for u in _links(text))]
            unofficial = [s for s in dict.fromkeys(shown) if not kb.official.is_official(s)]
            if unofficial:
                reasons.append(
                    (
                        f"{len(unofficial)} shown page(s) not official, e.g. {unofficial[0]}",
                        "show only official pages (knowledge/official.yaml); move others to "
                        "'background:'",
                    )
                )
        found.extend(Stale(entry.file, entry.line, entry.id, r, h) for r, h in reasons)
    if kb.official is not None:
        for d in kb.deadlines:
            if not kb.official.is_official(d.source):
                found.append(
                    Stale(
                        d.file,
                        d.line,
                        f"deadline {d.action} {d.due:%Y-%m-%d}",
                        f"its source is not official: {d.source}",
                        "give the official page the date was read on (knowledge/official.yaml)",
                    )
                )
    if kb.next_call is not None and not waiting and current is not None:
        nxt = kb.next_call
        if nxt.year > current and today - nxt.checked > timedelta(days=WAITING_DAYS):
            found.append(
                Stale(
                    nxt.file,
                    nxt.line,
                    f"next_call {nxt.year}",
                    f"last looked for on {nxt.checked}, over {WAITING_DAYS} days ago",
                    f"look for the {nxt.year} call at {nxt.source}; add its dates, or update "
                    "'checked'",
                )
            )
    return sorted(found, key=lambda s: (s.file, s.line))


def format_report(kb: KnowledgeBase, items: list[Stale], today: date) -> str:
    """The stale command's output: one line per item, then a summary."""
    lines = [str(item) for item in items]
    current = current_call(kb)
    summary = f"{len(items)} item(s) out of date on {today} (current call: {current or 'none'})."
    if waiting_for_next_call(kb, today) and kb.next_call is not None:
        nxt = kb.next_call
        passed = sorted(
            {
                d.entry
                for d in kb.deadlines
                if d.entry
                and d.entry in kb.entries
                and max(x.due.date() for x in kb.deadlines if x.entry == d.entry) < today
            }
        )
        summary += (
            f" Waiting for the {nxt.year} call (looked for on {nxt.checked}, {nxt.source}): "
            f"{len(passed)} entries whose deadlines have all passed are not listed until "
            f"{nxt.checked + timedelta(days=WAITING_DAYS)}."
        )
    lines.append(summary)
    return "\n".join(lines)
