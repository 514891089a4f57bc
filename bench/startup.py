"""Start-up time and peak memory of a fresh bot process with the real knowledge base.

``probe()`` runs in a child process (``run.py --probe``): it times each step of start-up and prints
one JSON line; the parent adds the wall time of the whole process, interpreter start included.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import KNOWLEDGE, ROOT, peak_rss_mb, section, table

RUNS = 3


def probe() -> None:
    """Import, load knowledge, build the Assistant and the PTB Application; print timings."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    from bot import knowledge
    from bot.assistant import Assistant

    steps["import bot (core)"] = time.perf_counter() - started
    mark = time.perf_counter()
    result = knowledge.load(KNOWLEDGE)
    steps["knowledge.load"] = time.perf_counter() - mark
    if result.kb is None:
        raise SystemExit(f"{KNOWLEDGE} has errors; run `python -m bot validate`.")
    mark = time.perf_counter()
    Assistant(result.kb)
    steps["Assistant(kb)"] = time.perf_counter() - mark
    rss_core = peak_rss_mb()

    mark = time.perf_counter()
    from bot.app import build_application
    from bot.config import load_settings

    steps["import bot.app (PTB)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "TELEGRAM_BOT_TOKEN": "123456:bench-fake-token",
            "BOT_DB": str(Path(tmp) / "bot.sqlite3"),
            "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
        }
        build_application(load_settings(env))
    steps["build_application"] = time.perf_counter() - mark
    print(json.dumps({"steps": steps, "rss_core_mb": rss_core, "rss_mb": peak_rss_mb()}))


def _child(args: list[str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def run() -> None:
    section("3. Start-up: a fresh process with the real knowledge base")
    bare = [
        "-c",
        "import json, resource, sys; r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "print(json.dumps({'rss_mb': r / (1048576 if sys.platform == 'darwin' else 1024)}))",
    ]
    probe_args = [str(ROOT / "bench" / "run.py"), "--probe"]
    bare_runs = [_child(bare) for _ in range(RUNS)]
    runs = [_child(probe_args) for _ in range(RUNS)]

    median = statistics.median
    rows: list[list[object]] = []
    for step in runs[0][1]["steps"]:
        ms = median(1000 * r["steps"][step] for _, r in runs)
        rows.append([step, f"{ms:.0f}", ""])
    core_rss = median(r["rss_core_mb"] for _, r in runs)
    rows.append(["  peak RSS after Assistant (no Telegram)", "", f"{core_rss:.0f}"])
    wall = median(w for w, _ in runs)
    rss = median(r["rss_mb"] for _, r in runs)
    rows.append(["whole process, wall (interpreter start to exit)", f"{1000 * wall:.0f}", ""])
    rows.append(["  peak RSS with the PTB Application built", "", f"{rss:.0f}"])
    bare_wall = median(w for w, _ in bare_runs)
    bare_rss = median(r["rss_mb"] for _, r in bare_runs)
    rows.append(["for scale: bare `python -c`", f"{1000 * bare_wall:.0f}", f"{bare_rss:.0f}"])
    print(table([f"step (median of {RUNS} runs)", "ms", "peak RSS MB"], rows))
    print(
        "Steps are timed inside the child; peak RSS is resource.getrusage ru_maxrss. Reaching"
        " Telegram (getMe, setMyCommands) and opening SQLite happen later, in post_init."
    )
