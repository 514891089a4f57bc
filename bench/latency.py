"""How long matching, loading and re-indexing take, on the real knowledge base and a large one.

The synthetic knowledge base (10,000 entries x 10 phrasings) is built from the real one's own
words with a fixed seed, so its word statistics resemble real content and every run is the same.
"""

from __future__ import annotations

import math
import random
import re
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.common import load_kb, ms_stats, questions
from bench.report import CACHE, KNOWLEDGE, peak_rss_mb, section, table
from bot import knowledge
from bot.assistant import Assistant
from bot.knowledge import Entry, Group, KnowledgeBase
from bot.matching import Matcher
from bot.semantic import Embedder, make_embedder

SYNTHETIC_ENTRIES = 10_000
SYNTHETIC_PHRASINGS = 10
REAL_SAMPLES = 2000
SYNTHETIC_SAMPLES = 240  # ~60 ms each: enough for p50, and keeps the whole run under 3 minutes
_WORD = re.compile(r"[^\W\d_]{3,}")


def vocabulary(kb: KnowledgeBase) -> list[str]:
    """Every word of three letters or more in the titles and phrasings, sorted."""
    words: set[str] = set()
    for entry in kb.entries.values():
        for text in [*entry.title.values(), *(q for qs in entry.questions.values() for q in qs)]:
            words.update(_WORD.findall(text.lower()))
    return sorted(words)


def synthetic_kb(
    kb: KnowledgeBase, entries: int = SYNTHETIC_ENTRIES, phrasings: int = SYNTHETIC_PHRASINGS
) -> KnowledgeBase:
    """A deterministic knowledge base: each entry has three topic words in every phrasing."""
    words = vocabulary(kb)
    rng = random.Random(8)
    made: dict[str, Entry] = {}
    for i in range(entries):
        topic = rng.sample(words, 3)
        texts = [
            " ".join(rng.sample(topic, 2) + rng.sample(words, rng.randint(3, 9)))
            for _ in range(phrasings)
        ]
        half = phrasings // 2
        entry_id = f"synthetic-{i:05d}"
        made[entry_id] = Entry(
            id=entry_id,
            group="synthetic",
            title={"en": " ".join(topic), "pl": " ".join(reversed(topic))},
            questions={"en": tuple(texts[:half]), "pl": tuple(texts[half:])},
            answer={"en": "Answer.", "pl": "Odpowiedź."},
            sources=("https://erasmus-plus.ec.europa.eu/",),
            call_year="2026",
            verified=date(2026, 1, 1),
            related=(),
            file="synthetic.yaml",
            line=i + 1,
        )
    group = Group("synthetic", {"en": "Synthetic", "pl": "Syntetyczne"}, tuple(made))
    return KnowledgeBase(
        directory=Path("synthetic"),
        groups=(group,),
        entries=made,
        synonyms=kb.synonyms,  # the real synonyms, so normalisation does the same work
        deadlines=(),
        events=(),
        event_topics={},
    )


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    durations: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return durations


def rank_samples(matcher: Matcher, asked: list[str], samples: int) -> list[float]:
    """Durations of ``matcher.rank`` over the questions, repeated to reach ``samples``."""
    for question in asked[:10]:  # warm caches and rapidfuzz's first-call set-up
        matcher.rank(question)
    rounds = math.ceil(samples / len(asked))
    durations: list[float] = []
    for _ in range(rounds):
        for question in asked:
            started = time.perf_counter()
            matcher.rank(question)
            durations.append(time.perf_counter() - started)
    return durations


def run(eval_path: Path) -> None:
    section("2. Latency: matching, loading and re-indexing")
    kb = load_kb()
    asked, source = questions(eval_path, kb)
    real_phrasings = sum(len(qs) for e in kb.entries.values() for qs in e.questions.values())

    rows: list[list[object]] = []
    loads = timed(lambda: knowledge.load(KNOWLEDGE), 5)
    rows.append(["knowledge.load(knowledge/)", len(loads), *ms_stats(loads)])
    builds = timed(lambda: Matcher(kb), 5)
    # The first build normalises every text; later ones (as at a reload) reuse them.
    rows.append(["Matcher(kb) index, real (texts known)", len(builds), *ms_stats(builds)])
    reloads = timed(lambda: Assistant(knowledge.load(KNOWLEDGE).kb or kb), 5)
    rows.append(["reload = load + Assistant(kb)", len(reloads), *ms_stats(reloads)])

    matcher = Matcher(kb)
    real = rank_samples(matcher, asked, REAL_SAMPLES)
    rows.append(["Matcher.rank, real, words only", len(real), *ms_stats(real)])

    embedder = make_embedder("auto", CACHE)
    if embedder is not None:
        Assistant(kb, embedder=embedder)  # the vectors into memory, as after the bot's start
        reloads = timed(
            lambda: Assistant(knowledge.load(KNOWLEDGE).kb or kb, embedder=embedder), 5
        )
        rows.append(["reload with embeddings (vectors known)", len(reloads), *ms_stats(reloads)])
        semantic = rank_samples(Matcher(kb, embedder), asked, REAL_SAMPLES // 4)
        rows.append(["Matcher.rank, real, words + meaning", len(semantic), *ms_stats(semantic)])
        texts = [q for e in kb.entries.values() for qs in e.questions.values() for q in qs]
        with tempfile.TemporaryDirectory() as empty:
            cold = timed(lambda: Embedder(Path(empty)).phrasings(texts[:400]), 1)
        per_phrasing = cold[0] / 400
        rows.append(["embed 400 phrasings, cold cache", 1, *ms_stats(cold)])
        print(
            f"cold start: {len(texts)} phrasings x {per_phrasing * 1000:.1f} ms ="
            f" {len(texts) * per_phrasing:.0f} s to embed the whole knowledge base once"
        )

    big = synthetic_kb(kb)
    started = time.perf_counter()
    big_matcher = Matcher(big)
    build_big = time.perf_counter() - started
    rows.append(["Matcher(kb) index, synthetic", 1, *ms_stats([build_big])])
    synthetic = rank_samples(big_matcher, asked, SYNTHETIC_SAMPLES)
    rows.append(["Matcher.rank, synthetic", len(synthetic), *ms_stats(synthetic)])

    print(
        f"real: {len(kb.entries)} entries, {real_phrasings} phrasings; synthetic:"
        f" {len(big.entries):,} entries x {SYNTHETIC_PHRASINGS} phrasings (seed 8, words from"
        f" knowledge/); questions: {source}"
    )
    print(table(["what", "samples", "p50 ms", "p99 ms", "max ms"], rows))
    print(
        "Targets: knowledge.load < 200 ms. One process, one thread (rapidfuzz workers=1)."
        " The synthetic rows are words only (embedding 100,000 phrasings takes ~20 min)."
        f" Peak RSS of this section's process (with the synthetic index): {peak_rss_mb():.0f} MB."
    )
