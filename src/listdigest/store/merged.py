"""Several lists' indexes answering as one: the history look-ups of a digest of several lists.

Each list keeps its own index; a digest of several lists asks them all (``HistoryLookup``).
A position in one archive, (epoch, seq), means nothing in another, so positions handed out
here are *merged positions*: (time received, list and place in that list), which order the
messages of all lists by receipt, and a list's own messages still in archive order within
one second.  A question bounded by a position (earlier versions, an author's first message)
is asked of every index and its answers are translated and filtered here.  What the
indexes hold, and how they are built, belongs to ``index``; which lists a message was
carried by belongs to the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..message import Message
from ..model.versions import Posting
from .index import Index

#: a list's place (its order among the lists) above the packed native position
_LIST_SHIFT = 44
_SEQ_BIAS = 2147483648
#: later than any native position (``before`` for "everything")
_ALL = (1 << 40, 0)


def pack(lst: int, native: tuple[int, int]) -> int:
    """A list's number and a native (epoch, seq) as one integer that orders like them."""
    return (lst << _LIST_SHIFT) + (native[0] << 32) + native[1] + _SEQ_BIAS


def unpack(k: int) -> tuple[int, tuple[int, int]]:
    rest = k & ((1 << _LIST_SHIFT) - 1)
    return k >> _LIST_SHIFT, (rest >> 32, (rest & 0xFFFFFFFF) - _SEQ_BIAS)


class MergedLookup:
    """The history questions over several indexes, in merged positions.  ``starts`` gives,
    per list number, the native position where that list's range starts (the window of
    earlier mail ends there); ``range_ids`` are the range's Message-IDs, never part of the
    window."""

    def __init__(
        self,
        indexes: Sequence[Index],
        starts: Mapping[int, tuple[int, int]] | None = None,
        range_ids: Iterable[str] = (),
    ) -> None:
        self.indexes = tuple(indexes)
        self.starts = dict(starts or {})
        self.range_ids = frozenset(range_ids)
        self._when: dict[tuple[int, tuple[int, int]], int] = {}

    # -- positions ------------------------------------------------------------
    def merged(self, lst: int, native: tuple[int, int]) -> tuple[int, int]:
        """The merged position of a message at ``native`` in list ``lst``."""
        key = (lst, native)
        when = self._when.get(key)
        if when is None:
            r = (
                self.indexes[lst]
                .db.execute(
                    "SELECT received, date FROM messages WHERE epoch=? AND seq=? LIMIT 1", native
                )
                .fetchone()
            )
            when = self._when[key] = (r[0] if r[0] is not None else r[1] or 0) if r else 1 << 31
        return (when, pack(lst, native))

    def _native_before(self, lst: int, pos: tuple[int, int]) -> tuple[int, int]:
        """The native bound in list ``lst`` of "before merged position ``pos``": exact in
        the list the position comes from, else the first message that list received after."""
        src, native = unpack(pos[1])
        if src == lst:
            return native
        r = (
            self.indexes[lst]
            .db.execute(
                "SELECT epoch, seq FROM messages WHERE received > ? "
                "ORDER BY received, epoch, seq LIMIT 1",
                (pos[0],),
            )
            .fetchone()
        )
        return (r[0], r[1]) if r else _ALL

    def _posting(self, lst: int, p: Posting | None) -> Posting | None:
        if p is None:
            return None
        return Posting(
            p.msgid,
            p.subject,
            p.title,
            p.version,
            p.author_addr,
            p.date,
            self.merged(lst, p.pos),
            p.resend,
            p.author_name,
        )

    def _earliest(self, found: Iterable[Posting | None]) -> list[Posting]:
        """One posting per head (the earliest, as a cross-post is in several indexes)."""
        out: dict[str, Posting] = {}
        for p in found:
            if p is not None and (p.msgid not in out or p.pos < out[p.msgid].pos):
                out[p.msgid] = p
        return list(out.values())

    # -- model.versions.VersionLookup ---------------------------------------------
    def posting(self, msgid: str) -> Posting | None:
        got = self._earliest(
            self._posting(i, ix.posting(msgid)) for i, ix in enumerate(self.indexes)
        )
        return min(got, key=lambda p: p.pos) if got else None

    def by_title(
        self, norm_title: str, author_addr: str, before: tuple[int, int], author_name: str = ""
    ) -> list[Posting]:
        found = (
            self._posting(i, p)
            for i, ix in enumerate(self.indexes)
            for p in ix.by_title(norm_title, author_addr, _ALL, author_name)
        )
        return [p for p in self._earliest(found) if p.pos < before]

    def titles_by(
        self, author_addr: str, before: tuple[int, int], since: int | None
    ) -> list[tuple[str, str]]:
        out: dict[str, str] = {}
        for i, ix in enumerate(self.indexes):
            for mid, title in ix.titles_by(author_addr, self._native_before(i, before), since):
                out.setdefault(mid, title)
        return list(out.items())[:500]

    def by_change_id(self, cid: str, before: tuple[int, int]) -> list[Posting]:
        found = (
            self._posting(i, p)
            for i, ix in enumerate(self.indexes)
            for p in ix.by_change_id(cid, _ALL)
        )
        return [p for p in self._earliest(found) if p.pos < before]

    def parents_of(self, msgid: str) -> list[str]:
        for ix in self.indexes:
            got = ix.parents_of(msgid)
            if got:
                return list(got)
        return []

    def version_facts(self, msgid: str) -> tuple[list[str], str | None, list[str]]:
        for ix in self.indexes:
            if ix.kind_of(msgid) is not None:
                return ix.version_facts(msgid)
        return [], None, []

    # -- analysis.history.HistoryLookup -------------------------------------------
    def position_of_commit(self, commit: str) -> tuple[int, int] | None:
        for i, ix in enumerate(self.indexes):
            native = ix.position_of_commit(commit)
            if native is not None:
                return self.merged(i, native)
        return None

    def subject_of(self, msgid: str) -> str | None:
        return next((s for s in (ix.subject_of(msgid) for ix in self.indexes) if s), None)

    def kind_of(self, msgid: str) -> str | None:
        return next((k for k in (ix.kind_of(msgid) for ix in self.indexes) if k), None)

    def _firsts(self, per_list: Iterable[dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
        best: dict[str, tuple[int, int]] = {}
        for i, got in enumerate(per_list):
            for k, native in got.items():
                pos = self.merged(i, native)
                if k not in best or pos < best[k]:
                    best[k] = pos
        return best

    def first_positions(self, addrs: Iterable[str]) -> dict[str, tuple[int, int]]:
        wanted = list(addrs)
        return self._firsts(ix.first_positions(wanted) for ix in self.indexes)

    def first_positions_by_name(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        wanted = list(names)
        return self._firsts(ix.first_positions_by_name(wanted) for ix in self.indexes)

    def messages_before(self, pos: tuple[int, int], since: int) -> list[Message]:
        """Each list's window before its own range start (``starts``), merged by receipt;
        a message carried by several lists once, and none of the range's."""
        seen = set(self.range_ids)
        got: list[tuple[tuple[int, int], Message]] = []
        for i, ix in enumerate(self.indexes):
            bound = self.starts.get(i) or self._native_before(i, pos)
            for m in ix.messages_before(bound, since):
                if m.msgid in seen:
                    continue
                seen.add(m.msgid)
                got.append(((m.received or m.date or 0, pack(i, (m.epoch or 0, m.seq))), m))
        got.sort(key=lambda x: x[0])
        # numbered before the range's messages (0, 1, …), in merged order
        return [_renumbered(m, k - len(got)) for k, (_, m) in enumerate(got)]

    def reopened(self) -> MergedLookup:
        return MergedLookup([ix.reopened() for ix in self.indexes], self.starts, self.range_ids)


def _renumbered(m: Message, seq: int) -> Message:
    return dataclasses.replace(m, seq=seq)


if TYPE_CHECKING:
    from ..analysis.history import HistoryLookup

    def _implements(lk: MergedLookup) -> HistoryLookup:
        # mypy checks here that the merged lookup answers every question the analysis asks
        return lk
