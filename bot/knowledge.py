"""Load the knowledge base from YAML into frozen, typed objects, reporting every problem at once.

The files are edited by office staff, so each check says where (file:line), what is wrong and
what to do. Loading never raises on bad content: it returns the problems, and the caller decides
(the CLI prints them; the running bot keeps its previous knowledge base).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import telegram_html
from bot.official import load_official
from bot.yamlsource import Document, Path_, Problem, read_yaml

LANGS = ("en", "pl")
BRUSSELS = ZoneInfo("Europe/Brussels")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_YEAR = re.compile(r"^(20\d\d)(?:-(20\d\d))?$")
_URL = re.compile(r"^https?://[^\s<>\"]+$")
_URL_IN_TEXT = re.compile(r"https?://|www\.", re.IGNORECASE)
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Entry:
    """One topic: the ways people ask about it and the answer in each language."""

    id: str
    group: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    sources: tuple[str, ...]
    call_year: str
    verified: date
    related: tuple[str, ...]
    file: str
    line: int
    background: tuple[str, ...] = ()  # pages read for context, never shown (not official)


@dataclass(frozen=True)
class OutsideTopic:
    """Something people ask an Erasmus+ assistant that is not Erasmus+ (a dorm or a scholarship at
    their own university): recognised so it is not answered with the Erasmus+ entry that shares
    its words, and met with a pointer to the right office instead."""

    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    reply: dict[str, str]
    instead: tuple[str, ...]  # Erasmus+ entries to offer in case the person meant those
    file: str
    line: int


@dataclass(frozen=True)
class Group:
    """A menu of entries in /topics; one entries file is one group."""

    id: str
    title: dict[str, str]
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Deadline:
    """One application deadline of one action, round and call year."""

    action: str
    title: dict[str, str]
    round: int | None
    due: datetime
    call_year: int
    managed_by: str
    entry: str | None
    source: str
    verified: date
    note: dict[str, str]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class NextCall:
    """The call staff are waiting for: when someone last looked for it, and where it will be."""

    year: int
    checked: date
    source: str
    file: str
    line: int


@dataclass(frozen=True)
class Event:
    """A workshop, seminar, info session or open day announced to subscribers."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    start: datetime
    end: datetime
    place: dict[str, str]
    online_url: str | None
    registration_url: str | None
    topics: tuple[str, ...]
    audience: dict[str, str]
    example: bool


@dataclass(frozen=True)
class SmallTalk:
    """One kind of chat that is not a question ("hi", "dzięki", "who are you"): the short
    phrases that are it, and the reply, from knowledge/smalltalk.yaml."""

    id: str
    phrases: dict[str, tuple[str, ...]]
    reply: dict[str, str]


@dataclass(frozen=True)
class SmallTalkData:
    """Every small-talk intent and the entries offered as starter buttons with each reply."""

    intents: tuple[SmallTalk, ...] = ()
    starters: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the assistant knows, as loaded from one knowledge directory."""

    directory: Path
    groups: tuple[Group, ...]
    entries: dict[str, Entry]
    synonyms: tuple[tuple[str, ...], ...]
    deadlines: tuple[Deadline, ...]
    events: tuple[Event, ...]
    event_topics: dict[str, dict[str, str]]
    finder: Any = None  # bot.finder.FinderData, checked at load
    action_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outside: dict[str, OutsideTopic] = field(default_factory=dict)
    official: Any = None  # bot.official.OfficialSources, or None without official.yaml
    next_call: NextCall | None = None
    smalltalk: SmallTalkData = field(default_factory=SmallTalkData)
    # events.yaml topics: the short line /subscribe shows under each, and the entries whose
    # answers lead to the topic's next event.
    topic_about: dict[str, dict[str, str]] = field(default_factory=dict)
    topic_entries: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)


@dataclass
class LoadResult:
    """A knowledge base (None when there are errors) and every problem found."""

    kb: KnowledgeBase | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class _Checker:
    """Collects problems for one document, with typed accessors that report instead of raise."""

    def __init__(self, doc: Document, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems

    def error(self, path: Path_, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.doc.file, self.doc.line(path), message, hint))

    def warn(self, path: Path_, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.doc.file, self.doc.line(path), message, hint, "warning"))

    def mapping(self, value: Any, path: Path_, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(path, f"{what} must be a set of 'key: value' lines, not {_kind(value)}")
        return None

    def known_fields(
        self,
        data: dict[str, Any],
        path: Path_,
        allowed: Iterable[str],
        required: Iterable[str],
        what: str,
    ) -> None:
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                close = closest(str(key), allowed)
                hint = (
                    f"did you mean '{close}'?"
                    if close
                    else "allowed: " + ", ".join(sorted(allowed))
                )
                self.error((*path, key), f"{what} has an unknown field '{key}'", hint)
        for key in required:
            if key not in data or data[key] in (None, "", [], {}):
                self.error(path, f"{what} is missing '{key}'", _FIELD_HINTS.get(key, ""))

    def text(self, value: Any, path: Path_, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if value not in (None, ""):
            self.error(path, f"{what} must be text, not {_kind(value)}")
        return None

    def langs(self, value: Any, path: Path_, what: str, required: bool = True) -> dict[str, str]:
        if isinstance(value, str):
            return {lang: value.strip() for lang in LANGS}
        data = self.mapping(value, path, what) if value is not None else None
        result: dict[str, str] = {}
        if data is None:
            if required and value is None:
                self.error(path, f"{what} is missing", "give it an 'en:' and a 'pl:' line")
            return result
        for key, text in data.items():
            if key not in LANGS:
                self.warn(
                    (*path, key),
                    f"{what} has a language '{key}' the bot does not use",
                    "the bot speaks en and pl",
                )
                continue
            checked = self.text(text, (*path, key), f"{what} ({key})")
            if checked:
                result[key] = checked
        for lang in LANGS:
            if required and lang not in result:
                self.error(
                    path, f"{what} has no '{lang}' version", f"add a '{lang}:' line under it"
                )
        return result

    def date_(self, value: Any, path: Path_, what: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(path, f"{what} must be a date like 2026-11-24, not {value!r}")
        return None

    def datetime_(self, value: Any, path: Path_, what: str, tz: ZoneInfo) -> datetime | None:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=tz)
        if isinstance(value, str):
            for fmt in _DATETIME_FORMATS:
                try:
                    return datetime.strptime(value.strip(), fmt).replace(tzinfo=tz)
                except ValueError:
                    continue
        self.error(
            path, f'{what} must be a date and time like "2027-01-20 10:00" (quoted), not {value!r}'
        )
        return None

    def url(self, value: Any, path: Path_, what: str) -> str | None:
        if isinstance(value, str) and _URL.match(value.strip()) and telegram_html.link_ok(value):
            return value.strip()
        self.error(path, f"{what} must be a web address starting with https://, not {value!r}")
        return None


_FIELD_HINTS = {
    "sources": "list the official pages the answer comes from, one '- https://...' per line",
    "verified": "write the date you last checked the answer against its sources: 2026-11-24",
    "call_year": "write the call year the answer holds for (2026), or 2021-2027 if it never "
    "changes within the programme",
    "questions": "add 'en:' and 'pl:' lists of at least 6 ways people ask",
    "answer": "add the answer under 'en: |' and 'pl: |'",
    "id": "give it a short unique id of lowercase letters, digits and dashes",
}


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {
        dict: "a set of fields",
        list: "a list",
        str: "text",
        bool: "yes/no",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option most like ``word`` (for "did you mean ...?" hints), if any is close."""
    from rapidfuzz import process

    best = process.extractOne(word, list(options), score_cutoff=70)
    return best[0] if best else None


ENTRY_FIELDS = (
    "id",
    "title",
    "questions",
    "answer",
    "sources",
    "call_year",
    "verified",
    "related",
    "background",
)
ENTRY_REQUIRED = ("id", "title", "questions", "answer", "sources", "call_year", "verified")
MIN_PHRASINGS = 6
PHONE_LENGTH = 900  # visible characters: above this an answer is a warning (read on a phone)


def load(
    directory: Path | str, today: date | None = None, required_ids: Iterable[str] = ()
) -> LoadResult:
    """Load and check every knowledge file under ``directory``."""
    directory = Path(directory)
    today = today or date.today()
    problems: list[Problem] = []
    if not directory.is_dir():
        problems.append(
            Problem(
                str(directory),
                1,
                "the knowledge directory does not exist",
                "set BOT_KNOWLEDGE_DIR to the folder holding entries/",
            )
        )
        return LoadResult(None, problems)

    groups: list[Group] = []
    entries: dict[str, Entry] = {}
    related_refs: list[tuple[_Checker, Path_, str, str]] = []
    entry_files = sorted((directory / "entries").glob("*.yaml"))
    if not entry_files:
        problems.append(Problem(str(directory / "entries"), 1, "no entries files (*.yaml) found"))
    unreadable = False
    for path in entry_files:
        doc, found = read_yaml(path, _shown(path, directory))
        problems.extend(found)
        unreadable = unreadable or doc is None
        if doc is not None:
            group = _load_entries_file(doc, problems, entries, related_refs, today)
            if group:
                groups.append(group)
    if unreadable:
        # Entries in a file that could not be read are unknown: checking references against
        # them would bury the one real error under many false ones.
        related_refs.clear()
        required_ids = ()
    for checker, path, source_id, target in related_refs:
        if target not in entries:
            close = closest(target, entries)
            hint = f"did you mean '{close}'?" if close else "remove it or add that entry"
            checker.error(
                path, f"entry '{source_id}' is related to '{target}', which does not exist", hint
            )
    group_ids = [g.id for g in groups]
    for gid in {g for g in group_ids if group_ids.count(g) > 1}:
        problems.append(
            Problem(
                str(directory / "entries"),
                1,
                f"two entries files use the group id '{gid}'",
                "give each file its own group id",
            )
        )
    for missing in sorted(set(required_ids) - set(entries)):
        problems.append(
            Problem(
                str(directory / "entries"),
                1,
                f"the required topic '{missing}' has no entry",
                "add an entry with exactly this id",
            )
        )

    synonyms = _load_synonyms(directory / "synonyms.yaml", directory, problems)
    official_path = directory / "official.yaml"
    official = load_official(official_path, _shown(official_path, directory), problems)
    action_names: dict[str, tuple[str, ...]] = {}
    next_call: list[NextCall | None] = []
    deadlines = _load_deadlines(
        directory / "deadlines.yaml",
        directory,
        problems,
        None if unreadable else entries,
        action_names,
        next_call,
    )
    events_data = _load_events(
        directory / "events.yaml", directory, problems, today, None if unreadable else entries
    )
    events, topics = events_data.events, events_data.titles
    finder = _load_finder(directory / "finder.yaml", directory, problems, entries, deadlines)
    outside = _load_outside(
        directory / "outside.yaml", directory, problems, None if unreadable else entries
    )
    smalltalk = _load_smalltalk(
        directory / "smalltalk.yaml", directory, problems, None if unreadable else entries
    )
    if any(p.severity == "error" for p in problems):
        return LoadResult(None, problems)
    kb = KnowledgeBase(
        directory,
        tuple(groups),
        entries,
        synonyms,
        deadlines,
        events,
        topics,
        finder,
        action_names,
        outside,
        official,
        next_call[0] if next_call else None,
        smalltalk,
        events_data.about,
        events_data.entries,
    )
    # Imported here: bot.stale reads the KnowledgeBase defined in this module.
    from bot.stale import find_stale

    problems.extend(item.problem() for item in find_stale(kb, today))
    return LoadResult(kb, problems)


def _shown(path: Path, directory: Path) -> str:
    """The path as staff would type it: relative to the current folder when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_entries_file(
    doc: Document,
    problems: list[Problem],
    entries: dict[str, Entry],
    related_refs: list[tuple[_Checker, Path_, str, str]],
    today: date,
) -> Group | None:
    c = _Checker(doc, problems)
    data = c.mapping(doc.data, (), "an entries file")
    if data is None:
        return None
    c.known_fields(data, (), ("group", "entries"), ("group", "entries"), "the file")
    group_data = c.mapping(data.get("group") or {}, ("group",), "'group'") or {}
    c.known_fields(group_data, ("group",), ("id", "title"), ("id", "title"), "the group")
    group_id = str(group_data.get("id") or Path(doc.file).stem)
    group_title = c.langs(group_data.get("title"), ("group", "title"), "the group title")
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        c.error(("entries",), "'entries' must be a list: start each entry with '- id: ...'")
        return None
    ids: list[str] = []
    for i, raw in enumerate(raw_entries):
        entry = _load_entry(c, raw, ("entries", i), group_id, entries, related_refs, today)
        if entry:
            entries[entry.id] = entry
            ids.append(entry.id)
    return Group(group_id, group_title, tuple(ids))


def _load_entry(
    c: _Checker,
    raw: Any,
    path: Path_,
    group: str,
    entries: dict[str, Entry],
    related_refs: list[tuple[_Checker, Path_, str, str]],
    today: date,
) -> Entry | None:
    data = c.mapping(raw, path, "an entry")
    if data is None:
        return None
    c.known_fields(data, path, ENTRY_FIELDS, ENTRY_REQUIRED, "this entry")
    entry_id = _id(c, data, path, "ka220-cooperation-partnerships")
    if entry_id is None:
        return None
    if entry_id in entries:
        first = entries[entry_id]
        c.error(
            (*path, "id"),
            f"the id '{entry_id}' is used twice",
            f"it is already used at {first.file}:{first.line}; rename one of them",
        )
        return None
    title = c.langs(data.get("title"), (*path, "title"), "the title")
    questions = _questions(c, data, path)
    answer = c.langs(data.get("answer"), (*path, "answer"), "the answer")
    for lang, text in answer.items():
        for message in telegram_html.check(text):
            c.error(
                (*path, "answer", lang),
                f"answer ({lang}): {message}",
                "see knowledge/README.md for the tags Telegram accepts",
            )
        length = telegram_html.visible_length(text)
        if length > telegram_html.MAX_MESSAGE_LENGTH - 600:
            c.error(
                (*path, "answer", lang),
                f"answer ({lang}) is {length} characters; with its sources it would not fit "
                f"one Telegram message ({telegram_html.MAX_MESSAGE_LENGTH})",
                "shorten it or split it into two entries linked by 'related'",
            )
        elif length > PHONE_LENGTH:
            c.warn(
                (*path, "answer", lang),
                f"answer ({lang}) is {length} characters, more than {PHONE_LENGTH}",
                "people read on phones: cut filler or move a detail to a related entry",
            )
    sources_raw = data.get("sources")
    sources: list[str] = []
    if isinstance(sources_raw, list):
        for i, s in enumerate(sources_raw):
            if u := c.url(s, (*path, "sources", i), "a source"):
                sources.append(u)
    elif sources_raw is not None:
        c.error(
            (*path, "sources"),
            "'sources' must be a list of web addresses",
            _FIELD_HINTS["sources"],
        )
    background_raw = data.get("background") or []
    background: list[str] = []
    if isinstance(background_raw, list):
        for i, s in enumerate(background_raw):
            if u := c.url(s, (*path, "background", i), "a background page"):
                background.append(u)
    else:
        c.error(
            (*path, "background"),
            "'background' must be a list of web addresses",
            "pages read for context that are not official: one '- https://...' per line",
        )
    call_year = str(data.get("call_year") or "")
    if call_year and not _YEAR.match(call_year):
        c.error(
            (*path, "call_year"),
            f"call_year '{call_year}' is not a year",
            _FIELD_HINTS["call_year"],
        )
    verified = (
        c.date_(data["verified"], (*path, "verified"), "'verified'")
        if data.get("verified")
        else None
    )
    if verified and verified > today:
        c.error(
            (*path, "verified"),
            f"'verified' is in the future ({verified})",
            "write the day you checked the sources",
        )
    related_raw = data.get("related") or []
    related: list[str] = []
    if isinstance(related_raw, list):
        for i, r in enumerate(related_raw):
            if isinstance(r, str):
                related.append(r)
                related_refs.append((c, (*path, "related", i), entry_id, r))
    else:
        c.error((*path, "related"), "'related' must be a list of entry ids: [id-one, id-two]")
    if not (title and questions and answer and sources and verified and call_year):
        return None
    return Entry(
        entry_id,
        group,
        title,
        questions,
        answer,
        tuple(sources),
        call_year,
        verified,
        tuple(related),
        c.doc.file,
        c.doc.line(path),
        tuple(background),
    )


def _id(c: _Checker, data: dict[str, Any], path: Path_, example: str) -> str | None:
    found = c.text(data.get("id"), (*path, "id"), "the id")
    if found is not None and not _ID.match(found):
        c.error(
            (*path, "id"),
            f"the id '{found}' may hold only lowercase letters, digits and dashes",
            f"for example: {example}",
        )
    return found


def _questions(c: _Checker, data: dict[str, Any], path: Path_) -> dict[str, tuple[str, ...]]:
    """The phrasings of an entry or an outside topic, per language, with their problems."""
    questions: dict[str, tuple[str, ...]] = {}
    qdata = c.mapping(data.get("questions") or {}, (*path, "questions"), "'questions'") or {}
    for lang in LANGS:
        items = qdata.get(lang)
        qpath = (*path, "questions", lang)
        if not isinstance(items, list) or not items:
            c.error(
                (*path, "questions"),
                f"'questions' has no '{lang}' list",
                f"add '{lang}:' with at least {MIN_PHRASINGS} ways people ask, one per line",
            )
            continue
        texts = tuple(
            t
            for i, q in enumerate(items)
            if (t := c.text(q, (*qpath, i), f"question {i + 1} ({lang})"))
        )
        if len(texts) < MIN_PHRASINGS:
            c.warn(
                qpath,
                f"only {len(texts)} '{lang}' phrasings",
                f"write at least {MIN_PHRASINGS}: the matcher learns from them",
            )
        questions[lang] = texts
    return questions


def _optional_doc(
    path: Path, directory: Path, problems: list[Problem]
) -> tuple[_Checker, Any] | None:
    if not path.exists():
        return None
    doc, found = read_yaml(path, _shown(path, directory))
    problems.extend(found)
    if doc is None or doc.data is None:
        return None
    return _Checker(doc, problems), doc.data


def _optional_mapping(
    path: Path, directory: Path, problems: list[Problem]
) -> tuple[_Checker, dict[str, Any]] | None:
    """An optional file whose top level is a mapping: None when it is absent, empty or not one
    (that problem is reported)."""
    loaded = _optional_doc(path, directory, problems)
    if loaded is None:
        return None
    c, data = loaded
    found = c.mapping(data, (), path.name)
    return None if found is None else (c, found)


def _load_synonyms(
    path: Path, directory: Path, problems: list[Problem]
) -> tuple[tuple[str, ...], ...]:
    loaded = _optional_mapping(path, directory, problems)
    if loaded is None:
        return ()
    c, data = loaded
    c.known_fields(data, (), ("synonyms",), ("synonyms",), "synonyms.yaml")
    result: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(data.get("synonyms") or []):
        if not isinstance(row, list) or len(row) < 2:
            c.error(
                ("synonyms", i),
                "each synonyms line is a list of at least two words: "
                "[ka220, cooperation partnership]",
            )
            continue
        words = tuple(str(w) for w in row if str(w).strip())
        for w in words:
            key = w.lower()
            if key in seen and seen[key] != i:
                c.warn(
                    ("synonyms", i),
                    f"'{w}' is in two synonym lines",
                    f"the other is on line {c.doc.line(('synonyms', seen[key]))}; keep it in one",
                )
            seen[key] = i
        result.append(words)
    return tuple(result)


OUTSIDE_FIELDS = ("id", "title", "questions", "reply", "instead")
OUTSIDE_REPLY_LENGTH = 400  # visible characters: it is also appended to a "did you mean" list


def _load_outside(
    path: Path, directory: Path, problems: list[Problem], entries: dict[str, Entry] | None
) -> dict[str, OutsideTopic]:
    """outside.yaml: topics that are not Erasmus+, each with phrasings and a short reply."""
    loaded = _optional_mapping(path, directory, problems)
    if loaded is None:
        return {}
    c, data = loaded
    c.known_fields(data, (), ("topics",), ("topics",), "outside.yaml")
    raw_topics = data.get("topics") or []
    if not isinstance(raw_topics, list):
        c.error(("topics",), "'topics' must be a list: start each topic with '- id: ...'")
        return {}
    found: dict[str, OutsideTopic] = {}
    for i, raw in enumerate(raw_topics):
        topic = _load_outside_topic(c, raw, ("topics", i), found, entries)
        if topic:
            found[topic.id] = topic
    return found


def _load_outside_topic(
    c: _Checker,
    raw: Any,
    path: Path_,
    found: dict[str, OutsideTopic],
    entries: dict[str, Entry] | None,
) -> OutsideTopic | None:
    data = c.mapping(raw, path, "a topic")
    if data is None:
        return None
    c.known_fields(data, path, OUTSIDE_FIELDS, ("id", "title", "questions", "reply"), "this topic")
    topic_id = _id(c, data, path, "home-dorm")
    if topic_id is None:
        return None
    if topic_id in found or (entries is not None and topic_id in entries):
        c.error(
            (*path, "id"),
            f"the id '{topic_id}' is already used by "
            + ("another topic here" if topic_id in found else "an entry"),
            "give this topic its own id",
        )
        return None
    title = c.langs(data.get("title"), (*path, "title"), "the title")
    questions = _questions(c, data, path)
    reply = c.langs(data.get("reply"), (*path, "reply"), "the reply")
    for lang, text in reply.items():
        rpath = (*path, "reply", lang)
        _check_reply(
            c,
            rpath,
            lang,
            text,
            OUTSIDE_REPLY_LENGTH,
            "keep it to a sentence or two: it is also shown under a list of choices",
        )
        if "<a" in text.lower() or _URL_IN_TEXT.search(text):
            c.error(
                rpath,
                f"reply ({lang}) holds a link, but a topic here has no sources",
                "name the office to ask instead; sourced facts belong in an entry",
            )
    instead_raw = data.get("instead") or []
    instead: list[str] = []
    if not isinstance(instead_raw, list):
        c.error((*path, "instead"), "'instead' must be a list of entry ids: [accommodation]")
    else:
        for i, target in enumerate(instead_raw):
            target = str(target)
            if entries is not None and target not in entries:
                close = closest(target, entries)
                c.error(
                    (*path, "instead", i),
                    f"topic '{topic_id}' offers the entry '{target}', which does not exist",
                    f"did you mean '{close}'?" if close else "remove it or add that entry",
                )
                continue
            instead.append(target)
    if not (title and len(questions) == len(LANGS) and len(reply) == len(LANGS)):
        return None
    return OutsideTopic(
        topic_id, title, questions, reply, tuple(instead), c.doc.file, c.doc.line(path)
    )


def _check_reply(c: _Checker, path: Path_, lang: str, text: str, limit: int, shorten: str) -> None:
    """A short reply of outside.yaml or smalltalk.yaml: Telegram HTML, and not too long."""
    for message in telegram_html.check(text):
        c.error(path, f"reply ({lang}): {message}", "see knowledge/README.md")
    length = telegram_html.visible_length(text)
    if length > limit:
        c.warn(path, f"reply ({lang}) is {length} characters, more than {limit}", shorten)


SMALLTALK_REPLY_LENGTH = 400  # visible characters: a chat reply, not an answer
SMALLTALK_PHRASE_WORDS = 6  # a phrase is a whole short message, not a question


def _load_smalltalk(
    path: Path, directory: Path, problems: list[Problem], entries: dict[str, Entry] | None
) -> SmallTalkData:
    """smalltalk.yaml: greetings, thanks and "who are you", each with phrases and a reply."""
    loaded = _optional_mapping(path, directory, problems)
    if loaded is None:
        return SmallTalkData()
    c, data = loaded
    c.known_fields(data, (), ("intents", "starters"), ("intents",), "smalltalk.yaml")
    starters: list[str] = []
    raw_starters = data.get("starters") or []
    if not isinstance(raw_starters, list):
        c.error(("starters",), "'starters' must be a list of entry ids: [student-grant-amount]")
        raw_starters = []
    for i, target in enumerate(raw_starters):
        target = str(target)
        if entries is not None and target not in entries:
            close = closest(target, entries)
            c.error(
                ("starters", i),
                f"the starter '{target}' is not an entry",
                f"did you mean '{close}'?" if close else "use the id of an entry",
            )
            continue
        starters.append(target)
    if len(starters) > 4:
        c.warn(("starters",), f"{len(starters)} starters", "offer 3 or 4: they are buttons")
    raw_intents = data.get("intents") or []
    if not isinstance(raw_intents, list):
        c.error(("intents",), "'intents' must be a list: start each one with '- id: ...'")
        raw_intents = []
    intents: list[SmallTalk] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(raw_intents):
        ipath: Path_ = ("intents", i)
        item = c.mapping(raw, ipath, "an intent")
        if item is None:
            continue
        c.known_fields(item, ipath, ("id", "phrases", "reply"), ("id", "phrases", "reply"), "it")
        intent_id = _id(c, item, ipath, "greeting")
        reply = c.langs(item.get("reply"), (*ipath, "reply"), "the reply")
        for lang, text in reply.items():
            _check_reply(
                c,
                (*ipath, "reply", lang),
                lang,
                text,
                SMALLTALK_REPLY_LENGTH,
                "keep small talk to a line or two",
            )
        phrases: dict[str, tuple[str, ...]] = {}
        pdata = c.mapping(item.get("phrases") or {}, (*ipath, "phrases"), "'phrases'") or {}
        for lang in LANGS:
            items = pdata.get(lang)
            ppath = (*ipath, "phrases", lang)
            if not isinstance(items, list) or not items:
                c.error((*ipath, "phrases"), f"'phrases' has no '{lang}' list", "add a few")
                continue
            texts: list[str] = []
            for j, phrase in enumerate(items):
                text = c.text(phrase, (*ppath, j), f"phrase {j + 1} ({lang})")
                if text is None:
                    continue
                if len(text.split()) > SMALLTALK_PHRASE_WORDS:
                    c.error(
                        (*ppath, j),
                        f"'{text}' is longer than {SMALLTALK_PHRASE_WORDS} words",
                        "small talk is a short message; questions belong in an entry",
                    )
                    continue
                key = text.casefold()
                if key in seen and seen[key] != intent_id:
                    c.error(
                        (*ppath, j),
                        f"'{text}' is also a phrase of '{seen[key]}'",
                        "keep each phrase in one intent",
                    )
                    continue
                seen[key] = intent_id or ""
                texts.append(text)
            phrases[lang] = tuple(texts)
        if intent_id and len(reply) == len(LANGS) and len(phrases) == len(LANGS):
            intents.append(SmallTalk(intent_id, phrases, reply))
    return SmallTalkData(tuple(intents), tuple(starters))


def _load_deadlines(
    path: Path,
    directory: Path,
    problems: list[Problem],
    entries: dict[str, Entry] | None,
    action_names: dict[str, tuple[str, ...]],
    next_call: list[NextCall | None],
) -> tuple[Deadline, ...]:
    loaded = _optional_mapping(path, directory, problems)
    if loaded is None:
        return ()
    c, data = loaded
    result: list[Deadline] = []
    fields = (
        "action",
        "title",
        "round",
        "due",
        "call_year",
        "managed_by",
        "entry",
        "source",
        "verified",
        "note",
    )
    required = ("action", "title", "due", "call_year", "source", "verified")
    for i, raw in enumerate(data.get("deadlines") or []):
        p: Path_ = ("deadlines", i)
        d = c.mapping(raw, p, "a deadline")
        if d is None:
            continue
        c.known_fields(d, p, fields, required, "this deadline")
        action = c.text(d.get("action"), (*p, "action"), "the action")
        title = c.langs(d.get("title"), (*p, "title"), "the title")
        due = c.datetime_(d.get("due"), (*p, "due"), "'due'", BRUSSELS) if d.get("due") else None
        source = c.url(d.get("source"), (*p, "source"), "'source'") if d.get("source") else None
        verified = (
            c.date_(d.get("verified"), (*p, "verified"), "'verified'")
            if d.get("verified")
            else None
        )
        entry = d.get("entry")
        if entry is not None and entries is not None and entry not in entries:
            c.error(
                (*p, "entry"),
                f"deadline links to the entry '{entry}', which does not exist",
                "use an id from entries/*.yaml",
            )
        managed_by = str(d.get("managed_by") or "national-agency")
        if managed_by not in ("national-agency", "eacea"):
            c.error((*p, "managed_by"), "managed_by must be national-agency or eacea")
        year = d.get("call_year")
        if not isinstance(year, int):
            c.error((*p, "call_year"), "call_year must be a year such as 2026")
            continue
        rnd = d.get("round")
        if rnd is not None and not isinstance(rnd, int):
            c.error((*p, "round"), "round must be a number: 1, 2 or 3")
            continue
        note = c.langs(d.get("note"), (*p, "note"), "the note", required=False)
        if action and title and due and source and verified:
            result.append(
                Deadline(
                    action.upper(),
                    title,
                    rnd,
                    due,
                    year,
                    managed_by,
                    entry,
                    source,
                    verified,
                    note,
                    c.doc.file,
                    c.doc.line(p),
                )
            )
    c.known_fields(
        data, (), ("actions", "deadlines", "next_call"), ("deadlines",), "deadlines.yaml"
    )
    if data.get("next_call") is not None:
        next_call.append(_next_call(c, data["next_call"]))
    codes = {d.action for d in result}
    names = c.mapping(data.get("actions") or {}, ("actions",), "'actions'") or {}
    for code, aliases in names.items():
        if str(code).upper() not in codes:
            c.warn(
                ("actions", code),
                f"names are given for '{code}', which has no deadline",
                "check the spelling of the action code",
            )
        if not isinstance(aliases, list):
            c.error(("actions", code), "names of an action are a list: [name one, name two]")
            continue
        action_names[str(code).upper()] = tuple(str(a) for a in aliases if str(a).strip())
    return tuple(sorted(result, key=lambda x: x.due))


def _next_call(c: _Checker, raw: Any) -> NextCall | None:
    """deadlines.yaml's next_call: the call not out yet, when someone looked, where it will be."""
    p: Path_ = ("next_call",)
    data = c.mapping(raw, p, "'next_call'")
    if data is None:
        return None
    c.known_fields(
        data, p, ("year", "checked", "source"), ("year", "checked", "source"), "'next_call'"
    )
    year = data.get("year")
    if not isinstance(year, int):
        c.error((*p, "year"), "next_call year must be a year such as 2027")
        return None
    checked = c.date_(data.get("checked"), (*p, "checked"), "'checked'")
    source = c.url(data.get("source"), (*p, "source"), "'source'")
    if checked is None or source is None:
        return None
    return NextCall(year, checked, source, c.doc.file, c.doc.line(p))


@dataclass(frozen=True)
class _EventsData:
    events: tuple[Event, ...] = ()
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    about: dict[str, dict[str, str]] = field(default_factory=dict)
    entries: dict[str, tuple[str, ...]] = field(default_factory=dict)


TOPIC_FIELDS = ("title", "about", "entries")


def _load_topic(
    c: _Checker,
    key: str,
    value: Any,
    entries: dict[str, Entry] | None,
    data: _EventsData,
) -> None:
    """One events.yaml topic: ``{en, pl}`` (a title only) or ``{title, about, entries}``."""
    path: Path_ = ("topics", key)
    if not (isinstance(value, dict) and "title" in value):
        data.titles[key] = c.langs(value, path, f"topic '{key}'")
        return
    c.known_fields(value, path, TOPIC_FIELDS, ("title",), f"topic '{key}'")
    data.titles[key] = c.langs(value.get("title"), (*path, "title"), f"topic '{key}'")
    data.about[key] = c.langs(value.get("about"), (*path, "about"), "'about'", required=False)
    ids = value.get("entries") or []
    if not isinstance(ids, list):
        c.error((*path, "entries"), "'entries' must be a list: [ka220-cooperation-partnerships]")
        ids = []
    for j, entry_id in enumerate(ids):
        if entries is not None and entry_id not in entries:
            close = closest(str(entry_id), entries)
            c.error(
                (*path, "entries", j),
                f"topic '{key}' lists the entry '{entry_id}', which does not exist",
                f"did you mean '{close}'?" if close else "use an id from knowledge/entries/",
            )
    data.entries[key] = tuple(str(e) for e in ids)


def _load_events(
    path: Path,
    directory: Path,
    problems: list[Problem],
    today: date,
    entries: dict[str, Entry] | None = None,
) -> _EventsData:
    loaded = _optional_mapping(path, directory, problems)
    if loaded is None:
        return _EventsData()
    c, data = loaded
    c.known_fields(data, (), ("timezone", "topics", "events"), ("topics",), "events.yaml")
    tz_name = str(data.get("timezone") or "Europe/Warsaw")
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        c.error(("timezone",), f"unknown time zone '{tz_name}'", "for example: Europe/Warsaw")
        tz = ZoneInfo("Europe/Warsaw")
    result = _EventsData()
    topics = result.titles
    for key, value in (c.mapping(data.get("topics") or {}, ("topics",), "'topics'") or {}).items():
        if not _ID.match(str(key)):
            c.error(
                ("topics", key),
                f"topic id '{key}' may hold only lowercase letters, digits and dashes",
            )
        _load_topic(c, str(key), value, entries, result)
    fields = (
        "id",
        "example",
        "title",
        "description",
        "start",
        "end",
        "place",
        "online_url",
        "registration_url",
        "topics",
        "audience",
    )
    required = ("id", "title", "description", "start", "end", "topics")
    events: list[Event] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data.get("events") or []):
        p: Path_ = ("events", i)
        d = c.mapping(raw, p, "an event")
        if d is None:
            continue
        c.known_fields(d, p, fields, required, "this event")
        event_id = c.text(d.get("id"), (*p, "id"), "the id")
        if event_id in seen:
            c.error(
                (*p, "id"),
                f"the event id '{event_id}' is used twice",
                f"the first is on line {seen[event_id]}; rename one",
            )
        if event_id:
            seen[event_id] = c.doc.line((*p, "id"))
        title = c.langs(d.get("title"), (*p, "title"), "the title")
        description = c.langs(d.get("description"), (*p, "description"), "the description")
        start = (
            c.datetime_(d.get("start"), (*p, "start"), "'start'", tz) if d.get("start") else None
        )
        end = c.datetime_(d.get("end"), (*p, "end"), "'end'", tz) if d.get("end") else None
        if start and end and end <= start:
            c.error(
                (*p, "end"),
                f"the event ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})",
                "check the dates",
            )
        elif end and end.date() < today:
            c.warn(
                (*p, "end"),
                "this event is in the past",
                "it is no longer shown; you may delete it",
            )
        for key in ("online_url", "registration_url"):
            if d.get(key) is not None:
                c.url(d.get(key), (*p, key), f"'{key}'")
        event_topics = d.get("topics") or []
        if not isinstance(event_topics, list):
            c.error((*p, "topics"), "'topics' must be a list: [ka2, vet]")
            event_topics = []
        for j, t in enumerate(event_topics):
            if t not in topics:
                c.error(
                    (*p, "topics", j), f"unknown topic '{t}'", "use one of: " + ", ".join(topics)
                )
        place = c.langs(d.get("place"), (*p, "place"), "the place", required=False)
        audience = c.langs(d.get("audience"), (*p, "audience"), "the audience", required=False)
        if event_id and title and description and start and end:
            events.append(
                Event(
                    event_id,
                    title,
                    description,
                    start,
                    end,
                    place,
                    d.get("online_url"),
                    d.get("registration_url"),
                    tuple(str(t) for t in event_topics),
                    audience,
                    bool(d.get("example", False)),
                )
            )
    return replace(result, events=tuple(sorted(events, key=lambda e: e.start)))


def _load_finder(
    path: Path,
    directory: Path,
    problems: list[Problem],
    entries: dict[str, Entry],
    deadlines: tuple[Deadline, ...],
) -> Any:
    """The checked finder rules (bot.finder.FinderData), or None without a finder.yaml."""
    loaded = _optional_doc(path, directory, problems)
    if loaded is None:
        return None
    # Imported here: bot.finder imports bot.assistant, which imports this module.
    from bot.finder import parse_finder

    checker, _ = loaded
    return parse_finder(checker.doc, problems, entries, {d.action for d in deadlines})
