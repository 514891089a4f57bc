"""The staff loop: what people asked that the assistant could not answer (declined, a choice, a
guess) or that got 👎, grouped into similar questions, exported, and turned into phrasings to
add to the knowledge base (`python -m bot suggest`). Pure functions over stored rows."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from rapidfuzz import fuzz

from bot.assistant import ERASMUS_FLOOR, Assistant
from bot.matching import fold

# Questions whose folded words are this alike (rapidfuzz token-set ratio, 0-100) are counted as
# one: "how many partners for KA220" and "KA220 how many partners?" are the same question, if
# the shorter has at least half the longer's words ("erasmus" is not "erasmus grant spain").
SIMILAR = 85
SHORTER = 0.5
# What older rows call the reply kinds of today.
OLD_KINDS = {"none": "decline", "suggest": "choice", "deadline": "answer"}


def kind_of(outcome: str) -> str:
    """The reply kind of a stored outcome (old rows say 'none', 'suggest', 'deadline')."""
    return OLD_KINDS.get(outcome, outcome)


@dataclass
class Row:
    """One logged question the bot could not answer, or one 👎 (with the question it rated)."""

    at: float
    lang: str
    text: str
    kind: str  # answer / guess / choice / decline / smalltalk
    entry_id: str | None
    thumbs_down: bool = False

    @classmethod
    def from_db(cls, data: Mapping[str, Any]) -> Row:
        return cls(
            float(data["at"]),
            str(data["lang"] or ""),
            str(data["text"] or ""),
            kind_of(str(data["outcome"])),
            data["entry_id"],
            bool(data.get("thumbs_down")),
        )


@dataclass
class Group:
    """Similar questions, counted; the newest one stands for them all."""

    rows: list[Row] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.rows[0].text

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def last(self) -> float:
        return max(r.at for r in self.rows)

    @property
    def thumbs_down(self) -> int:
        return sum(r.thumbs_down for r in self.rows)

    def kinds(self) -> str:
        """'decline ×2, 👎 guess' — what the bot replied, most often first."""
        counts = Counter(("👎 " if r.thumbs_down else "") + r.kind for r in self.rows)
        return ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in counts.most_common())

    def entries(self) -> list[str]:
        return [e for e, _ in Counter(r.entry_id for r in self.rows if r.entry_id).most_common()]


def similar(one: str, other: str) -> bool:
    """Two folded questions that ask the same thing in other words or order."""
    sizes = sorted((len(one.split()), len(other.split())))
    return sizes[0] >= SHORTER * sizes[1] and fuzz.token_set_ratio(one, other) >= SIMILAR


def group(rows: Iterable[Row]) -> list[Group]:
    """Similar questions together, the most frequent first (then the most recent)."""
    groups: list[tuple[list[str], Group]] = []
    for row in sorted(rows, key=lambda r: -r.at):
        key = fold(row.text) or f"👎 {row.entry_id}"
        for keys, found in groups:
            if key in keys or (row.text and any(similar(key, k) for k in keys)):
                found.rows.append(row)
                keys.append(key)
                break
        else:
            groups.append(([key], Group([row])))
    return sorted((g for _, g in groups), key=lambda g: (-g.count, -g.last))


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(groups: list[Group]) -> bytes:
    """One line per question, grouped (the most frequent group first), with the group's size;
    UTF-8 with a BOM so spreadsheet programs read Polish letters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["group", "similar", "asked_at", "lang", "reply", "entry_id", "thumbs_down", "question"]
    )
    for number, found in enumerate(groups, 1):
        for row in found.rows:
            writer.writerow(
                [
                    number,
                    found.count,
                    when(row.at),
                    cell(row.lang),
                    cell(row.kind),
                    cell(row.entry_id),
                    1 if row.thumbs_down else 0,
                    cell(row.text),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Suggestion:
    phrasing: str
    lang: str
    count: int
    note: str  # what the bot replied, and how well the entry matches now


def suggest(assistant: Assistant, groups: list[Group]) -> dict[str | None, list[Suggestion]]:
    """For each group, the entry its question should lead to: the best entry the assistant
    ranks for it now, leaving out the one that got 👎. None: no entry comes near (below the
    assistant's lowest guess floor: a new entry, or a question off the programme)."""
    found: dict[str | None, list[Suggestion]] = {}
    for item in groups:
        if not item.text:
            continue
        rated = {r.entry_id for r in item.rows if r.thumbs_down}
        lang = Counter(r.lang for r in item.rows).most_common(1)[0][0] or "en"
        ranking = assistant.matcher.rank(item.text)
        best = next((m for m in ranking.matches if m.entry_id not in rated), None)
        near = best is not None and best.score >= ERASMUS_FLOOR
        target = best.entry_id if best and near and best.entry_id in assistant.kb.entries else None
        note = item.kinds() + "".join(f" on {e}" for e in sorted(filter(None, rated)))
        note += f"; matches {best.score:.0f}" if best and target else ""
        found.setdefault(target, []).append(
            Suggestion(item.text, lang if lang in ("en", "pl") else "en", item.count, note)
        )
    return found


def suggest_yaml(assistant: Assistant, groups: list[Group]) -> str:
    """The suggestions as YAML snippets, one per entry: the phrasings to add under the entry's
    `questions:` (review each; a phrasing the entry does not answer belongs elsewhere)."""
    out = [
        "# Phrasings people used that the assistant did not answer well (declined, a choice, a",
        "# guess, or 👎), grouped by the entry they rank closest to now. Review each one, then",
        "# add the right ones under that entry's `questions:` and run `python -m bot validate`.",
    ]
    found = suggest(assistant, groups)
    order = sorted(found, key=lambda k: (k is None, -sum(s.count for s in found[k])))
    for target in order:
        items = found[target]
        entry = assistant.kb.entries.get(target) if target else None
        out.append("")
        if entry is None:
            out.append("# No entry comes near these: a new entry, or outside.yaml?")
        else:
            out.append(f"# {entry.file}:{entry.line}: add these phrasings")
        by_lang: dict[str, list[Suggestion]] = {}
        for item in items:
            by_lang.setdefault(item.lang, []).append(item)
        out.append(f"- id: {target or 'NEW'}")
        out.append("  questions:")
        for lang in sorted(by_lang):
            out.append(f"    {lang}:")
            for item in by_lang[lang]:
                text = yaml.safe_dump(item.phrasing, allow_unicode=True, width=10**6)
                text = text.removesuffix("\n...\n").strip()
                out.append(f"      - {text}  # {item.note}")
    return "\n".join(out) + "\n"
