"""The affiliation files as written: gitdm employer maps (``domain-map``/EmailMap, with
dated histories), the per-developer affiliation files of the gitdm data sets
(``Name: email, email`` with indented ``Company [until YYYY-MM-DD]`` lines), git
``.mailmap`` and gitdm ``aliases``.

Owns parsing those files into frozen records, each line remembered with its origin so
``listdigest who`` can quote it.  What the records mean for one address at one date is
``analysis.employers``' job; ``config`` uses these parsers to check files before a run, so
they sit before every stage and import none.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ConfigError

# gitdm's EmailMap line: a key without spaces or '<', the employer (may hold spaces), and an
# optional "< YYYY-MM-DD" end date (anything after the date is ignored, as gitdm does)
_MAP_LINE_RE = re.compile(r"^([^\s<]+)\s+([^<]+?)\s*(?:<\s*(\d{4}-\d{1,2}-\d{1,2})\b.*)?$")
# gitdm's aliases line: the alias (optionally double-quoted) then the canonical address
_ALIAS_LINE_RE = re.compile(r'^("[^"]+"|\S+)\s+(\S+)\s*$')
# one "Name <email>" chunk of a .mailmap line: an optional name, then an address in <>
_MAILMAP_PART_RE = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>")
# the per-developer affiliation files (gitdm data sets, developers_affiliations*.txt): a
# developer line "Name: email, email" (an address may be written with "!" for "@"), then
# indented employer lines "Company" or "Company until YYYY-MM-DD"; an address has no blank,
# comma, colon or angle bracket and one "@" (after the "!" is turned back)
_DEV_EMAIL_RE = re.compile(r"^[^@\s,:<>]+@[^@\s,:<>]+$")
_DEV_EMPLOYER_RE = re.compile(r"^(.+?)(?:\s+until\s+(\d{4}-\d{1,2}-\d{1,2}))?$")

#: the shipped map (package data): the employers of the domains common on kernel lists
DEFAULT_MAP = os.path.join(os.path.dirname(__file__), "data", "domain-map")


@dataclass(frozen=True)
class Origin:
    """Where a rule came from: file, line number, the line as written."""

    path: str
    line: int
    text: str

    def __str__(self) -> str:
        if self.line == 0:  # not a file's line: what the archive suggested (inference)
            return f"{self.path}: {self.text}"
        return f"{self.path}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Affiliation:
    """One step of an employment history: ``employer`` until ``until`` (excluded; None = now)."""

    employer: str
    until: str | None
    origin: Origin

    @property
    def until_ts(self) -> int | None:
        return _day_ts(self.until) if self.until else None

    def covers(self, when: int | None) -> bool:
        if self.until is None:
            return True
        if when is None:  # undated message: only the current (undated) employer applies
            return False
        return when < _day_ts(self.until)


@dataclass(frozen=True)
class Developer:
    """One developer of a per-developer affiliation file: the addresses that are theirs
    (lower case, ``@`` restored), and their employment history like an EmailMap key's."""

    name: str
    emails: tuple[str, ...]
    history: tuple[Affiliation, ...]
    origin: Origin


@dataclass(frozen=True)
class MailmapEntry:
    proper_name: str | None
    proper_email: str | None
    origin: Origin


def _day_ts(day: str) -> int:
    y, m, d = (int(x) for x in day.split("-"))
    return int(dt.datetime(y, m, d, tzinfo=dt.timezone.utc).timestamp())


def _lines(text: str) -> Iterable[tuple[int, str, str]]:
    """(line number, line without comment and outer blanks, line as written) of non-empty lines."""
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            yield n, line, raw.strip()


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _valid_day(day: str, path: str, n: int) -> str:
    try:
        y, mo, d = (int(x) for x in day.split("-"))
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        raise ConfigError(f"{path}:{n}: invalid date {day!r}") from None


def _ordered(hist: list[Affiliation]) -> tuple[Affiliation, ...]:
    return tuple(sorted(hist, key=lambda a: (a.until is None, a.until or "")))


def parse_employer_map(text: str, path: str = "<map>") -> dict[str, tuple[Affiliation, ...]]:
    """One gitdm EmailMap/domain-map file: key -> history (ordered by end date, undated last).

    A per-developer affiliation file (``is_developers_file``) is read as one too: each of a
    developer's addresses is a key with the developer's history."""
    if is_developers_file(text):
        return developers_employer_map(parse_developers(text, path))
    got: dict[str, list[Affiliation]] = {}
    for n, line, raw in _lines(text):
        line = line.replace("\t", " ")
        m = _MAP_LINE_RE.match(line)
        if not m:
            raise ConfigError(
                f"{path}:{n}: not an employer map line (want '[user@]domain Employer [< YYYY-MM-DD]'): {raw!r}"
            )
        key, employer, until = m.group(1).lower(), m.group(2).strip(), m.group(3)
        if until:
            until = _valid_day(until, path, n)
        hist = got.setdefault(key, [])
        if any(a.until == until for a in hist):
            what = f"end date {until}" if until else "undated (current) employer"
            raise ConfigError(f"{path}:{n}: {key} has a second {what}")
        hist.append(Affiliation(employer, until, Origin(path, n, raw)))
    return {k: _ordered(v) for k, v in got.items()}


def _developer_emails(field: str) -> list[str] | None:
    """The addresses of a developer line's right side, or None when one is no address."""
    out = []
    for part in field.split(","):
        addr = part.strip().replace("!", "@").lower()
        if not _DEV_EMAIL_RE.match(addr):
            return None
        out.append(addr)
    return out


def is_developers_file(text: str) -> bool:
    """Whether ``text`` is a per-developer affiliation file: its first line that is not blank
    or a comment is a developer line (``Name: email[, email]``).  No EmailMap line is one:
    an EmailMap key holds no colon and its employer no address."""
    for _n, line, _raw in _lines(text):
        name, colon, emails = line.rpartition(":")
        return bool(colon and name.strip() and _developer_emails(emails) is not None)
    return False


def parse_developers(text: str, path: str = "<developers>") -> tuple[Developer, ...]:
    """A per-developer affiliation file, as the gitdm data sets write it::

        Jane Doe: jane!example.org, jdoe@corp.example
        \tOld Corp until 2019-03-01
        \tCorp Example

    A developer line starts at the line's start; its employer lines are indented (tab or
    blanks): ``Company until YYYY-MM-DD`` is that employer until the day (excluded), the
    undated line is the current one.  ``NotFound`` (the data sets' "we do not know") gives
    no entry, as if the line were not there.
    Lines starting with ``#`` and text after a ``#`` are comments.  An address listed for
    two developers, or a developer with two current employers, is an error."""
    devs: list[Developer] = []
    first_seen: dict[str, int] = {}
    name = ""
    emails: list[str] = []
    hist: list[Affiliation] = []
    origin: Origin | None = None

    def close() -> None:
        if origin is not None:
            devs.append(Developer(name, tuple(emails), _ordered(hist), origin))

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line[0] in " \t":
            if origin is None:
                raise ConfigError(
                    f"{path}:{n}: an employer line before any 'Name: email' line: {raw.strip()!r}"
                )
            m = _DEV_EMPLOYER_RE.match(line.strip())
            assert m is not None  # any non-empty text matches: the date part is optional
            employer, until = m.group(1).strip(), m.group(2)
            if until:
                until = _valid_day(until, path, n)
            if any(a.until == until for a in hist):
                what = f"end date {until}" if until else "undated (current) employer"
                raise ConfigError(f"{path}:{n}: {name} has a second {what}")
            if employer == "NotFound":
                continue  # nobody knows: no entry, so the maps and the inference may tell
            hist.append(Affiliation(employer, until, Origin(path, n, raw.strip())))
            continue
        close()
        who, colon, right = line.rpartition(":")
        got = _developer_emails(right) if colon and who.strip() else None
        if got is None:
            raise ConfigError(
                f"{path}:{n}: not a developer line (want 'Name: email, email' or an indented 'Company [until YYYY-MM-DD]'): {raw.strip()!r}"
            )
        for addr in got:
            if addr in first_seen:
                raise ConfigError(
                    f"{path}:{n}: {addr} is listed twice (first at line {first_seen[addr]})"
                )
            first_seen[addr] = n
        name, emails, hist = who.strip(), got, []
        origin = Origin(path, n, raw.strip())
    close()
    return tuple(devs)


def developers_employer_map(devs: Iterable[Developer]) -> dict[str, tuple[Affiliation, ...]]:
    """Each developer's addresses as employer map keys (their history; none without one)."""
    return {e: d.history for d in devs if d.history for e in d.emails}


def developers_aliases(devs: Iterable[Developer]) -> dict[str, tuple[str, Origin]]:
    """The addresses of one developer as one person: each later address an alias of the
    first, as gitdm ``aliases`` lines would say it."""
    return {e: (d.emails[0], d.origin) for d in devs for e in d.emails[1:]}


def developers_as_map(devs: Iterable[Developer], source: str) -> str:
    """The developers' histories as EmailMap lines (``listdigest affiliations import``): one
    block per developer, their name and the source line in a comment above."""
    out = [f"# imported from {source} (per-developer affiliations) by listdigest"]
    for d in devs:
        if not d.history:
            continue
        out.append(f"# {d.name} ({d.origin.path}:{d.origin.line})")
        width = max(len(e) for e in d.emails)
        for e in d.emails:
            for a in d.history:
                until = f" < {a.until}" if a.until else ""
                out.append(f"{e:<{width}}  {a.employer}{until}")
    return "\n".join(out) + "\n"


def parse_mailmap(text: str, path: str = "<mailmap>") -> dict[tuple[str, str | None], MailmapEntry]:
    """git's ``.mailmap``: all four forms.  Keys are (commit email, commit name or None), lower case.

    ``Proper Name <commit@email>``; ``<proper@email> <commit@email>``;
    ``Proper Name <proper@email> <commit@email>``;
    ``Proper Name <proper@email> Commit Name <commit@email>``.
    Lines starting with ``#`` are comments; text after the last ``>`` is ignored.
    """
    out: dict[tuple[str, str | None], MailmapEntry] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = []
        pos = 0
        while True:
            m = _MAILMAP_PART_RE.match(line, pos)
            if not m:
                break
            parts.append((m.group(1) or None, m.group(2).strip()))
            pos = m.end()
        if not parts or len(parts) > 2 or (len(parts) == 1 and not parts[0][0]):
            raise ConfigError(
                f"{path}:{n}: not a mailmap line (want 'Proper Name <proper@email> [Commit Name] <commit@email>'): {raw.strip()!r}"
            )
        origin = Origin(path, n, raw.strip())
        if len(parts) == 1:
            (name, email) = parts[0]
            out[(email.lower(), None)] = MailmapEntry(name, None, origin)
        else:
            (pname, pemail), (cname, cemail) = parts
            out[(cemail.lower(), cname.lower() if cname else None)] = MailmapEntry(
                pname, pemail or None, origin
            )
    return out


def parse_aliases(text: str, path: str = "<aliases>") -> dict[str, tuple[str, Origin]]:
    """gitdm's ``aliases``: ``alias canonical`` per line (the alias may be double-quoted)."""
    out: dict[str, tuple[str, Origin]] = {}
    for n, line, raw in _lines(text):
        m = _ALIAS_LINE_RE.match(line.replace("\t", " "))
        if not m:
            raise ConfigError(
                f"{path}:{n}: not an aliases line (want 'alias@address canonical@address'): {raw!r}"
            )
        alias = m.group(1).strip('"').strip().lower()
        out[alias] = (m.group(2).strip("<>"), Origin(path, n, raw))
    return out
