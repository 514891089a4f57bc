"""The "Which Erasmus+ action fits me?" finder: questions and eligibility rules from finder.yaml.

Pure logic first (read and check the data, walk the questions, judge each action), then thin
adapters for Telegram and the terminal chat. Python holds no Erasmus+ rule: every step, condition,
reason and source comes from ``knowledge/finder.yaml``. The Telegram adapter keeps each person's
answers in an SQLite table of the bot's database, so a half-answered finder survives a restart.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import telegram_html
from bot.assistant import Button, Reply, deadline_text
from bot.knowledge import closest
from bot.texts import holds_for, in_language, t
from bot.yamlsource import Document, Path_, Problem, read_yaml

if TYPE_CHECKING:
    from telegram import Update
    from telegram.ext import ContextTypes

    from bot.knowledge import Deadline, Entry, KnowledgeBase

logger = logging.getLogger(__name__)

FILE_NAME = "finder.yaml"
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
STATE_TTL = timedelta(days=7)  # unfinished answers are deleted after this
_STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ACTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_YEAR = re.compile(r"^(20\d\d)(?:-(20\d\d))?$")


# -- the data ------------------------------------------------------------------------------------

Condition = Mapping[str, frozenset[str]]  # step id -> the answers that satisfy it (all must hold)
Answers = dict[str, str]  # step id -> option id, in the order the steps were answered


@dataclass(frozen=True)
class Option:
    id: str
    label: dict[str, str]


@dataclass(frozen=True)
class Step:
    """One question; asked only when one of ``ask_when`` holds (always when it is empty)."""

    id: str
    question: dict[str, str]
    options: tuple[Option, ...]
    ask_when: tuple[Condition, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Rule:
    """A condition of eligibility: when ``require`` fails, the action is out, for ``reason``."""

    require: Condition
    reason: dict[str, str]
    source: str
    only_if: Condition | None = None


@dataclass(frozen=True)
class Note:
    when: Condition
    text: dict[str, str]


@dataclass(frozen=True)
class Action:
    """One Erasmus+ action the finder can suggest, with its rules and where to read more."""

    id: str
    code: str
    title: dict[str, str]
    summary: dict[str, str]
    relevant_when: tuple[Condition, ...]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    sources: tuple[str, ...]
    call_year: str
    verified: date
    entry: str | None
    deadline_action: str | None


@dataclass(frozen=True)
class FinderData:
    """Everything in finder.yaml, checked and typed."""

    call_year: str
    verified: date
    intro: dict[str, str]
    disclaimer: dict[str, str]
    no_match: dict[str, str]
    steps: tuple[Step, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Verdict:
    """Whether one action fits the answers; ``reason`` says why not, ``source`` says where."""

    action: Action
    eligible: bool
    reason: dict[str, str] | None
    source: str
    notes: tuple[dict[str, str], ...]


def matches(condition: Condition, answers: Mapping[str, str]) -> bool:
    """True when every step named in ``condition`` was answered with one of its values."""
    return all(answers.get(step) in values for step, values in condition.items())


# -- reading and checking finder.yaml ------------------------------------------------------------


def load_finder(
    path: Path,
    shown_as: str | None = None,
    entries: Collection[str] | None = None,
    deadline_actions: Collection[str] | None = None,
    today: date | None = None,
) -> tuple[FinderData | None, list[Problem]]:
    """Read and check one finder file; the data is None when there is any error."""
    doc, problems = read_yaml(path, shown_as or str(path))
    if doc is None:
        return None, problems
    data = parse_finder(doc, problems, entries, deadline_actions, today)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return data, problems


def parse_finder(
    doc: Document,
    problems: list[Problem],
    entries: Collection[str] | None = None,
    deadline_actions: Collection[str] | None = None,
    today: date | None = None,
) -> FinderData | None:
    """Check a parsed finder.yaml, appending every problem (with its line) to ``problems``.

    ``entries`` and ``deadline_actions`` (the ids in entries/*.yaml and the action codes in
    deadlines.yaml) are checked only when given.
    """
    from bot.knowledge import _Checker  # bot.knowledge may import this module while loading

    return _Parser(_Checker(doc, problems), entries, deadline_actions, today or date.today()).run()


class _Parser:
    """Turns the raw finder.yaml into FinderData, reporting problems instead of raising."""

    TOP = ("call_year", "verified", "intro", "disclaimer", "no_match", "steps", "actions")
    STEP = ("id", "question", "options", "ask_when")
    ACTION = (
        "id",
        "code",
        "title",
        "summary",
        "relevant_when",
        "rules",
        "notes",
        "sources",
        "call_year",
        "verified",
        "entry",
        "deadline_action",
    )
    ACTION_REQUIRED = (
        "id",
        "code",
        "title",
        "summary",
        "relevant_when",
        "sources",
        "call_year",
        "verified",
    )

    def __init__(
        self,
        checker: Any,
        entries: Collection[str] | None,
        deadline_actions: Collection[str] | None,
        today: date,
    ) -> None:
        self.c = checker
        self.entries = entries
        self.deadline_actions = (
            {a.upper() for a in deadline_actions} if deadline_actions is not None else None
        )
        self.today = today
        self.steps: dict[str, Step] = {}

    def run(self) -> FinderData | None:
        c = self.c
        data = c.mapping(c.doc.data, (), "finder.yaml")
        if data is None:
            return None
        c.known_fields(
            data, (), self.TOP, ("call_year", "verified", "steps", "actions"), "the file"
        )
        call_year = self.call_year(data.get("call_year"), ("call_year",))
        verified = self.verified(data.get("verified"), ("verified",))
        texts = {key: self.html_langs(data.get(key), (key,), f"'{key}'") for key in self.TOP[2:5]}
        steps = self.read_steps(data.get("steps"))
        actions = self.read_actions(data.get("actions"))
        if not (call_year and verified and steps and actions):
            return None
        return FinderData(
            call_year,
            verified,
            texts["intro"],
            texts["disclaimer"],
            texts["no_match"],
            steps,
            actions,
        )

    # -- pieces ----------------------------------------------------------------------------------

    def call_year(self, value: Any, path: Path_) -> str | None:
        year = str(value or "")
        if not _YEAR.match(year):
            self.c.error(
                path,
                f"call_year '{year}' is not a year",
                "write the call year the rules hold for (2026), or 2021-2027 if they never "
                "change within the programme",
            )
            return None
        return year

    def verified(self, value: Any, path: Path_) -> date | None:
        if value is None:
            self.c.error(path, "'verified' is missing", "write the day you checked: 2026-11-24")
            return None
        checked = self.c.date_(value, path, "'verified'")
        if checked and checked > self.today:
            self.c.error(
                path, f"'verified' is in the future ({checked})", "write the day you checked"
            )
        elif checked and self.today - checked > timedelta(days=365):
            self.c.warn(
                path,
                f"the rules were last checked on {checked}, over a year ago",
                "check the sources again and update 'verified'",
            )
        return checked

    def html_langs(self, value: Any, path: Path_, what: str) -> dict[str, str]:
        texts = self.c.langs(value, path, what) if value is not None else {}
        if value is None:
            self.c.error(path, f"{what} is missing", "give it an 'en:' and a 'pl:' line")
        for lang, text in texts.items():
            for message in telegram_html.check(text):
                self.c.error(
                    (*path, lang),
                    f"{what} ({lang}): {message}",
                    "see knowledge/README.md for the tags Telegram accepts",
                )
        return texts

    def items(self, value: Any, path: Path_, what: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.c.error(path, f"{what} must be a list, one '- ' item per entry")
            return []
        return value

    def read_steps(self, raw: Any) -> tuple[Step, ...]:
        c = self.c
        lines: dict[str, int] = {}
        for i, item in enumerate(self.items(raw, ("steps",), "'steps'")):
            path: Path_ = ("steps", i)
            d = c.mapping(item, path, "a step")
            if d is None:
                continue
            c.known_fields(d, path, self.STEP, ("id", "question", "options"), "this step")
            step_id = c.text(d.get("id"), (*path, "id"), "the step id")
            if step_id is None:
                continue
            if not _STEP_ID.match(step_id):
                c.error(
                    (*path, "id"),
                    f"the step id '{step_id}' may hold only lowercase letters, digits and _",
                    "for example: who, where, goal",
                )
            if step_id in lines:
                c.error(
                    (*path, "id"),
                    f"the step id '{step_id}' is used twice",
                    f"the first is on line {lines[step_id]}; rename one",
                )
                continue
            lines[step_id] = c.doc.line((*path, "id"))
            question = c.langs(d.get("question"), (*path, "question"), "the question")
            options = self.read_options(d.get("options"), (*path, "options"), step_id)
            # ask_when may name only the steps above this one: they are answered by then.
            ask_when = self.conditions(d.get("ask_when"), (*path, "ask_when"), "'ask_when'")
            if question and options:
                self.steps[step_id] = Step(step_id, question, options, ask_when)
        if raw is not None and not self.steps:
            c.error(("steps",), "there are no usable steps", "add at least one question")
        return tuple(self.steps.values())

    def read_options(self, raw: Any, path: Path_, step_id: str) -> tuple[Option, ...]:
        c = self.c
        options: list[Option] = []
        seen: dict[str, int] = {}
        items = self.items(raw, path, "'options'")
        if len(items) < 2:
            c.error(path, "a step needs at least two options", "add '- id: ...' lines")
        for j, item in enumerate(items):
            opath: Path_ = (*path, j)
            d = c.mapping(item, opath, "an option")
            if d is None:
                continue
            c.known_fields(d, opath, ("id", "label"), ("id", "label"), "this option")
            option_id = _answer_id(d.get("id"))
            if not option_id:
                continue
            if not _OPTION_ID.match(option_id):
                c.error(
                    (*opath, "id"),
                    f"the option id '{option_id}' may hold only lowercase letters, digits, -, _",
                )
            data = f"f:{step_id}:{option_id}"
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                c.error(
                    (*opath, "id"),
                    f"the button data '{data}' is over {MAX_CALLBACK_BYTES} bytes",
                    "use a shorter step or option id",
                )
            if option_id in seen:
                c.error(
                    (*opath, "id"),
                    f"the option id '{option_id}' is used twice in step '{step_id}'",
                    f"the first is on line {seen[option_id]}; rename one",
                )
                continue
            seen[option_id] = c.doc.line((*opath, "id"))
            label = c.langs(d.get("label"), (*opath, "label"), "the label")
            for lang, text in label.items():
                if len(text) > MAX_CALLBACK_BYTES:
                    c.warn(
                        (*opath, "label", lang),
                        f"the label ({lang}) is {len(text)} characters; Telegram shows 64",
                        "shorten it; put details into the question",
                    )
            if label:
                options.append(Option(option_id, label))
        return tuple(options)

    def conditions(self, raw: Any, path: Path_, what: str) -> tuple[Condition, ...]:
        return tuple(
            cond
            for i, item in enumerate(self.items(raw, path, what))
            if (cond := self.condition(item, (*path, i), what)) is not None
        )

    def condition(self, raw: Any, path: Path_, what: str) -> Condition | None:
        """A mapping of known step ids to lists of their option ids."""
        c = self.c
        d = c.mapping(raw, path, f"a condition in {what}")
        if d is None:
            return None
        if not d:
            c.error(path, f"a condition in {what} is empty", "write e.g. {who: [school, vet]}")
            return None
        result: dict[str, frozenset[str]] = {}
        for step_id, values in d.items():
            vpath: Path_ = (*path, step_id)
            step = self.steps.get(str(step_id))
            if step is None:
                close = closest(str(step_id), self.steps)
                hint = (
                    f"did you mean '{close}'?"
                    if close
                    else "use a step defined above: " + ", ".join(self.steps)
                )
                c.error(vpath, f"{what} names the step '{step_id}', which is not defined", hint)
                continue
            listed = values if isinstance(values, list) else [values]
            allowed: set[str] = set()
            for k, value in enumerate(listed):
                option_id = _answer_id(value)
                if step.option(option_id) is None:
                    known = [o.id for o in step.options]
                    close = closest(option_id, known)
                    hint = (
                        f"did you mean '{close}'?" if close else "use one of: " + ", ".join(known)
                    )
                    c.error(
                        (*vpath, k),
                        f"step '{step_id}' has no option '{option_id}'",
                        hint,
                    )
                    continue
                allowed.add(option_id)
            if allowed:
                result[step.id] = frozenset(allowed)
        return result or None

    def read_actions(self, raw: Any) -> tuple[Action, ...]:
        c = self.c
        actions: list[Action] = []
        lines: dict[str, int] = {}
        for i, item in enumerate(self.items(raw, ("actions",), "'actions'")):
            path: Path_ = ("actions", i)
            d = c.mapping(item, path, "an action")
            if d is None:
                continue
            c.known_fields(d, path, self.ACTION, self.ACTION_REQUIRED, "this action")
            action_id = c.text(d.get("id"), (*path, "id"), "the action id")
            if action_id is None:
                continue
            if not _ACTION_ID.match(action_id):
                c.error(
                    (*path, "id"),
                    f"the action id '{action_id}' may hold only lowercase letters, digits and -",
                )
            if action_id in lines:
                c.error(
                    (*path, "id"),
                    f"the action id '{action_id}' is used twice",
                    f"the first is on line {lines[action_id]}; rename one",
                )
                continue
            lines[action_id] = c.doc.line((*path, "id"))
            action = self.read_action(d, path, action_id)
            if action is not None:
                actions.append(action)
        if raw is not None and not actions and not any(p.severity == "error" for p in c.problems):
            c.error(("actions",), "there are no actions", "add at least one action")
        return tuple(actions)

    def read_action(self, d: dict[str, Any], path: Path_, action_id: str) -> Action | None:
        c = self.c
        code = c.text(d.get("code"), (*path, "code"), "the code")
        title = c.langs(d.get("title"), (*path, "title"), "the title")
        summary = c.langs(d.get("summary"), (*path, "summary"), "the summary")
        relevant = self.conditions(
            d.get("relevant_when"), (*path, "relevant_when"), "'relevant_when'"
        )
        if d.get("relevant_when") is not None and not relevant:
            c.error(
                (*path, "relevant_when"),
                "'relevant_when' needs at least one condition",
                "e.g. - {goal: [send]}",
            )
        rules = [
            rule
            for j, raw in enumerate(self.items(d.get("rules"), (*path, "rules"), "'rules'"))
            if (rule := self.read_rule(raw, (*path, "rules", j))) is not None
        ]
        notes = [
            note
            for j, raw in enumerate(self.items(d.get("notes"), (*path, "notes"), "'notes'"))
            if (note := self.read_note(raw, (*path, "notes", j))) is not None
        ]
        sources = [
            url
            for j, s in enumerate(self.items(d.get("sources"), (*path, "sources"), "'sources'"))
            if (url := c.url(s, (*path, "sources", j), "a source"))
        ]
        call_year = (
            self.call_year(d.get("call_year"), (*path, "call_year"))
            if d.get("call_year")
            else None
        )
        verified = (
            self.verified(d.get("verified"), (*path, "verified")) if d.get("verified") else None
        )
        entry = c.text(d.get("entry"), (*path, "entry"), "'entry'")
        if entry and self.entries is not None and entry not in self.entries:
            close = closest(entry, self.entries)
            c.error(
                (*path, "entry"),
                f"action '{action_id}' links to the entry '{entry}', which does not exist",
                f"did you mean '{close}'?" if close else "use an id from entries/*.yaml",
            )
        deadline = c.text(
            d.get("deadline_action"), (*path, "deadline_action"), "'deadline_action'"
        )
        if (
            deadline
            and self.deadline_actions is not None
            and deadline.upper() not in self.deadline_actions
        ):
            close = closest(deadline.upper(), self.deadline_actions)
            c.error(
                (*path, "deadline_action"),
                f"deadlines.yaml has no action '{deadline}'",
                f"did you mean '{close}'?" if close else "use an action code from deadlines.yaml",
            )
        if not (code and title and summary and relevant and sources and call_year and verified):
            return None
        return Action(
            action_id,
            code,
            title,
            summary,
            relevant,
            tuple(rules),
            tuple(notes),
            tuple(sources),
            call_year,
            verified,
            entry,
            deadline.upper() if deadline else None,
        )

    def read_rule(self, raw: Any, path: Path_) -> Rule | None:
        c = self.c
        d = c.mapping(raw, path, "a rule")
        if d is None:
            return None
        c.known_fields(
            d,
            path,
            ("only_if", "require", "reason", "source"),
            ("require", "reason", "source"),
            "this rule",
        )
        require = self.condition(d.get("require"), (*path, "require"), "'require'")
        only_if = (
            self.condition(d.get("only_if"), (*path, "only_if"), "'only_if'")
            if d.get("only_if") is not None
            else None
        )
        reason = c.langs(d.get("reason"), (*path, "reason"), "the reason")
        source = c.url(d.get("source"), (*path, "source"), "'source'") if d.get("source") else None
        if require is None or not reason or not source:
            return None
        return Rule(require, reason, source, only_if)

    def read_note(self, raw: Any, path: Path_) -> Note | None:
        c = self.c
        d = c.mapping(raw, path, "a note")
        if d is None:
            return None
        c.known_fields(d, path, ("when", "text"), ("when", "text"), "this note")
        when = self.condition(d.get("when"), (*path, "when"), "'when'")
        text = c.langs(d.get("text"), (*path, "text"), "the note")
        if when is None or not text:
            return None
        return Note(when, text)


def _answer_id(value: Any) -> str:
    # YAML reads an unquoted yes/no as true/false; staff mean the option ids "yes" and "no".
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value).strip()


# -- the finder ----------------------------------------------------------------------------------


class FinderUnavailable(Exception):
    """finder.yaml is missing or has errors; ``problems`` says which."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems if p.severity == "error"))
        self.problems = problems


class Finder:
    """Walks the questions and judges each action against the answers; no Telegram here."""

    def __init__(
        self,
        data: FinderData,
        deadlines: tuple[Deadline, ...] = (),
        entries: Mapping[str, Entry] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.data = data
        self.deadlines = deadlines
        self.entries = entries or {}
        self._now = now or (lambda: datetime.now().astimezone())

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, now: Callable[[], datetime] | None = None) -> Finder:
        """The finder for a loaded knowledge base; raises FinderUnavailable on a broken file."""
        data = kb.finder if isinstance(kb.finder, FinderData) else None
        if data is None:
            path = kb.directory / FILE_NAME
            if not path.exists():
                raise FinderUnavailable([Problem(str(path), 1, "the file does not exist")])
            data, problems = load_finder(
                path,
                entries=kb.entries,
                deadline_actions={d.action for d in kb.deadlines},
            )
            if data is None:
                raise FinderUnavailable(problems)
        return cls(data, kb.deadlines, kb.entries, now)

    # -- the questions ---------------------------------------------------------------------------

    def next_step(self, answers: Mapping[str, str]) -> Step | None:
        """The first unanswered step that applies to the answers so far; None when done."""
        for step in self.data.steps:
            if step.id in answers:
                continue
            if not step.ask_when or any(matches(c, answers) for c in step.ask_when):
                return step
        return None

    def answer(self, answers: Mapping[str, str], step_id: str, value: str) -> Answers | None:
        """The answers with one more; None when that step is not the one being asked (stale)."""
        step = self.next_step(answers)
        if step is None or step.id != step_id or step.option(value) is None:
            return None
        return {**answers, step_id: value}

    @staticmethod
    def back(answers: Mapping[str, str]) -> Answers:
        """The answers without the last one."""
        kept = list(answers.items())[:-1]
        return dict(kept)

    # -- the verdicts ----------------------------------------------------------------------------

    def evaluate(self, answers: Mapping[str, str]) -> list[Verdict]:
        """Every relevant action with its verdict, eligible ones first, in file order."""
        verdicts = []
        for action in self.data.actions:
            if not any(matches(c, answers) for c in action.relevant_when):
                continue
            failed = next(
                (
                    rule
                    for rule in action.rules
                    if (rule.only_if is None or matches(rule.only_if, answers))
                    and not matches(rule.require, answers)
                ),
                None,
            )
            notes = tuple(n.text for n in action.notes if matches(n.when, answers))
            if failed is None:
                verdicts.append(Verdict(action, True, None, action.sources[0], notes))
            else:
                verdicts.append(Verdict(action, False, failed.reason, failed.source, ()))
        return sorted(verdicts, key=lambda v: not v.eligible)

    # -- replies ---------------------------------------------------------------------------------

    def reply(self, answers: Mapping[str, str], lang: str) -> Reply:
        """The next question, or the result once every applicable question is answered."""
        step = self.next_step(answers)
        if step is None:
            return self.result_reply(answers, lang)
        return self.step_reply(step, answers, lang)

    def step_reply(self, step: Step, answers: Mapping[str, str], lang: str) -> Reply:
        number = len(answers) + 1
        question = html.escape(in_language(step.question, lang))
        text = f"<i>{t('finder_question', lang, n=number)}</i>\n<b>{question}</b>"
        if not answers:
            text = f"{in_language(self.data.intro, lang)}\n\n{text}"
        rows: list[tuple[Button, ...]] = [
            (Button(in_language(o.label, lang), f"f:{step.id}:{o.id}"),) for o in step.options
        ]
        rows.append((Button(t("back", lang), "f:back"), Button(t("cancel", lang), "f:cancel")))
        return Reply(text, tuple(rows), "info", lang)

    def result_reply(self, answers: Mapping[str, str], lang: str) -> Reply:
        verdicts = self.evaluate(answers)
        rows: list[tuple[Button, ...]] = []
        linked: list[str] = []
        for verdict in verdicts:
            entry = verdict.action.entry
            if entry and entry in self.entries and entry not in linked and len(linked) < 4:
                linked.append(entry)
                title = in_language(self.entries[entry].title, lang)
                rows.append((Button("➡ " + title, f"e:{entry}"),))
        rows.append(
            (Button(t("back", lang), "f:back"), Button(t("finder_restart", lang), "f:restart"))
        )
        # The fullest text that fits one Telegram message: drop deadline details, then notes.
        for detail in (2, 1, 0):
            text = self._result_text(answers, verdicts, lang, detail)
            if telegram_html.visible_length(text) <= telegram_html.MAX_MESSAGE_LENGTH:
                break
        return Reply(text, tuple(rows), "info", lang)

    def _result_text(
        self, answers: Mapping[str, str], verdicts: list[Verdict], lang: str, detail: int
    ) -> str:
        chosen = []
        for step in self.data.steps:
            option = step.option(answers.get(step.id, ""))
            if option is not None:
                chosen.append(html.escape(in_language(option.label, lang)))
        parts = [f"🧭 <b>{t('finder_your_answers', lang)}:</b> " + " · ".join(chosen)]
        if not verdicts:
            parts.append(in_language(self.data.no_match, lang))
        for verdict in verdicts:
            parts.append(self._verdict_text(verdict, lang, detail))
        parts.append(
            f"<i>{in_language(self.data.disclaimer, lang)}</i>\n<i>"
            + holds_for(self.data.call_year, self.data.verified, lang, "finder_")
            + "</i>"
        )
        return "\n\n".join(parts)

    def _verdict_text(self, verdict: Verdict, lang: str, detail: int) -> str:
        action = verdict.action
        head = (
            f"{t('finder_eligible' if verdict.eligible else 'finder_not_eligible', lang)}: "
            f"<b>{html.escape(in_language(action.title, lang))}</b>"
        )
        link = f'<a href="{html.escape(verdict.source)}">{t("finder_source", lang)}</a> · '
        link += holds_for(action.call_year, action.verified, lang, "finder_")
        if not verdict.eligible:
            reason = html.escape(in_language(verdict.reason or {}, lang))
            return f"{head}\n{reason}\n<i>{link}</i>"
        lines = [head, html.escape(in_language(action.summary, lang))]
        if detail >= 1:
            lines.extend("• " + html.escape(in_language(note, lang)) for note in verdict.notes)
        lines.append(f"<i>{link}</i>")
        if action.deadline_action:
            due = deadline_text(self.deadlines, action.deadline_action, self._now(), lang)
            if due:
                # Level 2: the whole deadline text; below that only its first paragraph.
                lines.append(due if detail >= 2 else due.split("\n\n", 1)[0])
        return "\n".join(lines)


# -- Telegram ------------------------------------------------------------------------------------
# State: one row per user in the table below (created on first use), so that a half-answered
# finder survives a restart. Rows older than STATE_TTL are deleted whenever a row is written.

_STATE_TABLE = """
    CREATE TABLE IF NOT EXISTS finder_state (
        user_id INTEGER PRIMARY KEY,
        answers TEXT NOT NULL,
        updated_at REAL NOT NULL
    )"""


async def _db(context: ContextTypes.DEFAULT_TYPE) -> Any:
    from bot.runtime import runtime

    db = runtime(context).storage.db
    if not context.application.bot_data.get("finder_table"):
        await db.execute(_STATE_TABLE)
        await db.commit()
        context.application.bot_data["finder_table"] = True
    return db


async def _load_state(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> Answers | None:
    db = await _db(context)
    async with db.execute(
        "SELECT answers FROM finder_state WHERE user_id=? AND updated_at>=?",
        (user_id, time.time() - STATE_TTL.total_seconds()),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    try:
        loaded = json.loads(row[0])
    except ValueError:
        return None
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else None


async def _save_state(context: ContextTypes.DEFAULT_TYPE, user_id: int, answers: Answers) -> None:
    from bot.runtime import runtime

    await _db(context)
    now = time.time()
    async with runtime(context).storage.transaction() as db:
        await db.execute(
            "INSERT INTO finder_state (user_id, answers, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET answers=excluded.answers, "
            "updated_at=excluded.updated_at",
            (user_id, json.dumps(answers), now),
        )
        await db.execute(
            "DELETE FROM finder_state WHERE updated_at<?", (now - STATE_TTL.total_seconds(),)
        )


async def _clear_state(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    from bot.runtime import runtime

    await _db(context)
    async with runtime(context).storage.transaction() as db:
        await db.execute("DELETE FROM finder_state WHERE user_id=?", (user_id,))


def _finder(context: ContextTypes.DEFAULT_TYPE) -> Finder | None:
    """The finder for the current knowledge base, rebuilt after a reload; None when broken."""
    from bot.runtime import runtime

    kb = runtime(context).kb
    cached = context.application.bot_data.get("finder")
    if isinstance(cached, tuple) and cached[0] is kb:
        return cached[1] if isinstance(cached[1], Finder) else None
    try:
        finder: Finder | None = Finder.from_kb(kb)
    except FinderUnavailable as exc:
        logger.warning("the finder is unavailable: %s", exc)
        finder = None
    context.application.bot_data["finder"] = (kb, finder)
    return finder


async def finder_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the "which action fits me?" questions from the beginning."""
    from bot.handlers import send, user_lang

    lang = await user_lang(update, context)
    finder = _finder(context)
    if finder is None or update.effective_user is None:
        await send(update, Reply(t("finder_unavailable", lang), lang=lang))
        return
    await _save_state(context, update.effective_user.id, {})
    await send(update, finder.reply({}, lang))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> bool:
    """The finder's buttons ("finder" from /start, and every "f:..."); False when not ours."""
    from bot.handlers import send

    query = update.callback_query
    if query is None or query.data is None:
        return False
    data = query.data
    if data != "finder" and not data.startswith("f:"):
        return False
    user_id = query.from_user.id
    finder = _finder(context)
    if finder is None:
        await query.answer()
        await send(update, Reply(t("finder_unavailable", lang), lang=lang), edit=True)
        return True
    if data == "f:cancel":
        await query.answer()
        await _clear_state(context, user_id)
        await send(update, Reply(t("finder_cancelled", lang), lang=lang), edit=True)
        return True
    if data in ("finder", "f:restart"):
        answers: Answers | None = {}
    elif data == "f:back":
        answers = Finder.back(await _load_state(context, user_id) or {})
    else:
        _, step_id, value = [*data.split(":", 2), "", ""][:3]
        stored = await _load_state(context, user_id)
        answers = finder.answer(stored, step_id, value) if stored is not None else None
    if answers is None:
        await query.answer(t("outdated", lang))
        return True
    await query.answer()
    await _save_state(context, user_id, answers)
    # The /start menu stays as it is; the finder's own message is edited in place.
    await send(update, finder.reply(answers, lang), edit=data != "finder")
    return True


# -- terminal ------------------------------------------------------------------------------------


class TerminalFinder:
    """The finder in the terminal chat: the same replies, the answers kept in memory."""

    def __init__(self, finder: Finder) -> None:
        self.finder = finder
        self.answers: Answers = {}

    def start(self, lang: str) -> Reply:
        self.answers = {}
        return self.finder.reply(self.answers, lang)

    def press(self, action: str, lang: str) -> Reply | None:
        """The reply to a finder button ("finder" or "f:..."); None for any other button."""
        if action in ("finder", "f:restart"):
            return self.start(lang)
        if not action.startswith("f:"):
            return None
        if action == "f:cancel":
            self.answers = {}
            return Reply(t("finder_cancelled", lang), lang=lang)
        if action == "f:back":
            self.answers = Finder.back(self.answers)
        else:
            _, step_id, value = [*action.split(":", 2), "", ""][:3]
            answered = self.finder.answer(self.answers, step_id, value)
            if answered is None:
                return Reply(t("outdated", lang), lang=lang)
            self.answers = answered
        return self.finder.reply(self.answers, lang)
