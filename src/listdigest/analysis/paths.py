"""Which series a digest of some files keeps: path patterns and MAINTAINERS sections.

Owns the kernel's MAINTAINERS format as ``scripts/get_maintainer.pl`` reads it (a section
is its name line and the ``X:`` field lines under it; ``F:`` files, directories and
wildcards, ``X:`` exclusions, ``N:`` regexes on file names, ``K:`` regexes on content), git
pathspec-like patterns (``--path``), and a series' touched paths: the union of its
postings' paths (``message.paths``), a diffstat's ``.../`` names resolved against them.
Reading the paths out of a body is ``message.paths``'s; cutting the digest to the series
kept is ``digest``'s.

``K:`` lines are read and kept but match nothing: the index keeps a patch's paths, not its
diff, so a digest cannot search patch content.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..message import Message
from ..message.paths import is_shortened, resolve
from ..model.series import Series

# a field line of a section: one capital letter, a colon, the value ("F:\tdrivers/hv/");
# indented lines (the file's own description of the letters) are not fields
_FIELD_RE = re.compile(r"^([A-Z]):\s*(.*?)\s*$")
# the characters that make a --path pattern a glob rather than a plain path
_GLOB_CHARS = frozenset("*?[")


class MaintainersError(ConfigError):
    """A MAINTAINERS file that cannot be read, or a section name it does not have (a bad
    option, or with ``config check`` a bad key)."""


def _f_regex(value: str) -> re.Pattern[str]:
    """An ``F:``/``X:`` value as get_maintainer.pl turns it into a regex: ``.`` literal,
    ``*`` any run of characters (``/`` included), ``?`` one character, anchored at the
    start; the rest of the value is a regex as written (a value that is no valid regex is
    taken literally)."""
    pat = value.replace(".", r"\.").replace("*", ".*").replace("?", ".")
    try:
        return re.compile(pat)
    except re.error:
        return re.compile(re.escape(value))


@dataclass(frozen=True)
class FilePattern:
    """One ``F:`` or ``X:`` value."""

    value: str
    regex: re.Pattern[str] = field(compare=False, repr=False)
    #: slashes in the value: a pattern without a trailing ``/`` matches only paths with as
    #: many (``drivers/net/*`` is the files in drivers/net, not below)
    depth: int = 0

    @classmethod
    def of(cls, value: str) -> FilePattern:
        return cls(value, _f_regex(value), value.count("/"))

    def matches(self, path: str) -> bool:
        v = self.value
        if v.endswith("/"):
            return self.regex.match(path) is not None
        if not _GLOB_CHARS & set(v):
            # a plain name is a file or, without the tree to ask (get_maintainer.pl adds the
            # slash when the name is a directory of the tree), a directory
            return path == v or path.startswith(v + "/")
        return self.regex.match(path) is not None and path.count("/") == self.depth


@dataclass(frozen=True)
class Section:
    """One MAINTAINERS section: its name as written and the fields that select files."""

    name: str
    files: tuple[FilePattern, ...] = ()
    excluded: tuple[FilePattern, ...] = ()
    #: ``N:`` regexes, searched in a path (Perl's ``/x``: white space in them is ignored)
    names: tuple[re.Pattern[str], ...] = ()
    #: ``K:`` regexes as written; kept, never matched (see the module's docstring)
    keywords: tuple[str, ...] = ()
    #: the line the name is on (1-based)
    line: int = 0

    def matches(self, path: str) -> bool:
        """Whether ``path`` belongs to the section: no ``X:`` matches it, and an ``F:`` or
        an ``N:`` does (get_maintainer.pl tests exclusions first)."""
        if any(x.matches(path) for x in self.excluded):
            return False
        return any(f.matches(path) for f in self.files) or any(
            n.search(path) is not None for n in self.names
        )


def _n_regex(section: str, value: str) -> re.Pattern[str]:
    try:
        return re.compile(value, re.X)
    except re.error as exc:
        raise MaintainersError(f"section {section!r}: bad N: regex {value!r} ({exc})") from None


def parse_maintainers(text: str) -> tuple[Section, ...]:
    """The sections of a MAINTAINERS file, in file order.  A section is a line that is no
    field directly followed by field lines; a blank line ends it.  The header (the letters'
    description, indented) holds no section."""
    out: list[Section] = []
    name: str | None = None
    name_line = 0
    fields: dict[str, list[str]] | None = None

    def close() -> None:
        if fields is not None and name is not None:
            names = [_n_regex(name, n) for n in fields.get("N", [])]
            out.append(
                Section(
                    name,
                    tuple(FilePattern.of(v) for v in fields.get("F", [])),
                    tuple(FilePattern.of(v) for v in fields.get("X", [])),
                    tuple(names),
                    tuple(fields.get("K", [])),
                    name_line,
                )
            )

    for no, line in enumerate(text.splitlines(), 1):
        m = _FIELD_RE.match(line)
        if m is not None:
            if fields is None:
                if name is None:
                    continue  # a field line without a name line above it
                fields = {}
            if m.group(2):
                fields.setdefault(m.group(1), []).append(m.group(2))
            continue
        close()
        fields = None
        stripped = line.rstrip()
        name, name_line = (stripped, no) if stripped and not line[:1].isspace() else (None, 0)
    close()
    return tuple(out)


def read_maintainers(path: str) -> tuple[Section, ...]:
    """The sections of the MAINTAINERS file at ``path``."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as exc:
        raise MaintainersError(f"{path}: cannot read MAINTAINERS file ({exc.strerror})") from None
    sections = parse_maintainers(text)
    if not sections:
        raise MaintainersError(f"{path}: no MAINTAINERS section in it")
    return sections


def find_sections(
    sections: Sequence[Section], names: Iterable[str], where: str
) -> tuple[Section, ...]:
    """The sections named (as written in the file), in the order asked; an unknown name
    raises, naming the closest ones the file has."""
    by_name = {s.name: s for s in sections}
    out = []
    for n in names:
        s = by_name.get(n)
        if s is None:
            close = difflib.get_close_matches(n, list(by_name), n=3, cutoff=0.5)
            folded = [k for k in by_name if k.casefold() == n.casefold()]
            hint = folded or close
            maybe = f" (did you mean {', '.join(repr(h) for h in hint)}?)" if hint else ""
            raise MaintainersError(f"{where}: no section {n!r}{maybe}")
        out.append(s)
    return tuple(out)


def sections_of(sections: Sequence[Section], path: str) -> tuple[Section, ...]:
    """The sections ``path`` belongs to, in file order (what get_maintainer.pl --sections
    lists for a file)."""
    return tuple(s for s in sections if s.matches(path))


def _pathspec(pattern: str) -> re.Pattern[str] | str:
    """A ``--path`` pattern: a plain path as itself, a glob as a regex (``*`` and ``?``
    match ``/`` too, as in git's pathspecs)."""
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    if _GLOB_CHARS & set(pattern):
        return re.compile(fnmatch.translate(pattern.rstrip("/")))
    return pattern.rstrip("/")


def _spec_matches(spec: re.Pattern[str] | str, path: str) -> bool:
    """A path matches when the pattern matches it or one of the directories above it (a
    directory stands for everything under it)."""
    if isinstance(spec, str):
        return spec == "" or path == spec or path.startswith(spec + "/")
    if spec.match(path):
        return True
    cut = path.rfind("/")
    while cut > 0:
        if spec.match(path[:cut]):
            return True
        cut = path.rfind("/", 0, cut)
    return False


@dataclass(frozen=True)
class PathFilter:
    """What a filtered digest keeps: series touching a path that a ``--path`` pattern or a
    MAINTAINERS section matches."""

    patterns: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    _specs: tuple[re.Pattern[str] | str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, patterns: Iterable[str] = (), sections: Iterable[Section] = ()) -> PathFilter:
        pats = tuple(patterns)
        return cls(pats, tuple(sections), tuple(_pathspec(p) for p in pats))

    @property
    def label(self) -> str:
        """What the digest's heading says it is for: the section names, then the patterns."""
        return ", ".join([s.name for s in self.sections] + list(self.patterns))

    def matches(self, path: str) -> bool:
        return any(_spec_matches(s, path) for s in self._specs) or any(
            s.matches(path) for s in self.sections
        )

    def wants(self, paths: Iterable[str]) -> bool:
        return any(self.matches(p) for p in paths)

    def keeps(self, series: Series, known: frozenset[str] = frozenset()) -> bool:
        """Whether a series touches a matching path (``series_paths``)."""
        return self.wants(series_paths(series, known))


def series_paths(series: Series, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The paths a series touches: the union of its postings' paths, a diffstat's
    ``.../tail`` names resolved against the series' full paths (else against ``known``,
    say every path of the digest's range; else kept as written)."""
    return touched(series.messages, known)


def touched(messages: Sequence[Message], known: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """``series_paths`` of any group of postings."""
    full = {p for m in messages for p in m.paths if not is_shortened(p)}
    short = {p for m in messages for p in m.paths if is_shortened(p)}
    for p in short:
        got = resolve(p, tuple(full)) or resolve(p, known) or (p,)
        full.update(got)
    return tuple(sorted(full))
