"""Group patch postings into series: a cover letter (or first patch) and its patches.

Links come first from the thread (In-Reply-To/References), then from counters.  Rules,
each held by a named test in ``tests/model/test_series.py``:

- a patch belongs to the nearest ancestor posting of the same sender and version whose
  counter makes sense (the cover ``0/N``, or patch 1 of a series sent without cover);
- a missing cover (not Cc'd to this list) still groups its patches: they share its id;
- a replacement patch (``v5.1 2/3``) sent in reply to the patch it replaces joins that
  patch's series;
- a ``0/N`` posting always starts a series, even when it replies to an older version's
  cover or to another series;
- a posting without counter that receives same-version patches from its sender is a cover
  (the "three [PATCH v2] mails" case);
- arrival order does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from ..message import Message


@dataclass(frozen=True)
class Series:
    """A patch series as seen in a set of messages."""

    #: Message-ID of the cover letter (possibly absent from the archive) or of the first patch
    key: str
    #: the cover letter, when it is among the messages
    cover: Optional[Message]
    #: the patches, by counter (then arrival)
    patches: Tuple[Message, ...]
    version: int
    #: the announced number of patches (N of n/N); None when unannounced
    total: Optional[int]
    #: the patches reply to a cover letter this archive (or range) does not hold
    cover_missing: bool = False

    @property
    def messages(self) -> Tuple[Message, ...]:
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


def _compatible(child: Message, parent: Message) -> bool:
    """Can ``child`` be a patch in the series headed by (or containing) ``parent``?"""
    c, p = child.parsed, parent.parsed
    if child.from_addr.lower() != parent.from_addr.lower():
        return False
    if c.version != p.version:
        return False
    if c.total is not None and p.total is not None and c.total != p.total:
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


def group_series(postings: Sequence[Message]) -> List[Series]:
    """Group patch postings (messages whose ``kind`` is ``patch``) into series.

    Returns series ordered by their first message in archive order.
    """
    by_id: Dict[str, Message] = {m.msgid: m for m in postings}
    head_of: Dict[str, str] = {}

    def find_head(m: Message, depth: int = 0) -> str:
        if m.msgid in head_of:
            return head_of[m.msgid]
        key = m.msgid
        if m.parsed.counter != 0 and depth < 50:
            for anc in m.ancestors:
                parent = by_id.get(anc)
                if parent is None:
                    # a parent missing from the range: when it is the direct parent of a
                    # counted patch, take it as the cover this list did not receive
                    if anc == m.in_reply_to and (m.parsed.counter or 0) >= 1:
                        key = "missing:" + anc
                        break
                    continue
                if _compatible(m, parent):
                    key = find_head(parent, depth + 1)
                    break
                # a replacement patch (v5.1 2/3) answers the patch it replaces: look further up
                if not (parent.parsed.version == m.parsed.version and parent.parsed.counter
                        and parent.from_addr.lower() == m.from_addr.lower()):
                    break
        head_of[m.msgid] = key
        return key

    groups: Dict[str, List[Message]] = {}
    for m in sorted(postings, key=lambda x: x.seq):
        groups.setdefault(find_head(m), []).append(m)

    result: List[Series] = []
    for key, members in groups.items():
        cover = None
        missing = key.startswith("missing:")
        if missing:
            key = key[len("missing:"):]
        else:
            head = by_id[key]
            others = [x for x in members if x is not head]
            if head.parsed.counter == 0 or (head.parsed.counter is None and others and not head.has_diff):
                cover = head
        patches = [x for x in members if x is not cover]
        patches.sort(key=lambda x: (x.parsed.counter if x.parsed.counter is not None else 1 << 30, x.seq))
        ref = cover if cover is not None else patches[0]
        totals = [x.parsed.total for x in members if x.parsed.total is not None]
        total = ref.parsed.total if ref.parsed.total is not None else (max(totals) if totals else None)
        result.append(
            Series(key=key, cover=cover, patches=tuple(patches), version=ref.parsed.version, total=total, cover_missing=missing)
        )
    result.sort(key=lambda s: s.first_seq)
    return result
