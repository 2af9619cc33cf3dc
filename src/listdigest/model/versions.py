"""Linking the versions of a patch series across the whole archive.

Owns the rules that say "this series revises that one": the normalised title + author
match, the lore links to earlier versions that cover letters carry
(``v4: https://lore.kernel.org/kvm/<msgid>/``), a shared ``change-id:``, and a vN posting sent
in reply to a v(N-1) posting.  The archive-wide lookups come in through a ``VersionLookup``
(the index implements it), so this module stays free of storage.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

# lore/lkml links in a body: the message-id is the path part after the list name (or /r/);
# lore percent-encodes a few characters, which we undo for the common ones
_LORE_RE = re.compile(
    r"https?://(?:lore\.kernel\.org|lkml\.kernel\.org|patch\.msgid\.link)/(?:(?:r|[\w.-]+)/)?([^/\s>\]\)]+@[^/\s>\]\)]+)"
)

# b4's change-id trailer in a cover letter: "change-id: 20240101-topic-abcdef012345"
_CHANGE_ID_RE = re.compile(r"^change-id:\s*(\S+)\s*$", re.M)

# Non-alphanumerics collapse so that case, punctuation and spacing differences between
# versions ("Foo: bar." vs "foo: Bar") do not break the title match
_NORM_RE = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=4096)
def normalize_title(title: str) -> str:
    # cached: a thread's replies repeat its title
    return _NORM_RE.sub(" ", title.lower()).strip()


def lore_links(text: str) -> Tuple[str, ...]:
    """Message-ids named by archive links in ``text`` (in order, no duplicates)."""
    if "://" not in text:
        return ()
    out: List[str] = []
    for m in _LORE_RE.finditer(text):
        mid = m.group(1).replace("%40", "@").replace("%2B", "+").replace("%2F", "/").replace("%24", "$")
        mid = mid.rstrip(".,;")
        if mid not in out:
            out.append(mid)
    return tuple(out)


def change_id(text: str) -> Optional[str]:
    if "change-id:" not in text:
        return None
    m = _CHANGE_ID_RE.search(text)
    return m.group(1) if m else None


@dataclass(frozen=True)
class Posting:
    """A series head (cover letter or first patch) as the archive-wide lookup knows it."""

    msgid: str
    subject: str
    title: str
    version: int
    author_addr: str
    date: Optional[int]
    #: archive order, comparable across epochs
    pos: Tuple[int, int]
    resend: bool = False


class VersionLookup(Protocol):
    def posting(self, msgid: str) -> Optional[Posting]:
        """The series head a message belongs to (the message itself when it is one)."""

    def by_title(self, norm_title: str, author_addr: str, before: Tuple[int, int]) -> Sequence[Posting]:
        """Series heads of that title and author, earlier than ``before``."""

    def by_change_id(self, cid: str, before: Tuple[int, int]) -> Sequence[Posting]:
        """Series heads carrying that change-id, earlier than ``before``."""

    def links_of(self, msgid: str) -> Sequence[str]:
        """Message-ids the message links to (lore links)."""

    def parents_of(self, msgid: str) -> Sequence[str]:
        """In-Reply-To then References of the message."""

    def change_id_of(self, msgid: str) -> Optional[str]:
        """The change-id the message carries."""


@dataclass(frozen=True)
class VersionLink:
    msgid: str
    subject: str
    version: int
    date: Optional[int]
    #: which rule linked it: title, link, change-id, reply
    via: str


def previous_version(
    head: Posting,
    lookup: VersionLookup,
    links: Iterable[str] = (),
    cid: Optional[str] = None,
    parents: Iterable[str] = (),
) -> Optional[VersionLink]:
    """The nearest earlier version of the series headed by ``head``, or None."""

    def ok(p: Optional[Posting]) -> bool:
        return p is not None and p.msgid != head.msgid and p.pos < head.pos and p.version < head.version

    # 1. a cover letter's links to earlier versions: take the highest version linked
    linked = [p for p in (lookup.posting(x) for x in links) if ok(p)]
    if linked:
        best = max(linked, key=lambda p: (p.version, p.pos))
        return VersionLink(best.msgid, best.subject, best.version, best.date, "link")
    # 2. the same change-id
    if cid:
        cands = [p for p in lookup.by_change_id(cid, head.pos) if ok(p)]
        if cands:
            best = max(cands, key=lambda p: (p.version, p.pos))
            return VersionLink(best.msgid, best.subject, best.version, best.date, "change-id")
    # 3. posted in reply to an older version of itself
    for par in parents:
        p = lookup.posting(par)
        if ok(p) and p.author_addr.lower() == head.author_addr.lower():
            return VersionLink(p.msgid, p.subject, p.version, p.date, "reply")
    # 4. the same normalised title by the same author
    cands = [p for p in lookup.by_title(normalize_title(head.title), head.author_addr, head.pos) if ok(p)]
    if cands:
        best = max(cands, key=lambda p: (p.version, p.pos))
        return VersionLink(best.msgid, best.subject, best.version, best.date, "title")
    return None


def version_chain(head: Posting, lookup: VersionLookup, first: Optional[VersionLink] = None, limit: int = 30,
                  memo: Optional[Dict[str, Optional[VersionLink]]] = None) -> Tuple[VersionLink, ...]:
    """Every earlier version, newest first, following ``previous_version`` back.  ``memo``
    keeps each posting's previous version across calls: the chains of a range's series
    share their older links."""
    out: List[VersionLink] = []
    link = first if first is not None else _prev_indexed(head, lookup, memo)
    seen = {head.msgid}
    while link is not None and link.msgid not in seen and len(out) < limit:
        out.append(link)
        seen.add(link.msgid)
        p = lookup.posting(link.msgid)
        if p is None:
            break
        link = _prev_indexed(p, lookup, memo)
    return tuple(out)


def _prev_indexed(p: Posting, lookup: VersionLookup, memo: Optional[Dict[str, Optional[VersionLink]]] = None) -> Optional[VersionLink]:
    if memo is not None and p.msgid in memo:
        return memo[p.msgid]
    got = previous_version(p, lookup, lookup.links_of(p.msgid), lookup.change_id_of(p.msgid), lookup.parents_of(p.msgid))
    if memo is not None:
        memo[p.msgid] = got
    return got
