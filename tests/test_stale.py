"""`python -m bot stale`: what is out of date, through the real knowledge base and a stale copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot import knowledge
from bot.official import OfficialSources, load_official
from bot.stale import find_stale, last_year
from bot.yamlsource import Problem
from tests.conftest import KNOWLEDGE, ROOT

TODAY = date(2026, 12, 7)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def stale_cli(directory: Path, today: str = "2026-12-07") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "stale", str(directory), "--today", today],
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )


def test_the_real_knowledge_base_is_not_stale() -> None:
    """On 2026-12-07 the shipped knowledge base lists nothing, and the command exits 0."""
    result = knowledge.load(KNOWLEDGE, today=TODAY)
    assert result.kb is not None
    assert [str(s) for s in find_stale(result.kb, TODAY)] == []
    done = stale_cli(KNOWLEDGE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 item(s) out of date" in done.stdout


def test_every_shown_source_is_official() -> None:
    """No entry shows a page outside official.yaml; background pages are kept apart."""
    kb = knowledge.load(KNOWLEDGE, today=TODAY).kb
    assert kb is not None and kb.official is not None
    for entry in kb.entries.values():
        assert entry.sources, entry.id
        for url in entry.sources:
            assert kb.official.is_official(url), (entry.id, url)


def test_a_stale_entry_is_listed_with_its_line_and_exit_code_1(kb_copy: Path) -> None:
    """An old call year, an old check and a third-party first source are each listed."""
    entries = kb_copy / "entries" / "programme.yaml"
    text = entries.read_text(encoding="utf-8")
    start = text.index("  - id: programme-guide")
    block = text[start:]
    block_end = block.index("\n  - id: ", 1)
    old = block[:block_end]
    new = old.replace("call_year: 2026", "call_year: 2024", 1)
    new = new.replace("verified: 2026-", "verified: 2025-", 1)
    third_party = "      - https://www.example-consultancy.com/erasmus\n"
    new = new.replace("    sources:\n", "    sources:\n" + third_party, 1)
    entries.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[:start].count("\n") + 1

    done = stale_cli(kb_copy)
    assert done.returncode == 1
    listed = [row for row in done.stdout.splitlines() if "programme-guide:" in row]
    assert len(listed) == 3, done.stdout
    assert all(f"entries/programme.yaml:{line}: programme-guide:" in row for row in listed)
    joined = "\n".join(listed)
    assert "call year 2024 is older than the current call (2026)" in joined
    assert "over a year ago" in joined
    assert "not official, e.g. https://www.example-consultancy.com/erasmus" in joined


def test_stale_is_a_warning_that_does_not_block_loading(kb_copy: Path) -> None:
    """The validator warns about the same items, and the knowledge base still loads."""
    rewrite(kb_copy / "entries" / "programme.yaml", "call_year: 2026", "call_year: 2025")
    result = knowledge.load(kb_copy, today=TODAY)
    assert result.kb is not None and result.errors == []
    stale = [p for p in result.warnings if p.code == "stale"]
    assert len(stale) == 1 and "older than the current call" in stale[0].message


def test_passed_deadlines_count_once_nobody_has_looked_for_the_next_call(kb_copy: Path) -> None:
    """Entries whose deadlines all passed are listed once next_call.checked is over 31 days old."""
    kb = knowledge.load(kb_copy, today=TODAY).kb
    assert kb is not None and kb.next_call is not None
    later = date.fromordinal(kb.next_call.checked.toordinal() + 40)
    items = find_stale(knowledge.load(kb_copy, today=later).kb, later)  # type: ignore[arg-type]
    reasons = [s.reason for s in items]
    assert any("all its deadlines have passed" in r for r in reasons)
    assert any("last looked for on" in r for r in reasons)
    assert stale_cli(kb_copy, later.isoformat()).returncode == 1


def test_newer_deadlines_raise_the_current_call(kb_copy: Path) -> None:
    """Adding one date of the next call makes every entry of the older call stale."""
    rewrite(
        kb_copy / "deadlines.yaml",
        'due: "2026-03-05 12:00"\n    call_year: 2026',
        'due: "2027-03-05 12:00"\n    call_year: 2027',
    )
    kb = knowledge.load(kb_copy, today=TODAY).kb
    assert kb is not None
    reasons = [s.reason for s in find_stale(kb, TODAY)]
    assert any("call year 2026 is older than the current call (2027)" in r for r in reasons)


def test_official_domains_cover_subdomains_only() -> None:
    """A listed domain covers its subdomains, not look-alike hosts."""
    official = OfficialSources({"europa.eu": "EU", "frse.org.pl": "FRSE"})
    assert official.is_official("https://erasmus-plus.ec.europa.eu/programme-guide")
    assert official.is_official("https://www.frse.org.pl/")
    assert not official.is_official("https://europa.eu.example.com/")
    assert not official.is_official("https://notfrse.org.pl/")
    assert last_year("2021-2027") == 2027 and last_year("2026") == 2026


def test_official_yaml_mistakes_name_the_line(tmp_path: Path) -> None:
    """A URL instead of a domain and a domain listed twice are errors with their lines."""
    path = tmp_path / "official.yaml"
    path.write_text(
        "official:\n"
        "  - domain: https://frse.org.pl/\n"
        "    who: FRSE\n"
        "  - domain: europa.eu\n"
        "    who: EU\n"
        "  - domain: europa.eu\n"
        "    who: EU again\n",
        encoding="utf-8",
    )
    problems: list[Problem] = []
    load_official(path, "official.yaml", problems)
    lines = [str(p) for p in problems]
    assert any(s.startswith("official.yaml:2:") and "not a domain name" in s for s in lines)
    assert any(s.startswith("official.yaml:6:") and "first one is on line 4" in s for s in lines)
