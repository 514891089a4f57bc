"""Start-up time and peak memory of a fresh bot process with the real knowledge base.

The probe (bench/probe.py) runs in a child process and times each step itself; this side adds
the wall time of the whole child, interpreter start and exit included.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import ROOT, section, table

RUNS = 3
_BARE = (
    "import json, resource, sys; from pathlib import Path; "
    "s = Path('/proc/self/status'); "
    "hwm = [int(x.split()[1]) for x in s.read_text().splitlines() if x.startswith('VmHWM:')]"
    " if s.exists() else []; "
    "r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / "
    "(2**20 if sys.platform == 'darwin' else 1024); "
    "print(json.dumps({'rss_mb': hwm[0] / 1024 if hwm else r}))"
)


def _child(args: list[str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the start-up probe failed:\n{done.stderr.strip()}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def run(eval_path: Path) -> None:
    section("3. Start-up: a fresh process with the real knowledge base")
    bare_runs = [_child(["-c", _BARE]) for _ in range(RUNS)]
    runs = [_child([str(ROOT / "bench" / "run.py"), "--probe"]) for _ in range(RUNS)]
    median = statistics.median

    rows: list[list[object]] = []
    for step in runs[0][1]["steps"]:
        rows.append([step, f"{median(1000 * r['steps'][step] for _, r in runs):.0f}", ""])
    core = median(r["rss_core_mb"] for _, r in runs)
    rows.append(["  = terminal assistant ready (no Telegram)", "", f"{core:.0f}"])
    wall = median(w for w, _ in runs)
    rss = median(r["rss_mb"] for _, r in runs)
    rows.append(["whole process: interpreter start to exit", f"{1000 * wall:.0f}", f"{rss:.0f}"])
    bare_wall = median(w for w, _ in bare_runs)
    bare_rss = median(r["rss_mb"] for _, r in bare_runs)
    rows.append(["for scale: bare `python -c`", f"{1000 * bare_wall:.0f}", f"{bare_rss:.0f}"])
    print(table([f"step (median of {RUNS} runs)", "ms", "peak RSS MB"], rows))
    print(
        "Each step timed inside a fresh process. Peak RSS is VmHWM (Linux) or ru_maxrss: a"
        " child's ru_maxrss on Linux starts from its parent's peak. Connecting to\nTelegram"
        " (getMe, setMyCommands) and opening SQLite come later, in post_init, and are not"
        " included."
    )
