"""Named ranges for ``listdigest stats``: a small file of ``name FROM TO`` lines, and the
previous period of equal length a range is compared with.

Owns reading that file (``6.12 v6.11 v6.12`` or ``6.12 2024-09-15 2024-11-17``: each bound
a revision or a date, as ``report`` takes them; ``#`` starts a comment) and the arithmetic
of the previous period.  Resolving revisions and dates is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RangeError


@dataclass(frozen=True)
class NamedRange:
    name: str
    start: str
    end: str
    #: where it was read: ``file:line``
    origin: str = ""


def parse_ranges(text: str, path: str = "<ranges>") -> tuple[NamedRange, ...]:
    """Every ``name FROM TO`` line of ``text``; a malformed line or a name given twice is a
    ``RangeError`` naming the file and line."""
    out: list[NamedRange] = []
    seen: set[str] = set()
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3:
            raise RangeError(f'{path}:{no}: expected "name FROM TO", got {raw.strip()!r}')
        if parts[0] in seen:
            raise RangeError(f"{path}:{no}: range {parts[0]!r} is named twice")
        seen.add(parts[0])
        out.append(NamedRange(parts[0], parts[1], parts[2], f"{path}:{no}"))
    return tuple(out)


def find_range(ranges: tuple[NamedRange, ...], name: str, path: str = "<ranges>") -> NamedRange:
    for r in ranges:
        if r.name == name:
            return r
    known = ", ".join(r.name for r in ranges) or "none"
    raise RangeError(f"{path}: no range named {name!r} (known: {known})")


def previous_range(ranges: tuple[NamedRange, ...], name: str) -> NamedRange | None:
    """The range listed just before ``name`` (release files list releases in order)."""
    for before, r in zip(ranges, ranges[1:]):
        if r.name == name:
            return before
    return None


def previous_period(since: int, until: int) -> tuple[int, int]:
    """The period of equal length that ends just before ``since``: [since - n, since - 1]
    for a range of n seconds [since, until - 1]..[since, until]."""
    length = until - since + 1
    return since - length, since - 1
