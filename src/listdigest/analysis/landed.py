"""Where a series landed: its patches matched to the commits of code trees.

Owns the matching rules and what the digest says of them.  A patch is matched to a
tree's commit, in this order:

1. by patch-id (``git patch-id --stable`` of the mailed diff equals the commit's): landed
   as posted;
2. by a ``Link:``/``Message-ID:`` trailer of the commit naming the patch's Message-ID;
3. by subject and author, the commit's author date within ``TITLE_WINDOW_DAYS`` of the
   mail's date.

A match by 2 or 3 whose patch-ids differ is "modified on apply".  One commit goes to one
patch: when several mails match it (v1 and v2 of an unchanged patch, a RESEND), the best
rule wins, then the mail whose date is nearest the commit's author date (``git am`` keeps
the mail's Date:).  Reading the trees and the mails' diffs is done elsewhere (``sources.tree``,
``store.trees``, ``pipeline``); this module gets them through ``TreeLookup``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..message import PATCH, Message
from ..model.series import Series, group_series
from ..model.versions import normalize_title
from ..timeparse import day
from .lifecycle import LandedIn, SeriesState, answers_of

if TYPE_CHECKING:
    from .digest import Digest

PATCH_ID = "patch-id"
LINK = "link"
SUBJECT = "subject"
_RANK = {PATCH_ID: 0, LINK: 1, SUBJECT: 2}

#: a commit found by subject and author is at most this far (author date) from the mail
TITLE_WINDOW_DAYS = 30

#: "applied but not in TREE after N days": N by default
LANDED_DAYS = 14


@dataclass(frozen=True)
class TreeHit:
    """A commit of a tree, as the index holds it."""

    commit: str
    patch_id: str | None
    author_name: str
    author_addr: str
    author_time: int
    commit_time: int
    subject: str
    norm_title: str


class TreeLookup(Protocol):
    """One tree's commits, by patch-id, by a message-id its trailers name, by title."""

    label: str

    def by_patch_ids(self, pids: Iterable[str]) -> list[TreeHit]: ...

    def by_msgids(self, msgids: Iterable[str]) -> list[tuple[str, TreeHit]]: ...

    def by_titles(self, titles: Iterable[str]) -> list[TreeHit]: ...


@dataclass(frozen=True)
class MailPatch:
    """One mailed patch, with what matching compares."""

    msgid: str
    title: str
    author_name: str
    author_addr: str
    date: int | None
    patch_id: str | None

    @classmethod
    def of(cls, m: Message, patch_id: str | None) -> MailPatch:
        return cls(
            m.msgid,
            m.parsed.title,
            m.author_name,
            m.author_addr,
            m.date if m.date is not None else m.received,
            patch_id,
        )


@dataclass(frozen=True)
class PatchLanding:
    """A patch found in a tree: the commit, its commit date, how it was found, and whether
    what was committed differs from what was posted (patch-ids differ)."""

    msgid: str
    tree: str
    commit: str
    date: str
    commit_time: int
    how: str
    modified: bool


def match_tree(patches: Sequence[MailPatch], tree: TreeLookup) -> dict[str, PatchLanding]:
    """Each patch found in ``tree`` (by msgid); a patch not found is absent."""
    by_id: dict[str, list[MailPatch]] = {}
    for p in patches:
        if p.patch_id:
            by_id.setdefault(p.patch_id, []).append(p)
    by_msgid = {p.msgid: p for p in patches}
    by_title: dict[str, list[MailPatch]] = {}
    for p in patches:
        by_title.setdefault(normalize_title(p.title), []).append(p)
    # (rank, date distance, msgid, commit): every candidate pairing
    cands: list[tuple[int, int, str, str]] = []
    hits: dict[str, TreeHit] = {}

    def add(how: str, p: MailPatch, h: TreeHit) -> None:
        hits[h.commit] = h
        dist = abs(h.author_time - p.date) if p.date is not None else 1 << 40
        cands.append((_RANK[how], dist, p.msgid, h.commit))

    for h in tree.by_patch_ids(by_id):
        for p in by_id.get(h.patch_id or "", ()):
            add(PATCH_ID, p, h)
    for mid, h in tree.by_msgids(by_msgid):
        add(LINK, by_msgid[mid], h)
    window = TITLE_WINDOW_DAYS * 86400
    for h in tree.by_titles(by_title):
        for p in by_title.get(h.norm_title, ()):
            if p.date is None or abs(h.author_time - p.date) > window:
                continue
            if not _same_author(p, h):
                continue
            add(SUBJECT, p, h)
    cands.sort()
    taken: set[str] = set()
    out: dict[str, PatchLanding] = {}
    best: dict[str, int] = {}
    for rank, _dist, mid, commit in cands:
        if commit in taken:
            continue
        # a patch takes its best rule's commits (a cherry-pick shares the patch-id), no worse
        if mid in best and rank > best[mid]:
            continue
        taken.add(commit)
        best[mid] = rank
        if mid in out:
            continue  # the first (best) commit names it; the others are copies
        h = hits[commit]
        p = by_msgid[mid]
        how = next(k for k, v in _RANK.items() if v == rank)
        modified = how != PATCH_ID and (not p.patch_id or p.patch_id != h.patch_id)
        out[mid] = PatchLanding(
            mid, tree.label, commit, day(h.commit_time), h.commit_time, how, modified
        )
    return out


def _same_author(p: MailPatch, h: TreeHit) -> bool:
    if p.author_addr and p.author_addr.lower() == h.author_addr.lower():
        return True
    return bool(p.author_name) and p.author_name.strip().lower() == h.author_name.strip().lower()


@dataclass(frozen=True)
class SeriesLanding:
    """A series in one tree: its patches' commits, "n of m patches", modified or not."""

    tree: str
    commits: tuple[PatchLanding, ...]
    landed: int
    of: int
    modified: bool
    #: the newest of its commits' dates
    date: str
    commit_time: int


@dataclass(frozen=True)
class LandedEntry:
    """One line of "Landed in this period"."""

    series_key: str
    subject: str
    author: str
    landing: SeriesLanding


@dataclass(frozen=True)
class NotLandedEntry:
    """A series applied (a notice says so) and found in no tree ``days`` days later."""

    series_key: str
    subject: str
    applied: str
    applied_to: str
    trees: tuple[str, ...]
    days: int


@dataclass(frozen=True)
class Landed:
    """What the digest says of the trees (``Digest.landed``)."""

    trees: tuple[str, ...]
    days: int
    in_period: tuple[LandedEntry, ...]
    not_landed: tuple[NotLandedEntry, ...]


def series_landings(
    series: Sequence[Series], found: Sequence[Mapping[str, PatchLanding]], as_of: int
) -> dict[str, tuple[SeriesLanding, ...]]:
    """Per series key, its landing in each tree where at least one patch was committed by
    ``as_of`` (a fact after the digest's end is not told)."""
    out: dict[str, tuple[SeriesLanding, ...]] = {}
    for s in series:
        patches = [p for p in s.patches if p.has_diff] or list(s.patches)
        per: list[SeriesLanding] = []
        for tree in found:
            got = tuple(
                tree[p.msgid]
                for p in patches
                if p.msgid in tree and tree[p.msgid].commit_time <= as_of
            )
            if not got:
                continue
            newest = max(g.commit_time for g in got)
            per.append(
                SeriesLanding(
                    got[0].tree,
                    got,
                    len(got),
                    max(len(patches), s.total or 0),
                    any(g.modified for g in got),
                    day(newest),
                    newest,
                )
            )
        if per:
            out[s.key] = tuple(per)
    return out


def landed_report(
    series: Sequence[Series],
    landings: Mapping[str, tuple[SeriesLanding, ...]],
    messages: Iterable[Message],
    *,
    trees: Sequence[str],
    start: int,
    as_of: int,
    days: int = LANDED_DAYS,
) -> Landed:
    """ "Landed in this period" (a commit dated in [start, as_of]) and "applied but not in
    a tree after ``days`` days" (an applied notice as old, no commit in any tree)."""
    in_period: list[LandedEntry] = []
    for s in series:
        for sl in landings.get(s.key, ()):
            if start <= sl.commit_time <= as_of:
                in_period.append(LandedEntry(s.key, s.head.subject, _author(s), sl))
    in_period.sort(key=lambda e: (e.landing.commit_time, e.series_key))
    answers = answers_of(series, messages)
    missing: list[NotLandedEntry] = []
    for s in series:
        if s.key in landings:
            continue
        for a in answers.get(s.key, ()):
            when = a.received if a.received is not None else a.date
            if when is None or when > as_of:
                continue
            notice = a.applied()
            if notice is None:
                continue
            if as_of - when >= days * 86400:
                where = notice.tree + (f" ({notice.branch})" if notice.branch else "")
                missing.append(
                    NotLandedEntry(
                        s.key,
                        s.head.subject,
                        day(when),
                        where,
                        tuple(trees),
                        (as_of - when) // 86400,
                    )
                )
            break
    return Landed(tuple(trees), days, tuple(in_period), tuple(missing))


def _author(s: Series) -> str:
    h = s.head
    return f"{h.author_name} <{h.author_addr}>" if h.author_name else h.author_addr


class Lander(Protocol):
    """The configured trees, brought up to date: finds mailed patches in each (``pipeline``
    reads the mails' diffs and asks ``store.trees``)."""

    trees: tuple[str, ...]

    def find(self, patches: Sequence[Message]) -> list[dict[str, PatchLanding]]: ...


def with_landed(
    digest: Digest,
    messages: Sequence[Message],
    earlier: Sequence[Message],
    lander: Lander,
    *,
    days: int = LANDED_DAYS,
) -> Digest:
    """``digest`` with what the trees say: each series' landings and state, "Landed in this
    period" and "applied but not in a tree".  ``earlier`` are the messages before the range
    still worth a look (series posted before it may land or wait in it)."""
    everything = (*earlier, *messages)
    postings = [m for m in everything if m.kind == PATCH]
    posted = {id(m) for m in postings}
    series = group_series(postings, others={m.msgid: m for m in everything if id(m) not in posted})
    patches = [p for s in series for p in s.patches if p.has_diff]
    found = lander.find(patches)
    times = [m.received if m.received is not None else (m.date or 0) for m in messages]
    as_of = digest.newest if digest.newest is not None else max(times, default=0)
    start = min(times, default=as_of)
    per = series_landings(series, found, as_of)
    report = landed_report(
        series, per, everything, trees=lander.trees, start=start, as_of=as_of, days=days
    )
    entries = tuple(
        dataclasses.replace(
            e, landed=per.get(e.key, ()), state=_landed_state(e.state, per.get(e.key, ()))
        )
        for e in digest.series
    )
    return dataclasses.replace(digest, series=entries, landed=report)


def _landed_state(st: SeriesState | None, landings: Sequence[SeriesLanding]) -> SeriesState | None:
    if st is None or not landings:
        return st
    return dataclasses.replace(
        st, landed=tuple(LandedIn(sl.tree, sl.commits[0].commit[:12]) for sl in landings)
    )
