"""Build the ``Digest`` of a range: contributor tables, totals, the series and their bodies.

Counting rule (checked against the real kvm archive): the tables count *patch postings*
(cover letters and patches, not replies), each once for its author by the in-body rule.
Ties are ordered as ``sort | uniq -c | sort -rn`` orders them (byte order, reversed), so
the seed digest's tables come out line for line the same.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ..message import PATCH, REPLY, Message
from ..message.body import digest_text
from ..model.series import Series, group_series
from .counts import Count, ranked
from .employers import UNKNOWN, Affiliations, Identity, employer_counter, infer_affiliations
from .history import (
    DEFAULT_BOTS,
    History,
    HistoryLookup,
    SeriesHistory,
    VersionRef,
    build_history,
    is_bot,
    series_history,
    start_histories,
)
from .lifecycle import SeriesState
from .people import domain_of, format_address, plain_address

if TYPE_CHECKING:
    # only with --tree; a digest without trees does not load the matching code
    from .landed import Landed, SeriesLanding

#: 2: history (labels vN, versions, changelog, waiting, reviews, applied, hot threads, ...)
#:    and ``employers`` (the employer table)
#: 3: per-series state (lifecycle) and rfc; waiting entries carry their state
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str


@dataclass(frozen=True)
class Totals:
    messages: int
    patches: int
    replies: int
    other: int
    skipped: int


@dataclass(frozen=True)
class MessageEntry:
    msgid: str
    subject: str
    author: str
    date: int | None
    received: int | None
    commit: str | None
    #: the lists that carried it, in the digest's list order (a digest of several lists)
    lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class BodyEntry:
    """One body the digest prints: a cover letter, or one patch's commit message."""

    msgid: str
    subject: str
    author: str
    text: str


@dataclass(frozen=True)
class SeriesEntry:
    key: str
    label: str
    title: str
    subject: str
    author: str
    author_name: str
    author_addr: str
    version: int
    has_cover: bool
    received: int
    expected: int
    first_seq: int
    messages: tuple[MessageEntry, ...]
    bodies: tuple[BodyEntry, ...]
    #: earlier versions found in the archive, newest first (empty without an index)
    versions: tuple[VersionRef, ...] = ()
    #: what changed in this version, from the cover letter or patch notes
    changelog: str = ""
    #: where the series stands (new, discussed, reviewed, ..., applied) as of the digest's end
    state: SeriesState | None = None
    #: the cover letter (or, without one, a patch) says RFC
    rfc: bool = False
    #: the code trees (``--tree``) holding its patches, with a commit per patch found
    landed: tuple[SeriesLanding, ...] = ()
    #: the lists that carried any of its messages, in the digest's list order (a digest of
    #: several lists; empty for one list)
    lists: tuple[str, ...] = ()

    @property
    def also_on(self) -> tuple[str, ...]:
        """The lists beside the first that carried it ("also on linux-hyperv")."""
        return self.lists[1:]


@dataclass(frozen=True)
class ListPart:
    """One list of a digest of several: its name, its range, the messages it carried."""

    name: str
    start: str | None
    end: str | None
    messages: int


@dataclass(frozen=True)
class Filtered:
    """A digest of some files: what it is for and how many of the range's series it kept."""

    #: the MAINTAINERS section names and path patterns ("KVM X86", "drivers/hv/")
    label: str
    #: series kept (touching a matching path) and series in the range
    series: int
    of: int


@dataclass(frozen=True)
class Digest:
    list_name: str
    start: str | None
    end: str | None
    top: int
    domains: tuple[Count, ...]
    contributors: tuple[Count, ...]
    totals: Totals
    #: series in archive order (oldest first): the patch list
    series: tuple[SeriesEntry, ...]
    skipped: tuple[Skipped, ...]
    end_commit: str | None = None
    #: messages received per UTC day (label YYYY-MM-DD), oldest day first, days without mail included
    per_day: tuple[Count, ...] = ()
    #: receive time (unix seconds) of the newest message in the range, None when there is none
    newest: int | None = None
    #: the sections the archive's history adds (reviews, applied, hot threads, ...)
    history: History | None = None
    #: postings per employer at the posting's date (gitdm maps), ranked like the other tables
    employers: tuple[Count, ...] = ()
    #: the (Unknown) row's postings by author address (lower case): what to map next
    unmapped: tuple[Count, ...] = ()
    #: postings whose author's employer is not known (all of them, not only the top rows)
    unknown_postings: int = 0
    #: a digest of several lists: each list's range and the messages it carried in it (a
    #: cross-posted message counts on each list, once in ``totals``); empty for one list
    lists: tuple[ListPart, ...] = ()
    #: a digest of some files (``--path``, MAINTAINERS sections): what for, and how many of
    #: the range's series it kept; None for the whole list (and then absent from the JSON)
    filtered: Filtered | None = None

    #: what the code trees say (``--tree``): landed in this period, applied but not landed;
    #: None without trees (and then absent from the JSON)
    landed: Landed | None = None

    @property
    def series_newest_first(self) -> tuple[SeriesEntry, ...]:
        return tuple(sorted(self.series, key=lambda s: s.first_seq, reverse=True))

    def to_dict(self) -> dict:
        d = asdict(self)
        if d.get("filtered", 0) is None:
            del d["filtered"]  # an unfiltered digest's JSON is as before
        if self.landed is None:  # without trees the JSON is as before
            del d["landed"]
            for s in d["series"]:
                del s["landed"]
                if s["state"] is not None:
                    del s["state"]["landed"]
        d["schema_version"] = SCHEMA_VERSION
        return d


def _names(postings: Sequence[Message], idents: dict[tuple[str, str], Identity]) -> dict[str, str]:
    """For each canonical address (lower case), the most used (name, address) spelling of the
    person's identity, first seen on ties.  Without identity rules, identity = the address."""
    forms: dict[str, Counter] = {}
    for m in postings:
        who = idents[(m.author_name, m.author_addr)]
        key = who.addr.lower()
        c = forms.get(key)
        if c is None:
            c = forms[key] = Counter()
        c[(who.name, who.addr)] += 1
    out = {}
    for key, c in forms.items():
        (name, addr), _ = c.most_common(1)[0]
        out[key] = format_address(name, addr)
    return out


def _per_day(messages: Sequence[Message]) -> tuple[Count, ...]:
    """Messages per UTC day of receipt, from the first day to the last with empty days as 0."""
    days: Counter = Counter()
    for m in messages:
        when = m.received if m.received is not None else m.date
        if when is not None:
            days[when // 86400] += 1
    if not days:
        return ()
    lo, hi = min(days), max(days)
    if hi - lo > 3660:  # a bogus far-off Date: keep only days that have mail
        span = sorted(days)
    else:
        span = list(range(lo, hi + 1))
    return tuple(
        Count(
            days.get(d, 0),
            _dt.datetime.fromtimestamp(d * 86400, _dt.timezone.utc).strftime("%Y-%m-%d"),
        )
        for d in span
    )


def _entry(m: Message) -> MessageEntry:
    return MessageEntry(
        m.msgid,
        m.subject,
        plain_address(m.author_name, m.author_addr),
        m.date,
        m.received,
        m.commit,
    )


#: the most of one body a digest prints; a mailed digest must stay mailable whatever is posted
MAX_BODY_CHARS = 64 * 1024


def _printed(body: str) -> str:
    """A body as the digest prints it (``digest_text``), cut at MAX_BODY_CHARS on a line end."""
    text = digest_text(body)
    if len(text) <= MAX_BODY_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_BODY_CHARS)
    cut = cut if cut > 0 else MAX_BODY_CHARS
    rest = text.count("\n", cut)
    return text[:cut] + f"\n[... {rest} more lines not shown; the whole message is in the archive]"


def _bodies(s: Series) -> tuple[BodyEntry, ...]:
    """What the digest prints of a series: its cover letter, else each patch."""
    head = s.head
    if s.cover is not None:
        return (
            BodyEntry(
                head.msgid,
                head.subject,
                plain_address(head.author_name, head.author_addr),
                _printed(head.body),
            ),
        )
    return tuple(
        BodyEntry(p.msgid, p.subject, plain_address(p.author_name, p.author_addr), _printed(p.body))
        for p in s.patches
    )


def _series_entry(
    s: Series,
    h: SeriesHistory | None,
    bodies: tuple[BodyEntry, ...],
    state: SeriesState | None = None,
) -> SeriesEntry:
    head = s.head
    label = h.label if h is not None else ("Resend" if head.parsed.resend else "New")
    return SeriesEntry(
        key=s.key,
        label=label,
        title=head.parsed.title,
        subject=head.subject,
        author=plain_address(head.author_name, head.author_addr),
        author_name=head.author_name,
        author_addr=head.author_addr,
        version=s.version,
        has_cover=s.cover is not None,
        received=len(s.messages),
        expected=s.expected,
        first_seq=s.first_seq,
        messages=tuple(_entry(m) for m in s.messages),
        bodies=bodies,
        versions=h.versions if h is not None else (),
        changelog=h.changelog if h is not None else "",
        state=state,
        rfc=s.rfc,
    )


def _in_range(series: Sequence[Series], ids: AbstractSet[str]) -> list[Series]:
    """The series with messages in the range, each cut to those messages: a cover left
    before the range makes the series' cover missing from it (it keeps the cover's key)."""
    out = []
    for s in series:
        patches = tuple(p for p in s.patches if p.msgid in ids)
        cover = s.cover if s.cover is not None and s.cover.msgid in ids else None
        if not patches and cover is None:
            continue
        if patches == s.patches and cover is s.cover:
            out.append(s)
            continue
        missing = s.cover_missing or (s.cover is not None and cover is None)
        out.append(dataclasses.replace(s, cover=cover, patches=patches, cover_missing=missing))
    out.sort(key=lambda s: s.first_seq)
    return out


def with_lists(
    digest: Digest, carried: Mapping[str, tuple[str, ...]], parts: Sequence[ListPart]
) -> Digest:
    """A digest of several lists: each message and series with the lists that carried it
    (``carried``: Message-ID -> list names, in list order), and each list's part."""
    order = {p.name: i for i, p in enumerate(parts)}

    def lists_of(ids: Sequence[str]) -> tuple[str, ...]:
        names = {n for i in ids for n in carried.get(i, ())}
        return tuple(sorted(names, key=lambda n: order.get(n, len(order))))

    series = tuple(
        dataclasses.replace(
            s,
            messages=tuple(
                dataclasses.replace(m, lists=carried.get(m.msgid, ())) for m in s.messages
            ),
            lists=lists_of([m.msgid for m in s.messages]),
        )
        for s in digest.series
    )
    return dataclasses.replace(digest, series=series, lists=tuple(parts))


@dataclass(frozen=True)
class RangeSeries:
    """A range's messages grouped into series, as a digest reads them (``group_range``)."""

    #: the range's messages (with a path filter: those of the kept series and their threads)
    messages: Sequence[Message]
    #: their patch postings, bots left out
    postings: Sequence[Message]
    #: the messages of the waiting window before the range (from the index)
    window: Sequence[Message]
    #: the series with messages in the range, cut to those messages
    series: Sequence[Series]
    #: the series of the window and the range together, whole (their history is looked up)
    all_series: Sequence[Series]
    filtered: Filtered | None = None


def group_range(
    messages: Sequence[Message],
    *,
    lookup: HistoryLookup | None,
    range_start: tuple[int, int] | None,
    waiting_days: int,
    bots: Sequence[str],
    keep: Callable[[Series, frozenset[str]], bool] | None = None,
    keep_label: str = "",
) -> RangeSeries:
    """The series of ``messages`` and of the waiting window before them (read from
    ``lookup`` from ``range_start``), grouped together: a series whose cover came
    yesterday keeps it, and a waiting series is judged by the same rules as the range's.
    With ``keep``, only the series touching its files (judged whole, a cover before the
    range with its patches), their postings, and the replies in their threads."""

    def posting(m: Message) -> bool:
        return m.kind == PATCH and not is_bot(m.author_addr, m.author_name, bots)

    postings = [m for m in messages if posting(m)]
    window: Sequence[Message] = ()
    if lookup is not None and range_start is not None and messages:
        newest = max((m.received or 0) for m in messages)
        window = lookup.messages_before(range_start, newest - waiting_days * 86400)
    all_postings = [m for m in window if posting(m)] + postings
    posted = {id(m) for m in all_postings}
    all_series = group_series(
        all_postings,
        others={m.msgid: m for m in (*window, *messages) if id(m) not in posted},
        kind_of=lookup.kind_of if lookup is not None else None,
    )
    series = _in_range(all_series, {m.msgid for m in messages}) if window else all_series
    if keep is None:
        return RangeSeries(messages, postings, window, series, all_series)
    known = frozenset(p for m in all_postings for p in m.paths)
    kept = [s for s in all_series if keep(s, known)]
    ids = {m.msgid for s in kept for m in s.messages}
    keys = {s.key for s in kept}

    def wanted(m: Message) -> bool:
        return m.msgid in ids or any(a in ids for a in m.ancestors)

    return RangeSeries(
        [m for m in messages if wanted(m)],
        [m for m in postings if m.msgid in ids],
        [m for m in window if wanted(m)],
        [s for s in series if s.key in keys],
        kept,
        Filtered(keep_label, sum(1 for s in series if s.key in keys), len(series)),
    )


def range_histories(
    messages: Sequence[Message],
    *,
    lookup: HistoryLookup,
    range_start: tuple[int, int] | None,
    waiting_days: int,
    bots: Sequence[str],
    keep: Callable[[Series, frozenset[str]], bool] | None = None,
) -> dict[str, SeriesHistory]:
    """The history of every series ``build_digest`` looks one up for, by key: what a
    process started before the range was read computes (``build_digest``'s ``early``)."""
    g = group_range(
        messages,
        lookup=lookup,
        range_start=range_start,
        waiting_days=waiting_days,
        bots=bots,
        keep=keep,
    )
    memo: dict = {}
    return {s.key: series_history(s, lookup, memo) for s in g.all_series}


def _from_early(
    early: Callable[[], Mapping[str, SeriesHistory]],
    series: Sequence[Series],
    lookup: HistoryLookup | None,
) -> Callable[[], list[SeriesHistory]]:
    """``start_histories``' answer from ``early``'s: in the order of ``series``, each one
    ``early`` lacks (the index changed between the two reads) looked up here."""

    def get() -> list[SeriesHistory]:
        known = early()
        memo: dict = {}
        return [known[s.key] if s.key in known else series_history(s, lookup, memo) for s in series]

    return get


def build_digest(
    messages: Sequence[Message],
    *,
    list_name: str,
    start: str | None,
    end: str | None,
    top: int = 15,
    skipped: Sequence[Skipped] = (),
    end_commit: str | None = None,
    lookup: HistoryLookup | None = None,
    with_history: bool = True,
    bots: Sequence[str] = DEFAULT_BOTS,
    waiting_days: int = 14,
    hot: int = 10,
    range_start: tuple[int, int] | None = None,
    affiliations: Affiliations | None = None,
    infer: bool = False,
    keep: Callable[[Series, frozenset[str]], bool] | None = None,
    keep_label: str = "",
    early: Callable[[], Mapping[str, SeriesHistory]] | None = None,
) -> Digest:
    """The digest of ``messages`` (already deduplicated, in archive order).

    ``lookup`` is the archive index (history lookups); without it, the history sections
    that need the past stay empty.  Bots never count in the contributor tables.
    ``affiliations`` (mailmap, aliases, employer maps) merges a person's addresses in the
    contributor table and fills the employer table; without it every employer is (Unknown).
    With ``infer``, what the messages say about the addresses it leaves (Unknown) is added
    after it (``employers.infer_affiliations``).  ``early`` gives the series' histories by
    key, when a caller has them looked up elsewhere (``range_histories`` in a process
    started before this one read the range); a series it lacks is looked up here.
    """
    aff = affiliations or Affiliations()
    every = messages  # inference reads the whole range, whatever a path filter keeps
    g = group_range(
        messages,
        lookup=lookup,
        range_start=range_start if with_history else None,  # no window without history
        waiting_days=waiting_days,
        bots=bots,
        keep=keep,
        keep_label=keep_label,
    )
    messages, postings, window, series, all_series = (
        g.messages,
        g.postings,
        g.window,
        g.series,
        g.all_series,
    )
    # the per-series history lookups start first: a large range's run on the other core
    # while the tables and the printed bodies are made here
    histories = None
    if with_history and early is not None:
        histories = _from_early(early, all_series, lookup)
    elif with_history:
        histories = start_histories(all_series, lookup)
    # made while the history lookups run: the child starts them without waiting for it
    if infer:
        aff = infer_affiliations(every, aff)
    per_day = _per_day(messages)
    replies = sum(1 for m in messages if m.kind == REPLY)
    idents: dict[tuple[str, str], Identity] = {}
    for m in postings:
        k = (m.author_name, m.author_addr)
        if k not in idents:
            idents[k] = aff.identity(*k)
    names = _names(postings, idents)
    domains: Counter = Counter()
    people: Counter = Counter()
    employers: Counter = Counter()
    unmapped: Counter = Counter()
    employer_of = employer_counter(aff.employers)
    for m in postings:
        who = idents[(m.author_name, m.author_addr)]
        domains[domain_of(m.author_addr)] += 1
        people[names[who.addr.lower()]] += 1
        when = m.date if m.date is not None else m.received
        employer = employer_of((m.author_addr, who.addr), when)
        employers[employer] += 1
        if employer == UNKNOWN:
            unmapped[m.author_addr.lower()] += 1
    bodies = {s.key: _bodies(s) for s in series}
    per: dict[str, SeriesHistory] = {}
    states: dict[str, SeriesState] = {}
    history = None
    if with_history:
        per, states, history = build_history(
            messages,
            series,
            lookup,
            top=top,
            hot=hot,
            waiting_days=waiting_days,
            bots=bots,
            range_start=range_start,
            histories=histories,
            window=window,
            window_series=all_series,
            other_addresses=aff.person_addresses(),
        )
    return Digest(
        list_name=list_name,
        start=start,
        end=end,
        top=top,
        domains=ranked(domains, top),
        contributors=ranked(people, top),
        totals=Totals(
            messages=len(messages),
            patches=len(postings),
            replies=replies,
            other=len(messages) - len(postings) - replies,
            skipped=len(skipped),
        ),
        series=tuple(
            _series_entry(s, per.get(s.key), bodies[s.key], states.get(s.key)) for s in series
        ),
        skipped=tuple(skipped),
        end_commit=end_commit,
        per_day=per_day,
        newest=max((m.received for m in messages if m.received is not None), default=None),
        history=history,
        employers=ranked(employers, top),
        unmapped=ranked(unmapped, top),
        unknown_postings=sum(unmapped.values()),
        filtered=g.filtered,
    )
