"""Accuracy of the assistant against three plain baselines on the same knowledge and questions.

Each baseline scores every entry (its best phrasing, or the entry as one BM25 document), answers
with the top entry when the score reaches a threshold and abstains otherwise. The threshold is
tuned on the very questions it is scored on, for the highest top-1 minus wrong-confident rate: an
optimistic setting for the baselines, as the assistant's own thresholds were tuned on them too.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz, process

from bench.common import eval_items, load_kb
from bench.report import CACHE, section, table
from bot.assistant import Assistant
from bot.evaluation import Item, Outcome, Report, evaluate
from bot.knowledge import Entry, KnowledgeBase
from bot.semantic import make_embedder

Scorer = Callable[[list[str]], np.ndarray]  # questions -> scores, questions x entries


def entry_texts(entry: Entry) -> list[str]:
    """The texts the matcher indexes for an entry: its titles and every phrasing."""
    return [*entry.title.values(), *(q for qs in entry.questions.values() for q in qs)]


def _flatten(kb: KnowledgeBase) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    owners: list[int] = []
    for index, entry in enumerate(kb.entries.values()):
        for text in entry_texts(entry):
            texts.append(text)
            owners.append(index)
    return texts, np.asarray(owners)


def _best_per_entry(matrix: np.ndarray, owners: np.ndarray, entries: int) -> np.ndarray:
    """questions x phrasings -> questions x entries, keeping each entry's best phrasing."""
    best = np.full((matrix.shape[0], entries), -np.inf)
    for index in range(entries):
        best[:, index] = matrix[:, owners == index].max(axis=1)
    return best


def difflib_scorer(kb: KnowledgeBase) -> Scorer:
    """SequenceMatcher ratio of the lowercased question and phrasing."""
    texts, owners = _flatten(kb)

    def score(questions: list[str]) -> np.ndarray:
        lowered = [q.lower() for q in questions]
        matrix = np.zeros((len(questions), len(texts)))
        matcher = difflib.SequenceMatcher(None)
        for j, text in enumerate(texts):
            matcher.set_seq2(text.lower())  # seq2 is the side difflib caches
            for i, question in enumerate(lowered):
                matcher.set_seq1(question)
                matrix[i, j] = 100.0 * matcher.ratio()
        return _best_per_entry(matrix, owners, len(kb.entries))

    return score


def wratio_scorer(kb: KnowledgeBase) -> Scorer:
    """rapidfuzz WRatio on the raw strings (no processor, so case and punctuation count)."""
    texts, owners = _flatten(kb)

    def score(questions: list[str]) -> np.ndarray:
        matrix = process.cdist(questions, texts, scorer=fuzz.WRatio, processor=None, workers=1)
        return _best_per_entry(matrix.astype(np.float64), owners, len(kb.entries))

    return score


def bm25_scorer(kb: KnowledgeBase) -> Scorer:
    """BM25Okapi with one document per entry: titles and phrasings, lowercase whitespace tokens."""
    corpus = [" ".join(entry_texts(e)).lower().split() for e in kb.entries.values()]
    index = BM25Okapi(corpus)

    def score(questions: list[str]) -> np.ndarray:
        return np.vstack([index.get_scores(q.lower().split()) for q in questions])

    return score


def _report(items: list[Item], ids: list[str], scores: np.ndarray, threshold: float) -> Report:
    report = Report()
    for item, row in zip(items, scores, strict=True):
        order = np.argsort(-row, kind="stable")[:3]
        best = int(order[0])
        answered = ids[best] if row[best] >= threshold else None
        report.outcomes.append(Outcome(item, answered, tuple(ids[i] for i in order)))
    return report


def tune(items: list[Item], ids: list[str], scores: np.ndarray) -> tuple[float, Report]:
    """The threshold with the best top-1 minus wrong-confident (ties: fewer wrong, stricter)."""
    candidates = [*sorted(set(scores.max(axis=1).tolist())), float("inf")]
    best: tuple[float, float, float] | None = None
    chosen = (candidates[-1], _report(items, ids, scores, candidates[-1]))
    for threshold in candidates:
        report = _report(items, ids, scores, threshold)
        s = report.summary()
        key = ((s["top1"] or 0.0) - (s["wrong_confident"] or 0.0), -(s["wrong_confident"] or 0.0))
        if best is None or (*key, threshold) >= best:
            best = (*key, threshold)
            chosen = (threshold, report)
    return chosen


def _row(
    name: str, threshold: str, report: Report, seconds: float, tied: str = "—"
) -> list[object]:
    s = report.summary()
    en, pl = report.summary("en"), report.summary("pl")

    def p(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}%"

    per_question = 1000.0 * seconds / max(s["questions"], 1)
    return [
        name,
        threshold,
        p(s["top1"]),
        p(s["rank1"]),
        p(s["top3"]),
        p(s["abstained"]),
        p(s["wrong_confident"]),
        p(en["top1"]),
        p(pl["top1"]),
        tied,
        f"{per_question:.2f}",
    ]


def run(eval_path: Path) -> None:
    section("1. Accuracy: this assistant vs baselines (same knowledge/, same questions)")
    items, why = eval_items(eval_path)
    if not items:
        print(f"skipped: {why}")
        return
    kb = load_kb()
    ids = list(kb.entries)
    rows: list[list[object]] = []

    embedder = make_embedder("auto", CACHE)
    modes = [("assistant, words only", None)]
    if embedder is not None:
        modes.append(("assistant, words + meaning", embedder))
    for name, mode_embedder in modes:
        assistant = Assistant(kb, embedder=mode_embedder)
        started = time.perf_counter()
        report = evaluate(assistant, items)
        took = time.perf_counter() - started
        limits = assistant.matcher.thresholds
        rule = f"{limits.confident:g} + lead {limits.clear_lead:g}"
        rows.append(_row(name, rule, report, took))

    baselines: list[tuple[str, Scorer, str]] = [
        ("difflib ratio, lowercase", difflib_scorer(kb), "{:.1f}"),
        ("rapidfuzz WRatio, raw", wratio_scorer(kb), "{:.1f}"),
        ("BM25Okapi, lowercase tokens", bm25_scorer(kb), "{:.2f}"),
    ]
    questions = [item.q for item in items]
    for name, scorer, shown in baselines:
        started = time.perf_counter()
        scores = scorer(questions)
        took = time.perf_counter() - started
        threshold, report = tune(items, ids, scores)
        label = "never" if threshold == float("inf") else shown.format(threshold)
        tied = int(((scores == scores.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())
        rows.append(_row(name, label, report, took, str(tied)))

    s = report.summary()
    print(
        f"{s['questions']} questions ({s['in_scope']} in scope, {s['out_of_scope']} out of scope)"
        f" from {eval_path}; {len(kb.entries)} entries"
    )
    headers = [
        "method",
        "answers at >=",
        "top-1",
        "rank-1",
        "top-3",
        "abstain",
        "wrong!",
        "top-1 en",
        "top-1 pl",
        "tied top",
        "ms/q",
    ]
    print(table(headers, rows))
    print(
        "top-1: in-scope questions answered, and right; rank-1: in-scope questions whose"
        " best-ranked entry is right, answered or not;\ntop-3: right among the first three;"
        " abstain: out-of-scope questions not answered; wrong!: confident wrong answers among"
        " all questions.\nBaseline thresholds are tuned on these same questions for the highest"
        " top-1 minus wrong! ('never': no threshold beats abstaining on everything);\nthe"
        " assistant's were tuned on them too, and it also answers deadline questions from"
        " deadlines.yaml (entry 'deadlines').\ntied top: questions whose best score several"
        " entries share (the first in file order wins); ms/q: scoring time per question."
    )
