"""What the assistant says: one question in, one reply out. No Telegram here.

The terminal chat, `python -m bot ask` and the Telegram handlers all call these functions, so they
give exactly the same answers. A reply carries HTML text and buttons whose ``action`` strings are
short enough to be Telegram callback data (at most 64 bytes).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Literal

from rapidfuzz import fuzz

from bot import language
from bot.knowledge import Deadline, Entry, Event, KnowledgeBase, OutsideTopic, SmallTalk
from bot.matching import OUTSIDE, Match, Matcher, Ranking, asker, fold
from bot.semantic import Embedder
from bot.telegram_html import MAX_MESSAGE_LENGTH, escape, visible_length
from bot.texts import holds_for, in_language, t

MAX_QUESTION = 1000
# What a reply to a message is: "answer" (confident), "guess" (the best entry's short answer,
# opened with what it answers and followed by "Not this?" buttons), "choice" (buttons only: the
# question is vague or the first two are tied), "decline" (not covered: what is, where to ask,
# a person), "smalltalk" (hello, thanks, help). "info" is for browsing replies (topics, groups).
ReplyKind = Literal["answer", "guess", "choice", "decline", "smalltalk", "info"]
SHOWN_KINDS = ("answer", "guess")  # replies that show an entry's answer in the first message
# A question the matcher is not sure of is guessed when its best entry scores at least
# GUESS_FLOOR, or ERASMUS_FLOOR when the question itself names Erasmus+ or going abroad (then a
# weaker match is still about the programme); below that it is declined. A vague question
# ("who can take part?") stays a choice unless it names Erasmus+ and its best entry scores
# VAGUE_FLOOR ("who is eligible for an Erasmus grant?"), and a runner-up more than GUESS_LEAD
# times the best (ahead of it on score, behind only for who asks) makes it a choice. Chosen on
# the dev and extra sets and tests/data/off-topic.yaml (docs in README "Accuracy").
GUESS_FLOOR = 45.0
ERASMUS_FLOOR = 28.0
VAGUE_FLOOR = 40.0
GUESS_LEAD = 1.1
# The short answer shows paragraphs (and then bullet lines) of the answer while it stays under
# SHORT_BUDGET visible characters; the rest is one "More" press away.
SHORT_BUDGET = 480
SHOWN_SOURCES = 2
SMALLTALK_FUZZ = 80  # rapidfuzz ratio above which a short message is taken for a phrase (typos)

_DEADLINE_WORDS = frozenset(
    [
        "deadline",
        "deadlines",
        "due",
        "termin",
        "terminy",
        "terminu",
        "terminie",
        "until",
        "date",
        "dates",
        "closing",
        "frist",
        "fristen",
        "antragsfrist",
        "antragsfristen",
        "uzaverka",
        "scadenza",
    ]
)
# "When" alone does not make a deadline question ("Kiedy akredytacja jest wymagana?" asks when
# accreditation is needed); "when" with applying ("kiedy składać wniosek KA210") does.
_WHEN_WORDS = frozenset(["when", "kiedy", "wann", "kdy", "quando", "cuando"])
_APPLYING_STEMS = (
    "apply",
    "applic",
    "submit",
    "submission",
    "open",
    "close",
    "wniosek",
    "wnioski",
    "wnioskow",
    "sklada",
    "skladan",
    "zloz",
    "zglos",
    "zglasz",
    "aplik",
    "nabor",
    "konkurs",
    "otwier",
    "zamyk",
    "ubiega",
    "antrag",
    "beantrag",
    "bewerb",
    "einreich",
    "podat",
    "prihlas",
    "domand",
    "candid",
    "solicit",
    "presentar",
)
# Folded word beginnings that put a question in an Erasmus+ context: going abroad, a host or
# partner university, an exchange.
_ERASMUS_STEMS = (
    "erasmus",
    "abroad",
    "partner",
    "host",
    "exchange",
    "mobility",
    "wymian",
    "zagranic",
    "granic",
    "przyjmuj",
    "wyjazd",
    "wyjezdz",
    "wyjech",
    "mobilno",
    "ausland",
    "estero",
    "extranjer",
)
# Folded word beginnings of the programme's own vocabulary (grants, applications, projects,
# agreements): a weaker match for a question using them is still about Erasmus+, so it is
# guessed from ERASMUS_FLOOR. Not used for outside.yaml: "stypendium rektora" is a home matter.
_PROGRAMME_STEMS = (
    *_ERASMUS_STEMS,
    "grant",
    "dofinans",
    "fund",
    "wniosek",
    "wnioski",
    "wniosku",
    "wnioskow",
    "projekt",
    "project",
    "koordynator",
    "coordinator",
    "ola",
    "learning agreement",
    "traineeship",
    "praktyk",
    "placement",
    "rozliczeni",
    "konkurs",
    "nabor",
    "ka1",
    "ka2",
    "ka3",
    "eche",
    "ols",
    "oid",
    "zuschuss",
)
# Whole phrases (folded): a bare "pracownik" also appears in questions about staff mobility.
_HUMAN_WORDS = (
    "talk to a human",
    "speak to a human",
    "talk to a person",
    "speak to a person",
    "real person",
    "human being",
    "speak to someone",
    "talk to someone",
    "contact a person",
    "z czlowiekiem",
    "z pracownikiem",
    "z konsultantem",
    "z kims z biura",
    "rozmawiac z kims",
    "porozmawiac z kims",
    "kontakt z czlowiekiem",
    "kontakt z pracownikiem",
)


@dataclass(frozen=True)
class Button:
    label: str
    # "e:<entry id>", "more:<entry id>", "src:<entry id>", "g:<group id>", "fb:+:<entry id>",
    # "rem:<event id>", "ics:<event id>", "contact", "topics", or an https URL
    action: str


@dataclass(frozen=True)
class Reply:
    """What to send back: HTML text, rows of buttons, and what was decided (for storage)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: ReplyKind = "info"
    lang: str = "en"
    entry_id: str | None = None
    ranking: Ranking | None = None
    alternatives: tuple[Match, ...] = field(default=())
    event_id: str | None = None  # the upcoming event the reply ends with, if any


class Assistant:
    """Answers questions from one knowledge base; rebuilt whenever the knowledge base reloads."""

    def __init__(
        self,
        kb: KnowledgeBase,
        now: Callable[[], datetime] | None = None,
        embedder: Embedder | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.kb = kb
        self.tz = tz  # the bot's time zone (BOT_TIMEZONE) for event times; None: the event's
        self.embedder = embedder
        self.matcher = Matcher(kb, embedder)
        # The same index with outside.yaml's topics among the entries: only to notice a
        # question about something else (the entries-only ranking stays what is offered).
        self.scope = Matcher(kb, embedder, outside=True) if kb.outside else None
        self._now = now or (lambda: datetime.now().astimezone())
        self._action_aliases = self._build_action_aliases()

    def _build_action_aliases(self) -> list[tuple[frozenset[str], str]]:
        """(words that name an action, action code): the code itself and staff-given names."""
        aliases: list[tuple[frozenset[str], str]] = []
        for code in dict.fromkeys(d.action for d in self.kb.deadlines):
            aliases.append((frozenset({fold(code).replace(" ", "")}), code))
            for name in self.kb.action_names.get(code, ()):
                words = frozenset(self.matcher.normalise.tokens(name))
                if words:
                    aliases.append((words, code))
        return aliases

    # -- questions -------------------------------------------------------------------------------

    def reply_language(
        self, text: str, preferred: str | None, pinned: bool = False
    ) -> tuple[str, str | None]:
        """(language to answer in, detected language when it is one we do not speak).

        A language the user chose with /language (``pinned``) wins over detection.
        """
        if pinned and preferred in language.SUPPORTED:
            return preferred, None
        detected = language.detect(text)
        if detected in language.SUPPORTED:
            return detected, None
        if detected is None:
            return preferred or "en", None
        return "en", detected

    def answer(self, text: str, preferred_lang: str | None = None, pinned: bool = False) -> Reply:
        """The reply to one free-text message."""
        question = " ".join(text.split())
        lang, foreign = self.reply_language(question, preferred_lang, pinned)
        if not question or not any(ch.isalnum() for ch in question):
            return self.smalltalk_reply(None, lang, t("empty", lang))
        notes: list[str] = []
        if len(question) > MAX_QUESTION:
            question = question[:MAX_QUESTION]
            notes.append(t("too_long", lang, limit=MAX_QUESTION))
        intent, rest = self.smalltalk(question)
        if intent is not None and not rest:
            said = self._phrase_language(intent, question)
            return self.smalltalk_reply(intent, lang if pinned or said is None else said)
        if rest:
            question = rest  # "hi, how much is the grant?" is the question after the greeting
            lang, foreign = self.reply_language(question, preferred_lang, pinned)
        if foreign:
            notes.append(t("other_language", "en"))
        if self.wants_human(question):
            return Reply(
                self._with_notes(notes, t("handoff", lang)),
                ((Button(t("person_button", lang), "contact"),),),
                "smalltalk",
                lang,
            )
        deadline_reply = self.deadline_answer(question, lang)
        if deadline_reply is not None:
            return self._prefixed(deadline_reply, notes)
        ranking = self.matcher.rank(question)
        if self._asks_for_deadlines(question, ranking):
            ranking = replace(ranking, outcome="answer", vague=False)
        topic, doubt = self._outside(question, ranking)
        if topic is not None and not doubt:
            return self._outside_reply(topic, lang, notes, ranking)
        if doubt:
            ranking = replace(ranking, outcome="suggest")
        settled = self._settle(question, ranking)
        if settled == "answer" and ranking.best is not None:
            reply = self.entry_reply(ranking.best.entry_id, lang)
            return Reply(
                self._with_notes(notes, reply.text),
                reply.buttons,
                "answer",
                lang,
                reply.entry_id,
                ranking,
                ranking.matches[1:],
                reply.event_id,
            )
        if topic is not None and settled == "none":
            return self._outside_reply(topic, lang, notes, ranking)  # weak, and maybe that
        if topic is not None and settled == "guess":
            settled = "suggest"  # an Erasmus+ reading or the outside one: the person picks
        if settled == "guess":
            return self._guess(ranking, lang, notes)
        if settled == "suggest":
            rows = tuple(
                (Button(self._title(m.entry_id, lang), f"e:{m.entry_id}"),)
                for m in ranking.matches
            )
            rows += ((Button(t("person_button", lang), "contact"),),)
            text = t("which_one" if ranking.vague else "did_you_mean", lang)
            if topic is not None:
                text += "\n\n" + t("or_outside", lang, reply=in_language(topic.reply, lang))
            return Reply(
                self._with_notes(notes, text),
                rows,
                "choice",
                lang,
                None,
                ranking,
                ranking.matches,
            )
        rows = ((Button("📚 /topics", "topics"), Button(t("person_button", lang), "contact")),)
        return Reply(
            self._with_notes(notes, t("decline", lang)),
            rows,
            "decline",
            lang,
            None,
            ranking,
            ranking.matches,
        )

    def _settle(self, question: str, ranking: Ranking) -> str:
        """The matcher's outcome ("answer", "suggest" or "none"), or "guess" for a "suggest" whose
        best entry is worth showing; a weak "suggest" becomes "none" (declined)."""
        best = ranking.best
        if best is None or ranking.outcome == "none":
            return ranking.outcome
        erasmus = self.names_programme(question)
        if ranking.outcome == "answer":
            # Clearly ahead, but of what? Without a word of the programme a score under
            # GUESS_FLOOR is a near miss ("what time does the supermarket close").
            return "answer" if erasmus or best.score >= GUESS_FLOOR else "none"
        if best.score < (ERASMUS_FLOOR if erasmus else GUESS_FLOOR):
            return "none"
        runner_up = ranking.matches[1].score if len(ranking.matches) > 1 else 0.0
        vague = ranking.vague and not (erasmus and best.score >= VAGUE_FLOOR)
        return "suggest" if vague or runner_up > GUESS_LEAD * best.score else "guess"

    def _guess(self, ranking: Ranking, lang: str, notes: list[str]) -> Reply:
        """The best entry's short answer, opened with what it answers, and "Not this?" buttons
        for the next entries and for a person."""
        assert ranking.best is not None
        entry = self.kb.entries[ranking.best.entry_id]
        intro = t("guess_intro", lang, title=escape(in_language(entry.title, lang)))
        text = f"<i>{intro}</i>\n\n{render_short(entry, lang)}"
        others = [m for m in ranking.matches[1:3] if m.entry_id in self.kb.entries]
        rows: list[tuple[Button, ...]] = [self._fold_row(entry, lang)]
        rows += [
            (Button("↪ " + self._title(m.entry_id, lang), f"e:{m.entry_id}"),) for m in others
        ]
        rows.append((Button(t("person_button", lang), "contact"),))
        event = self.next_event(entry.id)
        if event is not None:
            text += "\n" + self.event_line(event, lang)
            rows.insert(1, self.event_row(event, lang))
        text = f"{text}\n\n{t('not_this', lang)}"
        return Reply(
            self._with_notes(notes, text),
            tuple(rows),
            "guess",
            lang,
            entry.id,
            ranking,
            ranking.matches[1:],
            event.id if event else None,
        )

    # -- small talk ------------------------------------------------------------------------------

    def smalltalk(self, question: str) -> tuple[SmallTalk | None, str]:
        """(the small-talk intent the message is or starts with, the question after it).

        "thanks!" is all small talk (rest empty); "hi, how much is the grant?" is a greeting
        before a question (rest: the question); a question is (None, "")."""
        words = fold(question).split()
        if not words or not self.kb.smalltalk.intents:
            return None, ""
        whole = " ".join(words)
        best: tuple[int, SmallTalk] | None = None
        for intent in self.kb.smalltalk.intents:
            for phrase in self._phrases(intent):
                if whole == phrase:
                    return intent, ""
                size = len(phrase.split())
                starts = words[:size] == phrase.split() and len(words) > size
                if starts and (best is None or size > best[0]):
                    best = (size, intent)
        if len(words) <= 4 and len(whole) >= 4:
            scored = [
                (fuzz.ratio(whole, phrase), intent)
                for intent in self.kb.smalltalk.intents
                for phrase in self._phrases(intent)
                if len(phrase) >= 4
            ]
            score, intent = max(scored, key=lambda item: item[0], default=(0.0, None))
            if intent is not None and score >= SMALLTALK_FUZZ:
                return intent, ""
        if best is None or best[1].id not in ("greeting", "thanks"):
            return None, ""
        # Cut as many words off the original text as the phrase has (punctuation stays with
        # its word: "Hi," is one word), so the question keeps its diacritics.
        rest = " ".join(question.split()[best[0] :]).lstrip(",.!:;-— ")
        return (best[1], rest) if any(ch.isalnum() for ch in rest) else (best[1], "")

    @staticmethod
    def _phrases(intent: SmallTalk) -> list[str]:
        return [fold(p) for texts in intent.phrases.values() for p in texts]

    @staticmethod
    def _phrase_language(intent: SmallTalk, message: str) -> str | None:
        """The language whose phrases of ``intent`` the message is closest to ("thanks" is
        English even in a Polish conversation); None when it is a phrase of both ("menu")."""
        said = fold(message)
        best = {
            lang: max((fuzz.ratio(said, fold(p)) for p in texts), default=0.0)
            for lang, texts in intent.phrases.items()
        }
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]

    def smalltalk_reply(self, intent: SmallTalk | None, lang: str, text: str = "") -> Reply:
        """A friendly line and the starter buttons: what the assistant can do."""
        body = text or in_language(intent.reply, lang) if intent else text
        starters = [e for e in self.kb.smalltalk.starters if e in self.kb.entries]
        rows = [
            tuple(Button(self._title(e, lang), f"e:{e}") for e in starters[i : i + 2])
            for i in range(0, len(starters), 2)
        ]
        rows.append((Button("📚 /topics", "topics"), Button(t("person_button", lang), "contact")))
        return Reply(body, tuple(rows), "smalltalk", lang)

    def _outside(self, question: str, ranking: Ranking) -> tuple[OutsideTopic | None, bool]:
        """The outside.yaml topic a question may be about, and whether that is only a doubt.

        The question is ranked again with those topics among the entries. One of them first
        and clear: the question is about it (a dorm at the person's own university), whatever
        Erasmus+ entry shares its words. One of them among the first three: an Erasmus+ answer
        is no longer clear enough to give outright (a doubt), and the choice offered instead
        mentions the topic; a question that was a choice anyway mentions it only when it ranks
        first ("US student visa" is no dorm question).
        """
        if self.scope is None or self.says_erasmus(question):
            return None, False
        wider = self.scope.rank(question)
        found = next((m for m in wider.matches if m.entry_id.startswith(OUTSIDE)), None)
        if found is None:
            return None, False
        topic = self.kb.outside[found.entry_id.removeprefix(OUTSIDE)]
        if wider.outcome == "answer" and wider.best == found:
            return topic, False
        if ranking.outcome == "answer":
            clear = wider.outcome == "answer" and wider.best != found
            return (None, False) if clear else (topic, True)
        # Already a choice: mention the topic only when it is the likeliest reading.
        mention = ranking.outcome == "suggest" and wider.best == found
        return (topic, True) if mention else (None, False)

    def _outside_reply(
        self, topic: OutsideTopic, lang: str, notes: list[str], ranking: Ranking
    ) -> Reply:
        rows = [(Button("➡ " + self._title(e, lang), f"e:{e}"),) for e in topic.instead]
        rows.append((Button("📚 /topics", "topics"), Button(t("person_button", lang), "contact")))
        return Reply(
            self._with_notes(notes, t("outside", lang, reply=in_language(topic.reply, lang))),
            tuple(rows),
            "decline",
            lang,
            None,
            ranking,
            ranking.matches,
        )

    @staticmethod
    def says_erasmus(question: str) -> bool:
        """The question names Erasmus+ or going abroad ("na wymianie", "the partner uni"), so it
        is not about the home-university things of outside.yaml, whatever words it shares."""
        return any(w.startswith(_ERASMUS_STEMS) for w in fold(question).split())

    @staticmethod
    def names_programme(question: str) -> bool:
        """The question uses Erasmus+ words ("grant", "wniosek", "OLA", "KA220")."""
        folded = fold(question)
        words = folded.split()
        return any(w.startswith(_PROGRAMME_STEMS) for w in words) or "learning agreement" in (
            folded
        )

    @staticmethod
    def _asks_for_deadlines(question: str, ranking: Ranking) -> bool:
        """A general deadline question ("Jakie są terminy składania wniosków?") names no action,
        so it gets no date from the data, and its words are common, so the matcher offers a
        choice; but it says "deadline" and the deadlines entry (the calls' dates, for
        organisations) ranks first: that entry is the answer. Not when a person asks for
        themselves ("deadlines I need to respect?"): a student's dates are the university's."""
        best = ranking.best
        if ranking.outcome != "suggest" or best is None or best.entry_id != "deadlines":
            return False
        return bool(set(fold(question).split()) & _DEADLINE_WORDS) and asker(question) <= 0

    @staticmethod
    def wants_human(question: str) -> bool:
        folded = f" {fold(question)} "
        return any(f" {phrase} " in folded for phrase in _HUMAN_WORDS)

    @staticmethod
    def _with_notes(notes: list[str], text: str) -> str:
        return "\n\n".join([*notes, text]) if notes else text

    def _prefixed(self, reply: Reply, notes: list[str]) -> Reply:
        if not notes:
            return reply
        return Reply(
            self._with_notes(notes, reply.text),
            reply.buttons,
            reply.kind,
            reply.lang,
            reply.entry_id,
            reply.ranking,
            reply.alternatives,
            reply.event_id,
        )

    # -- entries ---------------------------------------------------------------------------------

    def _title(self, entry_id: str, lang: str) -> str:
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return entry_id
        return in_language(entry.title, lang)

    def entry_reply(self, entry_id: str, lang: str, full: bool = False) -> Reply:
        """An entry's short answer (or, ``full``, all of it) with feedback buttons; the short one
        has "More" and "Sources" buttons, the full one the related entries."""
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return Reply(t("outdated", lang), kind="info", lang=lang)
        rows: list[tuple[Button, ...]] = [
            (
                Button(t("helpful", lang), f"fb:+:{entry.id}"),
                Button(t("not_helpful", lang), f"fb:-:{entry.id}"),
            ),
        ]
        event = self.next_event(entry.id)
        line = "\n" + self.event_line(event, lang) if event else ""
        if event is not None:
            rows.append(self.event_row(event, lang))
        event_id = event.id if event else None
        if not full:
            rows.append(self._fold_row(entry, lang))
            text = render_short(entry, lang) + line
            return Reply(text, tuple(rows), "answer", lang, entry.id, event_id=event_id)
        related = [r for r in entry.related if r in self.kb.entries][:4]
        for i in range(0, len(related), 2):
            rows.append(
                tuple(Button("➡ " + self._title(r, lang), f"e:{r}") for r in related[i : i + 2])
            )
        text = render_entry(entry, lang) + line
        return Reply(text, tuple(rows), "answer", lang, entry.id, event_id=event_id)

    # -- events ----------------------------------------------------------------------------------

    def entry_topics(self, entry_id: str) -> tuple[str, ...]:
        """The events.yaml topics whose answers include this entry."""
        return tuple(k for k, ids in self.kb.topic_entries.items() if entry_id in ids)

    def next_event(self, entry_id: str) -> Event | None:
        """The first event still to start on one of the entry's topics (examples never lead
        an answer: they are not real dates)."""
        topics = set(self.entry_topics(entry_id))
        if not topics:
            return None
        now = self._now()
        return next(
            (
                e
                for e in self.kb.events  # sorted by start
                if e.start > now and not e.example and topics & set(e.topics)
            ),
            None,
        )

    def event(self, event_id: str) -> Event | None:
        """An event that has not ended (a button for a removed or past one finds none)."""
        now = self._now()
        return next((e for e in self.kb.events if e.id == event_id and e.end > now), None)

    def event_line(self, event: Event, lang: str) -> str:
        """One line under an answer: the event's title, date and time in the bot's time zone,
        and its place (or its online link)."""
        start = event.start.astimezone(self.tz) if self.tz else event.start
        title = in_language(event.title, lang)
        title = title if len(title) <= 70 else title[:69] + "…"
        place = event.place.get(lang) or event.place.get("en")
        url = event.online_url or event.registration_url
        if place:
            where = escape(place if len(place) <= 60 else place[:59] + "…")
        elif url:
            where = f'<a href="{html.escape(url)}">{t("ev_online_short", lang)}</a>'
        else:
            where = ""
        text = t(
            "ev_next_line",
            lang,
            title=escape(title),
            when=f"{start:%Y-%m-%d %H:%M} {start.tzname()}",
            where=where,
        )
        return text.rstrip(", ")

    @staticmethod
    def event_row(event: Event, lang: str) -> tuple[Button, ...]:
        return (
            Button(t("ev_remind_button", lang), f"rem:{event.id}"),
            Button(t("ev_calendar", lang), f"ics:{event.id}"),
        )

    def sources_reply(self, entry_id: str, lang: str) -> Reply:
        """Every source of an entry, official first, with its call year and verified date."""
        entry = self.kb.entries.get(entry_id)
        if entry is None:
            return Reply(t("outdated", lang), kind="info", lang=lang)
        title = escape(in_language(entry.title, lang))
        text = f"<b>{t('sources', lang)}: {title}</b>\n{_links(entry.sources)}\n<i>" + (
            f"{holds_for(entry.call_year, entry.verified, lang)}</i>"
        )
        rows = ((Button(t("more_button", lang), f"more:{entry.id}"),),)
        return Reply(text[:MAX_MESSAGE_LENGTH], rows, "info", lang, entry.id)

    @staticmethod
    def _fold_row(entry: Entry, lang: str) -> tuple[Button, ...]:
        buttons = []
        if short_answer(entry, lang)[1]:
            buttons.append(Button(t("more_button", lang), f"more:{entry.id}"))
        buttons.append(Button(t("sources_button", lang), f"src:{entry.id}"))
        return tuple(buttons)

    # -- browsing --------------------------------------------------------------------------------

    def topics_reply(self, lang: str) -> Reply:
        rows = tuple(
            (Button(g.title.get(lang) or g.title.get("en", g.id), f"g:{g.id}"),)
            for g in self.kb.groups
        )
        return Reply(t("topics", lang), rows, "info", lang)

    def group_reply(self, group_id: str, lang: str) -> Reply:
        group = next((g for g in self.kb.groups if g.id == group_id), None)
        if group is None:
            return Reply(t("outdated", lang), kind="info", lang=lang)
        rows = [(Button(self._title(e, lang), f"e:{e}"),) for e in group.entry_ids]
        rows.append((Button(t("back", lang), "topics"),))
        title = group.title.get(lang) or group.title.get("en", group.id)
        return Reply(f"<b>{escape(title)}</b>", tuple(rows), "info", lang)

    # -- deadlines -------------------------------------------------------------------------------

    def asked_action(self, question: str) -> str | None:
        """The action code (KA210, KA131...) a question names, if we have dates for it.

        The most specific name wins: "capacity building youth" is CBYOUTH, not CBHE.
        """
        tokens = fold(question).split()
        words = {
            *tokens,
            *(a + b for a, b in itertools.pairwise(tokens)),
            *self.matcher.normalise.tokens(question),
        }
        found = [
            ((len(names), sum(map(len, names))), code)
            for names, code in self._action_aliases
            if names <= words
        ]
        return max(found, key=lambda item: item[0])[1] if found else None

    def deadline_answer(self, question: str, lang: str) -> Reply | None:
        """For "next deadline for KA210?": the next date from the data, or that it has passed."""
        words = set(fold(question).split())
        asks_when = bool(words & _WHEN_WORDS) and any(w.startswith(_APPLYING_STEMS) for w in words)
        if not (words & _DEADLINE_WORDS or asks_when):
            return None
        action = self.asked_action(question)
        if action is None:
            return None
        text = deadline_text(self.kb.deadlines, action, self._now(), lang)
        if text is None:
            return None
        rows: tuple[tuple[Button, ...], ...] = (
            (Button(self._title("deadlines", lang), "e:deadlines"),),
        )
        linked = next((d.entry for d in self.kb.deadlines if d.action == action and d.entry), None)
        if linked and linked in self.kb.entries:
            rows = ((Button("➡ " + self._title(linked, lang), f"e:{linked}"),), *rows)
        return Reply(text, rows, "answer", lang, "deadlines")


def _body(entry: Entry, lang: str) -> tuple[str, str]:
    """The answer in ``lang`` (or the other language) and the note that says so."""
    body = entry.answer.get(lang)
    if body is not None:
        return body.strip(), ""
    fallback = "en" if lang != "en" else "pl"
    return entry.answer[fallback].strip(), t("fallback_note", "pl" if lang == "pl" else "en")


def short_answer(entry: Entry, lang: str) -> tuple[str, bool]:
    """The first paragraphs of the answer (bullet by bullet when a list would not fit) that
    stay within ``SHORT_BUDGET`` visible characters, and whether anything was left out.

    A paragraph with links ("Read more: ...") is left for "More": the short answer's links
    are its first sources."""
    body, _ = _body(entry, lang)
    shown: list[str] = []
    used = 0
    folded = False
    for paragraph in body.split("\n\n"):
        if "<a " in paragraph:
            folded = True
            continue
        size = visible_length(paragraph)
        if not shown or used + size <= SHORT_BUDGET:
            shown.append(paragraph)
            used += size
            continue
        lines = paragraph.split("\n")
        kept = []
        for line in lines:
            if used + visible_length(line) > SHORT_BUDGET:
                break
            kept.append(line)
            used += visible_length(line)
        if kept:
            shown.append("\n".join(kept))
        folded = True
        if len(kept) < len(lines):
            break
    return "\n\n".join(shown), folded


def render_short(entry: Entry, lang: str) -> str:
    """The first message: the short answer, the first sources, the call year and date."""
    short, _ = short_answer(entry, lang)
    _, note = _body(entry, lang)
    shown = entry.sources[:SHOWN_SOURCES]
    same_site = len({_domain(url) for url in shown}) < len(shown)
    links = " · ".join(
        f'<a href="{html.escape(url)}">{html.escape(_link_text(url, same_site))}</a>'
        for url in shown
    )
    text = (
        f"{note + chr(10) * 2 if note else ''}{short}\n\n"
        f"<b>{t('source_one' if len(shown) == 1 else 'sources', lang)}:</b> {links}\n"
        f"<i>{holds_for(entry.call_year, entry.verified, lang)}</i>"
    )
    return text[:MAX_MESSAGE_LENGTH]


def render_entry(entry: Entry, lang: str) -> str:
    """The whole answer in ``lang`` (or English with a note), then every source, call year and
    date: what "More" shows."""
    body, note = _body(entry, lang)
    text = (
        f"{note + chr(10) * 2 if note else ''}{body}\n\n<b>{t('sources', lang)}:</b>\n"
        f"{_links(entry.sources)}\n<i>{holds_for(entry.call_year, entry.verified, lang)}</i>"
    )
    return text[:MAX_MESSAGE_LENGTH]


def _links(urls: tuple[str, ...]) -> str:
    return "\n".join(
        f'• <a href="{html.escape(url)}">{html.escape(_short_url(url))}</a>' for url in urls
    )


def _domain(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.")


def _link_text(url: str, same_site: bool) -> str:
    """The site a source is on; with its last path segment when two sources share a site."""
    if not same_site:
        return _domain(url)
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return f"{_domain(url)}/…/{last[:40]}" if last and "." not in last[:1] else _domain(url)


def _short_url(url: str) -> str:
    shown = url.split("://", 1)[-1].rstrip("/")
    return shown if len(shown) <= 60 else shown[:57] + "…"


def _format_due(due: datetime) -> str:
    return due.strftime("%Y-%m-%d %H:%M")


def deadline_text(
    deadlines: tuple[Deadline, ...], action: str, now: datetime, lang: str
) -> str | None:
    """Text for the next deadline of ``action`` after ``now`` (or that the last one passed)."""
    mine = sorted((d for d in deadlines if d.action == action), key=lambda d: d.due)
    if not mine:
        return None
    upcoming = [d for d in mine if d.due > now]
    if upcoming:
        nxt = upcoming[0]
        text = t(
            "deadline_next",
            lang,
            title=escape(nxt.title.get(lang) or nxt.title["en"]),
            round=t("deadline_round", lang, round=nxt.round) if nxt.round else "",
            due=_format_due(nxt.due),
            call=nxt.call_year,
            managed=t("managed_eacea" if nxt.managed_by == "eacea" else "managed_na", lang),
        )
        days = (nxt.due.date() - now.astimezone(nxt.due.tzinfo).date()).days
        when = (
            t("today", lang)
            if days == 0
            else t("tomorrow", lang)
            if days == 1
            else t("in_days", lang, days=days)
        )
        text += f" ({when})"
        if len(upcoming) > 1:
            later = ", ".join(_format_due(d.due) for d in upcoming[1:3])
            text += "\n" + t("deadline_later", lang, items=later)
        chosen = nxt
    else:
        chosen = mine[-1]
        text = t(
            "deadline_passed",
            lang,
            title=escape(chosen.title.get(lang) or chosen.title["en"]),
            due=_format_due(chosen.due),
            call=chosen.call_year,
        )
    if chosen.note.get(lang):
        text += f"\n\n{escape(chosen.note[lang])}"
    text += (
        f'\n\n{t("deadline_source", lang)}: <a href="{html.escape(chosen.source)}">'
        f"{html.escape(_short_url(chosen.source))}</a>\n<i>"
        f"{'sprawdzono' if lang == 'pl' else 'verified'} {chosen.verified.isoformat()}</i>"
    )
    return text
