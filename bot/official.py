"""Which web addresses count as official sources: the domains listed in knowledge/official.yaml.

An answer may show only official pages (the Commission, EACEA, national agencies, the university's
own site). The list is data staff extend, not code; a domain covers all of its subdomains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.yamlsource import Path_, Problem, read_yaml

_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
FIELDS = ("domain", "who")


@dataclass(frozen=True)
class OfficialSources:
    """The official domains, each with who runs it (for staff reading the file)."""

    domains: dict[str, str]

    def is_official(self, url: str) -> bool:
        """True when ``url`` is on a listed domain or one of its subdomains."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        while host:
            if host in self.domains:
                return True
            _, _, host = host.partition(".")
        return False


def load_official(path: Path, shown_as: str, problems: list[Problem]) -> OfficialSources | None:
    """official.yaml as OfficialSources, every problem appended with its line; None if absent."""
    if not path.exists():
        return None
    doc, found = read_yaml(path, shown_as)
    problems.extend(found)
    if doc is None:
        return None

    def error(where: Path_, message: str, hint: str = "") -> None:
        problems.append(Problem(shown_as, doc.line(where), message, hint))

    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("official"), list):
        error((), "official.yaml must hold a list under 'official:'", "see knowledge/README.md")
        return None
    for key in data:
        if key != "official":
            error((key,), f"official.yaml has an unknown field '{key}'", "only 'official:'")
    domains: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for i, item in enumerate(data["official"]):
        where: Path_ = ("official", i)
        if not isinstance(item, dict):
            error(
                where,
                "each official source is 'domain:' and 'who:' lines",
                "- domain: frse.org.pl",
            )
            continue
        for key in item:
            if key not in FIELDS:
                error(
                    (*where, key),
                    f"an official source has an unknown field '{key}'",
                    "allowed: domain, who",
                )
        domain = str(item.get("domain") or "").strip().lower()
        who = str(item.get("who") or "").strip()
        if not domain:
            error(where, "an official source is missing 'domain'", "for example: frse.org.pl")
            continue
        if not _DOMAIN.match(domain):
            error(
                (*where, "domain"),
                f"'{domain}' is not a domain name",
                "write only the host, without https:// or a path: erasmusplus.org.pl",
            )
            continue
        if not who:
            error(
                where,
                f"the domain '{domain}' is missing 'who'",
                "say who runs it: Polish national agency (FRSE)",
            )
        line = doc.line((*where, "domain"))
        if domain in first_line:
            error(
                (*where, "domain"),
                f"the domain '{domain}' is listed twice",
                f"the first one is on line {first_line[domain]}; keep one of them",
            )
            continue
        first_line[domain] = line
        domains[domain] = who
    return OfficialSources(domains)
