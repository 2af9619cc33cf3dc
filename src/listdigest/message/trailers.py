"""Trailers in a message body: ``Reviewed-by:``, ``Acked-by:``, ``Tested-by:``, ... lines.

Owns finding the trailers a message *gives*, with b4's rules: quoted (``>``) lines never
count, nothing after a ``-- `` signature line counts, indented trailers do, a trailer
wrapped onto a following indented line is joined, ``(comment)`` and ``# comment`` suffixes
are kept, ``[ed: ...]`` editor lines are skipped, trailers without an address are kept
(with an empty address).  Deciding whether the sender is the person named is the
analysis stage's business (``Trailer.matches``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .headers import parse_address

#: trailers that record review work given to a patch (what the digest reports)
REVIEW_TRAILERS = ("Reviewed-by", "Acked-by", "Tested-by", "Reported-by")

# "Name-by: value": the trailer name is letters and dashes ending in "-by" (covers
# Reported-and-tested-by, Co-developed-by); leading blanks allowed (indented trailers count)
_TRAILER_RE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z-]*-by)[ \t]*:[ \t]*(\S.*?)\s*$", re.I)

# the continuation of a wrapped trailer: an indented line that is not itself a trailer
_CONT_RE = re.compile(r"^[ \t]+(\S.*?)\s*$")

# (an editor's note after a trailer, "[ed: fixed typo]", needs no rule: a line starting
# with "[" never matches _TRAILER_RE)

# a "# comment" suffix after the address ("Cc: x <x@y> # v5.10+")
_HASH_COMMENT_RE = re.compile(r"\s+#\s*(.*)$")

# a "(comment)" suffix after the address, "Acked-by: A <a@b> (Documentation)"
_PAREN_COMMENT_RE = re.compile(r"^(.*?>)\s*\((.*)\)\s*$")


@dataclass(frozen=True)
class Trailer:
    """One trailer line: its canonical name, the person named and any comment."""

    name: str
    person_name: str
    person_addr: str
    comment: str = ""

    def matches(self, sender_addr: str) -> bool:
        """b4's rule: a trailer counts only when sent by the person it names."""
        return bool(self.person_addr) and self.person_addr.lower() == (sender_addr or "").lower()

    @property
    def person(self) -> str:
        if self.person_name and self.person_addr:
            return f"{self.person_name} <{self.person_addr}>"
        return self.person_name or self.person_addr


def _canonical(name: str) -> str:
    """``reviewed-BY`` -> ``Reviewed-by``."""
    parts = name.lower().split("-")
    return "-".join([parts[0].capitalize(), *parts[1:]])


def _parse_value(value: str) -> tuple[str, str, str]:
    comment = ""
    m = _HASH_COMMENT_RE.search(value)
    if m is not None and ">" in value[: m.start()]:
        comment = m.group(1)
        value = value[: m.start()]
    m = _PAREN_COMMENT_RE.match(value)
    if m is not None:
        value, comment = m.group(1), (comment if comment else m.group(2))
    if "@" not in value:
        return value.strip(), "", comment
    name, addr = parse_address(value)
    return name, addr, comment


# where a trailer may be: "-by" and a colon; the line around each hit is then read whole.
# A body quoting a long patch has thousands of lines and a handful of trailers: finding the
# hits is one C-level scan, not a Python step per line.
_BY_HIT_RE = re.compile(r"-[bB][yY][ \t]*:")


def _signature_start(text: str) -> int:
    """Offset of the first ``-- `` line (nothing after it counts), or len(text)."""
    candidates = [0] if text.startswith("-- ") else []
    search = 0
    while True:
        if not candidates:
            k = text.find("\n-- ", search)
            if k < 0:
                return len(text)
            candidates.append(k + 1)
        start = candidates.pop()
        line, _ = _line_at(text, start)
        if line == "-- ":
            return start
        search = start


def _line_at(text: str, start: int) -> tuple[str, int]:
    """The line starting at ``start`` without its CR, and where the next line starts."""
    nl = text.find("\n", start)
    end = nl if nl >= 0 else len(text)
    return text[start:end].rstrip("\r"), (nl + 1 if nl >= 0 else -1)


def parse_trailers(text: str) -> tuple[Trailer, ...]:
    """Every trailer given in ``text`` (a decoded body), in order."""
    if "-by" not in text and "-By" not in text and "-BY" not in text:
        return ()
    out: list[Trailer] = []
    cut = _signature_start(text)
    done = (
        0  # lines before this offset are read (a trailer's continuation, or a line with two hits)
    )
    for hit in _BY_HIT_RE.finditer(text, 0, cut):
        start = text.rfind("\n", 0, hit.start()) + 1
        if start < done:
            continue
        line, after = _line_at(text, start)
        done = after if after >= 0 else len(text) + 1
        m = _TRAILER_RE.match(line)
        if m is None:
            continue
        name, value = m.group(1), m.group(2)
        # a value wrapped onto the next line: "Reviewed-by: Some Long Name\n  <addr@x>"
        while after >= 0 and ("<" in value) is not (">" in value):
            nxt, nxt_after = _line_at(text, after)
            c = _CONT_RE.match(nxt)
            if c is None or _TRAILER_RE.match(nxt):
                break
            value = value + " " + c.group(1)
            after = nxt_after
        if after >= 0 and "@" not in value:
            nxt, nxt_after = _line_at(text, after)
            c = _CONT_RE.match(nxt)
            if c is not None and c.group(1).startswith("<") and not _TRAILER_RE.match(nxt):
                value = value + " " + c.group(1)
                after = nxt_after
        done = after if after >= 0 else len(text) + 1
        pname, paddr, comment = _parse_value(value)
        out.append(Trailer(_canonical(name), pname, paddr, comment))
    return tuple(out)
