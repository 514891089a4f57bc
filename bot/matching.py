"""Match a question to knowledge-base entries: pure functions and one precomputed index.

People type with typos, without Polish diacritics, with acronyms and inflected Polish. Every
phrasing and every question goes through the same normalisation (fold case and diacritics, light
stemming, synonyms to one canonical word), then two scores are combined:

- fuzzy similarity to the closest phrasing of an entry (rapidfuzz, vectorised with ``cdist``);
- how much of the question's vocabulary the entry covers, weighted by rarity (IDF), where words the
  knowledge base has never seen weigh heavily — that is what makes off-topic questions abstain.

When an :class:`~bot.semantic.Embedder` is given, a score for meaning joins them, which finds
entries worded differently from the question (and in other languages). It blends two readings of
the question's multilingual sentence embedding: the cosine similarity to the entry's closest
phrasing, and a linear classifier fitted on all phrasings (ridge regression, closed form, a few
milliseconds per load), which learns what sets one entry's phrasings apart from the others'.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot import language
from bot.knowledge import KnowledgeBase
from bot.semantic import Embedder

Outcome = Literal["answer", "suggest", "none"]


@dataclass(frozen=True)
class Thresholds:
    confident: float  # answer at or above this score...
    clear_lead: float  # ...when the runner-up scores at most this share of the best
    unsure: float  # below this nothing is close: "I don't know"
    # A short question (at most SHORT words after stopwords) is answered outright only if one of
    # its words is found in at most this many entries, or if it says about the same as a
    # phrasing of its best entry (closeness at least ``close``). "Am I eligible?" or "What
    # documents do I need?" get the top three to choose from instead. A count, not a share: as
    # the knowledge base grows, a word in 7 entries stays common ("what time does the
    # supermarket close" does not turn into a confident answer about deadlines).
    specific: int = 1_000_000
    close: float = 80.0
    # ...and such a question is answered all the same when its best entry scores at least
    # ``vague_floor`` and leads by far (the runner-up at most ``vague_lead`` of it): "Jak i kiedy
    # otrzymam stypendium?" uses common words, yet only the grant-payment entry fits them.
    vague_floor: float = float("inf")
    vague_lead: float = 0.0


SHORT = 4

# Tuned with `python -m bot eval` on the real questions; see README "Accuracy".
LEXICAL_ONLY = Thresholds(confident=50.0, clear_lead=0.92, unsure=25.0, specific=6)
WITH_SEMANTIC = Thresholds(
    confident=40.5, clear_lead=0.88, unsure=25.0, specific=6, vague_floor=60.0, vague_lead=0.75
)
LEXICAL_WEIGHT = 0.7
SEMANTIC_WEIGHT = 0.425  # share of the embedding score in the final score, when there is one
SIMILARITY_FLOOR = 0.8  # cosine at or below this is "unrelated" (e5 rarely goes lower)
INTENT_SHARE = 0.3  # share of the classifier in the meaning score (the rest: closest phrasing)
RIDGE_PENALTY = 0.3  # L2 penalty of the classifier; 0.1-1.0 measured about the same
ANSWER_WEIGHT = 0.0
# Points added to (or taken from) an entry when the question's asker ("can I…" or "can we…")
# matches (or not) who the entry's own phrasings are written for; see ``asker``. They change the
# order of the candidates only, never whether one is answered outright: "who asks" is a hint.
AUDIENCE_WEIGHT = 4.0
# Who asks when the words do not tell: a person asking for themselves. Most people writing to a
# university's Erasmus+ assistant are students and staff; an organisation says "we", "our
# school" or "fundacja". Measured: rank 1 right 60.0 -> 64.4 %, top 3 73.3 -> 82.2 % on the
# held-out set (eval/real-questions-more.yaml), dev and extra sets as good or better.
UNSAID_ASKER = 1
BM25_K1 = 1.2
BM25_B = 0.75

_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d"})
_NON_WORD = re.compile(r"[^\w+]+")
# The Unicode blocks of combining diacritical marks (what NFKD splits off accented letters).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "am",
        "be",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "i",
        "my",
        "me",
        "we",
        "our",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "at",
        "by",
        "from",
        "as",
        "about",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "if",
        "any",
        "some",
        "get",
        "getting",
        "have",
        "has",
        "had",
        "not",
        "no",
        "yes",
        "so",
        "than",
        "then",
        "also",
        "just",
        "into",
        "please",
        "hi",
        "hello",
        "much",
        "many",
        "more",
        "most",
        "like",
        "want",
        "need",
        "know",
        "tell",
        "us",
        "one",
        "i",
        "w",
        "we",
        "na",
        "z",
        "ze",
        "do",
        "o",
        "od",
        "po",
        "za",
        "dla",
        "jak",
        "czy",
        "co",
        "to",
        "jest",
        "sa",
        "się",
        "sie",
        "mi",
        "mnie",
        "moj",
        "moja",
        "moje",
        "ja",
        "ty",
        "my",
        "nie",
        "tak",
        "ile",
        "jaki",
        "jaka",
        "jakie",
        "jakich",
        "kiedy",
        "gdzie",
        "kto",
        "ktory",
        "ktora",
        "ktore",
        "ktorych",
        "ten",
        "ta",
        "te",
        "tego",
        "tej",
        "oraz",
        "lub",
        "albo",
        "a",
        "ale",
        "by",
        "byc",
        "być",
        "mam",
        "ma",
        "mozna",
        "można",
        "moge",
        "mogę",
        "prosze",
        "proszę",
        "dzien",
        "dobry",
        "czesc",
        "hej",
        "przez",
        "przy",
        "u",
        "pod",
        "nad",
        "jako",
        "tez",
        "też",
        "juz",
        "już",
        "jeszcze",
        "jesli",
        "jeśli",
        "bo",
        "ze",
        "że",
        "go",
        "jej",
        "ich",
        "nam",
        "wam",
        "dla",
        "sobie",
        "swoj",
        "swoja",
        "swoje",
        "mojej",
        "moim",
        "moich",
        "naszej",
        "nasz",
        "nasza",
        "nasze",
    ]
)

# Ordered longest first: the first suffix that leaves a stem of at least 4 letters is cut.
# Folded (no diacritics: "ów" is "ow"), longest first: the first suffix that leaves a stem of at
# least 4 letters is cut, so stypendium / stypendia / stypendiów all become "stypend".
_PL_SUFFIXES = tuple(
    sorted(
        (
            "owaniami owania owanie owaniu owych owymi owego owemu iami ami iach ach iem ego "
            "emu ymi imi ych ich owa owe owy owej owi iow ium ow om ie ia iu y i a e o u"
        ).split(),
        key=len,
        reverse=True,
    )
)
_EN_SUFFIXES = ("ing", "ies", "ied", "es", "ed", "s")


# Words that tell who is asking. "my" is "we" in Polish, so the sets are per language.
_PERSON = {
    "en": frozenset("i im ive id me my mine myself".split()),
    "pl": frozenset(
        "jestem moge chce musze dostane otrzymam wyjade pojade jade studiuje bede mam moj moja "
        "moje mojej mojego moim mnie mi bylem bylam chcialbym chcialabym zrobie zloze".split()
    ),
}
_ORGANISATION = {
    "en": frozenset(
        "we were our ours us organisation organization organisations organizations institution "
        "institutions school schools ngo ngos company companies beneficiary beneficiaries "
        "coordinator consortium applicant applicants association associations foundation "
        "foundations".split()
    ),
    "pl": frozenset(
        "my nasz nasza nasze naszej naszego naszych naszym mozemy jestesmy chcemy musimy "
        "organizacja organizacji organizacje instytucja instytucji instytucje szkola szkoly "
        "beneficjent beneficjenta koordynator wnioskodawca wnioskodawcy podmiot podmioty "
        "fundacja fundacji stowarzyszenie stowarzyszenia firma firmy".split()
    ),
}


@functools.lru_cache(maxsize=16384)  # every phrasing at every reload, and each question once
def asker(text: str, lang: str | None = None) -> int:
    """+1 when a person asks for themselves ("can I…"), -1 for an organisation ("can we…",
    "our school"), 0 when the words do not tell."""
    lang = lang or language.detect(text)
    words = set(fold(text).split())
    person = len(words & _PERSON.get(lang, _PERSON["en"]))
    organisation = len(words & _ORGANISATION.get(lang, _ORGANISATION["en"]))
    return (person > organisation) - (organisation > person)


def fold(text: str) -> str:
    """Lowercase, drop diacritics (ł too), turn punctuation into spaces."""
    text = text.translate(_FOLD).lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


@functools.lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light stemmer good enough for matching both English and Polish inflection."""
    if len(token) <= 4 or any(ch.isdigit() for ch in token):
        return token
    for suffix in _PL_SUFFIXES + _EN_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


# The knowledge base's own texts, normalised, for the synonyms they were normalised with: a
# reload re-indexes mostly unchanged phrasings, and normalising them is most of the index time.
_INDEXED: dict[tuple[tuple[str, ...], ...], dict[str, tuple[str, ...]]] = {}


class Normaliser:
    """fold -> stem -> synonyms to one canonical token -> stopwords removed."""

    def __init__(self, synonyms: tuple[tuple[str, ...], ...]) -> None:
        if synonyms not in _INDEXED:
            _INDEXED.clear()  # synonyms edited: every text normalises differently now
            _INDEXED[synonyms] = {}
        self._indexed = _INDEXED[synonyms]
        self._canonical: dict[str, str] = {}
        for row in synonyms:
            canonical = "_".join(self._stems(row[0]))
            for phrase in row:
                key = " ".join(self._stems(phrase))
                if key:
                    self._canonical.setdefault(key, canonical)
        phrases = sorted(self._canonical, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\S)(" + "|".join(map(re.escape, phrases)) + r")(?!\S)")
            if phrases
            else None
        )

    @staticmethod
    def _stems(text: str) -> list[str]:
        return [stem(t) for t in fold(text).split()]

    def tokens(self, text: str) -> list[str]:
        stemmed = " ".join(self._stems(text))
        if self._pattern is not None:
            stemmed = self._pattern.sub(lambda m: self._canonical[m.group(1)], stemmed)
        return [t for t in stemmed.split() if t not in STOPWORDS]

    def indexed_tokens(self, text: str) -> tuple[str, ...]:
        """``tokens`` for a knowledge-base text, remembered across reloads (never for
        questions: they would grow the memory without end)."""
        found = self._indexed.get(text)
        if found is None:
            found = self._indexed[text] = tuple(self.tokens(text))
        return found

    def __call__(self, text: str) -> str:
        return " ".join(self.tokens(text))


@dataclass(frozen=True)
class Match:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Ranking:
    """The decision for one question and the candidates behind it, best first."""

    outcome: Outcome
    matches: tuple[Match, ...]
    vague: bool = False  # "suggest" because the question was too general, not too far off

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


class Matcher:
    """An index over every entry's phrasings, title and answer, built once per load.

    Two scores per entry, each 0–100, are blended:
    - lexical: BM25 over the entry's words (phrasings and title count fully, the answer text
      less), divided by the best score the question's words could reach — so a question whose
      words the knowledge base has never seen scores low and the assistant abstains;
    - fuzzy: the closest single phrasing by rapidfuzz's token_sort_ratio (typos, word order);
    and, with an embedder, a third one for meaning (``SEMANTIC_WEIGHT`` of the total): the
    cosine of the question to the entry's closest phrasing or title in e5's embedding space,
    blended with a ridge classifier fitted on all phrasings (``INTENT_SHARE``). Who is asking
    (``asker``) then reorders the candidates.
    """

    def __init__(
        self, kb: KnowledgeBase, embedder: Embedder | None = None, outside: bool = False
    ) -> None:
        """``outside``: rank the topics of outside.yaml too, as ``OUTSIDE + id``."""
        self.normalise = Normaliser(kb.synonyms)
        self.embedder = embedder
        self.thresholds = WITH_SEMANTIC if embedder else LEXICAL_ONLY
        documents = _documents(kb, outside)
        self._documents = documents
        self.entry_ids: list[str] = [d.id for d in documents]
        phrasings: list[str] = []
        owners: list[int] = []
        bags: list[dict[str, float]] = []
        leanings: list[float] = []
        for index, entry in enumerate(documents):
            leanings.append(_leaning(entry.questions))
            bag: dict[str, float] = defaultdict(float)
            texts = [*entry.title.values()]
            for lang_questions in entry.questions.values():
                texts.extend(lang_questions)
            for text in texts:
                tokens = self.normalise.indexed_tokens(text)
                for token in set(tokens):
                    bag[token] += 1.0
                if tokens:
                    phrasings.append(" ".join(tokens))
                    owners.append(index)
            # Words of the answer are known vocabulary (a question using them is on topic)
            # even when, as tuned now, they add nothing to the score (ANSWER_WEIGHT = 0).
            for answer in entry.answers:
                for token in set(self.normalise.indexed_tokens(_strip_tags(answer))):
                    bag[token] += ANSWER_WEIGHT
            bags.append(bag)
        # token_sort_ratio == ratio of the sorted words: sort once here, not on every question.
        self._phrasings = [" ".join(sorted(p.split())) for p in phrasings]
        owner_array = np.asarray(owners, dtype=np.int64)
        # Phrasings are stored entry by entry: each entry's best is one reduceat slice.
        self._starts = np.flatnonzero(np.r_[True, owner_array[1:] != owner_array[:-1]])
        self._start_owner = owner_array[self._starts] if len(owner_array) else owner_array
        count = max(len(bags), 1)
        document_frequency: dict[str, int] = defaultdict(int)
        for bag in bags:
            for token in bag:
                document_frequency[token] += 1
        self._idf = {
            t: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for t, df in document_frequency.items()
        }
        self._unknown_idf = math.log(1 + (count + 0.5) / 0.5)
        self._document_frequency = dict(document_frequency)
        lengths = [sum(bag.values()) for bag in bags]
        average = sum(lengths) / count if lengths else 1.0
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for index, bag in enumerate(bags):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[index] / average)
            for token, tf in bag.items():
                indexes, weights = postings[token]
                indexes.append(index)
                weights.append(tf * (BM25_K1 + 1) / (tf + norm))
        self._postings = {
            t: (np.asarray(i, dtype=np.int64), np.asarray(w)) for t, (i, w) in postings.items()
        }
        self._saturation = BM25_K1 + 1
        self._audience = np.asarray(leanings, dtype=np.float64)
        self._function_words = {
            lang: frozenset(
                t for w in language.common_words(lang) for t in self.normalise.tokens(w)
            )
            for lang in language.OTHER
        }
        self._vocabulary = sorted(self._idf)
        self._accents = _accented_forms(documents)
        if embedder is not None:
            self._index_meanings(embedder)

    def restore_diacritics(self, question: str) -> str:
        """A question typed without Polish letters ("ile wynosi stypendium na miesiac") with
        the words the knowledge base writes with them put back ("miesiąc"): the meaning model
        reads folded Polish much worse (dev set: about 10 points of rank-1). Text that has any
        letter beyond ASCII is left as typed."""
        if not question.isascii() or not self._accents:
            return question

        def put_back(found: re.Match[str]) -> str:
            word = found.group(0)
            accented = self._accents.get(word.lower())
            if accented is None:
                return word
            return accented.capitalize() if word[:1].isupper() else accented

        return _WORD.sub(put_back, question)

    def _index_meanings(self, embedder: Embedder) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for index, entry in enumerate(self._documents):
            mine = [*entry.title.values(), *itertools.chain(*entry.questions.values())]
            texts.extend(mine)
            owners.extend([index] * len(mine))
        self._meanings = embedder.phrasings(texts)
        owner_array = np.asarray(owners, dtype=np.int64)
        self._meaning_starts = np.flatnonzero(np.r_[True, owner_array[1:] != owner_array[:-1]])
        self._meaning_owner = owner_array[self._meaning_starts]
        self._intents = _fit_ridge(self._meanings, owner_array, len(self.entry_ids))

    def semantic_scores(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """0–100 per entry, twice: how close the question's meaning is to the entry's closest
        phrasing, and how sure the classifier is that the question belongs to the entry."""
        count = len(self.entry_ids)
        if self.embedder is None or not len(self._meanings):
            return np.zeros(count), np.zeros(count)
        vector = self.embedder.question(self.restore_diacritics(question))
        closest = np.zeros(count)
        closest[self._meaning_owner] = np.maximum.reduceat(
            self._meanings @ vector, self._meaning_starts
        )
        closest = np.clip((closest - SIMILARITY_FLOOR) / (1 - SIMILARITY_FLOOR), 0.0, 1.0)
        intent = np.clip(np.r_[vector, 1.0] @ self._intents, 0.0, 1.0)
        return 100.0 * closest, 100.0 * intent

    def _correct(self, token: str) -> str:
        """Map a misspelt word to the closest word the knowledge base knows."""
        if token in self._idf or len(token) < 5 or any(ch.isdigit() for ch in token):
            return token
        cutoff = 1 if len(token) < 8 else 2
        found = process.extractOne(
            token, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=cutoff
        )
        return found[0] if found else token

    def scores(self, question: str) -> np.ndarray:
        """A 0–100 score for every entry, in the order of ``entry_ids``."""
        return self.evidence(question).total

    def word_scores(self, question: str) -> np.ndarray:
        """0–100 per entry from the words alone: BM25 coverage blended with fuzzy similarity."""
        return self.evidence(question, meaning=False).words

    def evidence(self, question: str, meaning: bool = True) -> Evidence:
        """Every score behind the ranking of one question."""
        lang = language.detect(question)
        tokens = self._tokens(question, lang)
        count = len(self.entry_ids)
        lexical = np.zeros(count)
        fuzzy = np.zeros(count)
        if tokens and self._phrasings:
            ceiling = 0.0
            for token in tokens:
                idf = self._idf.get(token, self._unknown_idf)
                ceiling += idf * self._saturation
                found = self._postings.get(token)
                if found is not None:
                    lexical += np.bincount(found[0], weights=idf * found[1], minlength=count)
            lexical = 100.0 * lexical / ceiling
            similarity = process.cdist(
                [" ".join(sorted(tokens))],
                self._phrasings,
                scorer=fuzz.ratio,
                dtype=np.uint8,
                workers=1,
            )[0]
            fuzzy[self._start_owner] = np.maximum.reduceat(similarity, self._starts)
        words = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * fuzzy
        audience = AUDIENCE_WEIGHT * (asker(question, lang) or UNSAID_ASKER) * self._audience
        specificity = self._specificity(tokens)
        if not meaning or self.embedder is None or not tokens:
            return Evidence(words, fuzzy, None, None, audience, words, specificity)
        closest, intent = self.semantic_scores(question)
        total = (1 - SEMANTIC_WEIGHT) * words + SEMANTIC_WEIGHT * _blend(closest, intent)
        return Evidence(words, fuzzy, closest, intent, audience, total, specificity)

    def _tokens(self, question: str, lang: str | None) -> list[str]:
        tokens = self.normalise.tokens(question)
        function_words = self._function_words.get(lang or "")
        if function_words:
            # "was ist", "co je", "il": the most common words of another language are not
            # unknown vocabulary that would make the question look off topic ("Was ist KA220?").
            tokens = [t for t in tokens if t not in function_words] or tokens
        return list(dict.fromkeys(self._correct(t) for t in tokens))

    def _specificity(self, tokens: list[str]) -> int:
        if len(tokens) > SHORT:
            return 0  # a longer question: its words together give the context
        known = (self._document_frequency[t] for t in tokens if t in self._document_frequency)
        return min(known, default=len(self.entry_ids))

    def rank(self, question: str, limit: int = 3) -> Ranking:
        """The best ``limit`` entries and whether to answer, suggest or abstain."""
        evidence = self.evidence(question)
        scores = evidence.total
        if not len(scores):
            return Ranking("none", ())
        top = np.argsort(-(scores + evidence.audience), kind="stable")[:limit]
        matches = tuple(Match(self.entry_ids[i], round(float(scores[i]), 1)) for i in top)
        outcome, vague = settle(matches, evidence, int(top[0]), self.thresholds)
        return Ranking(outcome, matches, vague=vague)


_WORD = re.compile(r"\w+")


def _accented_forms(documents: list[_Document]) -> dict[str, str]:
    """folded word -> its most frequent spelling with diacritics in the Polish phrasings and
    titles ("miesiac" -> "miesiąc"); words written without diacritics are not in it."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for document in documents:
        texts = [document.title.get("pl", ""), *document.questions.get("pl", ())]
        for text in texts:
            for word in _WORD.findall(text.lower()):
                folded = fold(word)
                if folded != word and folded.isascii() and " " not in folded:
                    counts[folded][word] += 1
    return {folded: forms.most_common(1)[0][0] for folded, forms in counts.items()}


OUTSIDE = "outside:"  # the ids of outside.yaml's topics in a matcher built with ``outside``


@dataclass(frozen=True)
class _Document:
    """What the matcher indexes of an entry or an outside topic."""

    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answers: tuple[str, ...]  # words known to be on topic (none for an outside topic)


def _documents(kb: KnowledgeBase, outside: bool) -> list[_Document]:
    found = [
        _Document(e.id, e.title, e.questions, tuple(e.answer.values()))
        for e in kb.entries.values()
    ]
    if outside:
        found += [_Document(OUTSIDE + t.id, t.title, t.questions, ()) for t in kb.outside.values()]
    return found


@dataclass(frozen=True)
class Evidence:
    """The scores of one question, 0–100 per entry in the order of ``Matcher.entry_ids``."""

    words: np.ndarray  # BM25 coverage blended with fuzzy
    fuzzy: np.ndarray  # similarity of the words to the entry's closest phrasing
    meaning: np.ndarray | None  # closeness to the closest phrasing (None: embeddings off)
    intent: np.ndarray | None  # the classifier's reading of the embedding (None with meaning)
    audience: np.ndarray  # points for (or against) the entry from who is asking: order only
    total: np.ndarray  # what decides: words, or words and meaning
    # The fewest entries one of the question's words is found in; 0 for a question of more
    # than SHORT words. Low for "KA220 budget", high for "am I eligible".
    specificity: int

    @property
    def understood(self) -> np.ndarray | None:
        """The meaning score that goes into ``total``: closest phrasing and classifier."""
        if self.meaning is None or self.intent is None:
            return None
        return _blend(self.meaning, self.intent)

    def vague(self, best: int, limits: Thresholds) -> bool:
        """A short question of common words ("What documents do I need?") that says about
        the same as no phrasing of its best entry: several entries could be meant."""
        closeness = self.fuzzy if self.meaning is None else self.meaning
        return self.specificity > limits.specific and closeness[best] < limits.close


def _blend(closest: np.ndarray, intent: np.ndarray) -> np.ndarray:
    return (1 - INTENT_SHARE) * closest + INTENT_SHARE * intent


def _fit_ridge(vectors: np.ndarray, owners: np.ndarray, count: int) -> np.ndarray:
    """Weights (dimensions + 1 bias row, one column per entry) that map a phrasing's embedding
    to 1 for its own entry and 0 for the others, least squares with an L2 penalty."""
    if not len(vectors):
        return np.zeros((0, count))  # never used: no phrasings, no meaning scores
    inputs = np.c_[vectors.astype(np.float64), np.ones(len(vectors))]
    targets = np.zeros((len(vectors), count))
    targets[np.arange(len(vectors)), owners] = 1.0
    penalty = RIDGE_PENALTY * np.eye(inputs.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not penalised
    return np.linalg.solve(inputs.T @ inputs + penalty, inputs.T @ targets)


def _leaning(questions: dict[str, list[str]]) -> float:
    """-1 (written for organisations) to +1 (for people asking for themselves), from the
    entry's phrasings; near 0 when they do not tell."""
    votes = [asker(q, lang) for lang, texts in questions.items() for q in texts]
    person = sum(v > 0 for v in votes)
    organisation = sum(v < 0 for v in votes)
    return (person - organisation) / (person + organisation + 2)


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r'href="[^"]*"', "", text))


def settle(
    matches: tuple[Match, ...], evidence: Evidence, best: int, limits: Thresholds
) -> tuple[Outcome, bool]:
    """What to do with a ranking (``best``: index of the first match), and whether the question
    is vague. A vague question gets a choice, with a reply saying it could fit several topics
    (also when a close race made it a choice anyway: "is there a limit?" of what?), unless its
    best entry stands out."""
    outcome = decide(matches, limits)
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    stands_out = matches[0].score >= limits.vague_floor and (
        runner_up <= limits.vague_lead * matches[0].score
    )
    if outcome == "none" or stands_out or not evidence.vague(best, limits):
        return outcome, False
    return "suggest", True


def decide(matches: tuple[Match, ...], limits: Thresholds = LEXICAL_ONLY) -> Outcome:
    """Answer only when the best match is strong and clearly ahead of the next one."""
    if not matches or matches[0].score < limits.unsure:
        return "none"
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if matches[0].score >= limits.confident and runner_up <= limits.clear_lead * matches[0].score:
        return "answer"
    return "suggest"
