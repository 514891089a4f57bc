"""The "which action fits me?" finder: real rules table-driven, file:line errors, and Telegram."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import knowledge
from bot.config import Settings
from bot.finder import Finder, FinderData, TerminalFinder, load_finder
from bot.telegram_html import MAX_MESSAGE_LENGTH, check, visible_length
from tests.conftest import KNOWLEDGE, Running, start_app, stop_app
from tests.fake_bot_api import FakeBotApi

FINDER_FILE = KNOWLEDGE / "finder.yaml"
TODAY = date(2026, 11, 24)
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)


@pytest.fixture(scope="module")
def finder_data(kb: knowledge.KnowledgeBase) -> FinderData:
    """The real finder.yaml, checked against the real entries and deadlines."""
    data, problems = load_finder(
        FINDER_FILE,
        entries=kb.entries,
        deadline_actions={d.action for d in kb.deadlines},
        today=TODAY,
    )
    assert data is not None and problems == [], "\n".join(map(str, problems))
    return data


@pytest.fixture(scope="module")
def finder(finder_data: FinderData, kb: knowledge.KnowledgeBase) -> Finder:
    return Finder(finder_data, kb.deadlines, kb.entries, now=lambda: NOW)


def walk(finder: Finder, answers: dict[str, str]) -> dict[str, str]:
    """Answer the questions the finder asks, in its order, from ``answers``; all must be used."""
    given: dict[str, str] = {}
    while (step := finder.next_step(given)) is not None:
        assert step.id in answers, f"the finder asked '{step.id}', which the case does not answer"
        answered = finder.answer(given, step.id, answers[step.id])
        assert answered is not None, f"'{answers[step.id]}' is not an option of '{step.id}'"
        given = answered
    assert given == answers, f"never asked: {set(answers) - set(given)}"
    return given


def verdicts(finder: Finder, answers: dict[str, str]) -> dict[str, bool]:
    return {v.action.id: v.eligible for v in finder.evaluate(walk(finder, answers))}


def profile(spec: str) -> dict[str, str]:
    """'who=school where=eu goal=send' -> {'who': 'school', ...}."""
    return dict(pair.split("=", 1) for pair in spec.split())


# Each case: the answers, then every action the finder must show with its verdict
# (True = eligible). The comment names the rule and where it is written.
CASES: list[tuple[str, dict[str, bool]]] = [
    # KA131: students go abroad through their own ECHE university
    # (EC "Higher education students and staff"; entry student-mobility-studies).
    ("who=student where=eu goal=abroad", {"ka131-stay": True}),
    # KA131 applicants must be in an EU/associated country; students elsewhere come via KA171
    # (EC "Higher education students and staff": "Location"; entry international-credit-mobility).
    ("who=student where=other goal=abroad", {"ka171": True, "ka131-stay": False}),
    # Individuals cannot take part in HE mobility on their own (EC HE students and staff page).
    ("who=individual where=eu goal=abroad", {"ka131-stay": False}),
    # Staff of an associated-country university: teaching/training stays via the university.
    ("who=uni_staff where=associated goal=abroad", {"ka131-stay": True}),
    # A university applies for KA131 only with an ECHE (EC HE page: "Accreditation").
    (
        "who=uni_staff where=eu goal=send eche=yes experience=no",
        {"ka131": True, "ka122": False},
    ),
    ("who=uni_staff where=eu goal=send eche=no experience=yes", {"ka131": False, "ka122": False}),
    # Applicant organisations outside the EU/associated countries cannot apply for KA131.
    ("who=uni_staff where=other goal=send experience=yes", {"ka131": False, "ka122": False}),
    # Only HEIs or accredited HE consortium coordinators apply for KA131 (EC HE page).
    ("who=company where=eu goal=send experience=no", {"ka131": False}),
    # KA122 open to schools without accreditation; KA121 needs KA120; accreditation needs no
    # experience (accesseurope KA122-VET call; PG Erasmus accreditation; entry ka1-...-projects).
    (
        "who=school where=eu goal=send accredited=no experience=no",
        {"ka122": True, "ka120": True, "ka131": False, "ka121": False},
    ),
    # Accredited organisations cannot apply for short-term projects (accesseurope KA122-VET call).
    (
        "who=school where=eu goal=send accredited=yes experience=yes",
        {"ka121": True, "ka120": True, "ka131": False, "ka122": False},
    ),
    # Associated countries take part fully (PG Part A eligible countries).
    (
        "who=vet where=associated goal=send accredited=no experience=no",
        {"ka122": True, "ka120": True, "ka131": False, "ka121": False},
    ),
    # KA1 in school/VET/adult: applicants from EU/associated countries only (accesseurope; kdmfu).
    (
        "who=adult where=other goal=send accredited=no experience=no",
        {"ka131": False, "ka122": False, "ka121": False, "ka120": False},
    ),
    # Local/regional public authorities apply in adult/school/VET KA1 (IKY adult education page)
    # and run grassroots sport (injuve KA182 page).
    (
        "who=public where=eu goal=send accredited=no experience=no",
        {"ka122": True, "ka120": True, "ka182": True, "ka131": False, "ka121": False},
    ),
    # Teachers go abroad through their school's project, not on their own (PG KA1 school).
    (
        "who=school where=eu goal=abroad accredited=no",
        {"ka122": True, "ka131-stay": False, "ka121": False},
    ),
    # Sport staff mobility: the club applies (PG "Mobility of staff in the field of sport").
    ("who=sport where=eu goal=send experience=no", {"ka182": True, "ka131": False}),
    # KA182 countries: EU Member States and associated countries (Cyprus NA sport page).
    ("who=sport where=other goal=abroad", {"ka131-stay": False, "ka182": False}),
    # Youth organisations: exchanges, youth workers, participation, DiscoverEU Inclusion;
    # KA151 only for accredited ones (PG youth exchanges; PG accredited youth mobility).
    (
        "who=youth where=eu goal=youth accredited=no",
        {"ka152": True, "ka153": True, "ka154": True, "ka155": True, "ka151": False},
    ),
    # Accredited youth organisations are not eligible for standard KA152/KA153 (PG KA151 page).
    (
        "who=youth where=eu goal=youth accredited=yes",
        {"ka154": True, "ka151": True, "ka155": True, "ka152": False, "ka153": False},
    ),
    # Youth applicants outside the EU/associated countries can only be partners (Cyprus NA KA152).
    (
        "who=youth where=other goal=youth accredited=no",
        {"ka152": False, "ka153": False, "ka154": False, "ka151": False, "ka155": False},
    ),
    # Individuals cannot apply for youth grants (EC youth participation page; Cyprus NA KA152).
    ("who=individual where=eu goal=youth", {"ka152": False, "ka154": False}),
    # Public bodies at local/regional/national level take part in youth mobility (Cyprus NA KA152).
    ("who=public where=eu goal=youth", {"ka152": True, "ka153": True}),
    # DiscoverEU: 18-year-old residents of EU/associated countries apply themselves
    # (EC representation in Cyprus, DiscoverEU round 2023).
    ("who=student where=eu goal=travel", {"discovereu": True}),
    ("who=individual where=other goal=travel", {"discovereu": False}),
    # Organisations cannot get DiscoverEU passes; youth groups run KA155 (PG DiscoverEU Inclusion).
    ("who=school where=eu goal=travel", {"discovereu": False}),
    ("who=youth where=associated goal=travel", {"ka155": True, "discovereu": False}),
    # KA210: any organisation from EU/associated countries (Cyprus portal small-scale 2025).
    ("who=school where=eu goal=small experience=no", {"ka210": True}),
    # Only organisations apply for partnerships (FRSE via entry eligible-organisations).
    ("who=student where=eu goal=small", {"ka210": False}),
    # KA220: any public or private organisation; companies included (Cyprus portal KA220 2026).
    ("who=company where=eu goal=partners experience=yes", {"ka210": True, "ka220": True}),
    # Non-associated countries: KA220 partner only, never coordinator; KA210 not at all.
    ("who=youth where=other goal=partners experience=no", {"ka210": False, "ka220": False}),
    # Universities: KA220-HED; no HE KA210 but they can join other fields (entry ka210-...).
    ("who=uni_staff where=eu goal=partners experience=yes", {"ka210": True, "ka220": True}),
    # European Universities are HEI alliances; CoVE and Alliances open to HEIs too
    # (European Universities initiative page; erasmusplus.rs CoVE; Cyprus portal Alliances).
    (
        "who=uni_staff where=eu goal=network eche=yes",
        {"european-universities": True, "cove": True, "alliances": True},
    ),
    # An EU university without an ECHE cannot join Erasmus+ cooperation (EC ECHE wiki).
    (
        "who=uni_staff where=eu goal=network eche=no",
        {"cove": True, "alliances": True, "european-universities": False},
    ),
    # Companies: CoVE (world of work) and Alliances (enterprises), not European Universities.
    (
        "who=company where=eu goal=network",
        {"cove": True, "alliances": True, "european-universities": False},
    ),
    # CoVE and Alliances coordinators must be in EU/associated countries (erasmusplus.rs; ENI).
    ("who=vet where=other goal=network", {"cove": False, "alliances": False}),
    # Students cannot apply for networks (organisations only).
    (
        "who=student where=eu goal=network",
        {"european-universities": False, "cove": False, "alliances": False},
    ),
    # Erasmus Mundus scholarships: students from any country apply to the consortium
    # (erasmusgeneration.org EMJM page; NEO Turkmenistan).
    ("who=student where=other goal=master", {"emjm-scholarship": True}),
    # EMJM funding: only an HEI applies; others join as partners (EC EMJM organisations page).
    ("who=school where=eu goal=master", {"emjm": False}),
    ("who=uni_staff where=other goal=master", {"emjm": True}),
    # Outside Europe: KA171 for HE, capacity building by field (entries international-credit-
    # mobility and capacity-building; NEO Kyrgyzstan CBHE participants).
    ("who=uni_staff where=eu goal=world", {"ka171": True, "cbhe": True}),
    ("who=individual where=eu goal=world", {"ka171": False, "cbhe": False}),
    ("who=vet where=eu goal=world", {"cbvet": True, "ka171": False}),
    ("who=sport where=eu goal=world", {"cbsport": True, "ka171": False}),
]


@pytest.mark.parametrize(("spec", "expected"), CASES, ids=[c[0] for c in CASES])
def test_profiles_get_the_verdicts_of_the_programme_guide(
    finder: Finder, spec: str, expected: dict[str, bool]
) -> None:
    """Each profile is asked exactly its questions and gets exactly these actions and verdicts."""
    assert verdicts(finder, profile(spec)) == expected


def test_every_rule_in_the_data_is_used_by_a_case(finder: Finder) -> None:
    """Every action of finder.yaml appears in at least one table case (no untested rule data)."""
    seen = {action for _, expected in CASES for action in expected}
    assert {a.id for a in finder.data.actions} - seen == set()


def test_not_eligible_verdicts_carry_a_reason_and_a_source(finder: Finder) -> None:
    """A 'no' always says why, in both languages, with the page it comes from."""
    for verdict in finder.evaluate(walk(finder, profile("who=student where=eu goal=small"))):
        assert not verdict.eligible
        assert verdict.reason and set(verdict.reason) == {"en", "pl"}
        assert verdict.source.startswith("https://")


def all_paths(finder: Finder, answers: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    answers = answers or {}
    step = finder.next_step(answers)
    if step is None:
        yield answers
        return
    for option in step.options:
        yield from all_paths(finder, {**answers, step.id: option.id})


def test_every_path_ends_in_a_message_telegram_accepts(finder: Finder) -> None:
    """Every combination of answers gives valid HTML of at most 4096 characters, short buttons."""
    paths = list(all_paths(finder))
    assert len(paths) > 100
    for answers in paths:
        for lang in ("en", "pl"):
            reply = finder.reply(answers, lang)
            assert check(reply.text) == [], answers
            assert visible_length(reply.text) <= MAX_MESSAGE_LENGTH, answers
            for row in reply.buttons:
                for button in row:
                    assert len(button.action.encode()) <= 64


def test_every_step_has_back_and_cancel(finder: Finder) -> None:
    """Each question offers its options as f:<step>:<value> plus Back and Cancel."""
    answers: dict[str, str] = {}
    for step_id, value in (("who", "school"), ("where", "eu"), ("goal", "send")):
        reply = finder.reply(answers, "en")
        actions = [b.action for row in reply.buttons for b in row]
        assert actions[-2:] == ["f:back", "f:cancel"]
        assert f"f:{step_id}:{value}" in actions
        answers = finder.answer(answers, step_id, value) or {}
    assert "Erasmus accreditation" in finder.reply(answers, "en").text


def test_back_removes_the_last_answer_and_stale_buttons_are_refused(finder: Finder) -> None:
    """Back returns to the previous question; a button of another question is rejected."""
    answers = walk(finder, profile("who=student where=eu goal=abroad"))
    assert Finder.back(answers) == {"who": "student", "where": "eu"}
    assert finder.answer({"who": "student"}, "goal", "abroad") is None  # 'where' comes first
    assert finder.answer({}, "who", "astronaut") is None


def test_result_shows_the_next_deadline_from_deadlines_yaml(
    finder_data: FinderData, kb: knowledge.KnowledgeBase
) -> None:
    """With the clock before the KA122 deadline, the result names it and counts the days."""
    early = Finder(
        finder_data,
        kb.deadlines,
        kb.entries,
        now=lambda: datetime(2026, 2, 9, 9, 0, tzinfo=BRUSSELS),
    )
    answers = walk(early, profile("who=school where=eu goal=send accredited=no experience=no"))
    text = early.reply(answers, "en").text
    assert "2026-02-19 12:00" in text and "in 10 days" in text
    later = Finder(finder_data, kb.deadlines, kb.entries, now=lambda: NOW)
    assert "has passed" in later.reply(answers, "en").text


def test_result_links_entries_and_speaks_polish(finder: Finder) -> None:
    """The result links the knowledge-base entries of the actions and is fully in Polish."""
    answers = walk(finder, profile("who=school where=eu goal=small experience=no"))
    reply = finder.reply(answers, "pl")
    assert "✅ Możesz skorzystać" in reply.text and "Partnerstwo na małą skalę" in reply.text
    actions = [b.action for row in reply.buttons for b in row]
    assert "e:ka210-small-scale-partnerships" in actions
    assert actions[-2:] == ["f:back", "f:restart"]


def test_no_matching_action_says_so(finder: Finder) -> None:
    """A combination without a verified action says so instead of guessing."""
    answers = walk(finder, profile("who=adult where=eu goal=youth"))
    assert "no verified action" in finder.reply(answers, "en").text


def test_terminal_finder_walks_to_a_result(finder: Finder) -> None:
    """The terminal chat gets the same questions and verdicts through button actions."""
    term = TerminalFinder(finder)
    assert "Who are you?" in term.start("en").text
    for data in ("f:who:student", "f:where:eu", "f:goal:travel"):
        reply = term.press(data, "en")
    assert reply is not None and "✅ Eligible" in reply.text and "DiscoverEU" in reply.text
    assert term.press("e:deadlines", "en") is None
    assert "Finder closed" in (term.press("f:cancel", "en") or reply).text


# -- validation ----------------------------------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    target = tmp_path / "finder.yaml"
    shutil.copy(FINDER_FILE, target)
    return target


def replace(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def errors(path: Path, **kwargs: object) -> list[tuple[int, str]]:
    data, problems = load_finder(path, "knowledge/finder.yaml", today=TODAY, **kwargs)  # type: ignore[arg-type]
    found = [(p.line, str(p)) for p in problems if p.severity == "error"]
    assert (data is None) == bool(found)
    return found


def test_real_finder_file_is_valid(finder_data: FinderData) -> None:
    """The shipped finder.yaml loads with no error or warning against the real knowledge base."""
    assert len(finder_data.actions) >= 20


def test_misspelt_step_in_a_rule_names_file_line_and_suggestion(broken: Path) -> None:
    """A rule naming a step that does not exist is reported at its line with the closest name."""
    line = replace(
        broken, "      - require: {where: [eu, associated]}", "      - require: {were: [eu]}"
    )
    ((at, message),) = errors(broken)
    assert at == line
    assert message.startswith(f"knowledge/finder.yaml:{line}: error:")
    assert "'were'" in message and "did you mean 'where'" in message


def test_unknown_option_is_reported(broken: Path) -> None:
    """A condition value that is not an option of its step is an error on that line."""
    line = replace(broken, "require: {who: [student, uni_staff]}", "require: {who: [studnet]}")
    ((at, message),) = errors(broken)
    assert at == line and "did you mean 'student'" in message


def test_rule_without_source_is_an_error(broken: Path) -> None:
    """Every rule must say where it comes from."""
    text = broken.read_text(encoding="utf-8")
    first_rule_source = (
        "        source: https://erasmus-plus.ec.europa.eu/opportunities/"
        "opportunities-for-organisations/learning-mobility-of-individuals/"
        "higher-education-students-and-staff\n"
    )
    assert first_rule_source in text
    broken.write_text(text.replace(first_rule_source, "", 1), encoding="utf-8")
    ((at, message),) = errors(broken)
    assert "missing 'source'" in message
    assert (
        text.count("\n", 0, text.index("      - require: {who: [student, uni_staff]}")) + 1 == at
    )


def test_entry_and_deadline_links_are_checked(broken: Path, kb: knowledge.KnowledgeBase) -> None:
    """An action linking a missing entry or an unknown deadline action gets a hint."""
    entry_line = replace(broken, "entry: student-mobility-studies", "entry: student-mobility")
    deadline_line = replace(broken, "deadline_action: KA131", "deadline_action: KA13")
    found = errors(broken, entries=kb.entries, deadline_actions={d.action for d in kb.deadlines})
    assert [at for at, _ in found] == [entry_line, deadline_line]
    assert "did you mean 'student-mobility-studies'" in found[0][1]
    assert "deadlines.yaml has no action 'KA13'" in found[1][1]


def test_yaml_syntax_error_gives_the_line(broken: Path) -> None:
    """A broken quote is reported as a YAML syntax error near its line, not a traceback."""
    line = replace(broken, 'label: {en: "🏫 A school"', 'label: {en: "🏫 A school')
    ((at, message),) = errors(broken)
    assert "YAML syntax" in message and line <= at <= line + 2


def test_duplicate_option_and_future_date(broken: Path) -> None:
    """A repeated option id and a 'verified' date in the future are both reported at once."""
    date_line = replace(broken, "verified: 2026-11-24", "verified: 2027-01-01")
    option_line = 2 + replace(
        broken, "      - id: other\n", "      - id: other\n        label: x\n      - id: other\n"
    )
    found = errors(broken)
    assert [at for at, _ in found] == [date_line, option_line]
    assert "used twice" in found[1][1]


# -- end to end through the real PTB Application ------------------------------------------------


def buttons(params: dict) -> list[dict]:  # type: ignore[type-arg]
    markup = json.loads(params.get("reply_markup") or "{}")
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_finder_end_to_end_through_telegram(bot: Running, settings: Settings) -> None:
    """/finder asks with buttons; the last press shows verdicts, and answers are in SQLite."""
    await bot.send("/finder")
    first = bot.api.sent()[-1].params
    assert "Who are you?" in first["text"]
    datas = [b.get("callback_data", "") for b in buttons(first)]
    assert {"f:who:school", "f:back", "f:cancel"} <= set(datas)
    presses = ("f:who:school", "f:where:eu", "f:goal:send", "f:accredited:no", "f:experience:no")
    for data in presses:
        await bot.press(data)
    text = bot.last_text()
    assert "✅ Eligible" in text and "(KA122)" in text and "❌ Not eligible" in text
    assert len(bot.api.sent("answerCallbackQuery")) == len(presses)
    for call in bot.api.calls:
        for button in buttons(call.params):
            assert len(button.get("callback_data", "").encode()) <= 64
    with sqlite3.connect(settings.db_path) as db:
        (stored,) = db.execute("SELECT answers FROM finder_state WHERE user_id=111").fetchone()
    assert json.loads(stored)["accredited"] == "no"


async def test_finder_answers_survive_a_restart(settings: Settings, api: FakeBotApi) -> None:
    """Half-answered questions continue after the bot restarts (the state lives in SQLite)."""
    first = await start_app(settings, api, watch_knowledge=False)
    try:
        await first.send("/finder")
        await first.press("f:who:student")
    finally:
        await stop_app(first)
    second = await start_app(settings, api, watch_knowledge=False)
    try:
        await second.press("f:where:eu")
        await second.press("f:goal:travel")
        assert "✅ Eligible" in second.last_text() and "DiscoverEU" in second.last_text()
    finally:
        await stop_app(second)
