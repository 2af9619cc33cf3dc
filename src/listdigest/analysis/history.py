"""What the archive's history adds to a digest: version labels, changelogs, reviews, applied
series, hot threads, waiting series, first-time contributors and bots.

Owns the rules of those sections.  The archive-wide facts come from a history lookup (the
store's ``Index``, passed in by the pipeline; this module never imports the store); without
one (``--no-index``, mbox, Maildir) the sections that need the past are left empty and every
series is ``New`` (or ``Resend``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..message import PATCH, Message
from ..message.applied import AppliedItem
from ..message.body import split_body, strip_inbody
from ..message.trailers import REVIEW_TRAILERS
from ..model.series import Series
from ..model.threads import group_threads
from ..model.versions import Posting, change_id, lore_links, previous_version, version_chain
from ..timeparse import day
from ..workers import Forked

#: address substrings that mark a bot (kept out of the human contributor ranking)
DEFAULT_BOTS = (
    "patchwork-bot",
    "lkp@intel.com",
    "syzbot",
    "syzkaller",
    "noreply",
    "no-reply",
    "bot@",
    "-bot+",
    "ci_notify",
    "kernelci",
)


@dataclass(frozen=True)
class Tally:
    count: int
    label: str


@dataclass(frozen=True)
class VersionRef:
    version: int
    msgid: str
    subject: str
    date: str
    #: the rule that linked it: link, change-id, reply, title
    via: str


@dataclass(frozen=True)
class SeriesHistory:
    key: str
    label: str
    #: earlier versions, newest first
    versions: Tuple[VersionRef, ...]
    changelog: str


@dataclass(frozen=True)
class GivenTrailer:
    name: str
    person: str
    sender: str
    patch_msgid: str
    patch_subject: str
    msgid: str


@dataclass(frozen=True)
class ReviewEntry:
    series_key: str
    subject: str
    trailers: Tuple[GivenTrailer, ...]


@dataclass(frozen=True)
class AppliedEntry:
    msgid: str
    series_key: str
    subject: str
    source: str
    tree: str
    branch: str
    by: str
    subset: bool
    items: Tuple[AppliedItem, ...]


@dataclass(frozen=True)
class ThreadEntry:
    root: str
    subject: str
    messages: int
    participants: int


@dataclass(frozen=True)
class WaitingEntry:
    key: str
    subject: str
    author: str
    date: str


@dataclass(frozen=True)
class History:
    #: whether an archive index was used (False: no past, every series is New)
    indexed: bool
    waiting_days: int
    waiting: Tuple[WaitingEntry, ...]
    reviews: Tuple[ReviewEntry, ...]
    #: trailers whose sender is not the person named (b4's rule: they do not count)
    mismatched: Tuple[GivenTrailer, ...]
    top_reviewers: Tuple[Tally, ...]
    applied: Tuple[AppliedEntry, ...]
    hot_threads: Tuple[ThreadEntry, ...]
    first_time: Tuple[str, ...]
    bots: Tuple[Tally, ...]


def is_bot(addr: str, name: str, patterns: Sequence[str]) -> bool:
    """Whether a sender is a bot: an address matching one of ``patterns``, or a bot's name."""
    return _is_bot(addr or "", name or "", tuple(patterns))


@functools.lru_cache(maxsize=65536)
def _is_bot(addr: str, name: str, patterns: Tuple[str, ...]) -> bool:
    # a whole-archive digest asks this ~50,000 times about a few thousand senders
    a = addr.lower()
    n = name.lower()
    return any(p in a for p in patterns) or "kernel test robot" in n or n.endswith(" bot")


def _ranked(counter: Dict[str, int], top: int) -> Tuple[Tally, ...]:
    items = sorted(counter.items(), key=lambda kv: (kv[1], kv[0].encode("utf-8")), reverse=True)
    return tuple(Tally(c, label) for label, c in items[:top])


# A changelog heading for one version: "Changes in V5:", "v5:", "Changes since v4:",
# "v4 -> v5:", "Changes v4..v5", "Since v4:", "V5 changes:".  Captures the word that says
# how to read the number (since/from = the next version) and the one or two numbers.
_CL_RE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:changes?(?:log)?|change\s+log)?\s*(in|since|from|for|to|between|after)?\s*"
    r"(?:v|version\s*)(\d+)(?:\s*(?:->|→|to|\.\.\.?|-)\s*v?(\d+))?\s*(?:changes?)?\s*(?::|$)(.*)$",
    re.I,
)
# a line where a changelog block certainly ended: the shortlog header, a diffstat, base-commit
_CL_END_RE = re.compile(r"^(?:\S.* \(\d+\):$|base-commit:|---\s*$| \S.*\|\s+\d+|\s*\d+ files? changed)")


def _heading_version(line: str) -> Optional[int]:
    m = _CL_RE.match(line)
    if m is None:
        return None
    word = (m.group(1) or "").lower()
    a = int(m.group(2))
    if m.group(3):
        return int(m.group(3))
    if word in ("since", "from", "after"):
        return a + 1
    return a


def changelog(text: str, version: int) -> str:
    """The block of ``text`` that says what changed in ``version``; "" when there is none."""
    if version < 2 or not text:
        return ""
    lines = text.split("\n")
    out: List[str] = []
    i = 0
    while i < len(lines):
        v = _heading_version(lines[i])
        if v != version:
            i += 1
            continue
        out = [lines[i].rstrip()]
        j = i + 1
        while j < len(lines):
            line = lines[j].rstrip()
            if _heading_version(line) is not None and line.strip() and not line.lstrip().startswith(("-", "*")):
                break
            if _CL_END_RE.match(line):
                break
            if not line.strip():
                nxt = next((x for x in lines[j + 1 :] if x.strip()), "")
                if not nxt or not (nxt.startswith((" ", "\t")) or nxt.lstrip().startswith(("-", "*", "o ", "+"))):
                    break
            out.append(line)
            j += 1
        break
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def _series_changelog(s: Series) -> str:
    version = s.version
    if s.cover is not None:
        got = changelog(strip_inbody(s.cover.body), version)
        if got:
            return got
    for p in s.patches:
        got = changelog(split_body(strip_inbody(p.body)).notes, version)
        if got:
            return got
    return ""


def series_history(s: Series, lookup: Optional[Any], memo: Optional[Dict[str, Any]] = None) -> SeriesHistory:
    head = s.head
    resend = head.parsed.resend
    if lookup is None:
        return SeriesHistory(s.key, "Resend" if resend else "New", (), "")
    p = lookup.posting(head.msgid)
    if p is None:
        pos = lookup.position_of_commit(head.commit) if head.commit else None
        p = Posting(head.msgid, head.subject, head.parsed.title, s.version, head.author_addr.lower(), head.date, pos or (1 << 31, 0), resend)
    first = previous_version(p, lookup, lore_links(head.body), change_id(head.body), head.ancestors)
    chain = version_chain(p, lookup, first, memo=memo) if first is not None else ()
    versions = tuple(VersionRef(c.version, c.msgid, c.subject, day(c.date) if c.date else "", c.via) for c in chain)
    if resend:
        label = "Resend"
    elif versions:
        label = f"v{s.version} (revises v{versions[0].version} of {versions[0].date})"
    else:
        label = "New"
    return SeriesHistory(s.key, label, versions, _series_changelog(s) if versions else "")


def _head_key(msgid: str, lookup: Optional[Any], local: Dict[str, str]) -> str:
    if msgid in local:
        return local[msgid]
    if lookup is not None:
        p = lookup.posting(msgid)
        if p is not None:
            return p.msgid
    return msgid


#: series in a range from which their histories are looked up on two cores
PARALLEL_SERIES = 400


def start_histories(series: Sequence[Series], lookup: Optional[Any]) -> Callable[[], List[SeriesHistory]]:
    """Start looking up each series' history; the returned call waits for the answers.  A
    large range's run in a forked child (with its own index connection: a SQLite connection
    must not cross a fork) while this process builds the rest of the digest."""

    def part(items: Sequence[Series], in_child: bool) -> List[SeriesHistory]:
        lk = lookup.reopened() if in_child and lookup is not None else lookup
        memo: Dict[str, Any] = {}
        return [series_history(s, lk, memo) for s in items]

    if lookup is None or not hasattr(lookup, "reopened"):
        return lambda: part(series, False)
    return Forked(part, series, PARALLEL_SERIES).result


def build_history(
    messages: Sequence[Message],
    series: Sequence[Series],
    lookup: Optional[Any],
    *,
    top: int = 15,
    hot: int = 10,
    waiting_days: int = 14,
    bots: Sequence[str] = DEFAULT_BOTS,
    range_start: Optional[Tuple[int, int]] = None,
    histories: Optional[Callable[[], List[SeriesHistory]]] = None,
) -> Tuple[Dict[str, SeriesHistory], History]:
    """Per-series history (by series key) and the digest's history sections.
    ``histories`` is what ``start_histories`` returned, when the caller started it early."""
    if histories is None:
        histories = start_histories(series, lookup)
    by_id = {m.msgid: m for m in messages}
    local_head: Dict[str, str] = {}
    for s in series:
        for m in s.messages:
            local_head[m.msgid] = s.key
        local_head.setdefault(s.key, s.key)

    def subject_of(msgid: str, fallback: str) -> str:
        if msgid in by_id:
            return by_id[msgid].subject
        if lookup is not None:
            got = lookup.subject_of(msgid)
            if got:
                return got
        return fallback

    # reviews: trailers given in replies, grouped by the series of the patch replied to
    reviews: Dict[str, List[GivenTrailer]] = {}
    mismatched: List[GivenTrailer] = []
    reviewers: Counter = Counter()
    applied: List[AppliedEntry] = []
    bot_counts: Counter = Counter()
    for m in messages:
        if is_bot(m.from_addr, m.from_name, bots):
            bot_counts[m.from_name or m.from_addr] += 1
        if m.kind == PATCH:
            continue
        parent = m.parent
        for t in m.trailers():
            if t.name not in REVIEW_TRAILERS and t.name.lower() != "reported-and-tested-by":
                continue
            target = parent or m.msgid
            g = GivenTrailer(t.name, t.person, m.from_addr, target, subject_of(target, m.subject), m.msgid)
            if t.matches(m.from_addr) or t.matches(m.author_addr):
                reviews.setdefault(_head_key(target, lookup, local_head), []).append(g)
                reviewers[t.person] += 1
            else:
                mismatched.append(g)
        a = m.applied()
        if a is not None and parent is not None:
            key = _head_key(parent, lookup, local_head)
            applied.append(
                AppliedEntry(m.msgid, key, subject_of(key, m.subject), a.source, a.tree, a.branch, a.by, a.subset, a.items)
            )
    review_entries = tuple(ReviewEntry(k, subject_of(k, v[0].patch_subject), tuple(v)) for k, v in reviews.items())

    # hot threads
    threads = group_threads(messages, lookup)
    hot_threads = tuple(
        ThreadEntry(t.root, subject_of(t.root, t.subject), len(t.messages), t.participants)
        for t in sorted(threads, key=lambda t: (-len(t.messages), t.first_seq))
        if len(t.messages) >= 2
    )[:hot]

    waiting: Tuple[WaitingEntry, ...] = ()
    first_time: Tuple[str, ...] = ()
    if lookup is not None and messages:
        end = max((m.received or 0) for m in messages)
        waiting = _waiting(lookup, end - waiting_days * 86400, end, bots)
        if range_start is not None:
            authors = {}
            for m in messages:
                if m.kind == PATCH and not is_bot(m.author_addr, m.author_name, bots):
                    authors.setdefault(m.author_addr.lower(), m)
            firsts = lookup.first_positions(authors)
            first_time = tuple(
                sorted(
                    f"{m.author_name} <{m.author_addr}>" if m.author_name else m.author_addr
                    for a, m in authors.items()
                    if a in firsts and firsts[a] >= range_start
                )
            )
    per = dict(zip((s.key for s in series), histories()))
    return per, History(
        indexed=lookup is not None,
        waiting_days=waiting_days,
        waiting=waiting,
        reviews=review_entries,
        mismatched=tuple(mismatched),
        top_reviewers=_ranked(reviewers, top),
        applied=tuple(applied),
        hot_threads=hot_threads,
        first_time=first_time,
        bots=_ranked(bot_counts, 1000),
    )


def _waiting(lookup: Any, since: int, until: int, bots: Sequence[str]) -> Tuple[WaitingEntry, ...]:
    """Series posted in [since, until] that got no reply and no trailer from anyone but the author."""
    heads: Dict[str, Tuple[Posting, List[str], str, str]] = {}
    for msgid, subject, name, addr, received, counter, irt, version, from_addr in lookup.postings_between(since, until):
        p = lookup.posting(msgid)
        if p is None:
            continue
        entry = heads.setdefault(p.msgid, (p, [], name, from_addr))
        entry[1].append(msgid)
    out = []
    for key, (p, ids, name, from_addr) in heads.items():
        if key not in ids:
            ids = ids + [key]
        others = {a for a in lookup.responders(ids, until) if a not in (p.author_addr, from_addr) and not is_bot(a, "", bots)}
        if others:
            continue
        author = f"{name} <{p.author_addr}>" if name else p.author_addr
        out.append((p.date or 0, WaitingEntry(key, p.subject, author, day(p.date) if p.date else "")))
    out.sort(key=lambda x: x[0])
    return tuple(w for _, w in out)
