"""From start to first answer, as a user sees it: `python bench/coldstart.py`.

The black-box rig of tests/test_process.py: a real `python -m bot` process polls the fake Bot API
(tests/fake_bot_api.py) on 127.0.0.1, a question is queued the moment the process is spawned,
and the clock stops when the reply arrives. Measured with an empty embedding cache (the first
start on a new machine: words alone until the meaning index is ready) and with the user's warm
cache, plus the time until "meaning ready" and how soon a saved knowledge edit goes live.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import default_cache_dir  # noqa: E402 (needs ROOT on sys.path)
from tests.fake_bot_api import TOKEN, FakeBotApi  # noqa: E402

QUESTION = "what is the Erasmus Charter for Higher Education"


async def one_start(
    cache: Path, wait_for_meaning: bool, knowledge: Path | None = None, image: str | None = None
) -> dict[str, float]:
    """Seconds from spawn to the first reply (and to "meaning ready", to a live edit)."""
    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DB=str(Path(tmp) / "bot.sqlite3"),
            BOT_CACHE_DIR=str(cache),
            PYTHONPATH=str(ROOT),
        )
        if knowledge is not None:
            env["BOT_KNOWLEDGE_DIR"] = str(knowledge)
        command = [sys.executable, "-m", "bot"]
        if image is not None:  # the image's own cache and paths; host network for 127.0.0.1
            command = ["docker", "run", "--rm", "--network=host"]
            for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL"):
                command += ["-e", f"{name}={env[name]}"]
            command.append(image)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        api.push_message(QUESTION, user_id=7)
        result: dict[str, float] = {}
        try:
            await api.wait_for("sendMessage", chat_id=7, within=120)
            result["first answer"] = time.perf_counter() - started
            if wait_for_meaning:
                assert process.stderr is not None
                async with asyncio.timeout(900):
                    while b"meaning ready" not in (line := await process.stderr.readline()):
                        if not line:
                            raise SystemExit("the bot exited before the meaning index was ready")
                result["meaning ready"] = time.perf_counter() - started
                result["meaning line"] = float(line.split(b" in ")[-1].split()[0])
            if knowledge is not None:
                entries = knowledge / "entries" / "mobility-organisations.yaml"
                text = entries.read_text(encoding="utf-8")
                saved = time.perf_counter()
                entries.write_text(
                    text.replace("<b>The ECHE is", "<b>EDITED The ECHE is", 1), encoding="utf-8"
                )
                assert process.stderr is not None
                async with asyncio.timeout(60):
                    while b"knowledge reloaded" not in await process.stderr.readline():
                        pass
                result["saved edit live"] = time.perf_counter() - saved
        finally:
            stopping = time.perf_counter()
            process.send_signal(signal.SIGTERM)
            await process.communicate()
            result["SIGTERM to exit"] = time.perf_counter() - stopping
            await api.stop()
    return result


def show(label: str, runs: list[dict[str, float]]) -> None:
    for key in runs[0] if runs else []:
        values = [r[key] for r in runs]
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"{label:<28} {key:<18} median {statistics.median(values):6.2f} s   ({each})")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm starts to time")
    parser.add_argument("--cold-runs", type=int, default=1, help="cold starts to time")
    parser.add_argument("--no-meaning", action="store_true", help="do not wait for meaning")
    parser.add_argument("--image", help="time `docker run IMAGE` (its baked cache) instead")
    args = parser.parse_args(argv)
    if args.image:
        runs = [
            await one_start(Path("/nonexistent"), wait_for_meaning=False, image=args.image)
            for _ in range(args.runs)
        ]
        show(f"docker run {args.image}", runs)
        return 0
    print(f"{os.cpu_count()} CPU(s), BOT_EMBED_THREADS={os.environ.get('BOT_EMBED_THREADS', 1)}")
    cold = []
    for _ in range(args.cold_runs):
        with tempfile.TemporaryDirectory() as empty:
            cold.append(await one_start(Path(empty), wait_for_meaning=not args.no_meaning))
    show("cold cache (empty)", cold)
    warm_cache = default_cache_dir()
    warm = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "knowledge"
            shutil.copytree(ROOT / "knowledge", copy)
            warm.append(await one_start(warm_cache, wait_for_meaning=False, knowledge=copy))
    show(f"warm cache ({warm_cache})", warm)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
