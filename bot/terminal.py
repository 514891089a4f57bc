"""The terminal chat: the same assistant as in Telegram, with buttons shown as numbers."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.assistant import Assistant, Button, Reply
from bot.config import Settings
from bot.finder import Finder, FinderUnavailable, TerminalFinder
from bot.knowledge import KnowledgeBase
from bot.semantic import Embedder
from bot.telegram_html import to_plain
from bot.texts import t

PROMPT = "you> "


class TerminalChat:
    """Keeps the language and the last buttons between turns; prints replies as plain text."""

    def __init__(
        self, assistant: Assistant, lang: str | None = None, retention_days: int = 180
    ) -> None:
        self.assistant = assistant
        self.lang = lang
        self.days = retention_days  # for /privacy: what the Telegram bot keeps, and how long
        self.pinned = False
        self.finder: TerminalFinder | None = None
        self.buttons: list[Button] = []

    def handle(self, line: str) -> str:
        """The printed reply to one typed line (a question, a command or a button number)."""
        text = line.strip()
        lang = self.lang or "en"
        if text.isdigit() and self.buttons and 1 <= int(text) <= len(self.buttons):
            return self.press(self.buttons[int(text) - 1].action)
        command, _, rest = text.partition(" ")
        if command in ("/start", "/help"):
            return self.show(Reply(t(command[1:], lang), lang=lang))
        if command == "/topics":
            return self.show(self.assistant.topics_reply(lang))
        if command == "/language":
            if rest.strip() in ("en", "pl"):
                return self.set_language(rest.strip())
            rows = ((Button("🇬🇧 English", "lang:en"), Button("🇵🇱 Polski", "lang:pl")),)
            return self.show(Reply(t("choose_language", lang), rows, lang=lang))
        if command == "/events":
            from datetime import datetime

            from bot.announcements import events_reply

            return self.show(events_reply(self.assistant.kb, lang, datetime.now().astimezone()))
        if command in ("/subscribe", "/unsubscribe", "/subscriptions"):
            return self.show(Reply(t("terminal_subscribe", lang), lang=lang))
        if command == "/finder":
            try:
                self.finder = TerminalFinder(Finder.from_kb(self.assistant.kb))
            except FinderUnavailable as exc:
                return f"The finder is not available: {exc}"
            return self.show(self.finder.start(lang))
        if command == "/privacy":
            text = t("terminal_privacy", lang) + "\n\n" + t("privacy", lang, days=self.days)
            return self.show(Reply(text, lang=lang))
        if command == "/forget":
            rows = (
                (Button(t("forget_yes", lang), "forget:yes"), Button(t("cancel", lang), "cancel")),
            )
            return self.show(Reply(t("terminal_forget_confirm", lang), rows, lang=lang))
        if command == "/contact":
            office = self.assistant.entry_reply("contact-staff", lang)
            text = t("terminal_contact", lang)
            if office.entry_id:
                text += "\n\n" + office.text
            return self.show(Reply(text, lang=lang))
        if command.startswith("/"):
            return self.show(Reply(t("unknown_command", lang), lang=lang))
        reply = self.assistant.answer(text, self.lang, self.pinned)
        if self.lang is None and reply.lang in ("en", "pl"):
            self.lang = reply.lang
        return self.show(reply)

    def press(self, action: str) -> str:
        lang = self.lang or "en"
        if self.finder is not None and (reply := self.finder.press(action, lang)) is not None:
            return self.show(reply)
        kind, _, value = action.partition(":")
        if kind == "lang" and value in ("en", "pl"):
            return self.set_language(value)
        if action == "forget:yes":
            self.lang, self.pinned, self.finder = None, False, None
            return self.show(Reply(t("terminal_forgotten", lang), lang=lang))
        if action == "cancel":
            return self.show(Reply(t("terminal_kept", lang), lang=lang))
        if kind == "e":
            return self.show(self.assistant.entry_reply(value, lang))
        if kind == "more":
            return self.show(self.assistant.entry_reply(value, lang, full=True))
        if kind == "src":
            return self.show(self.assistant.sources_reply(value, lang))
        if kind == "g":
            return self.show(self.assistant.group_reply(value, lang))
        if action == "topics":
            return self.show(self.assistant.topics_reply(lang))
        if kind in ("ev", "rem", "ics"):
            return self.event_button(kind, value, lang)
        if kind == "fb":
            return self.show(Reply(t("thanks_feedback", lang), lang=lang))
        return self.handle("/" + action)

    def set_language(self, lang: str) -> str:
        self.lang = lang
        self.pinned = True
        return self.show(Reply(t("language_set", lang), lang=lang))

    def event_button(self, kind: str, event_id: str, lang: str) -> str:
        """An event's buttons: its details, what "Remind me" does in Telegram, or its .ics
        saved in the current folder."""
        from bot.announcements import event_text, to_ics, topic_names

        event = self.assistant.event(event_id)
        if event is None:
            return self.show(Reply(t("gone", lang), lang=lang))
        if kind == "ev":
            return self.show(Reply(event_text(event, lang), lang=lang))
        if kind == "rem":
            names = topic_names(self.assistant.kb, event.topics, lang)
            return self.show(Reply(t("ev_remind_terminal", lang, topics=names), lang=lang))
        path = Path(f"{event.id}.ics")
        path.write_bytes(to_ics(event, lang))
        return self.show(Reply(t("ev_ics_saved", lang, path=str(path.resolve())), lang=lang))

    def show(self, reply: Reply) -> str:
        self.buttons = [b for row in reply.buttons for b in row]
        lines = [to_plain(reply.text)]
        if self.buttons:
            lines.append("")
            lines.extend(f"  [{i}] {b.label}" for i, b in enumerate(self.buttons, 1))
        return "\n".join(lines)


def run_chat(settings: Settings, kb: KnowledgeBase, embedder: Embedder | None = None) -> int:
    chat = TerminalChat(
        Assistant(kb, embedder=embedder, tz=settings.timezone),
        retention_days=settings.retention_days,
    )
    interactive = sys.stdin.isatty()
    if interactive:
        print(
            f"Erasmus+ assistant — {len(kb.entries)} topics loaded. Ask in English or Polish; "
            "type a number to press a button, /help for commands, Ctrl-D to quit."
        )
        if settings.token is None:
            print("(TELEGRAM_BOT_TOKEN is not set, so this is the terminal chat.)")
    while True:
        try:
            line = input(PROMPT if interactive else "")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip() in ("/quit", "/exit"):
            return 0
        print(chat.handle(line))
        print()
