"""What the archive's history adds to a digest: version labels, changelogs, reviews, applied
series, hot threads, waiting series, first-time contributors and bots.

Owns the rules of those sections, and ``HistoryLookup``: every question this stage asks
the archive's past.  The answers come from the store's ``Index`` (which implements the
protocol; the pipeline passes it in, this module never imports the store); without one
(``--no-index``, mbox, Maildir) the sections that need the past are left empty and every
series is ``New`` (or ``Resend``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Callable, Protocol

from ..message import PATCH, Message
from ..message.applied import AppliedItem
from ..message.body import split_body, strip_inbody
from ..message.trailers import REVIEW_TRAILERS
from ..model.series import Series
from ..model.threads import group_threads
from ..model.versions import (
    Posting,
    VersionLink,
    VersionLookup,
    change_id,
    lore_links,
    previous_version,
    version_chain,
)
from ..timeparse import day
from ..workers import Forked
from .counts import Count, ranked
from .lifecycle import DISCUSSED, NEW, STALE_DAYS, Newer, SeriesState, answers_of, series_state

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


class HistoryLookup(VersionLookup, Protocol):
    """Every question the analysis stage asks the archive's past (the store's ``Index``
    answers them): the series and version look-ups of ``VersionLookup`` (whose
    ``parents_of`` also finds a thread's root beyond the range), and these."""

    def position_of_commit(self, commit: str) -> tuple[int, int] | None:
        """(epoch, seq) of the message ``commit`` stores: its place in archive order."""
        ...

    def subject_of(self, msgid: str) -> str | None:
        """The subject of the first message stored under ``msgid``."""
        ...

    def kind_of(self, msgid: str) -> str | None:
        """The kind (patch, reply, other) of the first message stored under ``msgid``."""
        ...

    def first_positions(self, addrs: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each address's first message in the archive (as sender or author), lower-cased."""
        ...

    def first_positions_by_name(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each display name's first message in the archive (as author), any address."""
        ...

    def messages_before(self, pos: tuple[int, int], since: int) -> list[Message]:
        """The messages received since ``since`` and stored before ``pos``, in archive
        order, as ``message.slim`` leaves them (the window before a range)."""
        ...

    def reopened(self) -> HistoryLookup:
        """The same lookup on a connection of its own, for a forked process."""
        ...


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
    versions: tuple[VersionRef, ...]
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
    trailers: tuple[GivenTrailer, ...]


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
    items: tuple[AppliedItem, ...]


@dataclass(frozen=True)
class ThreadEntry:
    root: str
    subject: str
    messages: int
    participants: int
    #: messages from people other than the thread's starter (bots left out): what ranks it
    replies: int = 0


@dataclass(frozen=True)
class WaitingEntry:
    key: str
    subject: str
    author: str
    date: str
    #: new (no reply) or discussed (replies, no review tag yet)
    state: str = "new"
    replies: int = 0


@dataclass(frozen=True)
class History:
    #: whether an archive index was used (False: no past, every series is New)
    indexed: bool
    waiting_days: int
    waiting: tuple[WaitingEntry, ...]
    reviews: tuple[ReviewEntry, ...]
    #: trailers whose sender is not the person named (b4's rule: they do not count)
    mismatched: tuple[GivenTrailer, ...]
    top_reviewers: tuple[Count, ...]
    applied: tuple[AppliedEntry, ...]
    hot_threads: tuple[ThreadEntry, ...]
    first_time: tuple[str, ...]
    bots: tuple[Count, ...]
    #: known contributors (by display name) posting from an address new to the archive
    new_addresses: tuple[str, ...] = ()


def is_bot(addr: str, name: str, patterns: Sequence[str]) -> bool:
    """Whether a sender is a bot: an address matching one of ``patterns``, or a bot's name."""
    return _is_bot(
        addr or "", name or "", patterns if isinstance(patterns, tuple) else tuple(patterns)
    )


@functools.lru_cache(maxsize=65536)
def _is_bot(addr: str, name: str, patterns: tuple[str, ...]) -> bool:
    # a whole-archive digest asks this ~50,000 times about a few thousand senders
    a = addr.lower()
    n = name.lower()
    return any(p in a for p in patterns) or "kernel test robot" in n or n.endswith(" bot")


# A changelog heading for one version: "Changes in V5:", "v5:", "Changes since v4:",
# "v4 -> v5:", "Changes v4..v5", "Since v4:", "V5 changes:".  Captures the word that says
# how to read the number (since/from = the next version) and the one or two numbers.
_CL_RE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:changes?(?:log)?|change\s+log)?\s*(in|since|from|for|to|between|after)?\s*"
    r"(?:v|version\s*)(\d+)(?:\s*(?:->|→|to|\.\.\.?|-)\s*v?(\d+))?\s*(?:changes?)?\s*(?::|$)(.*)$",
    re.I,
)
# a line where a changelog block certainly ended: the shortlog header, a diffstat, base-commit
_CL_END_RE = re.compile(
    r"^(?:\S.* \(\d+\):$|base-commit:|---\s*$| \S.*\|\s+\d+|\s*\d+ files? changed)"
)


# the same heading found by one scan of a whole body (re.M): white space short of a line
# break where the line pattern has \s, so a match stays within its line
_CL_M_RE = re.compile(_CL_RE.pattern.replace(r"\s", r"[^\S\n]"), re.I | re.M)
# what every heading line holds: the version's "v" and digit, or "version" and digit.  A
# pattern anchored at each line start is tried at every character of a body; this one
# finds the few lines worth trying (the same matches, in half the time, on the 54,642
# bodies and notes of the three shared archives)
_CL_HINT_RE = re.compile(r"v\d|version[^\S\n]*\d", re.I)


def _headings(text: str) -> Iterator[re.Match[str]]:
    """``_CL_M_RE.finditer(text)``, trying only the lines ``_CL_HINT_RE`` finds."""
    end = -1  # the end of the last line tried
    for hint in _CL_HINT_RE.finditer(text):
        if hint.start() < end:
            continue  # a second hint on a line already tried
        start = text.rfind("\n", 0, hint.start()) + 1
        end = text.find("\n", hint.end())
        if end < 0:
            end = len(text)
        m = _CL_M_RE.match(text, start, end)
        if m is not None:
            yield m


def _heading_version(line: str) -> int | None:
    return _version_of(_CL_RE.match(line))


def _version_of(m: re.Match[str] | None) -> int | None:
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
    # the heading is found by one scan of the body, not a regex per line (a cover letter
    # quoting a long changelog is read for every series of a whole-archive digest)
    start = next((h.start() for h in _headings(text) if _version_of(h) == version), None)
    if start is None:
        return ""
    lines = text.split("\n")
    i = text.count("\n", 0, start)
    out = [lines[i].rstrip()]
    j = i + 1
    while j < len(lines):
        line = lines[j].rstrip()
        if (
            _heading_version(line) is not None
            and line.strip()
            and not line.lstrip().startswith(("-", "*"))
        ):
            break
        if _CL_END_RE.match(line):
            break
        if not line.strip():
            nxt = next((x for x in lines[j + 1 :] if x.strip()), "")
            if not nxt or not (
                nxt.startswith((" ", "\t")) or nxt.lstrip().startswith(("-", "*", "o ", "+"))
            ):
                break
        out.append(line)
        j += 1
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


def series_history(
    s: Series, lookup: HistoryLookup | None, memo: dict[str, VersionLink | None] | None = None
) -> SeriesHistory:
    head = s.head
    resend = head.parsed.resend
    if lookup is None:
        return SeriesHistory(s.key, "Resend" if resend else "New", (), "")
    # the series as this digest groups it (its version may be the batch's, not the head's label)
    known = lookup.posting(head.msgid)
    pos = (
        known.pos
        if known is not None
        else (lookup.position_of_commit(head.commit) if head.commit else None)
    )
    p = Posting(
        s.key,
        head.subject,
        head.parsed.title,
        s.version,
        head.author_addr.lower(),
        head.date,
        pos or (1 << 31, 0),
        resend,
        head.author_name,
    )
    titles = [x.parsed.title for x in s.patches[:3] if x.parsed.title != head.parsed.title]
    first = previous_version(
        p, lookup, lore_links(head.body), change_id(head.body), head.ancestors, titles
    )
    chain = version_chain(p, lookup, first, memo=memo) if first is not None else ()
    versions = tuple(
        VersionRef(c.version, c.msgid, c.subject, day(c.date) if c.date else "", c.via)
        for c in chain
    )
    if resend:
        label = "Resend"
    elif versions:
        label = f"v{s.version} (revises v{versions[0].version} of {versions[0].date})"
    else:
        label = "New"
    return SeriesHistory(s.key, label, versions, _series_changelog(s) if versions else "")


def _head_key(msgid: str, lookup: HistoryLookup | None, local: dict[str, str]) -> str:
    if msgid in local:
        return local[msgid]
    if lookup is not None:
        p = lookup.posting(msgid)
        if p is not None:
            return p.msgid
    return msgid


#: series in a range from which their histories are looked up on two cores
PARALLEL_SERIES = 400


def start_histories(
    series: Sequence[Series], lookup: HistoryLookup | None
) -> Callable[[], list[SeriesHistory]]:
    """Start looking up each series' history; the returned call waits for the answers.  A
    large range's run in a forked child (with its own index connection: a SQLite connection
    must not cross a fork) while this process builds the rest of the digest."""

    def part(items: Sequence[Series], in_child: bool) -> list[SeriesHistory]:
        lk = lookup.reopened() if in_child and lookup is not None else lookup
        memo: dict[str, VersionLink | None] = {}
        return [series_history(s, lk, memo) for s in items]

    if lookup is None:
        return lambda: part(series, False)
    return Forked(part, series, PARALLEL_SERIES).result


def build_history(
    messages: Sequence[Message],
    series: Sequence[Series],
    lookup: HistoryLookup | None,
    *,
    top: int = 15,
    hot: int = 10,
    waiting_days: int = 14,
    bots: Sequence[str] = DEFAULT_BOTS,
    range_start: tuple[int, int] | None = None,
    histories: Callable[[], list[SeriesHistory]] | None = None,
    window: Sequence[Message] = (),
    window_series: Sequence[Series] | None = None,
    stale_days: int = STALE_DAYS,
    other_addresses: Callable[[str, str], Iterable[str]] | None = None,
) -> tuple[dict[str, SeriesHistory], dict[str, SeriesState], History]:
    """Per-series history and state (by series key) and the digest's history sections.

    ``other_addresses(name, addr)`` (the mailmap and aliases) gives a person's other
    addresses, so that a known contributor's new address is not a newcomer.
    ``window`` holds the messages received in the ``waiting_days`` before the range (from
    the index), and ``window_series`` the series of the window and the range together, of
    which ``series`` (the range's) is a part; ``histories`` is what ``start_histories``
    returned for ``window_series``, when the caller started it early.  Every judgement is
    made as of the newest message of the range."""
    if window_series is None:
        window_series = series
    if histories is None:
        histories = start_histories(window_series, lookup)
    by_id = {m.msgid: m for m in messages}
    local_head: dict[str, str] = {}
    for s in window_series:
        for m in s.messages:
            local_head[m.msgid] = s.key
        local_head.setdefault(s.key, s.key)

    patterns = tuple(bots)

    def bot(addr: str, name: str = "") -> bool:
        return _is_bot(addr or "", name or "", patterns)  # memoised (lru_cache)

    def subject_of(msgid: str, fallback: str) -> str:
        if msgid in by_id:
            return by_id[msgid].subject
        if lookup is not None:
            got = lookup.subject_of(msgid)
            if got:
                return got
        return fallback

    # reviews: trailers given in replies, grouped by the series of the patch replied to
    reviews: dict[str, list[GivenTrailer]] = {}
    mismatched: list[GivenTrailer] = []
    reviewers: Counter = Counter()
    applied: list[AppliedEntry] = []
    bot_counts: Counter = Counter()
    for m in messages:
        sender_is_bot = bot(m.from_addr, m.from_name)
        if sender_is_bot:
            bot_counts[m.from_name or m.from_addr] += 1
        if m.kind == PATCH:
            continue
        parent = m.parent
        for t in m.trailers():
            if t.name not in REVIEW_TRAILERS and t.name.lower() != "reported-and-tested-by":
                continue
            if sender_is_bot or bot(t.person_addr, t.person_name):
                continue  # syzbot's Reported-by is no review work
            target = parent or m.msgid
            g = GivenTrailer(
                t.name, t.person, m.from_addr, target, subject_of(target, m.subject), m.msgid
            )
            if t.matches(m.from_addr) or t.matches(m.author_addr):
                reviews.setdefault(_head_key(target, lookup, local_head), []).append(g)
                reviewers[t.person] += 1
            else:
                mismatched.append(g)
        a = m.applied()
        if a is not None and parent is not None:
            key = _head_key(parent, lookup, local_head)
            applied.append(
                AppliedEntry(
                    m.msgid,
                    key,
                    subject_of(key, m.subject),
                    a.source,
                    a.tree,
                    a.branch,
                    a.by,
                    a.subset,
                    a.items,
                )
            )
    review_entries = tuple(
        ReviewEntry(k, subject_of(k, v[0].patch_subject), tuple(v)) for k, v in reviews.items()
    )

    # hot threads: ranked by what others said, never a series nobody answered
    threads = group_threads(messages, lookup)
    hot_order = []
    for th in threads:
        if len(th.messages) < 2:
            continue  # nobody answered
        starter = by_id.get(th.root)
        first = (
            starter if starter is not None else min(th.messages, key=lambda x: x.seq)
        ).from_addr.lower()
        people = set()
        others = 0
        for x in th.messages:
            if bot(x.from_addr, x.from_name):
                continue
            addr = x.from_addr.lower()
            people.add(addr)
            others += addr != first
        if not others:
            continue
        hot_order.append(
            (
                -others,
                -len(people),
                th.first_seq,
                ThreadEntry(
                    th.root, subject_of(th.root, th.subject), len(th.messages), len(people), others
                ),
            )
        )
    hot_order.sort(key=lambda r: r[:3])
    hot_threads = tuple(r[3] for r in hot_order[:hot])

    # first-time contributors: archive look-ups that need no version chain, made while the
    # chains are still being looked up
    first_time: tuple[str, ...] = ()
    new_addresses: tuple[str, ...] = ()
    if lookup is not None and messages and range_start is not None:
        first_time, new_addresses = _first_timers(
            messages, lookup, range_start, bot, other_addresses
        )

    # states: every series of the window, as of the range's newest message
    end = max((m.received or 0) for m in messages) if messages else 0
    answers = answers_of(window_series, list(window) + list(messages))
    chains = dict(zip((s.key for s in window_series), histories()))
    newer = _newer_versions(window_series, chains, local_head)
    states = {
        s.key: series_state(
            s, answers[s.key], newer.get(s.key), as_of=end, is_bot=bot, stale_days=stale_days
        )
        for s in window_series
    }
    waiting: tuple[WaitingEntry, ...] = ()
    if lookup is not None and messages:
        waiting = _waiting(window_series, states, end - waiting_days * 86400)
    keys = {s.key for s in series}
    per = {k: h for k, h in chains.items() if k in keys}
    return (
        per,
        {k: v for k, v in states.items() if k in keys},
        History(
            indexed=lookup is not None,
            waiting_days=waiting_days,
            waiting=waiting,
            reviews=review_entries,
            mismatched=tuple(mismatched),
            top_reviewers=ranked(reviewers, top),
            applied=tuple(applied),
            hot_threads=hot_threads,
            first_time=first_time,
            bots=ranked(bot_counts, 1000),
            new_addresses=new_addresses,
        ),
    )


def _first_timers(
    messages: Sequence[Message],
    lookup: HistoryLookup,
    range_start: tuple[int, int],
    bot,
    other_addresses: Callable[[str, str], Iterable[str]] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(first-time contributors, known contributors' new addresses) among the range's
    authors: an address whose first message is in the range, unless the same display name,
    or an address the mailmap and aliases give the same person, posted before it."""
    authors: dict[str, Message] = {}
    for m in messages:
        if m.kind == PATCH and not bot(m.author_addr, m.author_name):
            authors.setdefault(m.author_addr.lower(), m)
    firsts = lookup.first_positions(authors)
    fresh = {a: m for a, m in authors.items() if a in firsts and firsts[a] >= range_start}
    by_name = lookup.first_positions_by_name(m.author_name for m in fresh.values())
    known = {
        a
        for a, m in fresh.items()
        if m.author_name in by_name and by_name[m.author_name] < range_start
    }
    if other_addresses is not None:
        alias = {
            a: set(other_addresses(m.author_name, m.author_addr))
            for a, m in fresh.items()
            if a not in known
        }
        seen = lookup.first_positions({x for xs in alias.values() for x in xs})
        known |= {
            a for a, xs in alias.items() if any(x in seen and seen[x] < range_start for x in xs)
        }

    def shown(m: Message) -> str:
        return f"{m.author_name} <{m.author_addr}>" if m.author_name else m.author_addr

    return (
        tuple(sorted(shown(m) for a, m in fresh.items() if a not in known)),
        tuple(sorted(shown(m) for a, m in fresh.items() if a in known)),
    )


def _newer_versions(
    series: Sequence[Series], chains: dict[str, SeriesHistory], owner: dict[str, str]
) -> dict[str, Newer]:
    """For each series (by key), the nearest newer version among ``series``: a series whose
    version chain names one of its messages."""
    by_key = {s.key: s for s in series}
    out: dict[str, Newer] = {}
    for s in series:
        for v in chains[s.key].versions:
            old = owner.get(v.msgid)
            if old is None or old == s.key:
                continue
            prev = out.get(old)
            if prev is None or s.version < prev.version:
                head = s.head
                out[old] = Newer(
                    s.key, s.version, head.received if head.received is not None else head.date
                )
    return {k: v for k, v in out.items() if k in by_key}


def _waiting(
    series: Sequence[Series], states: dict[str, SeriesState], since: int
) -> tuple[WaitingEntry, ...]:
    """Series posted since ``since`` that nobody has reviewed yet (new or discussed): one
    entry per series, never one applied, superseded or sent back for changes."""
    out = []
    for s in series:
        st = states[s.key]
        head = s.head
        when = head.received if head.received is not None else head.date
        if when is None or when < since or st.state not in (NEW, DISCUSSED):
            continue
        author = (
            f"{head.author_name} <{head.author_addr}>" if head.author_name else head.author_addr
        )
        out.append(
            (
                when,
                WaitingEntry(
                    s.key, head.subject, author, day(head.date or when), st.state, st.replies
                ),
            )
        )
    out.sort(key=lambda x: x[0])
    return tuple(w for _, w in out)
