"""Checks across the whole knowledge base that need the matcher: colliding phrasings."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.matching import Normaliser
from bot.yamlsource import Problem

NEAR_SAME = 95


def collisions(kb: KnowledgeBase) -> list[Problem]:
    """Warn where two entries carry the same or nearly the same phrasing.

    The matcher cannot tell such entries apart, so a user asking that question gets a coin toss.
    """
    normalise = Normaliser(kb.synonyms)
    texts: list[str] = []
    owners: list[tuple[str, str]] = []
    for entry in kb.entries.values():
        for questions in entry.questions.values():
            for question in questions:
                normalised = normalise(question)
                if len(normalised) >= 8:
                    texts.append(normalised)
                    owners.append((entry.id, question))
    problems: list[Problem] = []
    if not texts:
        return problems
    matrix = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR_SAME, workers=1)
    reported: set[tuple[str, str]] = set()
    for i, j in zip(*matrix.nonzero(), strict=True):
        a, b = owners[i], owners[j]
        if i >= j or a[0] == b[0] or (a[0], b[0]) in reported:
            continue
        reported.add((a[0], b[0]))
        first, second = kb.entries[a[0]], kb.entries[b[0]]
        problems.append(
            Problem(
                first.file,
                first.line,
                f"the phrasing {a[1]!r} of '{a[0]}' is (nearly) the same as {b[1]!r} of '{b[0]}' "
                f"({second.file}:{second.line})",
                "the matcher cannot tell them apart: reword or remove one of them",
                "warning",
            )
        )
    return problems
