"""Run every benchmark and print its table as soon as it is done: `make bench`.

Each section runs in a fresh Python process, so the memory it reports is its own and a slow or
failing section does not disturb the others.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bot, bench and tests are imported from the repository root

# Only light modules here: the start-up probe must find bot and telegram not yet imported.
from bench.report import DEFAULT_EVAL, peak_rss_mb  # noqa: E402 (needs ROOT on sys.path)

SECTIONS = ("accuracy", "latency", "startup", "endtoend", "broadcast")


def run_section(name: str, eval_path: Path) -> None:
    """One section in this process; each module's ``run`` prints its own table."""
    started = time.perf_counter()
    importlib.import_module(f"bench.{name}").run(eval_path)
    took = time.perf_counter() - started
    print(f"[{name}: {took:.1f} s, peak RSS {peak_rss_mb():.0f} MB]", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--eval",
        type=Path,
        default=DEFAULT_EVAL,
        help=f"labelled questions (default: {DEFAULT_EVAL})",
    )
    parser.add_argument("--section", choices=SECTIONS, help="run only this section, in-process")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)  # startup child
    args = parser.parse_args(argv)
    eval_path = args.eval.resolve()

    if args.probe:
        from bench import probe

        probe.main()
        return 0
    if args.section:
        run_section(args.section, eval_path)
        return 0

    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()},"
        f" {os.cpu_count()} CPU(s); repository {ROOT}",
        flush=True,
    )
    started = time.perf_counter()
    failed: list[str] = []
    for name in SECTIONS:
        child = [sys.executable, __file__, "--section", name, "--eval", str(eval_path)]
        if subprocess.run(child, cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
    print(f"\nTotal: {time.perf_counter() - started:.0f} s", end="")
    print(f"; failed sections: {', '.join(failed)}" if failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
