"""The command line as a user types it: ask, validate, eval, chat, and bad settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.assistant import Assistant
from bot.terminal import TerminalChat
from tests.conftest import CACHE, ROOT


def run(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    # The phrasings' vectors the session fixture warmed: a fresh clone has no other cache, and
    # embedding all of them again in every process takes half a minute on a busy machine.
    environment["BOT_CACHE_DIR"] = str(CACHE)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        env=environment,
        timeout=60,
    )


def test_ask_json_reports_the_decision() -> None:
    """`ask --json` prints one JSON object per question with the documented fields."""
    result = run(
        "ask", "--json", "what is the Erasmus Charter for Higher Education", "best pizza in Naples"
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    fields = {"question", "lang", "reply", "answered", "id", "score", "alternatives", "answer"}
    assert fields <= set(first)
    assert (first["reply"], first["answered"], first["id"]) == ("answer", True, "eche")
    assert "ECHE" in first["answer"]
    assert (second["reply"], second["answered"], second["id"]) == ("decline", False, None)
    assert "I don't have an answer" in second["answer"]


def test_ask_reads_questions_from_stdin() -> None:
    """With no question arguments, `ask` answers one question per line of standard input."""
    result = run("ask", "--json", stdin="co to jest OLS\n\nwhat is ECHE\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["lang"] for line in lines] == ["pl", "en"]


def test_validate_passes_on_the_shipped_knowledge() -> None:
    """`validate` exits 0 on the project's knowledge base and says how much it checked."""
    result = run("validate")
    assert result.returncode == 0, result.stdout
    assert "OK:" in result.stdout


def test_validate_fails_with_file_and_line(tmp_path: Path) -> None:
    """A broken copy of the knowledge base makes `validate` exit 1 naming file and line."""
    target = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", target)
    path = target / "entries" / "students.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    call_year:", "   call_year:", 1),
        encoding="utf-8",
    )
    result = run("validate", str(target))
    assert result.returncode == 1
    assert "students.yaml:" in result.stdout
    assert "error" in result.stdout


def test_malformed_setting_is_one_clear_line() -> None:
    """A bad BOT_TIMEZONE stops the program with one line saying what to set, no traceback."""
    result = run("ask", "hello", BOT_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "BOT_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_a_webhook_without_a_secret_is_refused() -> None:
    """Webhook mode without BOT_WEBHOOK_SECRET does not start: one line, exit code 2."""
    result = run(
        TELEGRAM_BOT_TOKEN="4242:TEST-token", BOT_WEBHOOK_URL="https://bot.example.org/hook"
    )
    assert result.returncode == 2
    assert "BOT_WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_eval_prints_a_json_summary_last(tmp_path: Path) -> None:
    """`eval` ends with a JSON summary line and honours a failing --gate with exit code 1.
    A question whose right entry is offered first but not answered counts for rank-1 only."""
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- {q: what is ECHE, lang: en, expect: eche}\n"
        "- {q: 'how long does it last?', lang: en, expect: mobility-duration-cap}\n"
        "- {q: how to bake bread, lang: en, expect: null}\n",
        encoding="utf-8",
    )
    result = run("eval", str(questions))
    summary = json.loads(result.stdout.strip().splitlines()[-1])["all"]
    assert (summary["top1"], summary["rank1"], summary["abstained"]) == (50.0, 100.0, 100.0)
    assert run("eval", str(questions), "--gate", "rank1>=101").returncode == 1


def test_chat_command_without_a_token_opens_the_terminal_chat() -> None:
    """`python -m bot` with no token chats on stdin/stdout and ends cleanly at end of input."""
    result = run(stdin="what is ECHE\n/topics\n1\n")
    assert result.returncode == 0, result.stderr
    assert "Erasmus Charter" in result.stdout or "ECHE" in result.stdout
    assert "[1]" in result.stdout


def test_terminal_buttons_and_language(assistant: Assistant) -> None:
    """In the terminal chat a number presses a button and /language pl switches language."""
    chat = TerminalChat(assistant)
    assert "[1]" in chat.handle("/topics")
    assert chat.handle("1").count("[") >= 2
    assert "polsku" in chat.handle("/language pl")
    assert "Źródła" in chat.handle("what is ECHE")
