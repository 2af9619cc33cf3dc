"""Group patch postings into series: a cover letter (or first patch) and its patches.

Links come first from the thread (In-Reply-To/References), then from counters and time.
Rules, each held by a named test in ``tests/model/test_series.py`` (and real threads in
``tests/model/test_corpus_real.py``):

- a patch belongs to the nearest ancestor posting of the same sender whose counter makes
  sense (the cover ``0/N``, or patch 1 of a series sent without cover) and whose version is
  the patch's own; a patch that states no version takes its cover's (``[PATCHSET v2 0/7]``
  with ``[PATCH n/7]``), and so do RFC and RESEND;
- a patch answering its cover directly joins it even when the counts disagree (a cover
  ``0/4`` whose patches say ``n/5``), or when it carries an older version by mistake
  (``[PATCH v13 4/7]`` inside the v14 batch);
- a missing cover (not Cc'd to this list) still groups its patches: they share its id; but a
  posting answering a message that is known not to be a posting (a discussion reply) is a
  series of its own, not a patch of a missing cover;
- a replacement patch (``v5.1 2/3``) sent in reply to the patch it replaces joins that
  patch's series;
- a ``0/N`` posting always starts a series, even when it replies to an older version's
  cover or to another series;
- a posting without counter that receives same-version patches from its sender is a cover
  (the "three [PATCH v2] mails" case, and the tagless cover with a diffstat);
- a relay that rewrites Message-IDs (``HEX+original@host``): replies to the original id
  find the rewritten posting;
- unthreaded postings (no In-Reply-To) of one sender, version and count, minutes apart,
  are one series;
- arrival order does not matter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable

from ..message import PATCH, Message


@dataclass(frozen=True)
class Series:
    """A patch series as seen in a set of messages."""

    #: Message-ID of the cover letter (possibly absent from the archive) or of the first patch
    key: str
    #: the cover letter, when it is among the messages
    cover: Message | None
    #: the patches, by counter (then arrival)
    patches: tuple[Message, ...]
    version: int
    #: the announced number of patches (N of n/N); None when unannounced
    total: int | None
    #: the patches reply to a cover letter this archive (or range) does not hold
    cover_missing: bool = False

    @property
    def rfc(self) -> bool:
        """RFC on the cover carries to patches that do not say it."""
        return any(m.parsed.rfc for m in self.messages)

    @property
    def messages(self) -> tuple[Message, ...]:
        return ((self.cover,) if self.cover else ()) + self.patches

    @property
    def head(self) -> Message:
        """The message that names the series: the cover letter, else the first patch."""
        return self.cover if self.cover is not None else self.patches[0]

    @property
    def subject(self) -> str:
        return self.head.subject

    @property
    def title(self) -> str:
        return self.head.parsed.title

    @property
    def expected(self) -> int:
        """How many messages the series announced: N patches, plus the cover when one is sent
        (or referenced by the patches)."""
        if self.total is None:
            return len(self.messages)
        return self.total + (1 if self.cover is not None or self.cover_missing else 0)

    @property
    def first_seq(self) -> int:
        return min(m.seq for m in self.messages)

    @property
    def last_seq(self) -> int:
        return max(m.seq for m in self.messages)


#: unthreaded postings of one sender further apart than this are not one series
UNTHREADED_GAP = 1200
#: an unthreaded batch that sends exactly the patches a series still lacks joins it this late
LATE_BATCH_GAP = 7 * 86400
#: postings answering each other with different version labels are one batch (a mislabelled
#: patch) only when sent this close together
BATCH_GAP = 600

_NONE: Mapping[str, Message] = {}

# a relay's rewritten Message-ID: a hex tag and "+" before the id the sender gave
_RELAY_ID_RE = re.compile(r"^[0-9a-fA-F]{8,}\+(.+@.+)$")


def _same_sender(a: Message, b: Message) -> bool:
    return a.from_addr.lower() == b.from_addr.lower() or (
        bool(a.author_addr) and a.author_addr.lower() == b.author_addr.lower()
    )


def _is_cover(m: Message) -> bool:
    """A cover letter by its form: ``0/N``, or no counter and no diff."""
    return m.parsed.counter == 0 or (m.parsed.counter is None and not m.has_diff)


def _version_fits(child: Message, parent: Message) -> bool:
    """The child's version is the parent's; or the child states none (it takes the
    parent's); or the parent is a cover that states none (``Fix Sparse warnings`` heading
    ``[PATCH v2 n/2]``)."""
    c, p = child.parsed, parent.parsed
    if c.version == p.version or (not c.versioned and p.versioned):
        return True
    return not p.versioned and c.counter is not None and _is_cover(parent)


def _when(m: Message) -> int:
    return m.date if m.date is not None else (m.received or 0)


def _compatible(child: Message, parent: Message) -> bool:
    """Can ``child`` be a patch in the series headed by (or containing) ``parent``?"""
    c, p = child.parsed, parent.parsed
    if not _same_sender(child, parent):
        return False
    direct = child.in_reply_to == parent.msgid
    if not _version_fits(child, parent):
        # one batch whose labels disagree: an older version's patch mailed inside the new
        # batch ([PATCH v13 4/7] answering the v14 cover), or "[PATCH RESEND v2 1/3]"
        # heading "RESEND v3 2/3" and "3/3"; sent by one git send-email run, minutes apart
        if not (
            direct
            and c.counter
            and p.counter in (0, 1)
            and c.total == p.total
            and abs(_when(child) - _when(parent)) <= BATCH_GAP
        ):
            return False
    if c.total is not None and p.total is not None and c.total != p.total:
        # a cover 0/4 whose patches say n/5: the direct answer to a cover still belongs
        if not (direct and p.counter in (0, None)):
            return False
    if c.counter is not None and p.counter is not None:
        # a cover (0) or the first patch of a coverless series heads the others
        if p.counter == 0:
            return c.counter >= 1
        if p.counter == 1:
            return c.counter > 1
        return False
    if c.counter is None and p.counter is None:
        return True
    # one side counted, the other not: only when the uncounted one is the head (cover without 0/N)
    return p.counter is None and c.counter is not None


class _Heads:
    """The head (cover or first patch, or a missing cover's id) of each posting's series,
    for ``group_series``.  A class, not a closure that calls itself: such a closure is a
    reference cycle, and it held the range's messages (and the index) to the end of a CLI
    process, which runs without the cyclic collector (``cli._Group``)."""

    def __init__(
        self,
        by_id: dict[str, Message],
        alias: dict[str, str],
        others: Mapping[str, Message],
        kind_of: Callable[[str], str | None] | None,
    ) -> None:
        self.by_id, self.alias, self.others, self.kind_of = by_id, alias, others, kind_of
        self.head_of: dict[str, str] = {}

    def discussion(self, msgid: str) -> bool:
        """Whether ``msgid`` is known to be a message other than a patch posting."""
        if msgid in self.others:
            return True
        if self.kind_of is not None:
            k = self.kind_of(msgid)
            return k is not None and k != PATCH
        return False

    def find(self, m: Message, depth: int = 0) -> str:
        if m.msgid in self.head_of:
            return self.head_of[m.msgid]
        key = m.msgid
        fallback: Message | None = None
        if m.parsed.counter != 0 and depth < 50:
            for anc in m.ancestors:
                anc = self.alias.get(anc, anc)
                parent = self.by_id.get(anc)
                if parent is None and anc == m.in_reply_to and (m.parsed.counter or 0) >= 1:
                    o = self.others.get(anc)
                    if (
                        o is not None
                        and _same_sender(o, m)
                        and not o.parsed.reply
                        and not o.has_diff
                    ):
                        parent = self.by_id[anc] = o  # a cover by its place: promoted
                if parent is None:
                    # a parent missing from the range: when it is the direct parent of a
                    # counted patch, take it as the cover this list did not receive, unless it
                    # is known to be a discussion message (a posting made inside a thread)
                    if anc == m.in_reply_to and (m.parsed.counter or 0) >= 1:
                        if not self.discussion(anc):
                            key = "missing:" + anc
                        break
                    if self.discussion(anc):
                        break
                    continue
                if _compatible(m, parent):
                    key = self.find(parent, depth + 1)
                    break
                # a replacement patch (v5.1 2/3) answers the patch it replaces, and with
                # --chain-reply-to each patch answers the one before: look further up
                if not (
                    parent.parsed.version == m.parsed.version
                    and parent.parsed.counter
                    and _same_sender(parent, m)
                ):
                    break
                if fallback is None and (m.parsed.counter or 0) > parent.parsed.counter:
                    fallback = parent
            if key == m.msgid and fallback is not None:
                # nothing further up heads it (a second batch whose first patch answers
                # nothing): it joins the patch it answers
                key = self.find(fallback, depth + 1)
        self.head_of[m.msgid] = key
        return key


def group_series(
    postings: Sequence[Message],
    others: Mapping[str, Message] = _NONE,
    kind_of: Callable[[str], str | None] | None = None,
) -> list[Series]:
    """Group patch postings (messages whose ``kind`` is ``patch``) into series.

    ``others`` are the range's other messages by Message-ID, and ``kind_of`` (the archive
    index, when there is one) tells the kind of a message outside the range: a posting that
    answers one of them is not the patch of a missing cover.  One of them becomes a cover
    when numbered patches of its sender answer it directly and it is neither a reply nor a
    diff (a cover whose subject was lost, or written without tag or diffstat).  Returns
    series ordered by their first message in archive order.
    """
    by_id: dict[str, Message] = {m.msgid: m for m in postings}
    alias: dict[str, str] = {}
    for m in postings:
        r = _RELAY_ID_RE.match(m.msgid)
        if r is not None and r.group(1) not in by_id:
            alias[r.group(1)] = m.msgid
    heads = _Heads(by_id, alias, others, kind_of)
    groups: dict[str, list[Message]] = {}
    for m in sorted(postings, key=lambda x: x.seq):
        groups.setdefault(heads.find(m), []).append(m)
    _join_unthreaded(groups, by_id)

    result: list[Series] = []
    for key, members in groups.items():
        cover = None
        missing = key.startswith("missing:")
        if missing:
            key = key[len("missing:") :]
        else:
            head = by_id[key]
            rest = [x for x in members if x is not head]
            if head.parsed.counter == 0 or (
                head.parsed.counter is None and rest and not head.has_diff
            ):
                cover = head
        patches = [x for x in members if x is not cover]
        patches.sort(
            key=lambda x: (x.parsed.counter if x.parsed.counter is not None else 1 << 30, x.seq)
        )
        ref = cover if cover is not None else patches[0]
        totals = [x.parsed.total for x in members if x.parsed.total is not None]
        total = (
            ref.parsed.total if ref.parsed.total is not None else (max(totals) if totals else None)
        )
        version = ref.parsed.version
        if cover is None or not cover.parsed.versioned:
            # the cover's version, else the one most members state (a mislabelled patch 1
            # does not make a v3 batch v2), the higher on a tie
            stated = Counter(x.parsed.version for x in members if x.parsed.versioned)
            if stated:
                version = max(stated, key=lambda v: (stated[v], v))
        result.append(
            Series(
                key=key,
                cover=cover,
                patches=tuple(patches),
                version=version,
                total=total,
                cover_missing=missing,
            )
        )
    result.sort(key=lambda s: s.first_seq)
    return result


def _join_unthreaded(groups: dict[str, list[Message]], by_id: dict[str, Message]) -> None:
    """Merge the groups of postings sent without threading (``git send-email --no-thread``,
    or a second batch sent to finish the first): groups of one sender, version and count
    whose first messages follow each other within ``UNTHREADED_GAP`` seconds (or within
    ``LATE_BATCH_GAP`` when they bring exactly patches the series still lacks), whose
    counters do not overlap, and of which at most one is threaded (the rest start with a
    posting that answers nothing)."""
    buckets: dict[tuple, list[str]] = {}
    for key in groups:
        if key.startswith("missing:"):
            continue
        p = by_id[key].parsed
        if p.total is None or p.counter is None:
            continue
        buckets.setdefault((by_id[key].from_addr.lower(), p.version, p.total), []).append(key)
    for keys in buckets.values():
        if len(keys) < 2:
            continue
        keys.sort(key=lambda k: (_when(by_id[k]), by_id[k].parsed.counter))
        clusters: list[list[str]] = []
        for k in keys:
            head = by_id[k]
            loose = not (head.in_reply_to or head.references)
            counters = {x.parsed.counter for x in groups[k]}
            cur = clusters[-1] if clusters else None
            if cur is not None:
                last = max(_when(x) for r in cur for x in groups[r])
                taken = {x.parsed.counter for r in cur for x in groups[r]}
                # a threaded series: its head answers something, or others answer it
                threaded = sum(
                    1
                    for r in cur
                    if by_id[r].in_reply_to or by_id[r].references or len(groups[r]) > 1
                )
                gap = _when(head) - last
                missing = set(range(1, (head.parsed.total or 0) + 1)) - taken
                # the late rule needs a threaded series to complete, not two loose patches
                near = gap <= UNTHREADED_GAP or (
                    gap <= LATE_BATCH_GAP and counters <= missing and threaded > 0
                )
                if near and not counters & taken and (loose or threaded == 0):
                    cur.append(k)
                    continue
            clusters.append([k])
        for run in clusters:
            if len(run) < 2:
                continue
            # the cover (0) or the lowest counter heads the merged series
            lead = min(run, key=lambda r: (by_id[r].parsed.counter, by_id[r].seq))
            for r in run:
                if r != lead:
                    groups[lead].extend(groups.pop(r))
            groups[lead].sort(key=lambda x: x.seq)
