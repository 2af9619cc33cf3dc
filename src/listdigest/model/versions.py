"""Linking the versions of a patch series across the whole archive.

Owns the rules that say "this series revises that one": the normalised title + author
match, the lore links to earlier versions that cover letters carry
(``v4: https://lore.kernel.org/kvm/<msgid>/``), a shared ``change-id:``, and a vN posting sent
in reply to a v(N-1) posting.  The archive-wide lookups come in through a ``VersionLookup``
(the index implements it), so this module stays free of storage.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

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


def lore_links(text: str) -> tuple[str, ...]:
    """Message-ids named by archive links in ``text`` (in order, no duplicates)."""
    if "://" not in text:
        return ()
    out: list[str] = []
    for m in _LORE_RE.finditer(text):
        mid = (
            m.group(1)
            .replace("%40", "@")
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%24", "$")
        )
        mid = mid.rstrip(".,;")
        if mid not in out:
            out.append(mid)
    return tuple(out)


def change_id(text: str) -> str | None:
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
    date: int | None
    #: archive order, comparable across epochs
    pos: tuple[int, int]
    resend: bool = False
    author_name: str = ""


class VersionLookup(Protocol):
    def posting(self, msgid: str) -> Posting | None:
        """The series head a message belongs to (the message itself when it is one)."""

    def by_title(
        self, norm_title: str, author_addr: str, before: tuple[int, int], author_name: str = ""
    ) -> Sequence[Posting]:
        """Series heads of the postings of that title by that author (address, or display
        name when given), earlier than ``before``."""

    def titles_by(
        self, author_addr: str, before: tuple[int, int], since: int | None
    ) -> Sequence[tuple[str, str]]:
        """(msgid, title) of that person's postings earlier than ``before``, posted since
        ``since`` (unix time), newest first."""

    def by_change_id(self, cid: str, before: tuple[int, int]) -> Sequence[Posting]:
        """Series heads carrying that change-id, earlier than ``before``."""

    def parents_of(self, msgid: str) -> Sequence[str]:
        """In-Reply-To then References of the message."""

    def version_facts(self, msgid: str) -> tuple[Sequence[str], str | None, Sequence[str]]:
        """The lore links, change-id and parents (``parents_of``) of one message, in one look-up."""


@dataclass(frozen=True)
class VersionLink:
    msgid: str
    subject: str
    version: int
    date: int | None
    #: which rule linked it: title, link, change-id, reply
    via: str


#: which rule names a candidate when several do (the first wins)
_RULES = ("link", "change-id", "reply", "title", "similar-title")

#: how far back an edited title is looked for
FUZZY_DAYS = 365
#: how alike two titles must be to be one change with an edited title
FUZZY_RATIO = 0.85


@functools.lru_cache(maxsize=8192)
def _subsystem(title: str) -> tuple[str, str]:
    """("spi: imx", "add 16/32 bits per word support") from "spi: imx: add 16/32 bits ...":
    the subsystem prefix (before the last ": ") and the rest, normalised."""
    head, sep, rest = title.rpartition(": ")
    return (normalize_title(head), normalize_title(rest)) if sep else ("", normalize_title(title))


def similar_titles(a: str, b: str) -> bool:
    """Whether two titles name one change edited between versions: the same subsystem
    prefix, and the rest alike (difflib ratio at least ``FUZZY_RATIO``) and not equal to a
    number apart ("fix dma for 8-bit" and "fix dma for 16-bit" are two changes)."""
    pa, ra = _subsystem(a)
    pb, rb = _subsystem(b)
    if pa != pb or not ra or not rb or ra == rb:
        return ra == rb and pa == pb and bool(ra)
    if 2 * min(len(ra), len(rb)) < FUZZY_RATIO * (len(ra) + len(rb)):
        return False  # the ratio cannot reach the bound: too different in length
    wa, wb = set(ra.split()), set(rb.split())
    if 2 * len(wa & wb) < len(wa | wb):
        return False  # fewer than half the words shared: another change
    if _DIGITS_RE.sub("#", ra) == _DIGITS_RE.sub("#", rb):
        return False
    sm = difflib.SequenceMatcher(None, ra, rb, autojunk=False)
    # the cheap upper bounds first: most of a person's titles are nothing alike
    return (
        sm.real_quick_ratio() >= FUZZY_RATIO
        and sm.quick_ratio() >= FUZZY_RATIO
        and sm.ratio() >= FUZZY_RATIO
    )


_DIGITS_RE = re.compile(r"\d+")


def previous_version(
    head: Posting,
    lookup: VersionLookup,
    links: Iterable[str] = (),
    cid: str | None = None,
    parents: Iterable[str] = (),
    titles: Iterable[str] = (),
) -> VersionLink | None:
    """The nearest earlier version of the series headed by ``head``, or None.  ``titles``
    are its patches' titles, searched when its own title finds nothing (a cover whose
    title changed or was lost, a version that gained a cover letter).

    Every rule proposes candidates (the lore links a cover letter carries, a shared
    change-id, the posting it answers, the same title by the same person), and the nearest
    wins whichever rule found it: the highest version below the head's, then the latest.  A
    link to another author's series of another title is a prerequisite ("based on"), not an
    earlier version."""
    if head.version <= 1:
        return None  # nothing comes before a first version
    me = head.author_addr.lower()
    my_name = head.author_name.lower()
    norm = normalize_title(head.title)

    def ok(p: Posting | None) -> bool:
        return (
            p is not None
            and p.msgid != head.msgid
            and p.pos < head.pos
            and p.version < head.version
        )

    def same_person(p: Posting) -> bool:
        return p.author_addr.lower() == me or (bool(my_name) and p.author_name.lower() == my_name)

    found: dict[str, tuple[Posting, str]] = {}

    def add(p: Posting | None, via: str) -> None:
        if p is not None and ok(p) and p.msgid not in found:
            found[p.msgid] = (p, via)

    for x in links:
        p = lookup.posting(x)
        if p is not None and (same_person(p) or normalize_title(p.title) == norm):
            add(p, "link")
    if cid:
        for p in lookup.by_change_id(cid, head.pos):
            add(p, "change-id")
    for par in parents:
        p = lookup.posting(par)
        if p is not None and same_person(p):
            add(p, "reply")
    for p in lookup.by_title(norm, head.author_addr, head.pos, head.author_name) if norm else ():
        add(p, "title")
    if not any(via == "title" for _, via in found.values()):
        for t in titles:
            for p in lookup.by_title(
                normalize_title(t), head.author_addr, head.pos, head.author_name
            ):
                add(p, "title")
    if not found and head.title:
        # a title edited between versions ("... for target mode" -> "... for target PIO
        # mode"): the same person's postings of the year before with a near-identical title
        since = head.date - FUZZY_DAYS * 86400 if head.date else None
        for mid, title in lookup.titles_by(head.author_addr, head.pos, since):
            if similar_titles(head.title, title):
                add(lookup.posting(mid), "similar-title")
    if not found:
        return None
    best, via = max(found.values(), key=lambda pv: (pv[0].version, pv[0].pos, -_RULES.index(pv[1])))
    return VersionLink(best.msgid, best.subject, best.version, best.date, via)


def version_chain(
    head: Posting,
    lookup: VersionLookup,
    first: VersionLink | None = None,
    limit: int = 30,
    memo: dict[str, VersionLink | None] | None = None,
) -> tuple[VersionLink, ...]:
    """Every earlier version, newest first, following ``previous_version`` back.  ``memo``
    keeps each posting's previous version across calls: the chains of a range's series
    share their older links."""
    out: list[VersionLink] = []
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


def _prev_indexed(
    p: Posting, lookup: VersionLookup, memo: dict[str, VersionLink | None] | None = None
) -> VersionLink | None:
    if memo is not None and p.msgid in memo:
        return memo[p.msgid]
    if p.version <= 1:
        got = None  # a first version has no earlier one: nothing to look up
    else:
        links, cid, parents = lookup.version_facts(p.msgid)
        got = previous_version(p, lookup, links, cid, parents)
    if memo is not None:
        memo[p.msgid] = got
    return got
