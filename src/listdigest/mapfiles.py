"""The affiliation files as written: gitdm employer maps (``domain-map``/EmailMap, with
dated histories), git ``.mailmap`` and gitdm ``aliases``.

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

#: the shipped map (package data): the employers of the domains common on kernel lists
DEFAULT_MAP = os.path.join(os.path.dirname(__file__), "data", "domain-map")

# gitdm's EmailMap line: a key without spaces or '<', the employer (may hold spaces), and an
# optional "< YYYY-MM-DD" end date (anything after the date is ignored, as gitdm does)
_MAP_LINE_RE = re.compile(r"^([^\s<]+)\s+([^<]+?)\s*(?:<\s*(\d{4}-\d{1,2}-\d{1,2})\b.*)?$")
# gitdm's aliases line: the alias (optionally double-quoted) then the canonical address
_ALIAS_LINE_RE = re.compile(r'^("[^"]+"|\S+)\s+(\S+)\s*$')
# one "Name <email>" chunk of a .mailmap line: an optional name, then an address in <>
_MAILMAP_PART_RE = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>")


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


def parse_employer_map(text: str, path: str = "<map>") -> dict[str, tuple[Affiliation, ...]]:
    """One gitdm EmailMap/domain-map file: key -> history (ordered by end date, undated last)."""
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
            try:
                y, mo, d = (int(x) for x in until.split("-"))
                until = dt.date(y, mo, d).isoformat()
            except ValueError:
                raise ConfigError(f"{path}:{n}: invalid date {until!r}") from None
        hist = got.setdefault(key, [])
        if any(a.until == until for a in hist):
            what = f"end date {until}" if until else "undated (current) employer"
            raise ConfigError(f"{path}:{n}: {key} has a second {what}")
        hist.append(Affiliation(employer, until, Origin(path, n, raw)))
    return {
        k: tuple(sorted(v, key=lambda a: (a.until is None, a.until or ""))) for k, v in got.items()
    }


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
