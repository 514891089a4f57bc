"""Light helpers every section and the start-up probe share: paths, peak memory, plain tables.

Nothing heavy is imported here, so the probe can time importing the bot from a cold start.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import default_cache_dir  # light: os, pathlib, zoneinfo

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "real-questions-dev.yaml"
# The user's one embedding cache, shared with the bot, the tests and `make test`.
CACHE = default_cache_dir()


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    On Linux, VmHWM from /proc: ru_maxrss of a child process starts from its parent's peak
    (the kernel carries it across fork and exec), which would credit a small process with
    whatever its parent once used. Elsewhere, ru_maxrss.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


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
