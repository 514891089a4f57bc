"""Measure how right the assistant is on labelled real questions (`python -m bot eval`)."""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.assistant import SHOWN_KINDS, Assistant
from bot.telegram_html import visible_length


@dataclass(frozen=True)
class Item:
    q: str
    lang: str
    expect: frozenset[str] | None  # None: the assistant should abstain


@dataclass
class Outcome:
    item: Item
    answered_id: str | None  # the entry of a confident answer
    top3: tuple[str, ...]
    kind: str = "answer"  # the reply kind (assistant.ReplyKind)
    shown_id: str | None = None  # the entry whose answer the first message shows (answer, guess)
    length: int = 0  # visible characters of the first message

    @property
    def first_right(self) -> bool:
        """The first reply (an answer or a guess) shows a right entry."""
        return self.item.expect is not None and self.shown_id in self.item.expect

    @property
    def guess_wrong(self) -> bool:
        return self.kind == "guess" and (self.item.expect is None or not self.first_right)

    @property
    def declined(self) -> bool:
        return self.kind in ("decline", "smalltalk")

    @property
    def in_scope(self) -> bool:
        return self.item.expect is not None

    @property
    def top1(self) -> bool:
        return self.item.expect is not None and self.answered_id in self.item.expect

    @property
    def ranked_first(self) -> bool:
        """The best-ranked entry is right, whether it was answered or offered as a choice."""
        expect = self.item.expect
        return expect is not None and bool(self.top3) and self.top3[0] in expect

    @property
    def in_top3(self) -> bool:
        return self.item.expect is not None and bool(self.item.expect & set(self.top3))

    @property
    def wrong_confident(self) -> bool:
        if self.answered_id is None:
            return False
        return self.item.expect is None or self.answered_id not in self.item.expect


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self, lang: str | None = None) -> dict[str, Any]:
        chosen = [o for o in self.outcomes if lang is None or _bucket(o.item.lang) == lang]
        in_scope = [o for o in chosen if o.in_scope]
        out_scope = [o for o in chosen if not o.in_scope]

        def pct(part: int, whole: int) -> float | None:
            return round(100.0 * part / whole, 1) if whole else None

        lengths = [o.length for o in chosen if o.kind in SHOWN_KINDS]
        return {
            "questions": len(chosen),
            "in_scope": len(in_scope),
            "out_of_scope": len(out_scope),
            "first_right": pct(sum(o.first_right for o in in_scope), len(in_scope)),
            "top1": pct(sum(o.top1 for o in in_scope), len(in_scope)),
            "rank1": pct(sum(o.ranked_first for o in in_scope), len(in_scope)),
            "top3": pct(sum(o.in_top3 for o in in_scope), len(in_scope)),
            "wrong_confident": pct(sum(o.wrong_confident for o in chosen), len(chosen)),
            "guess_wrong": pct(sum(o.guess_wrong for o in chosen), len(chosen)),
            "declined": pct(sum(o.declined for o in out_scope), len(out_scope)),
            "abstained": pct(sum(o.shown_id is None for o in out_scope), len(out_scope)),
            "median_length": int(statistics.median(lengths)) if lengths else None,
            "max_length": max(lengths, default=None),
        }


def _bucket(lang: str) -> str:
    return lang if lang in ("en", "pl") else "other"


def read_eval_files(files: list[Path]) -> list[Item]:
    items: list[Item] = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list of {{q, lang, expect}} items")
        for i, raw in enumerate(data):
            if not isinstance(raw, dict) or "q" not in raw:
                raise ValueError(f"{path}: item {i + 1} has no 'q'")
            expect = raw.get("expect")
            if isinstance(expect, str):
                expect = [expect]
            items.append(
                Item(
                    str(raw["q"]),
                    str(raw.get("lang") or "en"),
                    frozenset(expect) if expect else None,
                )
            )
    return items


def strip_diacritics(text: str) -> str:
    """The text as typed on a keyboard without Polish letters: ą→a, ł→l, ż→z..."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def evaluate(assistant: Assistant, items: list[Item]) -> Report:
    report = Report()
    for item in items:
        reply = assistant.answer(item.q, item.lang if item.lang in ("en", "pl") else None)
        answered = reply.entry_id if reply.kind == "answer" else None
        shown = reply.entry_id if reply.kind in SHOWN_KINDS else None
        ranked = [m.entry_id for m in reply.ranking.matches] if reply.ranking else []
        top3 = tuple(dict.fromkeys([*([shown] if shown else []), *ranked]))[:3]
        length = visible_length(reply.text)
        report.outcomes.append(Outcome(item, answered, top3, reply.kind, shown, length))
    return report


_COLUMNS = (
    ("first_right", "first✓"),
    ("top1", "answer✓"),
    ("rank1", "rank-1"),
    ("top3", "top-3"),
    ("wrong_confident", "wrong!"),
    ("guess_wrong", "guess✗"),
    ("declined", "declined"),
    ("median_length", "median"),
)


def format_report(report: Report, misses_shown: int = 100) -> str:
    lines = [
        f"{'':6} {'questions':>9} {'in-scope':>8} "
        + " ".join(f"{title:>8}" for _, title in _COLUMNS)
    ]
    buckets = [None, "en", "pl", "other"]
    summaries: dict[str, Any] = {}
    for bucket in buckets:
        s = report.summary(bucket)
        if not s["questions"]:
            continue
        name = bucket or "all"
        summaries[name] = s
        cells = [
            str(s[key]) if key == "median_length" and s[key] is not None else _p(s[key])
            for key, _ in _COLUMNS
        ]
        lines.append(
            f"{name:6} {s['questions']:>9} {s['in_scope']:>8} "
            + " ".join(f"{cell:>8}" for cell in cells)
        )
    lines.append(
        "first✓: in-scope questions whose first reply (an answer or a guess) shows a right"
        " entry; answer✓: answered confidently and right; rank-1: the best-ranked entry is"
        " right; top-3: right among the first three; wrong!: confident wrong answers and"
        " guess✗: wrong guesses, among all questions; declined: off-topic questions declined;"
        " median: visible characters of the first message of answers and guesses."
    )
    misses = [o for o in report.outcomes if not o.first_right and (o.in_scope or o.shown_id)]
    if misses:
        lines.append(f"\nMisses ({len(misses)}):")
        by_kind: dict[str, list[str]] = defaultdict(list)
        for o in misses:
            expected = ",".join(sorted(o.item.expect)) if o.item.expect else "(decline)"
            label = (
                "WRONG"
                if o.wrong_confident
                else "GUESS"
                if o.guess_wrong
                else ("top3" if o.in_top3 else "miss")
            )
            by_kind[label].append(
                f"  [{label}] {o.item.lang} {o.item.q[:90]!r}\n"
                f"      expected {expected}; {o.kind} {o.shown_id or ''}; top3 {list(o.top3)}"
            )
        shown = [line for k in ("WRONG", "GUESS", "miss", "top3") for line in by_kind[k]]
        lines.extend(shown[:misses_shown])
    lines.append(json.dumps(summaries, ensure_ascii=False))
    return "\n".join(lines)


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def check_gates(report: Report, gates: list[str]) -> list[str]:
    """Bounds like ``top1>=50`` or ``en.top1>=50`` that the report does not meet."""
    failed: list[str] = []
    for gate in gates:
        match = re.fullmatch(r"(?:(en|pl|other)\.)?(\w+)\s*(>=|<=)\s*([\d.]+)", gate.strip())
        if match is None:
            raise ValueError(f"{gate!r} is not like top1>=50 or pl.wrong_confident<=5")
        bucket, metric, op, bound = match.groups()
        summary = report.summary(bucket)
        if metric not in summary:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(summary)}")
        value = summary[metric]
        if value is None:
            continue
        ok = value >= float(bound) if op == ">=" else value <= float(bound)
        if not ok:
            failed.append(f"{gate}: measured {value}")
    return failed
