"""Everything the bot stores, in one SQLite file (WAL), behind one class.

Schema changes are numbered migrations applied in order at start-up; the version lives in
``PRAGMA user_version`` so an old database file is upgraded in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: users, questions, feedback
    """
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        lang TEXT,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        lang TEXT NOT NULL,
        outcome TEXT NOT NULL,
        entry_id TEXT,
        score REAL NOT NULL,
        asked_at REAL NOT NULL
    );
    CREATE INDEX questions_asked_at ON questions(asked_at);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        vote INTEGER NOT NULL,
        question_id INTEGER,
        at REAL NOT NULL,
        UNIQUE (user_id, entry_id, question_id)
    );
    """,
    # 2: subscriptions and the durable announcement outbox
    """
    CREATE TABLE subscriptions (
        chat_id INTEGER PRIMARY KEY,
        topics TEXT NOT NULL,
        lang TEXT NOT NULL,
        since REAL NOT NULL
    );
    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        topics TEXT NOT NULL,
        text_en TEXT NOT NULL,
        text_pl TEXT NOT NULL,
        created_at REAL NOT NULL,
        recipients INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        announcement_id INTEGER NOT NULL REFERENCES announcements(id),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        done_at REAL,
        UNIQUE (announcement_id, chat_id)
    );
    CREATE INDEX outbox_pending ON outbox(status, not_before);
    """,
    # 3: human handoff: which staff-chat message belongs to which user
    """
    CREATE TABLE handoffs (
        staff_message_id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        question TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # 4: a language chosen with /language wins over per-message detection
    """
    ALTER TABLE users ADD COLUMN lang_pinned INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: answers given so far in the "which action fits me?" finder (survive a restart)
    """
    CREATE TABLE IF NOT EXISTS finder_state (
        user_id INTEGER PRIMARY KEY,
        answers TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 6: the admin who asked for a delivery report, kept until it is sent (survives a restart)
    """
    ALTER TABLE announcements ADD COLUMN report_chat INTEGER;
    ALTER TABLE announcements ADD COLUMN reported_at REAL;
    """,
    # 7: one vote per person, entry and question (the last one counts)
    """
    DELETE FROM feedback WHERE id NOT IN (
        SELECT MAX(id) FROM feedback GROUP BY user_id, entry_id, COALESCE(question_id, 0)
    );
    CREATE UNIQUE INDEX feedback_one_vote
        ON feedback(user_id, entry_id, COALESCE(question_id, 0));
    """,
)


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    attempts: int
    text: str
    created_at: float = 0.0  # when the announcement was queued
    announcement_id: int = 0
    lang: str = "en"
    topics: str = ""  # the announcement's topics, comma-separated; empty for everyone


@dataclass(frozen=True)
class Report:
    """A finished announcement whose admin is still owed the delivery report."""

    announcement_id: int
    chat_id: int
    counts: dict[str, int]


def check_writable(path: Path | str) -> str | None:
    """Why the bot could not store anything at ``path`` (None when it can), as one sentence.

    Checked before start-up, so a read-only or unopenable file is one clear line, not a
    traceback from inside the running application.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE startup_probe (x)")
            db.execute("ROLLBACK")
        finally:
            db.close()
    except (OSError, sqlite3.Error) as exc:
        return (
            f"cannot write the database BOT_DB={path} ({exc}); point BOT_DB at a file in a "
            "writable folder"
        )
    return None


class Storage:
    """One aiosqlite connection; open with ``await Storage.open(path)``, close at shutdown."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        storage = cls(db)
        await storage.migrate()
        return storage

    async def close(self) -> None:
        await self.db.close()

    @contextlib.asynccontextmanager
    async def transaction(self, immediate: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """One write: committed at the end, rolled back on any error.

        Without the rollback a failed write ("database is locked", "disk is full") leaves the
        connection inside a transaction, and the next BEGIN fails too.
        """
        # One connection is shared by every handler and delivery worker: one write at a time,
        # so that a rollback never takes another coroutine's statements with it.
        async with self._write_lock:
            if self.db.in_transaction:
                await self.db.rollback()
            if immediate:
                await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                await self.db.commit()
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await self.db.rollback()
                raise

    async def best_effort(
        self, what: str, write: Callable[[], Awaitable[object]], retry_after: float = 0.5
    ) -> bool:
        """Run a write that must never cost a user their answer: retried once, then dropped.

        Returns whether it was stored; a drop is one warning line naming what was lost.
        """
        for attempt in (1, 2):
            try:
                await write()
                return True
            except sqlite3.Error as exc:
                if attempt == 2:
                    logger.warning("could not store %s, dropped: %s", what, exc)
                    return False
                await asyncio.sleep(retry_after)
        return False

    async def migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN; {script} PRAGMA user_version={number}; COMMIT;")

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # -- users -----------------------------------------------------------------------------------

    async def touch_user(self, user_id: int) -> None:
        now = time.time()
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET last_seen=excluded.last_seen",
                (user_id, now, now),
            )

    async def user_language(self, user_id: int) -> str | None:
        return (await self.language_choice(user_id))[0]

    async def language_choice(self, user_id: int) -> tuple[str | None, bool]:
        """(remembered language, whether the user chose it with /language)."""
        async with self.db.execute(
            "SELECT lang, lang_pinned FROM users WHERE user_id=?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row["lang"], bool(row["lang_pinned"])) if row else (None, False)

    async def set_user_language(self, user_id: int, lang: str, pinned: bool = False) -> None:
        now = time.time()
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, lang, lang_pinned, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET lang=excluded.lang, "
                "lang_pinned=MAX(lang_pinned, excluded.lang_pinned)",
                (user_id, lang, int(pinned), now, now),
            )
            await db.execute("UPDATE subscriptions SET lang=? WHERE chat_id=?", (lang, user_id))

    # -- questions and feedback ------------------------------------------------------------------

    async def log_question(
        self, user_id: int, text: str, lang: str, outcome: str, entry_id: str | None, score: float
    ) -> int:
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO questions (user_id, text, lang, outcome, entry_id, score, asked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user_id, text, lang, outcome, entry_id, score, time.time()),
            )
        return int(cursor.lastrowid or 0)

    async def add_feedback(self, user_id: int, entry_id: str, vote: int) -> None:
        """Store a 👍/👎 with the question it rates: the person's latest question that got this
        entry, else their latest question (the entry came from a button); a second vote on the
        same answer replaces the first."""
        async with self.transaction() as db:
            async with db.execute(
                "SELECT id FROM questions WHERE user_id=? "
                "ORDER BY COALESCE(entry_id = ?, 0) DESC, id DESC LIMIT 1",
                (user_id, entry_id),
            ) as cur:
                row = await cur.fetchone()
            question_id = row["id"] if row else None
            await db.execute(
                "INSERT OR REPLACE INTO feedback (user_id, entry_id, vote, question_id, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, entry_id, vote, question_id, time.time()),
            )

    async def unanswered(self, limit: int = 500) -> list[dict[str, Any]]:
        """Questions the bot could not answer (declined, a choice, a guess) and every 👎 with
        the question it rated (its text, what the bot replied), newest first."""
        sql = """
            SELECT asked_at AS at, lang, text, outcome, entry_id, 0 AS thumbs_down
            FROM questions
            WHERE outcome IN ('none', 'suggest', 'decline', 'choice', 'guess')
              AND id NOT IN (SELECT question_id FROM feedback
                             WHERE vote < 0 AND question_id IS NOT NULL)
            UNION ALL
            SELECT f.at, COALESCE(q.lang, u.lang, ''), COALESCE(q.text, ''),
                   COALESCE(q.outcome, 'answer'), f.entry_id, 1
            FROM feedback f
            LEFT JOIN users u ON u.user_id = f.user_id
            LEFT JOIN questions q ON q.id = f.question_id
            WHERE f.vote < 0
            ORDER BY at DESC LIMIT ?"""
        async with self.db.execute(sql, (limit,)) as cur:
            return [dict(row) for row in await cur.fetchall()]

    async def stats(self, since_days: int = 30) -> dict[str, Any]:
        since = time.time() - since_days * 86400
        result: dict[str, Any] = {}
        async with self.db.execute("SELECT COUNT(*) FROM users") as cur:
            result["users"] = (await cur.fetchone())[0]  # type: ignore[index]
        async with self.db.execute("SELECT COUNT(*) FROM subscriptions") as cur:
            result["subscribers"] = (await cur.fetchone())[0]  # type: ignore[index]
        async with self.db.execute(
            "SELECT date(asked_at, 'unixepoch') AS day, COUNT(*) AS n, "
            "SUM(outcome IN ('answer', 'deadline')) AS answered FROM questions "
            "WHERE asked_at >= ? GROUP BY day ORDER BY day DESC LIMIT 14",
            (since,),
        ) as cur:
            result["per_day"] = [dict(r) for r in await cur.fetchall()]
        async with self.db.execute(
            "SELECT entry_id, COUNT(*) AS n FROM questions WHERE entry_id IS NOT NULL "
            "AND asked_at >= ? GROUP BY entry_id ORDER BY n DESC LIMIT 10",
            (since,),
        ) as cur:
            result["top_entries"] = [dict(r) for r in await cur.fetchall()]
        async with self.db.execute(
            "SELECT entry_id, SUM(vote > 0) AS up, SUM(vote < 0) AS down FROM feedback "
            "GROUP BY entry_id ORDER BY down DESC, up DESC LIMIT 10"
        ) as cur:
            result["feedback"] = [dict(r) for r in await cur.fetchall()]
        return result

    async def asked_since(self, since: float) -> list[tuple[float, str, str | None]]:
        """(asked_at, outcome, entry_id) of every question since ``since`` (for /stats charts)."""
        async with self.db.execute(
            "SELECT asked_at, outcome, entry_id FROM questions WHERE asked_at >= ?", (since,)
        ) as cur:
            return [(r["asked_at"], r["outcome"], r["entry_id"]) for r in await cur.fetchall()]

    async def purge_old(self, older_than_days: int) -> int:
        """Delete personal data older than the retention period (what /privacy promises).

        Questions, ratings, handoffs and finished outbox rows by their own date; finder answers
        after a week; a person who has not written for that long and is not subscribed.
        Returns the number of rows deleted.
        """
        cutoff = time.time() - older_than_days * 86400
        removed = 0
        async with self.transaction() as db:
            for sql, since in (
                ("DELETE FROM questions WHERE asked_at < ?", cutoff),
                ("DELETE FROM feedback WHERE at < ?", cutoff),
                ("DELETE FROM handoffs WHERE at < ?", cutoff),
                ("DELETE FROM outbox WHERE status != 'pending' AND done_at < ?", cutoff),
                ("DELETE FROM finder_state WHERE updated_at < ?", time.time() - 7 * 86400),
                (
                    "DELETE FROM users WHERE last_seen < ? "
                    "AND user_id NOT IN (SELECT chat_id FROM subscriptions)",
                    cutoff,
                ),
            ):
                cursor = await db.execute(sql, (since,))
                removed += cursor.rowcount
        return removed

    async def forget_user(self, user_id: int) -> None:
        """Delete everything stored about one person (GDPR erasure)."""
        async with self.transaction() as db:
            for sql in (
                "DELETE FROM questions WHERE user_id=?",
                "DELETE FROM feedback WHERE user_id=?",
                "DELETE FROM subscriptions WHERE chat_id=?",
                "DELETE FROM outbox WHERE chat_id=?",
                "UPDATE announcements SET report_chat=NULL WHERE report_chat=?",
                "DELETE FROM handoffs WHERE user_id=?",
                "DELETE FROM finder_state WHERE user_id=?",
                "DELETE FROM users WHERE user_id=?",
            ):
                await db.execute(sql, (user_id,))

    async def count_about(self, user_id: int) -> int:
        """How many rows mention this person (for tests and /privacy)."""
        total = 0
        for table, column in (
            ("questions", "user_id"),
            ("feedback", "user_id"),
            ("subscriptions", "chat_id"),
            ("handoffs", "user_id"),
            ("finder_state", "user_id"),
            ("users", "user_id"),
            ("outbox", "chat_id"),
            ("announcements", "report_chat"),
        ):
            async with self.db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column}=?", (user_id,)
            ) as cur:
                total += (await cur.fetchone())[0]  # type: ignore[index]
        return total

    # -- subscriptions ---------------------------------------------------------------------------

    async def subscribe(self, chat_id: int, topics: Iterable[str], lang: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO subscriptions (chat_id, topics, lang, since) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET topics=excluded.topics, lang=excluded.lang",
                (chat_id, ",".join(sorted(set(topics))), lang, time.time()),
            )

    async def unsubscribe(self, chat_id: int) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE chat_id=?", (chat_id,))
        return cursor.rowcount > 0

    async def subscription(self, chat_id: int) -> set[str] | None:
        async with self.db.execute(
            "SELECT topics FROM subscriptions WHERE chat_id=?", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        return set(filter(None, row["topics"].split(","))) if row else None

    # -- announcements and the outbox ------------------------------------------------------------

    async def enqueue(
        self,
        key: str,
        topics: Iterable[str],
        text_en: str,
        text_pl: str,
        report_chat: int | None = None,
    ) -> int:
        """Create an announcement once (by ``key``) and one outbox row per matching subscriber.

        Both happen in one transaction, so a crash leaves either nothing or everything queued;
        the key makes a second call a no-op. Returns the number of recipients queued now.
        """
        wanted = sorted(set(topics))
        async with self.transaction(immediate=True) as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO announcements (key, topics, text_en, text_pl, created_at, "
                "report_chat) VALUES (?, ?, ?, ?, ?, ?)",
                (key, ",".join(wanted), text_en, text_pl, time.time(), report_chat),
            )
            if cursor.rowcount == 0:
                return 0
            announcement_id = cursor.lastrowid
            chats: list[int] = []
            async with db.execute("SELECT chat_id, topics FROM subscriptions") as cur:
                async for row in cur:
                    theirs = set(filter(None, row["topics"].split(",")))
                    if not wanted or theirs & set(wanted) or "all" in theirs:
                        chats.append(row["chat_id"])
            await db.executemany(
                "INSERT INTO outbox (announcement_id, chat_id) VALUES (?, ?)",
                [(announcement_id, chat) for chat in chats],
            )
            await db.execute(
                "UPDATE announcements SET recipients=? WHERE id=?", (len(chats), announcement_id)
            )
        return len(chats)

    async def announcement_topics(self, announcement_id: int) -> set[str] | None:
        """The topics an announcement went out to (empty: everyone); None if there is none."""
        async with self.db.execute(
            "SELECT topics FROM announcements WHERE id=?", (announcement_id,)
        ) as cur:
            row = await cur.fetchone()
        return set(filter(None, row["topics"].split(","))) if row else None

    async def add_to_latest(self, key_prefix: str, chat_id: int) -> bool:
        """Queue the newest announcement whose key starts with ``key_prefix`` for one more chat
        (a person who asked for a reminder after it was queued); False when there is none or
        the chat already has it."""
        async with self.transaction(immediate=True) as db:
            async with db.execute(
                "SELECT id FROM announcements WHERE key LIKE ? ESCAPE '\\' "
                "ORDER BY id DESC LIMIT 1",
                (key_prefix.replace("%", "\\%").replace("_", "\\_") + "%",),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return False
            cursor = await db.execute(
                "INSERT OR IGNORE INTO outbox (announcement_id, chat_id) VALUES (?, ?)",
                (row["id"], chat_id),
            )
        return cursor.rowcount > 0

    async def due_deliveries(self, limit: int = 200) -> list[Delivery]:
        """Pending outbox rows that are due, each with the text in the subscriber's language."""
        sql = """
            SELECT o.id, o.chat_id, o.attempts, a.created_at, o.announcement_id,
                   COALESCE(s.lang, 'en') AS lang, a.topics,
                   CASE WHEN COALESCE(s.lang, 'en') = 'pl' THEN a.text_pl
                        ELSE a.text_en END AS text
            FROM outbox o JOIN announcements a ON a.id = o.announcement_id
            LEFT JOIN subscriptions s ON s.chat_id = o.chat_id
            WHERE o.status = 'pending' AND o.not_before <= ?
            ORDER BY o.id LIMIT ?"""
        async with self.db.execute(sql, (time.time(), limit)) as cur:
            return [
                Delivery(
                    r["id"],
                    r["chat_id"],
                    r["attempts"],
                    r["text"],
                    r["created_at"],
                    r["announcement_id"],
                    r["lang"],
                    r["topics"],
                )
                for r in await cur.fetchall()
            ]

    async def mark(self, delivery_id: int, status: str, error: str | None = None) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status=?, last_error=?, done_at=? WHERE id=?",
                (status, error, time.time(), delivery_id),
            )

    async def retry_later(self, delivery_id: int, delay: float, error: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET attempts=attempts+1, not_before=?, last_error=? WHERE id=?",
                (time.time() + delay, error, delivery_id),
            )

    async def reports_due(self) -> list[Report]:
        """Announcements with a report_chat, nothing pending and no report sent yet."""
        sql = """
            SELECT a.id, a.report_chat, o.status, COUNT(o.id) AS n FROM announcements a
            LEFT JOIN outbox o ON o.announcement_id = a.id
            WHERE a.report_chat IS NOT NULL AND a.reported_at IS NULL
            GROUP BY a.id, o.status"""
        found: dict[int, Report] = {}
        async with self.db.execute(sql) as cur:
            for row in await cur.fetchall():
                report = found.setdefault(row[0], Report(row[0], row[1], {}))
                if row[2] is not None:
                    report.counts[row[2]] = row[3]
        return [r for r in found.values() if not r.counts.get("pending")]

    async def reported(self, announcement_id: int) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE announcements SET reported_at=? WHERE id=?", (time.time(), announcement_id)
            )

    async def outbox_counts(self) -> dict[str, int]:
        async with self.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cur:
            return {row[0]: row[1] for row in await cur.fetchall()}

    # -- handoff ---------------------------------------------------------------------------------

    async def save_handoff(
        self, staff_message_id: int, user_id: int, chat_id: int, question: str
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO handoffs "
                "(staff_message_id, user_id, chat_id, question, at) VALUES (?, ?, ?, ?, ?)",
                (staff_message_id, user_id, chat_id, question, time.time()),
            )

    async def handoff_chat(self, staff_message_id: int) -> int | None:
        async with self.db.execute(
            "SELECT chat_id FROM handoffs WHERE staff_message_id=?", (staff_message_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row["chat_id"]) if row else None
