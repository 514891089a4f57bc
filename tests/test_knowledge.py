"""The knowledge loader: the real files load, and every staff mistake gets file:line and a hint."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from tests.conftest import KNOWLEDGE, ROOT

GOOD = ROOT / "tests" / "data" / "good"
TOPICS = ROOT.parent / "shared" / "kb-topics.yaml"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(GOOD, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(directory: Path, today: date = date(2026, 11, 24)) -> list[str]:
    return [str(p) for p in knowledge.load(directory, today=today).problems]


def test_real_knowledge_base_loads_without_errors() -> None:
    """The shipped knowledge base has no errors and every entry has both languages."""
    result = knowledge.load(KNOWLEDGE)
    assert result.errors == []
    assert result.kb is not None
    for entry in result.kb.entries.values():
        assert set(entry.answer) == {"en", "pl"}, entry.id
        assert len(entry.questions["en"]) >= 6 and len(entry.questions["pl"]) >= 6, entry.id
        assert entry.sources, entry.id


@pytest.mark.skipif(not TOPICS.exists(), reason="the shared topic list is not checked out")
def test_every_required_topic_has_an_entry() -> None:
    """Every id listed in kb-topics.yaml exists in the knowledge base."""
    data = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    required = {topic for group in data.values() for topic in group}
    kb = knowledge.load(KNOWLEDGE).kb
    assert kb is not None
    assert required - set(kb.entries) == set()


def test_syntax_error_names_the_file_and_line(kb_dir: Path) -> None:
    """A missing quote is reported with the file, the line and a hint, not a traceback."""
    edit(
        kb_dir / "entries" / "sample.yaml",
        'en: "<b>Test answer EN</b> about duration."',
        'en: "<b>Test answer EN</b> about duration.',
    )
    result = knowledge.load(kb_dir)
    assert result.kb is None
    (problem,) = result.errors
    assert problem.file.endswith("entries/sample.yaml")
    assert problem.line in (11, 12)  # the broken line, or the next where YAML noticed
    assert "YAML syntax" in problem.message


def test_tab_indentation_gets_a_hint(kb_dir: Path) -> None:
    """Tabs, a classic editor mistake, are named as such."""
    edit(kb_dir / "entries" / "sample.yaml", "    call_year: 2026\n", "\tcall_year: 2026\n")
    (problem,) = knowledge.load(kb_dir).errors
    assert "tab" in (problem.message + problem.hint).lower()


def test_unknown_field_suggests_the_right_name(kb_dir: Path) -> None:
    """A misspelt field name is reported with the closest known one."""
    edit(
        kb_dir / "entries" / "sample.yaml",
        "    sources: [https://example.org/ka210]",
        "    source: [https://example.org/ka210]",
    )
    text = "\n".join(messages(kb_dir))
    assert "unknown field 'source'" in text
    assert "did you mean 'sources'" in text
    assert "is missing 'sources'" in text


def test_duplicate_id_names_both_places(kb_dir: Path) -> None:
    """Two entries with one id: the error points at the second and names the first."""
    edit(
        kb_dir / "entries" / "sample.yaml",
        "- id: ka210-small-scale-partnerships",
        "- id: mobility-duration-cap",
    )
    text = "\n".join(messages(kb_dir))
    assert "'mobility-duration-cap' is used twice" in text
    assert "sample.yaml:5" in text


def test_dangling_related_id(kb_dir: Path) -> None:
    """A related id that does not exist is an error with a suggestion."""
    edit(
        kb_dir / "entries" / "sample.yaml",
        "related: [ka210-small-scale-partnerships]",
        "related: [ka210-small-scale-partnership]",
    )
    text = "\n".join(messages(kb_dir))
    assert "'ka210-small-scale-partnership', which does not exist" in text
    assert "did you mean 'ka210-small-scale-partnerships'" in text


def test_missing_polish_answer(kb_dir: Path) -> None:
    """An answer without its Polish version is an error naming the language."""
    edit(kb_dir / "entries" / "sample.yaml", '      pl: "Testowa odpowiedź o KA210."\n', "")
    assert any("the answer has no 'pl' version" in m for m in messages(kb_dir))


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("Line one<br>line two", "<br> is not allowed"),
        ("<b>bold</i>", "does not match"),
        ("<b>never closed", "unclosed tag"),
        ("Fish & chips", "bare '&'"),
        ("<a href='https://x.org' target='_blank'>x</a>", "may not have the attribute 'target'"),
    ],
)
def test_answers_must_be_telegram_html(kb_dir: Path, html: str, expected: str) -> None:
    """HTML that Telegram would reject is caught at load time."""
    edit(kb_dir / "entries" / "sample.yaml", "Test answer about KA210.", html)
    assert any(expected in m for m in messages(kb_dir))


def test_answer_too_long_for_one_message(kb_dir: Path) -> None:
    """An answer that cannot fit one Telegram message is an error."""
    edit(kb_dir / "entries" / "sample.yaml", "Test answer about KA210.", "x" * 4000)
    assert any("would not fit one Telegram message" in m for m in messages(kb_dir))


def test_answer_too_long_for_a_phone_is_a_warning(kb_dir: Path) -> None:
    """An answer over 900 visible characters loads, with a warning that says how long it is."""
    edit(kb_dir / "entries" / "sample.yaml", "Test answer about KA210.", "x" * 950)
    result = knowledge.load(kb_dir, today=date(2026, 11, 24))
    assert result.kb is not None
    assert any("is 950 characters, more than 900" in p.message for p in result.warnings)


def test_shipped_answers_fit_a_phone_screen() -> None:
    """No answer in the real knowledge base is over the phone length: no warnings at all."""
    result = knowledge.load(KNOWLEDGE)
    # Out-of-date items depend on the day; tests/test_stale.py checks them on a fixed one.
    assert [str(p) for p in result.warnings if p.code != "stale"] == []


def test_old_verification_date_is_a_warning(kb_dir: Path) -> None:
    """Answers verified over a year ago still load, with a warning."""
    result = knowledge.load(kb_dir, today=date(2028, 1, 1))
    assert result.kb is not None
    assert any("over a year ago" in p.message for p in result.warnings)


def copy_events(kb_dir: Path) -> None:
    """The real events.yaml, without its topics' `entries` (this small base lacks them)."""
    text = (KNOWLEDGE / "events.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\n    entries:(?: \[.*\]|(?:\n      - .*)+)", "", text)
    (kb_dir / "events.yaml").write_text(text, encoding="utf-8")


def test_event_ending_before_it_starts(kb_dir: Path) -> None:
    """An event whose end is before its start is rejected."""
    copy_events(kb_dir)
    edit(kb_dir / "events.yaml", 'end: "2027-01-21 13:00"', 'end: "2027-01-21 09:00"')
    assert any("ends (2027-01-21 09:00) before it starts" in m for m in messages(kb_dir))


def test_past_event_is_a_warning(kb_dir: Path) -> None:
    """A past event loads with a warning telling staff it is no longer shown."""
    copy_events(kb_dir)
    result = knowledge.load(kb_dir, today=date(2027, 6, 1))
    assert result.kb is not None
    assert any("in the past" in p.message for p in result.warnings)


def test_deadline_with_a_bad_date(kb_dir: Path) -> None:
    """A deadline date that is not a date and time is reported with the expected form."""
    edit(kb_dir / "deadlines.yaml", 'due: "2026-03-05 12:00"', 'due: "5 March 2026"')
    assert any('like "2027-01-20 10:00"' in m for m in messages(kb_dir))


OUTSIDE_SAMPLE = """\
topics:
  - id: home-dorm
    title:
      en: A dorm at your own university
      pl: Akademik własnej uczelni
    questions:
      en: [dorm room at my uni, dorm fees, dorm list, dorm in summer, dorm for freshers,
           dorm rules]
      pl: [akademik na uczelni, opłaty za akademik, lista do akademika, akademik w wakacje,
           akademik dla pierwszego roku, regulamin akademika]
    reply:
      en: Your own university decides; ask its student affairs office.
      pl: Decyduje Twoja uczelnia; zapytaj dział spraw studenckich.
    instead: [mobility-duration-cap]
"""


def test_outside_topics_load(kb_dir: Path) -> None:
    """A correct outside.yaml loads next to the entries, with the entries it offers instead."""
    (kb_dir / "outside.yaml").write_text(OUTSIDE_SAMPLE, encoding="utf-8")
    result = knowledge.load(kb_dir, today=date(2026, 11, 24))
    assert result.errors == []
    assert result.kb is not None
    topic = result.kb.outside["home-dorm"]
    assert topic.instead == ("mobility-duration-cap",)
    assert "home-dorm" not in result.kb.entries  # never listed in /topics


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "instead: [mobility-duration-cap]",
            "instead: [mobility-duration-caps]",
            "offers the entry 'mobility-duration-caps', which does not exist",
        ),
        (
            "ask its student affairs office.",
            'see <a href="https://example.org">the dorm page</a>.',
            "holds a link, but a topic here has no sources",
        ),
        ("  - id: home-dorm", "  - id: mobility-duration-cap", "is already used by an entry"),
        ("    reply:\n", "    answer:\n", "unknown field 'answer'"),
    ],
)
def test_outside_topic_mistakes_name_the_line(
    kb_dir: Path, old: str, new: str, expected: str
) -> None:
    """A staff mistake in outside.yaml is an error with the file, the line and what to do,
    and the knowledge base is not loaded (the running bot keeps the previous one)."""
    (kb_dir / "outside.yaml").write_text(OUTSIDE_SAMPLE.replace(old, new, 1), encoding="utf-8")
    result = knowledge.load(kb_dir, today=date(2026, 11, 24))
    assert result.kb is None
    found = [str(p) for p in result.errors if expected in str(p)]
    assert found, [str(p) for p in result.problems]
    assert "outside.yaml:" in found[0]
