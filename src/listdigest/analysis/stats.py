"""Release statistics of a range: who writes, who reviews, which companies carry the list.

Owns the definitions ``listdigest stats`` reports (issue 16) and the ``Stats`` they make;
rendering is ``report.stats_*``'s, ranges and the previous period are the caller's.

- **Thread**: a root and its replies (``model.threads.thread_root``).  A person is a
  thread's *author* when they posted its root (looked up in the archive when the root came
  before the range) or a patch or pull request in it within the range, as its author (the
  in-body ``From:``) or as its sender (a maintainer posting a patch on someone's behalf
  answers its review as its submitter, not as a reviewer); anyone else who
  wrote in it is a *reviewer* of it.  Every message a person writes in a thread counts as
  a message *as author* or *as reviewer* by that role.  Bots (``history.is_bot``, the
  digest's rule) count nowhere: not as people, not as messages.
- A person is the canonical address of the message's author (the in-body ``From:`` rule,
  relays undone; mailmap and aliases merged); a company is the employer of that address at
  the message's date (employer maps).
- **Change set**: all versions of one series: the series of the range
  (``model.series``) joined by their version chains (``model.versions``, through the
  archive index); without an index, by the title after the last ``]``, normalised.  A
  message belongs to the change set of the series it answers (``lifecycle.answers_of``),
  else of its thread's root; discussions outside any series belong to none.
- **Score** = 2 x change sets reviewed + 8 x threads reviewed + 2 x max(messages as
  reviewer - 1, 0) - 4 x messages as author.  The ``- 1`` discounts a first message; a
  person who wrote no review message gets 0 from that term, never -2.
- **Movement**: a ranking's row against the same ranking of the previous period: ``+3``
  (up three places), ``-2``, ``=``, or ``new`` (not ranked there).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..message import PATCH, Message
from ..model.series import Series, group_series
from ..model.threads import thread_root
from ..model.versions import normalize_title, version_chain
from .employers import UNKNOWN, Affiliations, employer_counter
from .history import DEFAULT_BOTS, HistoryLookup, is_bot, start_histories
from .lifecycle import answers_of
from .people import domain_of, format_address
from .stats_archive import ArchiveFacts

#: 1: first version (people, companies, rankings, roles, tenure, outcomes, coverage, change)
#: 2: outcomes.durations (change sets per time-to-first-reply / time-to-applied bucket)
SCHEMA_VERSION = 2

#: the review tags that make a change set "reviewed" in the outcomes
REVIEW_TAGS = ("Reviewed-by", "Acked-by", "Tested-by")
#: the tags review coverage counts (a test report is no review of the code)
COVERAGE_TAGS = ("Reviewed-by", "Acked-by")
#: tenure histogram: (label, upper bound in days, exclusive); the last is open
TENURE_BUCKETS = (
    ("first time", 0),
    ("< 6 months", 183),
    ("6-12 months", 366),
    ("1-2 years", 731),
    ("2-4 years", 1461),
    ("4+ years", None),
)
#: time-to-review histogram: (label, upper bound in hours, exclusive); the last is open
DURATION_BUCKETS = (
    ("< 1 hour", 1),
    ("< 1 day", 24),
    ("< 3 days", 72),
    ("< 1 week", 168),
    ("< 2 weeks", 336),
    ("< 1 month", 720),
    ("1 month+", None),
)


@dataclass(frozen=True)
class Tally:
    """One person's (or company's) work in the range."""

    key: str
    name: str
    cs_author: int = 0
    threads_author: int = 0
    messages_author: int = 0
    cs_reviewer: int = 0
    threads_reviewer: int = 0
    messages_reviewer: int = 0

    @property
    def score(self) -> int:
        return (
            2 * self.cs_reviewer
            + 8 * self.threads_reviewer
            + 2 * max(self.messages_reviewer - 1, 0)
            - 4 * self.messages_author
        )


@dataclass(frozen=True)
class RankRow:
    rank: int
    name: str
    value: int
    #: against the previous period: "+3", "-2", "=", "new"; "" without a previous period
    move: str = ""


@dataclass(frozen=True)
class Ranking:
    key: str
    title: str
    rows: tuple[RankRow, ...]


@dataclass(frozen=True)
class Totals:
    days: float
    messages: int
    bot_messages: int
    people: int
    threads: int
    change_sets: int
    messages_per_day: float
    people_per_day: float
    #: messages as reviewer / all counted messages
    review_share: float


@dataclass(frozen=True)
class Change:
    """One total against the previous period."""

    name: str
    now: float
    before: float

    @property
    def delta(self) -> float:
        return self.now - self.before


@dataclass(frozen=True)
class Roles:
    """People by what they did: only author messages, only reviewer messages, both."""

    only_author: int
    only_reviewer: int
    both: int


@dataclass(frozen=True)
class Bucket:
    label: str
    authors: int
    reviewers: int


@dataclass(frozen=True)
class DurationBucket:
    """Change sets whose first reply from someone else / applied notice came within it."""

    label: str
    first_reply: int
    applied: int


def duration_buckets(
    first_reply_h: Sequence[float], applied_h: Sequence[float]
) -> tuple[DurationBucket, ...]:
    """``DURATION_BUCKETS`` counts of the two lists of hours (each value in one bucket)."""

    def index(h: float) -> int:
        for i, (_, upper) in enumerate(DURATION_BUCKETS):
            if upper is not None and h < upper:
                return i
        return len(DURATION_BUCKETS) - 1

    fr = [0] * len(DURATION_BUCKETS)
    ap = [0] * len(DURATION_BUCKETS)
    for h in first_reply_h:
        fr[index(h)] += 1
    for h in applied_h:
        ap[index(h)] += 1
    return tuple(DurationBucket(label, f, a) for (label, _), f, a in zip(DURATION_BUCKETS, fr, ap))


@dataclass(frozen=True)
class Outcomes:
    """What became of the change sets posted in the range (as of its end)."""

    change_sets: int
    single_patch: int
    series: int
    with_review_tag: int
    applied: int
    #: versions posted in the range per change set, and the highest version number
    mean_versions_posted: float
    mean_highest_version: float
    replied: int
    #: hours from the first posting in the range to the first reply from someone else
    first_reply_median_h: float | None
    first_reply_p90_h: float | None
    #: days from the first posting in the range to the applied notice
    applied_median_d: float | None
    applied_p90_d: float | None
    #: the same two durations as a histogram (``DURATION_BUCKETS``), change sets per bucket
    durations: tuple[DurationBucket, ...] = ()


@dataclass(frozen=True)
class Coverage:
    applied: int
    #: with a Reviewed-by/Acked-by from someone other than the author
    reviewed: int
    #: of which one from someone of another (known) company than the author's
    cross_company: int

    @property
    def reviewed_share(self) -> float:
        return self.reviewed / self.applied if self.applied else 0.0

    @property
    def cross_company_share(self) -> float:
        return self.cross_company / self.applied if self.applied else 0.0


@dataclass(frozen=True)
class Stats:
    list_name: str
    start: str | None
    end: str | None
    #: the range in receive time (unix seconds)
    since: int | None
    until: int | None
    top: int
    totals: Totals
    #: every person and company, by score then name (the rankings are cut from these)
    people: tuple[Tally, ...]
    companies: tuple[Tally, ...]
    rankings: tuple[Ranking, ...]
    company_rankings: tuple[Ranking, ...]
    roles: Roles
    tenure: tuple[Bucket, ...]
    first_time_authors: tuple[str, ...]
    outcomes: Outcomes
    coverage: Coverage
    #: share of counted messages whose employer is unknown, and the top unmapped domains
    unknown_share: float = 0.0
    unmapped: tuple[tuple[str, int], ...] = ()
    #: the previous period compared with (start, end labels), and the totals' changes
    previous: tuple[str | None, str | None] | None = None
    change: tuple[Change, ...] = field(default=())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        for kind in ("people", "companies"):
            for row, t in zip(d[kind], getattr(self, kind)):
                row["score"] = t.score
        for row, c in zip(d["change"], self.change):
            row["delta"] = c.delta
        d["coverage"]["reviewed_share"] = self.coverage.reviewed_share
        d["coverage"]["cross_company_share"] = self.coverage.cross_company_share
        return d


# -- rankings ---------------------------------------------------------------------------

#: (key, title, value of a tally); a ranking holds the tallies whose value is above 0
PERSON_RANKINGS: tuple[tuple[str, str, Callable[[Tally], int]], ...] = (
    ("reviewers_cs", "Top reviewers (change sets)", lambda t: t.cs_reviewer),
    ("reviewers_threads", "Top reviewers (threads)", lambda t: t.threads_reviewer),
    ("reviewers_messages", "Top reviewers (messages)", lambda t: t.messages_reviewer),
    ("authors_cs", "Top authors (change sets)", lambda t: t.cs_author),
    ("authors_threads", "Top authors (threads)", lambda t: t.threads_author),
    ("authors_messages", "Top authors (messages)", lambda t: t.messages_author),
    ("score_positive", "Top scores (positive)", lambda t: t.score),
    ("score_negative", "Top scores (negative)", lambda t: -t.score),
)


def _order(tallies: Iterable[Tally], value: Callable[[Tally], int]) -> list[tuple[Tally, int]]:
    got = [(t, value(t)) for t in tallies]
    got = [(t, v) for t, v in got if v > 0]
    got.sort(key=lambda tv: (-tv[1], tv[0].name.lower(), tv[0].key))
    return got


def _rank(
    tallies: Sequence[Tally], before: Sequence[Tally] | None, top: int
) -> tuple[Ranking, ...]:
    out = []
    for key, title, value in PERSON_RANKINGS:
        prev: dict[str, int] = {}
        if before is not None:
            prev = {t.key: i + 1 for i, (t, _) in enumerate(_order(before, value))}
        rows = []
        negative = key == "score_negative"
        for i, (t, v) in enumerate(_order(tallies, value)[:top]):
            move = ""
            if before is not None:
                p = prev.get(t.key)
                move = "new" if p is None else ("=" if p == i + 1 else f"{p - (i + 1):+d}")
            rows.append(RankRow(i + 1, t.name, -v if negative else v, move))
        out.append(Ranking(key, title, tuple(rows)))
    return tuple(out)


# -- the statistics ---------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by the nearest-rank rule; None for no values."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def _when(m: Message) -> int | None:
    return m.received if m.received is not None else m.date


class _Acc:
    """Sets and counts of one person or company while the messages are read."""

    __slots__ = ("cs_a", "cs_r", "msg_a", "msg_r", "th_a", "th_r")

    def __init__(self) -> None:
        self.cs_a: set[str] = set()
        self.cs_r: set[str] = set()
        self.th_a: set[str] = set()
        self.th_r: set[str] = set()
        self.msg_a = 0
        self.msg_r = 0

    def add(self, author: bool, thread: str, cs: str | None) -> None:
        if author:
            self.msg_a += 1
            self.th_a.add(thread)
            if cs is not None:
                self.cs_a.add(cs)
        else:
            self.msg_r += 1
            self.th_r.add(thread)
            if cs is not None:
                self.cs_r.add(cs)

    def tally(self, key: str, name: str) -> Tally:
        return Tally(
            key,
            name,
            len(self.cs_a),
            len(self.th_a),
            self.msg_a,
            len(self.cs_r),
            len(self.th_r),
            self.msg_r,
        )


def _by_score(tallies: Iterable[Tally]) -> tuple[Tally, ...]:
    return tuple(sorted(tallies, key=lambda t: (-t.score, t.name.lower(), t.key)))


def compute_stats(
    messages: Sequence[Message],
    *,
    list_name: str,
    start: str | None = None,
    end: str | None = None,
    since: int | None = None,
    until: int | None = None,
    lookup: HistoryLookup | None = None,
    archive: ArchiveFacts | None = None,
    affiliations: Affiliations | None = None,
    bots: Sequence[str] = DEFAULT_BOTS,
    top: int = 10,
    previous: Stats | None = None,
) -> Stats:
    """The statistics of ``messages`` (a range, deduplicated, in archive order).

    ``lookup`` is the archive index as ``model.versions`` asks it (version chains, parents,
    kinds); ``archive`` answers what the range does not hold (thread roots before it, first
    messages); without them change sets fall back to titles, a root before the range has
    no author, and tenure is unknown.  ``since``/``until`` are the range's bounds in receive
    time (default: its first and last message).  ``previous`` is the previous period's
    statistics, which rankings and totals are compared with."""
    aff = affiliations or Affiliations()
    patterns = tuple(bots)
    employer_of = employer_counter(aff.employers)
    idents: dict[tuple[str, str], str] = {}

    def person(name: str, addr: str) -> str:
        k = (name, addr)
        got = idents.get(k)
        if got is None:
            got = idents[k] = aff.identity(name, addr).addr.lower()
        return got

    def bot(m: Message) -> bool:
        return is_bot(m.from_addr, m.from_name, patterns) or is_bot(
            m.author_addr, m.author_name, patterns
        )

    human = [m for m in messages if not bot(m)]
    by_id = {m.msgid: m for m in messages}
    root_of = {m.msgid: thread_root(m, by_id, lookup) for m in human}

    # -- series, change sets, and which change set each message belongs to
    postings = [m for m in human if m.kind == PATCH]
    posted = {id(m) for m in postings}
    series = group_series(
        postings,
        others={m.msgid: m for m in messages if id(m) not in posted},
        kind_of=lookup.kind_of if lookup is not None else None,
    )
    cs_of_series = _change_sets(series, lookup)
    series_of: dict[str, str] = {}
    for s in series:
        for m in s.messages:
            series_of[m.msgid] = s.key
        series_of.setdefault(s.key, s.key)
    # every answer, bots' too: patchwork-bot's applied notices decide outcomes
    answers = answers_of(series, messages)
    for key, ms in answers.items():
        for m in ms:
            series_of.setdefault(m.msgid, key)
    outside_cs = _outside_change_sets(
        {r for m, r in root_of.items() if series_of.get(m) is None and r not in series_of},
        lookup,
    )

    def cs_of(m: Message) -> str | None:
        s = series_of.get(m.msgid)
        if s is None:
            root = root_of[m.msgid]
            s = series_of.get(root)
            if s is None:
                return outside_cs.get(root)
        return cs_of_series.get(s, s)

    # -- thread authors: the root's poster and whoever posted a patch or pull request
    authors: dict[str, set[str]] = {}
    missing_roots = {r for r in root_of.values() if r not in by_id}
    roots_before = archive.senders(missing_roots) if archive is not None and missing_roots else {}
    for root in set(root_of.values()):
        got = set()
        r = by_id.get(root)
        if r is not None and not bot(r):
            got |= {person(r.author_name, r.author_addr), person(r.from_name, r.from_addr)}
        elif root in roots_before:
            pairs = roots_before[root]
            if not any(is_bot(addr, name, patterns) for name, addr in pairs):
                got |= {person(name, addr) for name, addr in pairs}
        authors[root] = got
    for m in human:
        if m.kind == PATCH or (m.parsed.pull and not m.parsed.reply):
            authors[root_of[m.msgid]] |= {
                person(m.author_name, m.author_addr),
                person(m.from_name, m.from_addr),
            }

    # -- per person and per company
    people: dict[str, _Acc] = {}
    companies: dict[str, _Acc] = {}
    names: dict[str, Counter] = {}
    addrs_of: dict[str, set[str]] = {}
    company_of_msg: dict[str, str] = {}
    unmapped: Counter = Counter()
    days: dict[int, set[str]] = {}
    for m in human:
        key = person(m.author_name, m.author_addr)
        root = root_of[m.msgid]
        cs = cs_of(m)
        is_author = key in authors[root]
        people.setdefault(key, _Acc()).add(is_author, root, cs)
        names.setdefault(key, Counter())[(m.author_name, m.author_addr)] += 1
        addrs_of.setdefault(key, set()).add(m.author_addr.lower())
        employer = employer_of((m.author_addr, key), m.date if m.date is not None else m.received)
        company_of_msg[m.msgid] = employer
        if employer == UNKNOWN:
            unmapped[domain_of(m.author_addr)] += 1
        companies.setdefault(employer, _Acc()).add(is_author, root, cs)
        w = _when(m)
        if w is not None:
            days.setdefault(w // 86400, set()).add(key)

    def shown(key: str) -> str:
        (name, addr), _ = names[key].most_common(1)[0]
        return format_address(name, addr)

    person_tallies = _by_score(a.tally(k, shown(k)) for k, a in people.items())
    company_tallies = _by_score(a.tally(k, k) for k, a in companies.items())

    # -- totals
    times = [t for t in map(_when, messages) if t is not None]
    lo = since if since is not None else (min(times) if times else 0)
    hi = until if until is not None else (max(times) if times else 0)
    span_days = max((hi - lo) / 86400, 1.0)
    msgs_r = sum(a.msg_r for a in people.values())
    all_cs = {cs for m in human if (cs := cs_of(m)) is not None}
    totals = Totals(
        days=round(span_days, 2),
        messages=len(human),
        bot_messages=len(messages) - len(human),
        people=len(people),
        threads=len(set(root_of.values())),
        change_sets=len(all_cs),
        messages_per_day=round(len(human) / span_days, 2),
        people_per_day=round(sum(len(v) for v in days.values()) / span_days, 2),
        review_share=round(msgs_r / len(human), 4) if human else 0.0,
    )

    # -- who does what, tenure
    roles = Roles(
        only_author=sum(1 for a in people.values() if a.msg_a and not a.msg_r),
        only_reviewer=sum(1 for a in people.values() if a.msg_r and not a.msg_a),
        both=sum(1 for a in people.values() if a.msg_a and a.msg_r),
    )
    tenure, first_time = _tenure(people, addrs_of, archive, lo, hi, shown)

    # -- outcomes and coverage of the change sets posted in the range
    outcomes, coverage = _outcomes(
        series, cs_of_series, answers, person, bot, employer_of, company_of_msg
    )

    made = Stats(
        list_name=list_name,
        start=start,
        end=end,
        since=lo or None,
        until=hi or None,
        top=top,
        totals=totals,
        people=person_tallies,
        companies=company_tallies,
        rankings=_rank(person_tallies, None, top),
        company_rankings=_rank(company_tallies, None, top),
        roles=roles,
        tenure=tenure,
        first_time_authors=first_time,
        outcomes=outcomes,
        coverage=coverage,
        unknown_share=round(sum(unmapped.values()) / len(human), 4) if human else 0.0,
        unmapped=tuple(unmapped.most_common(10)),
    )
    return compare(made, previous) if previous is not None else made


def compare(stats: Stats, previous: Stats) -> Stats:
    """``stats`` with its rankings' movement and its totals' change against ``previous``
    (made from the tallies alone: no message is read again)."""
    t, p = stats.totals, previous.totals
    return replace(
        stats,
        rankings=_rank(stats.people, previous.people, stats.top),
        company_rankings=_rank(stats.companies, previous.companies, stats.top),
        previous=(previous.start, previous.end),
        change=(
            Change("messages/day", t.messages_per_day, p.messages_per_day),
            Change("people/day", t.people_per_day, p.people_per_day),
            Change("change sets", t.change_sets, p.change_sets),
            Change("review share", t.review_share, p.review_share),
        ),
    )


def _title_key(title: str) -> str:
    return "title:" + normalize_title(title)


def _change_sets(series: Sequence[Series], lookup: HistoryLookup | None) -> dict[str, str]:
    """Each series' change set (by series key): the oldest version its chain reaches, or
    without an archive look-up the normalised title after the last ``]``."""
    if lookup is None:
        return {s.key: _title_key(s.title) for s in series}
    out = {}
    for s, h in zip(series, start_histories(series, lookup)()):
        out[s.key] = h.versions[-1].msgid if h.versions else s.key
    # a series whose older version is in the range too shares that version's change set
    for k, cs in list(out.items()):
        seen = 0
        while cs in out and out[cs] != cs and seen < 30:
            cs, seen = out[cs], seen + 1
        out[k] = cs
    return out


def _outside_change_sets(roots: Iterable[str], lookup: HistoryLookup | None) -> dict[str, str]:
    """The change set of each thread whose root (a series posted before the range) the
    range does not hold, from the archive; none without it."""
    if lookup is None:
        return {}
    out: dict[str, str] = {}
    memo: dict[str, Any] = {}
    for root in roots:
        p = lookup.posting(root)
        if p is None:
            continue
        chain = version_chain(p, lookup, memo=memo)
        out[root] = chain[-1].msgid if chain else p.msgid
    return out


def _tenure(
    people: dict[str, _Acc],
    addrs_of: dict[str, set[str]],
    archive: ArchiveFacts | None,
    lo: int,
    hi: int,
    shown: Callable[[str], str],
) -> tuple[tuple[Bucket, ...], tuple[str, ...]]:
    if archive is None:
        return (), ()
    first = archive.first_seen({a for xs in addrs_of.values() for a in xs} | set(people))
    counts = {label: [0, 0] for label, _ in TENURE_BUCKETS}
    fresh = []
    for key, acc in people.items():
        seen = [first[a] for a in addrs_of[key] | {key} if a in first]
        since = min(seen) if seen else lo
        age = (hi - since) / 86400
        if since >= lo:
            label = TENURE_BUCKETS[0][0]
            if acc.msg_a:
                fresh.append(shown(key))
        else:
            label = next(lb for lb, bound in TENURE_BUCKETS[1:] if bound is None or age < bound)
        if acc.msg_a:
            counts[label][0] += 1
        if acc.msg_r:
            counts[label][1] += 1
    return tuple(Bucket(lb, *counts[lb]) for lb, _ in TENURE_BUCKETS), tuple(sorted(fresh))


def _outcomes(
    series: Sequence[Series],
    cs_of_series: dict[str, str],
    answers: dict[str, list[Message]],
    person: Callable[[str, str], str],
    bot: Callable[[Message], bool],
    employer_of: Callable[[Sequence[str], int | None], str],
    company_of_msg: dict[str, str],
) -> tuple[Outcomes, Coverage]:
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(cs_of_series.get(s.key, s.key), []).append(s)
    single = tagged = applied = replied = reviewed = cross = 0
    versions_posted: list[int] = []
    highest: list[int] = []
    first_reply_h: list[float] = []
    applied_d: list[float] = []
    for members in groups.values():
        latest = max(members, key=lambda s: (s.version, s.first_seq))
        if latest.cover is None and len(latest.patches) == 1:
            single += 1
        versions_posted.append(len(members))
        highest.append(max(s.version for s in members))
        own = {person(m.author_name, m.author_addr) for s in members for m in s.messages}
        own |= {m.from_addr.lower() for s in members for m in s.messages}
        head = min((s.head for s in members), key=lambda m: m.seq)
        t0 = _when(head)
        author_company = employer_of(
            (head.author_addr, person(head.author_name, head.author_addr)),
            head.date if head.date is not None else head.received,
        )
        first_other: int | None = None
        notice_at: int | None = None
        has_tag = has_cov = has_cross = False
        for s in members:
            for a in answers.get(s.key, ()):
                if bot(a):
                    if notice_at is None and a.applied() is not None:
                        notice_at = _when(a)
                    continue
                if a.applied() is not None:
                    w = _when(a)
                    if w is not None and (notice_at is None or w < notice_at):
                        notice_at = w
                    elif w is None and notice_at is None:
                        notice_at = t0
                if person(a.author_name, a.author_addr) in own or a.from_addr.lower() in own:
                    continue
                w = _when(a)
                if w is not None and (first_other is None or w < first_other):
                    first_other = w
                for t in a.trailers():
                    if t.name in REVIEW_TAGS and (
                        t.matches(a.from_addr) or t.matches(a.author_addr)
                    ):
                        has_tag = True
                        if t.name in COVERAGE_TAGS:
                            has_cov = True
                            theirs = company_of_msg.get(a.msgid, UNKNOWN)
                            if UNKNOWN not in (theirs, author_company) and theirs != author_company:
                                has_cross = True
        tagged += has_tag
        if first_other is not None:
            replied += 1
            if t0 is not None:
                first_reply_h.append(max(first_other - t0, 0) / 3600)
        if notice_at is not None:
            applied += 1
            reviewed += has_cov
            cross += has_cross
            if t0 is not None:
                applied_d.append(max(notice_at - t0, 0) / 86400)
    n = len(groups)

    def r(x: float | None, nd: int = 1) -> float | None:
        return None if x is None else round(x, nd)

    return (
        Outcomes(
            change_sets=n,
            single_patch=single,
            series=n - single,
            with_review_tag=tagged,
            applied=applied,
            mean_versions_posted=round(sum(versions_posted) / n, 2) if n else 0.0,
            mean_highest_version=round(sum(highest) / n, 2) if n else 0.0,
            replied=replied,
            first_reply_median_h=r(_percentile(first_reply_h, 0.5)),
            first_reply_p90_h=r(_percentile(first_reply_h, 0.9)),
            applied_median_d=r(_percentile(applied_d, 0.5)),
            applied_p90_d=r(_percentile(applied_d, 0.9)),
            durations=duration_buckets(first_reply_h, [d * 24 for d in applied_d]),
        ),
        Coverage(applied, reviewed, cross),
    )
