"""Check text against the HTML subset Telegram accepts, and measure it as Telegram does.

Telegram rejects a whole message when one tag is wrong, so answers are checked when the knowledge
base loads rather than when a user is waiting.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

MAX_MESSAGE_LENGTH = 4096
_NOT_IN_URLS = set('<>"')

_ALLOWED: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
# Telegram reads every '<' as the start of a tag ("5 < 6" is a 400 "unsupported start tag"),
# while Python's HTMLParser passes it as text.
_BARE_LT = re.compile(r"<(?!/?[A-Za-z][A-Za-z-]*[\s>/])")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);?")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED:
            hint = " (use a blank line instead)" if tag in {"br", "p", "div"} else ""
            self.problems.append(f"<{tag}> is not allowed in Telegram HTML{hint}")
            return
        for name, _value in attrs:
            if name not in _ALLOWED[tag]:
                self.problems.append(f"<{tag}> may not have the attribute '{name}'")
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                self.problems.append('<a> needs an href="https://..."')
            elif not link_ok(href):
                self.problems.append(
                    f"<a href={href!r}> is not a web, mailto: or tel: address Telegram can open"
                )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED:
            return
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else "no closing tag"
            self.problems.append(f"</{tag}> does not match: expected {expected}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            self.problems.append(f"&{name}; is not supported (only &lt; &gt; &amp; &quot;)")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))


def check(text: str) -> list[str]:
    """Return what is wrong with ``text`` as Telegram HTML (empty when it is fine)."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems = checker.problems
    for match in _BARE_LT.finditer(text):
        problems.append(f"a bare '<' at character {match.start()} must be written &lt;")
        break
    for match in re.finditer(r"&(?![A-Za-z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        problems.append(f"a bare '&' at character {match.start()} must be written &amp;")
        break
    if checker.stack:
        problems.append("unclosed tag(s): " + ", ".join(f"<{t}>" for t in checker.stack))
    return problems


def link_ok(url: str) -> bool:
    """A well-formed http(s) address with a host, or a mailto: or tel: link."""
    url = url.strip()
    if any(c.isspace() or c in _NOT_IN_URLS for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return False
    if parts.scheme in ("mailto", "tel"):
        return bool(parts.path)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def visible_length(text: str) -> int:
    """Length of ``text`` as Telegram counts it: tags removed, entities decoded."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


def to_plain(text: str) -> str:
    """Telegram HTML as a terminal shows it: tags removed, links kept after their text."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', r"\2 (\1)", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def escape(text: str) -> str:
    """Escape user-supplied text for Telegram HTML."""
    return html.escape(text, quote=False)
