"""Measure how right the assistant is on labelled real questions (`python -m bot eval`)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.assistant import Assistant


@dataclass(frozen=True)
class Item:
    q: str
    lang: str
    expect: frozenset[str] | None  # None: the assistant should abstain


@dataclass
class Outcome:
    item: Item
    answered_id: str | None
    top3: tuple[str, ...]

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

        return {
            "questions": len(chosen),
            "in_scope": len(in_scope),
            "out_of_scope": len(out_scope),
            "top1": pct(sum(o.top1 for o in in_scope), len(in_scope)),
            "rank1": pct(sum(o.ranked_first for o in in_scope), len(in_scope)),
            "top3": pct(sum(o.in_top3 for o in in_scope), len(in_scope)),
            "abstained": pct(sum(o.answered_id is None for o in out_scope), len(out_scope)),
            "wrong_confident": pct(sum(o.wrong_confident for o in chosen), len(chosen)),
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


def evaluate(assistant: Assistant, items: list[Item]) -> Report:
    report = Report()
    for item in items:
        reply = assistant.answer(item.q, item.lang if item.lang in ("en", "pl") else None)
        answered = reply.entry_id if reply.kind in ("answer", "deadline") else None
        ranked = [m.entry_id for m in reply.ranking.matches] if reply.ranking else []
        top3 = tuple(dict.fromkeys([*([answered] if answered else []), *ranked]))[:3]
        report.outcomes.append(Outcome(item, answered, top3))
    return report


def format_report(report: Report, misses_shown: int = 100) -> str:
    lines = [
        f"{'':8} {'questions':>9} {'in-scope':>8} {'top-1':>7} {'rank-1':>7} {'top-3':>7} "
        f"{'abstain':>8} {'wrong!':>7}"
    ]
    buckets = [None, "en", "pl", "other"]
    summaries: dict[str, Any] = {}
    for bucket in buckets:
        s = report.summary(bucket)
        if not s["questions"]:
            continue
        name = bucket or "all"
        summaries[name] = s
        lines.append(
            f"{name:8} {s['questions']:>9} {s['in_scope']:>8} {_p(s['top1']):>7} "
            f"{_p(s['rank1']):>7} {_p(s['top3']):>7} {_p(s['abstained']):>8} "
            f"{_p(s['wrong_confident']):>7}"
        )
    lines.append(
        "top-1: in-scope questions answered right; rank-1: the best-ranked entry is right,"
        " answered or offered first; top-3: right among the first three;"
        " abstain: out-of-scope questions not answered; wrong!: confident wrong answers"
        " among all questions."
    )
    misses = [o for o in report.outcomes if not o.top1 and (o.in_scope or o.wrong_confident)]
    if misses:
        lines.append(f"\nMisses ({len(misses)}):")
        by_kind: dict[str, list[str]] = defaultdict(list)
        for o in misses:
            expected = ",".join(sorted(o.item.expect)) if o.item.expect else "(abstain)"
            kind = "WRONG" if o.wrong_confident else ("top3" if o.in_top3 else "miss")
            by_kind[kind].append(
                f"  [{kind}] {o.item.lang} {o.item.q[:90]!r}\n"
                f"      expected {expected}; answered {o.answered_id}; "
                f"top3 {list(o.top3)}"
            )
        shown = [line for kind in ("WRONG", "miss", "top3") for line in by_kind[kind]]
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
