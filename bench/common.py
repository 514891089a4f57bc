"""What every section shares: paths, the questions to ask, timing statistics and plain tables."""

from __future__ import annotations

import random
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot import knowledge
from bot.evaluation import Item, read_eval_files

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "real-questions-dev.yaml"


def load_kb() -> knowledge.KnowledgeBase:
    """The real knowledge base; a broken one ends the run with one clear message."""
    result = knowledge.load(KNOWLEDGE)
    if result.kb is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        raise SystemExit(f"{KNOWLEDGE} has {len(result.errors)} error(s); fix them first.")
    return result.kb


def eval_items(path: Path) -> tuple[list[Item] | None, str]:
    """The labelled questions, or None and the reason they could not be read."""
    if not path.is_file():
        return None, f"{path} not found (pass --eval PATH)"
    try:
        return read_eval_files([path]), ""
    except (ValueError, OSError) as exc:
        return None, f"{path}: {exc}"


def questions(path: Path, kb: knowledge.KnowledgeBase) -> tuple[list[str], str]:
    """Questions to time: the eval questions, else 82 of the knowledge base's own phrasings."""
    items, _ = eval_items(path)
    if items:
        return [item.q for item in items], f"{len(items)} questions from {path.name}"
    phrasings = [q for e in kb.entries.values() for qs in e.questions.values() for q in qs]
    sample = random.Random(8).sample(phrasings, min(82, len(phrasings)))
    return sample, f"{len(sample)} phrasings sampled from knowledge/ (no eval file)"


def ms_stats(seconds: Sequence[float]) -> tuple[str, str, str]:
    """p50, p99 and max of durations in seconds, as milliseconds."""
    values = np.asarray(seconds) * 1000.0
    return (
        f"{np.percentile(values, 50):.2f}",
        f"{np.percentile(values, 99):.2f}",
        f"{values.max():.2f}",
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table: first column left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)
