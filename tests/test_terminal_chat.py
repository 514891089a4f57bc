"""The terminal chat has /privacy and /forget, and its commands answer in the person's language,
as in Telegram."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.terminal import TerminalChat


def press(chat: TerminalChat, action: str) -> str:
    """Type the number of the button with ``action``, as a person would."""
    number = next(i for i, b in enumerate(chat.buttons, 1) if b.action == action)
    return chat.handle(str(number))


def test_privacy_says_nothing_is_stored_here(assistant: Assistant) -> None:
    """/privacy says the terminal stores nothing, then what Telegram keeps and for how long."""
    shown = TerminalChat(assistant, retention_days=90).handle("/privacy")
    assert "This terminal chat stores nothing." in shown and "for 90 days" in shown


def test_forget_asks_then_clears_the_language(assistant: Assistant) -> None:
    """/forget asks first; Cancel keeps the language, Yes clears it."""
    chat = TerminalChat(assistant)
    chat.handle("/language pl")
    assert "Wyczyścić" in chat.handle("/forget")
    assert "Nic nie zostało usunięte." in press(chat, "cancel")
    assert chat.lang == "pl" and chat.pinned
    chat.handle("/forget")
    assert "nic już o Tobie nie pamięta" in press(chat, "forget:yes")
    assert chat.lang is None and not chat.pinned


def test_language_offers_buttons_in_the_current_language(assistant: Assistant) -> None:
    """/language alone offers English and Polish as buttons, in the person's language."""
    chat = TerminalChat(assistant, lang="pl")
    assert "Wybierz język:" in chat.handle("/language")
    assert "I will answer in English." in press(chat, "lang:en")
    assert chat.lang == "en" and chat.pinned


@pytest.mark.parametrize(
    ("command", "english", "polish"),
    [
        ("/subscribe", "Announcements go out in Telegram", "Powiadomienia wysyłam w Telegramie"),
        ("/subscriptions", "Announcements go out in Telegram", "tam /subscribe pokazuje"),
        ("/contact", "no one to send it to", "nie ma komu go przekazać"),
    ],
)
def test_commands_reply_in_the_persons_language(
    assistant: Assistant, command: str, english: str, polish: str
) -> None:
    """/subscribe, /subscriptions and /contact answer in English or Polish, as chosen."""
    assert english in TerminalChat(assistant, lang="en").handle(command)
    chat = TerminalChat(assistant)
    chat.handle("/language pl")
    assert polish in chat.handle(command)
