"""Read YAML while remembering where every value came from.

Staff edit the knowledge base by hand, so every problem must name the file and the line. PyYAML
drops positions when it builds Python objects; here the node tree is walked once and each value's
line is kept under its path, e.g. ``("entries", 3, "answer", "en") -> 57``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it: the same nodes and line marks, ~15x faster.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Aliases (*name) make a small file expand to a huge tree ("billion laughs": 400 bytes, 2.5 GB).
# Knowledge files use none; a file whose expanded tree is this much larger is refused.
MAX_EXPANDED_NODES = 100_000
# Something that may be an alias; only then is the expanded size counted (25 ms a load).
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[^\s,\]}]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge file, with where it is and how to fix it."""

    file: str
    line: int
    message: str
    hint: str = ""
    severity: str = "error"  # or "warning"
    code: str = ""  # "stale" for what `python -m bot stale` lists; the reload report groups those

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every path in it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path, shown_as: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``path``; on a syntax error return None and a problem naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                shown_as,
                1,
                f"the file is not UTF-8 text ({exc.reason})",
                "save it as UTF-8 in your editor",
            )
        ]
    except OSError as exc:
        return None, [Problem(shown_as, 1, f"cannot read the file: {exc.strerror}")]
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or str(exc)
        lines = text.splitlines()
        source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        if "\t" in source_line[: len(source_line) - len(source_line.lstrip())]:
            what = "a tab character in the indentation"
        return None, [Problem(shown_as, line, f"YAML syntax: {what}", _syntax_hint(what))]
    except yaml.YAMLError as exc:
        return None, [Problem(shown_as, 1, f"YAML syntax: {exc}")]
    doc = Document(shown_as, None)
    problems: list[Problem] = []
    if node is None:
        return doc, problems
    if _ALIAS.search(text) and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
        return None, [
            Problem(
                shown_as,
                1,
                f"YAML aliases expand this file to more than {MAX_EXPANDED_NODES:,} values",
                "write the values out instead of repeating them with &anchors and *aliases",
            )
        ]
    doc.data = _walk(node, (), doc, problems, yaml.SafeLoader(""))
    return doc, problems


def _expanded_size(node: yaml.Node, known: dict[int, int]) -> int:
    """How many values the node becomes once every alias is expanded (each node counted once)."""
    if id(node) in known:
        return known[id(node)]
    known[id(node)] = MAX_EXPANDED_NODES + 1  # a node inside itself is too big by definition
    size = 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, known) + _expanded_size(value, known)
            if size > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, known)
            if size > MAX_EXPANDED_NODES:
                break
    known[id(node)] = size
    return size


def _syntax_hint(problem: str) -> str:
    if "tab" in problem or "'\\t'" in problem or "\t" in problem:
        return "indent with spaces, never tabs"
    if "mapping values are not allowed" in problem:
        return "a text containing ': ' must be quoted, or written as a block after '|'"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check the quotes and the indentation of this line and the one above it"
    if "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        return 'inside { } or [ ] a text with ? : , or # must be in quotes: "like this?"'
    if "found character" in problem:
        return "quote the text, or start it after '|' on its own line"
    return "check quotes and indentation on this line and the line above"


def _walk(
    node: yaml.Node, path: Path_, doc: Document, problems: list[Problem], loader: yaml.SafeLoader
) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
            key_line = key_node.start_mark.line + 1
            if key in first_line:
                problems.append(
                    Problem(
                        doc.file,
                        key_line,
                        f"the key '{key}' appears twice here",
                        f"the first one is on line {first_line[key]}; keep one of them",
                    )
                )
            first_line[key] = key_line
            result[key] = _walk(value_node, (*path, key), doc, problems, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*path, i), doc, problems, loader) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node)  # type: ignore[no-untyped-call]
