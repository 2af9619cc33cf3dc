"""The state of each series: what a maintainer acts on.

Owns the rules that turn a series, the messages answering it and the newer versions posted
after it into one state, with the message that decided it:

- ``applied``: an applied notice answers one of its messages (b4, patchwork-bot, a
  maintainer's "Applied, thanks");
- ``superseded``: a newer version of it was posted (which one is said);
- ``changes-requested``: someone else asked for changes (netdev's ``pw-bot: cr``);
- ``reviewed``: a Reviewed-by/Acked-by/Tested-by from someone other than the author, sent by
  the person it names;
- ``discussed``: replies from others, no review tag;
- ``new``: no reply from anyone but the author (bots do not count);
- ``stale``: new, discussed or reviewed, and nothing happened in its thread for
  ``stale_days`` days before the digest's end.

The precedence is the order above (stale replacing new, discussed and reviewed).  Every
fact is taken as of the digest's end: a reply or version posted later does not count.
Which messages answer a series and which versions link up are given by the caller
(``history``); this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..message import PATCH, PW_BOT, Message
from ..message.trailers import REVIEW_TRAILERS
from ..model.series import Series
from ..timeparse import day

NEW = "new"
DISCUSSED = "discussed"
REVIEWED = "reviewed"
CHANGES_REQUESTED = "changes-requested"
SUPERSEDED = "superseded"
APPLIED = "applied"
STALE = "stale"
STATES = (NEW, DISCUSSED, REVIEWED, CHANGES_REQUESTED, SUPERSEDED, APPLIED, STALE)

#: the review trailers that make a series reviewed (Reported-by is no review)
_REVIEW_TAGS = tuple(t for t in REVIEW_TRAILERS if t != "Reported-by")
#: pw-bot commands that ask the author for changes
_CHANGES = ("cr", "changes-requested")

#: a series with no message in its thread for this many days is stale
STALE_DAYS = 30


@dataclass(frozen=True)
class LandedIn:
    """A code tree holding the series (``analysis.landed``): its label and first commit."""

    tree: str
    commit: str


@dataclass(frozen=True)
class SeriesState:
    state: str
    #: the message that decided it (the notice, the newer version's head, the review, the
    #: first reply); None for new and stale
    msgid: str | None
    #: who sent that message
    by: str
    #: when (YYYY-MM-DD), "" when unknown
    date: str
    #: replies from people other than the author (bots left out)
    replies: int
    #: people who gave a review tag
    reviewers: tuple[str, ...] = ()
    #: the newer version's head and number, when superseded
    superseded_by: str | None = None
    superseded_version: int | None = None
    #: where it was applied, when applied
    tree: str = ""
    branch: str = ""
    #: the last message in its thread (YYYY-MM-DD)
    last_activity: str = ""
    #: the code trees it landed in by the digest's end (``--tree``; see ``analysis.landed``)
    landed: tuple[LandedIn, ...] = ()


@dataclass(frozen=True)
class Newer:
    """A newer version of a series: its head and version number, and when it was posted."""

    msgid: str
    version: int
    when: int | None


def _who(m: Message) -> str:
    return f"{m.from_name} <{m.from_addr}>" if m.from_name else m.from_addr


def _when(m: Message) -> int | None:
    return m.received if m.received is not None else m.date


def series_state(
    s: Series,
    answers: Sequence[Message],
    newer: Newer | None,
    *,
    as_of: int,
    is_bot,
    stale_days: int = STALE_DAYS,
) -> SeriesState:
    """The state of ``s`` as of ``as_of``.  ``answers`` are the messages replying (at any
    depth) to its messages, in archive order; ``newer`` its nearest newer version, if any;
    ``is_bot(addr, name)`` says whether a sender is a bot."""
    head = s.head
    answers = [a for a in answers if (_when(a) or 0) <= as_of]
    others: list[Message] = []
    if answers:
        authors = {m.from_addr.lower() for m in s.messages} | {
            m.author_addr.lower() for m in s.messages
        }
        names = {n.lower() for m in s.messages for n in (m.author_name, m.from_name) if n}
        others = [
            a
            for a in answers
            if a.kind != PATCH
            and a.from_addr.lower() not in authors
            and not (a.from_name and a.from_name.lower() in names)
            and not is_bot(a.from_addr, a.from_name)
        ]
    last = max((t for t in map(_when, (*s.messages, *answers)) if t is not None), default=None)
    replies, last_activity = len(others), _date(last)

    for a in answers:
        notice = a.applied()
        if notice is not None:
            return SeriesState(
                APPLIED,
                a.msgid,
                notice.by or _who(a),
                _day(a),
                tree=notice.tree,
                branch=notice.branch,
                replies=replies,
                last_activity=last_activity,
            )
    if newer is not None and (newer.when is None or newer.when <= as_of):
        return SeriesState(
            SUPERSEDED,
            newer.msgid,
            _who(head),
            _date(newer.when),
            superseded_by=newer.msgid,
            superseded_version=newer.version,
            replies=replies,
            last_activity=last_activity,
        )
    reviewers: list[str] = []
    first_review: Message | None = None
    changes: Message | None = None
    for a in others:
        for t in a.trailers():
            if t.name == PW_BOT and t.person_name in _CHANGES:
                changes = a
            elif t.name in _REVIEW_TAGS and (t.matches(a.from_addr) or t.matches(a.author_addr)):
                if t.person not in reviewers:
                    reviewers.append(t.person)
                if first_review is None:
                    first_review = a
    rv = tuple(reviewers)
    if changes is not None:
        return SeriesState(
            CHANGES_REQUESTED,
            changes.msgid,
            _who(changes),
            _day(changes),
            reviewers=rv,
            replies=replies,
            last_activity=last_activity,
        )
    if last is not None and as_of - last > stale_days * 86400:
        return SeriesState(
            STALE, None, "", _date(last), reviewers=rv, replies=replies, last_activity=last_activity
        )
    if first_review is not None:
        return SeriesState(
            REVIEWED,
            first_review.msgid,
            _who(first_review),
            _day(first_review),
            reviewers=rv,
            replies=replies,
            last_activity=last_activity,
        )
    if others:
        return SeriesState(
            DISCUSSED,
            others[0].msgid,
            _who(others[0]),
            _day(others[0]),
            replies=replies,
            last_activity=last_activity,
        )
    return SeriesState(NEW, None, "", "", replies=replies, last_activity=last_activity)


def _date(t: int | None) -> str:
    return day(t) if t is not None else ""


def _day(m: Message) -> str:
    return _date(_when(m))


def answers_of(series: Sequence[Series], messages: Iterable[Message]) -> dict[str, list[Message]]:
    """For each series (by key), the messages that answer one of its messages at any depth
    (their In-Reply-To or References name it; the nearest such series only), in the order
    given; a series' own postings and the postings of other series are not answers."""
    owner: dict[str, str] = {}
    for s in series:
        for m in s.messages:
            owner.setdefault(m.msgid, s.key)
        owner.setdefault(s.key, s.key)
    members = {m.msgid for s in series for m in s.messages}
    out: dict[str, list[Message]] = {s.key: [] for s in series}
    for m in messages:
        if m.msgid in members:
            continue
        # the nearest series up the thread: a reply to v2's cover (threaded under v1's)
        # answers v2, not v1 too.  Most answer a series' message directly.
        k = owner.get(m.in_reply_to) if m.in_reply_to else None
        if k is None:
            k = next((owner[a] for a in m.ancestors if a in owner), None)
        if k is not None:
            out[k].append(m)
    return out
