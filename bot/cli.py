"""The command line: `python -m bot [run|chat|ask|eval|validate|stale]`.

User errors (a bad setting, a broken knowledge file) end in clear lines and exit code 1 or 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot import knowledge
from bot.assistant import SHOWN_KINDS, Assistant, Reply
from bot.config import ConfigError, Settings, load_settings
from bot.semantic import Embedder, SemanticUnavailable, make_embedder

DEFAULT_TOPICS = Path("../shared/kb-topics.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Erasmus+ assistant. With no command: the Telegram bot when "
        "TELEGRAM_BOT_TOKEN is set, otherwise a chat in this terminal.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (or the terminal chat without a token)")
    sub.add_parser("chat", help="chat with the assistant in this terminal")
    ask = sub.add_parser(
        "ask", help="answer questions given as arguments or one per line on stdin"
    )
    ask.add_argument("question", nargs="*")
    ask.add_argument("--lang", choices=("en", "pl"), help="language to prefer when unclear")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ev = sub.add_parser("eval", help="measure accuracy on YAML files of {q, lang, expect}")
    ev.add_argument("files", nargs="+", type=Path)
    ev.add_argument(
        "--strip-diacritics",
        action="store_true",
        help="ask every question as typed without Polish letters (ą→a, ł→l...)",
    )
    ev.add_argument("--misses", type=int, default=100, help="how many misses to list")
    ev.add_argument(
        "--gate",
        action="append",
        default=[],
        metavar="METRIC>=VALUE",
        help="fail (exit 1) unless the overall metric meets the bound, e.g. "
        "top1>=50 or wrong_confident<=5; may be repeated (CI uses this)",
    )
    val = sub.add_parser("validate", help="check the knowledge base and report every problem")
    val.add_argument("directory", nargs="?", type=Path)
    val.add_argument(
        "--topics",
        type=Path,
        default=None,
        help="YAML of required topic ids (default: ../shared/kb-topics.yaml if present)",
    )
    st = sub.add_parser(
        "stale",
        help="list what is out of date (old call year, passed deadlines, old verification, "
        "sources not official); exit code 1 when anything is listed",
    )
    st.add_argument("directory", nargs="?", type=Path)
    st.add_argument("--today", type=_day, help="the day to check for, YYYY-MM-DD (default: today)")
    sg = sub.add_parser(
        "suggest",
        help="turn the log of unanswered and 👎 questions into YAML phrasings to add, per entry",
    )
    sg.add_argument("--db", type=Path, help="the SQLite file (default: BOT_DB)")
    sg.add_argument("--min", type=int, default=1, help="only groups asked at least this often")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    from bot import logs

    logs.configure(settings)

    command = args.command or "run"
    if command == "validate":
        # The required topic list belongs to this project's own knowledge base, not to others.
        topics = args.topics or (None if args.directory else DEFAULT_TOPICS)
        return validate(args.directory or settings.knowledge_dir, topics)
    if command == "stale":
        return stale_command(args.directory or settings.knowledge_dir, args.today)
    kb = load_or_exit(settings.knowledge_dir)
    if command in ("ask", "eval", "chat", "suggest") or settings.token is None:
        try:
            embedder = embedder_for(settings)
        except SemanticUnavailable as exc:
            print(f"Configuration error: {exc}", file=sys.stderr)
            return 2
        if command == "ask":
            assistant = Assistant(kb, embedder=embedder, tz=settings.timezone)
            return ask_command(assistant, args.question, args.lang, args.json)
        if command == "suggest":
            assistant = Assistant(kb, embedder=embedder, tz=settings.timezone)
            return suggest_command(assistant, args.db or settings.db_path, args.min)
        if command == "eval":
            assistant = Assistant(kb, embedder=embedder, tz=settings.timezone)
            return eval_command(
                assistant, args.files, args.misses, args.gate, args.strip_diacritics
            )
        from bot.terminal import run_chat

        return run_chat(settings, kb, embedder)
    return run_telegram(settings)


def run_telegram(settings: Settings) -> int:
    """The Telegram bot; the start-up failures people meet end in one line and exit code 2."""
    from telegram.error import InvalidToken, NetworkError

    from bot.app import run_bot
    from bot.storage import check_writable

    # A refused token (exit 2) and an unreachable API (one line per retry, with backoff) are
    # handled by run_bot itself, so that a bot started while offline comes up once it is back.
    problem = check_writable(settings.db_path)
    if problem is None:
        try:
            return run_bot(settings)
        except InvalidToken:
            problem = "Telegram refused TELEGRAM_BOT_TOKEN; copy the token from @BotFather again"
        except NetworkError as exc:
            problem = f"cannot reach the Bot API at {settings.api_base_url} ({exc})"
        except OSError as exc:
            problem = (
                f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} ({exc}); "
                "choose another BOT_WEBHOOK_PORT"
            )
    print(f"Start-up error: {problem}", file=sys.stderr)
    return 2


def embedder_for(settings: Settings) -> Embedder | None:
    return make_embedder(settings.semantic, settings.cache_dir, settings.embed_threads)


def required_topics(path: Path | None) -> list[str]:
    if path is None or not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [topic for group in data.values() if isinstance(group, dict) for topic in group]


def validate(directory: Path, topics: Path | None) -> int:
    result = knowledge.load(directory, required_ids=required_topics(topics))
    for problem in result.problems:
        print(problem)
    if result.kb is not None:
        kb = result.kb
        from bot.review import collisions

        clashes = collisions(kb)
        for line in clashes:
            print(line)
        print(
            f"OK: {len(kb.entries)} entries in {len(kb.groups)} groups, "
            f"{len(kb.deadlines)} deadlines, {len(kb.events)} events, "
            f"{len(result.warnings) + len(clashes)} warning(s)."
        )
        return 0
    print(
        f"{len(result.errors)} error(s), {len(result.warnings)} warning(s): "
        "fix the errors above; the bot keeps using the last good knowledge base until then."
    )
    return 1


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-07: {text!r}") from None


def stale_command(directory: Path, today: date | None) -> int:
    """Print what is out of date on ``today``; 1 when anything is, 2 when the files have errors."""
    from bot.stale import find_stale, format_report

    today = today or date.today()
    result = knowledge.load(directory, today=today)
    if result.kb is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(f"{len(result.errors)} error(s): run `python -m bot validate`.", file=sys.stderr)
        return 2
    items = find_stale(result.kb, today)
    print(format_report(result.kb, items, today))
    return 1 if items else 0


def load_or_exit(directory: Path) -> knowledge.KnowledgeBase:
    result = knowledge.load(directory)
    if result.kb is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(
            f"The knowledge base in {directory} has {len(result.errors)} error(s); "
            "run `python -m bot validate` for details.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    return result.kb


def reply_json(question: str, reply: Reply) -> dict[str, Any]:
    """One row of `ask --json`: the reply's kind, the entry it shows, the scores behind it and
    the first message exactly as it is sent."""
    answered = reply.kind == "answer"
    shown = reply.kind in SHOWN_KINDS
    ranking = reply.ranking
    score = ranking.best.score if ranking and ranking.best else (100.0 if answered else 0.0)
    alternatives = [{"id": m.entry_id, "score": m.score} for m in reply.alternatives]
    return {
        "question": question,
        "lang": reply.lang,
        "reply": reply.kind,
        "answered": answered,
        "id": reply.entry_id if shown else None,
        "score": score,
        "alternatives": alternatives,
        "answer": reply.text,
        "buttons": [b.label for row in reply.buttons for b in row],
        "event": reply.event_id,
    }


def ask_command(
    assistant: Assistant, questions: list[str], lang: str | None, as_json: bool
) -> int:
    from bot.telegram_html import to_plain

    source = questions or (line.rstrip("\n") for line in sys.stdin)
    for question in source:
        if not questions and not question.strip():
            continue
        reply = assistant.answer(question, lang)
        if as_json:
            print(json.dumps(reply_json(question, reply), ensure_ascii=False))
        else:
            print(to_plain(reply.text))
            for row in reply.buttons:
                print("  " + "   ".join(f"[{b.label}]" for b in row))
            print()
    return 0


def eval_command(
    assistant: Assistant,
    files: list[Path],
    misses_shown: int,
    gates: list[str] | None = None,
    stripped: bool = False,
) -> int:
    from bot.evaluation import (
        check_gates,
        evaluate,
        format_report,
        read_eval_files,
        strip_diacritics,
    )

    try:
        items = read_eval_files(files)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"Cannot read the evaluation file: {exc}", file=sys.stderr)
        return 2
    if stripped:
        items = [replace(item, q=strip_diacritics(item.q)) for item in items]
    report = evaluate(assistant, items)
    print(format_report(report, misses_shown))
    try:
        failed = check_gates(report, gates or [])
    except ValueError as exc:
        print(f"Bad --gate: {exc}", file=sys.stderr)
        return 2
    for line in failed:
        print(f"GATE FAILED: {line}", file=sys.stderr)
    return 1 if failed else 0


def suggest_command(assistant: Assistant, db_path: Path, least: int = 1) -> int:
    """Print the YAML snippets of `bot.unanswered.suggest_yaml` for the log in ``db_path``."""
    import asyncio

    from bot.storage import Storage
    from bot.unanswered import Row, group, suggest_yaml

    if not db_path.exists():
        print(f"No database at {db_path}: set BOT_DB or pass --db.", file=sys.stderr)
        return 1

    async def read() -> list[dict[str, Any]]:
        storage = await Storage.open(db_path)
        try:
            return await storage.unanswered(limit=100_000)
        finally:
            await storage.close()

    groups = [g for g in group(Row.from_db(r) for r in asyncio.run(read())) if g.count >= least]
    if not groups:
        print("# Nothing unanswered or rated 👎 in the log.")
        return 0
    print(suggest_yaml(assistant, groups), end="")
    return 0
