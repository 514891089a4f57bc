"""What the measuring sections share: the knowledge base, the questions to ask, statistics."""

from __future__ import annotations

import contextlib
import importlib.util
import random
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from bench.report import KNOWLEDGE
from bot import knowledge
from bot.evaluation import Item, read_eval_files


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


def sniffio_missing() -> bool:
    """True when httpcore will retry a failed ``import sniffio`` on every request.

    anyio >= 4.11 no longer installs sniffio, and httpcore 1.0.9 imports it inside a function
    called several times per request; a failed import is not cached, so each call searches
    sys.path again (encode/httpcore#1103).
    """
    return "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None


@contextlib.contextmanager
def sniffio_stub() -> Iterator[None]:
    """Make ``import sniffio`` succeed, as ``pip install sniffio`` would, for one comparison."""
    stub = types.ModuleType("sniffio")
    stub.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules["sniffio"] = stub
    try:
        yield
    finally:
        del sys.modules["sniffio"]
