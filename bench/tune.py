"""Search the matcher's answer thresholds on labelled questions: `make tune`.

The thresholds in ``bot/matching.py`` were tuned on this project's knowledge base; a fork with
other entries should search them again. Every question is scored once (words and meaning
separately), then each combination of weight, ``confident`` and ``clear_lead`` is replayed. The
table lists the best combinations that keep wrong confident answers within the bound and answer
none of the off-topic questions in ``tests/data/off-topic.yaml``; the row marked ``*`` is the
setting in use. Copy a row into ``bot/matching.py`` only if it holds on every set you have.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import knowledge, matching  # noqa: E402
from bot.config import default_cache_dir  # noqa: E402
from bot.evaluation import read_eval_files  # noqa: E402
from bot.semantic import make_embedder  # noqa: E402

OFF_TOPIC = ROOT / "tests" / "data" / "off-topic.yaml"
DEFAULT_SETS = [ROOT.parent / "shared" / "eval" / "real-questions-dev.yaml"]


@dataclass(frozen=True)
class Scored:
    expect: frozenset[str] | None  # None: should not be answered
    off_topic: bool
    evidence: matching.Evidence


def score_all(matcher: matching.Matcher, files: list[Path]) -> list[Scored]:
    def scored(question: str, expect: frozenset[str] | None, off_topic: bool) -> Scored:
        return Scored(expect, off_topic, matcher.evidence(question))

    rows = [scored(item.q, item.expect, False) for item in read_eval_files(files)]
    off = yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))
    rows += [scored(q, None, True) for questions in off.values() for q in questions]
    return rows


def replay(
    rows: list[Scored],
    ids: list[str],
    weight: float,
    limits: matching.Thresholds,
    audience: float = matching.AUDIENCE_WEIGHT,
) -> tuple[int, int, int, int]:
    """(right answers, right in top 3, wrong confident answers, off-topic answered)."""
    right = top3 = wrong = off = 0
    scale = audience / matching.AUDIENCE_WEIGHT if matching.AUDIENCE_WEIGHT else 0.0
    for row in rows:
        evidence = row.evidence
        scores = evidence.words
        if evidence.understood is not None:
            scores = (1 - weight) * evidence.words + weight * evidence.understood
        order = np.argsort(-(scores + scale * evidence.audience), kind="stable")[:3]
        matches = tuple(matching.Match(ids[i], float(scores[i])) for i in order)
        answered = matching.settle(matches, evidence, int(order[0]), limits)[0] == "answer"
        hit = row.expect is not None and matches[0].entry_id in row.expect
        top3 += row.expect is not None and bool(row.expect & {m.entry_id for m in matches})
        if answered and row.off_topic:
            off += 1
        elif answered and hit:
            right += 1
        elif answered:
            wrong += 1
    return right, top3, wrong, off


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--max-wrong", type=float, default=5.0, help="percent of all questions")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    parser.add_argument(
        "--words-only", action="store_true", help="tune LEXICAL_ONLY (BOT_SEMANTIC=off)"
    )
    args = parser.parse_args(argv)

    kb = knowledge.load(ROOT / "knowledge").kb
    if kb is None:
        raise SystemExit("knowledge/ has errors; run `python -m bot validate`")
    embedder = make_embedder("off" if args.words_only else "auto", args.cache)
    matcher = matching.Matcher(kb, embedder)
    rows = score_all(matcher, args.files)
    labelled = [r for r in rows if not r.off_topic]
    in_scope = sum(r.expect is not None for r in labelled)
    now = matcher.thresholds
    current = (matching.SEMANTIC_WEIGHT if embedder else 0.0, matching.AUDIENCE_WEIGHT, now)
    # Each grid holds the value in use, so the setting in use is always replayed too.
    weights = sorted({0.3, 0.4, 0.5, 0.6, current[0]}) if embedder else [0.0]

    results = []
    for weight, audience, confident, lead, specific in itertools.product(
        weights,
        sorted({0.0, 2.0, 4.0, 6.0, matching.AUDIENCE_WEIGHT}),
        sorted({*map(float, range(30, 62, 2)), now.confident}),
        sorted({0.8, 0.85, 0.9, 0.92, 0.94, 0.96, 1.0, now.clear_lead}),
        sorted({4, 5, 6, 7, 8, 10, 15, 1_000_000, now.specific}),
    ):
        limits = replace(now, confident=confident, clear_lead=lead, specific=specific)
        right, top3, wrong, off = replay(rows, matcher.entry_ids, weight, limits, audience)
        is_current = (weight, audience, limits) == current
        results.append((right, -wrong, top3, off, weight, audience, limits, is_current))
    bound = args.max_wrong / 100 * len(labelled)
    allowed = [r for r in results if -r[1] <= bound and r[3] == 0]
    shown = sorted(allowed, key=lambda r: r[:3], reverse=True)[:12]
    shown += [r for r in results if r[7] and r not in shown]

    print(
        f"{len(labelled)} labelled questions ({in_scope} in scope) from "
        f"{', '.join(f.name for f in args.files)}; {len(rows) - len(labelled)} off-topic; "
        f"embeddings {'on' if embedder else 'off'}"
    )
    print(
        f"{'':2}{'weight':>7} {'asker':>6} {'confident':>9} {'lead':>5} {'specific':>8} "
        f"{'top-1':>7} {'top-3':>7} {'wrong':>6} {'off-topic':>9}"
    )
    for right, negative_wrong, top3, off, weight, audience, limits, is_current in shown:
        print(
            f"{'*' if is_current else ' ':2}{weight:>7.3f} {audience:>6.0f} "
            f"{limits.confident:>9.1f} "
            f"{limits.clear_lead:>5.2f} {min(limits.specific, 999):>8} "
            f"{100 * right / in_scope:>6.1f}% "
            f"{100 * top3 / in_scope:>6.1f}% {100 * -negative_wrong / len(labelled):>5.1f}% "
            f"{off:>9}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
