"""The archive-wide questions asked of the index: series heads, earlier versions, parents,
first messages of people, where a commit or a received time stands.

Owns the queries the history analysis asks (``analysis.history.HistoryLookup``, of which
``model.versions.VersionLookup`` is a part) and those a ``run`` asks to find its place
again after a history rewrite.  A ``Lookup`` reads a connection it is given; opening,
building and rebuilding ranges belong to ``index``, ``ingest`` and ``rebuild``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from ..message import OTHER, PATCH
from ..model.versions import Posting
from .rebuild import position
from .schema import VERSIONED, chunks

#: up to this many addresses, first_positions looks each up by index instead of one table pass
FIRST_LOOKUPS = 300

# (epoch, seq) as one integer that orders the same; seq may be negative (ingest numbers an
# epoch listed whole back from its newest commit)
_POS = "MIN(epoch * 4294967296 + seq + 2147483648)"


def _received_bounds(since: int | None, until: int | None) -> tuple[int, int]:
    """[since, until] as bounds of a ``received BETWEEN ? AND ?`` (None: unbounded)."""
    return (since if since is not None else -(1 << 62), until if until is not None else 1 << 62)


def _unpos(p: int) -> tuple[int, int]:
    return (p >> 32, (p & 0xFFFFFFFF) - 2147483648)


class PostingRow(NamedTuple):
    """What a series-head walk reads of one message (``_PCOLS``)."""

    msgid: str
    subject: str
    title: str
    version: int
    author_addr: str
    date: int | None
    epoch: int
    seq: int
    resend: int
    counter: int | None
    in_reply_to: str | None
    kind: str
    from_addr: str
    author_name: str
    subject_flags: int | None
    has_diff: int

    def posting(self) -> Posting:
        return Posting(
            self.msgid,
            self.subject,
            self.title,
            self.version,
            self.author_addr,
            self.date,
            (self.epoch, self.seq),
            bool(self.resend),
            self.author_name or "",
        )


_PCOLS = ", ".join(PostingRow._fields)


class Message1st(NamedTuple):
    """The first message stored under a Message-ID, as a version step reads it."""

    id: int
    in_reply_to: str | None
    change_id: str | None


class Lookup:
    """The queries, over an open index connection.  Series heads and a person's postings
    are remembered per connection (``clear`` forgets them, after an update)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._posting_cache: dict[str, Posting | None] = {}
        self._heads_by: dict[str, list] = {}

    def clear(self) -> None:
        self._posting_cache.clear()
        self._heads_by.clear()

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]

    def count_received(self, since: int | None, until: int | None) -> int:
        """How many messages were received in [since, until] (None: unbounded)."""
        if since is None and until is None:
            return self.count()
        q = "SELECT COUNT(*) FROM messages WHERE received BETWEEN ? AND ?"
        return self.db.execute(q, _received_bounds(since, until)).fetchone()[0]

    # -- series and versions (model.versions.VersionLookup) -----------------
    def _first_row(self, msgid: str) -> PostingRow | None:
        r = self.db.execute(
            f"SELECT {_PCOLS} FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1",
            (msgid,),
        ).fetchone()
        return PostingRow._make(r) if r is not None else None

    def posting(self, msgid: str) -> Posting | None:
        """The series head ``msgid`` belongs to: the cover or first patch (itself when a
        head), found by walking up the patches it answers as ``model.series`` groups them
        (same sender, the version the patch states or, stating none, its cover's); a
        numbered patch answering a message the archive lacks belongs to that missing cover."""
        if msgid in self._posting_cache:
            return self._posting_cache[msgid]
        r = self._first_row(msgid)
        out = None
        if (
            r is not None
            and r.kind == OTHER
            and not r.has_diff
            and self.db.execute(
                "SELECT 1 FROM messages WHERE in_reply_to=? AND kind=? AND counter >= 1 AND from_addr=? LIMIT 1",
                (msgid, PATCH, r.from_addr),
            ).fetchone()
        ):
            # a thread root that is neither patch nor reply, answered by its sender's numbered
            # patches: a cover letter written without tag or diffstat (model.series promotes it)
            out = r.posting()
        elif r is not None and r.kind == PATCH:
            out = r.posting()
            cur = r
            for _ in range(50):
                counter, irt = cur.counter, cur.in_reply_to
                if counter is None or counter < 1 or not irt:
                    break
                parent = self._first_row(irt)
                if parent is None:
                    # the cover this list did not receive: the series is known by its id
                    out = Posting(
                        irt,
                        out.subject,
                        out.title,
                        out.version,
                        out.author_addr,
                        out.date,
                        out.pos,
                        out.resend,
                        out.author_name,
                    )
                    break
                fits = parent.version == cur.version or not (cur.subject_flags or 0) & VERSIONED
                if parent.kind != PATCH or parent.from_addr != cur.from_addr or not fits:
                    break
                out = parent.posting()
                if (
                    parent.counter is not None and parent.counter <= 1 and counter > 1
                ) or parent.counter == 0:
                    break
                cur = parent
        self._posting_cache[msgid] = out
        return out

    def by_title(
        self, norm_title: str, author_addr: str, before: tuple[int, int], author_name: str = ""
    ) -> list[Posting]:
        """Heads of the series whose postings (cover or any patch) carry that title, by that
        person (as author or sender, or by display name), earlier than ``before``: a version
        that lost or gained its cover letter is found through its patches, and one sent for
        another author by the sender who posts its later versions."""
        rows = self.db.execute(
            "SELECT msgid FROM messages WHERE norm_title=? "
            "AND (author_addr=? OR from_addr=? OR (author_name=? AND author_name != '')) "
            "AND kind IN (?, ?) AND (epoch < ? OR (epoch = ? AND seq < ?))",
            (
                norm_title,
                author_addr.lower(),
                author_addr.lower(),
                author_name,
                PATCH,
                OTHER,
                before[0],
                before[0],
                before[1],
            ),
        ).fetchall()
        out: dict[str, Posting] = {}
        for (mid,) in rows:
            p = self.posting(mid)
            if p is not None:
                out.setdefault(p.msgid, p)
        return list(out.values())

    def titles_by(
        self, author_addr: str, before: tuple[int, int], since: int | None
    ) -> list[tuple[str, str]]:
        """(msgid, title) of the series heads (covers, first or lone patches) that person
        posted (as author or sender) before ``before`` and since ``since``, newest first.
        A person's heads are read once per connection: the series of one author ask in turn."""
        a = author_addr.lower()
        heads = self._heads_by.get(a)
        if heads is None:
            cond = "kind=? AND (counter IS NULL OR counter <= 1)"
            # two indexed lookups, not an OR that scans the table
            heads = self._heads_by[a] = self.db.execute(
                f"SELECT epoch, seq, msgid, title, date FROM messages WHERE author_addr=? AND {cond} "
                f"UNION SELECT epoch, seq, msgid, title, date FROM messages WHERE from_addr=? AND {cond} "
                "ORDER BY 1 DESC, 2 DESC",
                (a, PATCH, a, PATCH),
            ).fetchall()
        return [
            (r[2], r[3])
            for r in heads
            if (r[0], r[1]) < before and (since is None or (r[4] is not None and r[4] >= since))
        ][:500]

    def by_change_id(self, cid: str, before: tuple[int, int]) -> list[Posting]:
        rows = self.db.execute(
            "SELECT msgid FROM messages WHERE change_id=? AND (epoch < ? OR (epoch = ? AND seq < ?))",
            (cid, before[0], before[0], before[1]),
        ).fetchall()
        return [p for p in (self.posting(r[0]) for r in rows) if p is not None]

    def _first_message(self, msgid: str) -> Message1st | None:
        r = self.db.execute(
            "SELECT id, in_reply_to, change_id FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1",
            (msgid,),
        ).fetchone()
        return Message1st._make(r) if r is not None else None

    def _parents(self, m: Message1st) -> list[str]:
        """In-Reply-To, then References from the nearest."""
        out = [m.in_reply_to] if m.in_reply_to else []
        out += [
            x[0]
            for x in self.db.execute("SELECT ref FROM refs WHERE mid=? ORDER BY pos DESC", (m.id,))
            if x[0] not in out
        ]
        return out

    def parents_of(self, msgid: str) -> list[str]:
        m = self._first_message(msgid)
        return [] if m is None else self._parents(m)

    def version_facts(self, msgid: str) -> tuple[list[str], str | None, list[str]]:
        """The lore links, change-id and parents (In-Reply-To, then References from the
        nearest) of the first message stored under ``msgid``: what a version step reads."""
        m = self._first_message(msgid)
        if m is None:
            return [], None, []
        links = [
            x[0]
            for x in self.db.execute("SELECT target FROM links WHERE mid=? ORDER BY rowid", (m.id,))
        ]
        return links, m.change_id, self._parents(m)

    # -- messages and people ----------------------------------------------------
    def position_of_commit(self, commit: str) -> tuple[int, int] | None:
        """(epoch, seq) of the readable message ``commit`` stores."""
        r = self.db.execute(
            "SELECT epoch, seq FROM messages WHERE commit_id=? LIMIT 1", (commit,)
        ).fetchone()
        return (r[0], r[1]) if r else None

    def subject_of(self, msgid: str) -> str | None:
        r = self.db.execute(
            "SELECT subject FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1", (msgid,)
        ).fetchone()
        return r[0] if r else None

    def kind_of(self, msgid: str) -> str | None:
        """The kind (patch, reply, other) of the first message stored under ``msgid``."""
        r = self.db.execute(
            "SELECT kind FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1", (msgid,)
        ).fetchone()
        return r[0] if r else None

    def senders(self, msgids: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """(name, address) of the author (the in-body rule) and of the sender of the first
        message stored under each id (``analysis.stats_archive.ArchiveFacts``)."""
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        for part in chunks(sorted(set(msgids))):
            rows = self.db.execute(
                "SELECT msgid, author_name, author_addr, from_name, from_addr FROM messages "
                f"WHERE msgid IN ({','.join('?' * len(part))}) ORDER BY epoch DESC, seq DESC",
                part,
            ).fetchall()
            # newest first, so the first stored message under an id is written last and wins
            for mid, name, addr, from_name, from_addr in rows:
                out[mid] = ((name or "", addr or ""), (from_name or "", from_addr or ""))
        return out

    def first_seen(self, addrs: Iterable[str]) -> dict[str, int]:
        """Each address's (lower case) first receive time in the whole archive, as sender or
        author (``analysis.stats_archive.ArchiveFacts``)."""
        wanted = {a.lower() for a in addrs if a}
        best: dict[str, int] = {}
        for col in ("author_addr", "from_addr"):
            if not wanted:
                break
            if len(wanted) <= FIRST_LOOKUPS:
                rows = [
                    (
                        a,
                        self.db.execute(
                            f"SELECT MIN(received) FROM messages WHERE {col}=?", (a,)
                        ).fetchone()[0],
                    )
                    for a in wanted
                ]
            else:
                # many addresses: one pass over the table beats one look-up each
                rows = self.db.execute(
                    f"SELECT {col}, MIN(received) FROM messages GROUP BY {col}"
                ).fetchall()
            for addr, when in rows:
                if when is not None and addr in wanted and (addr not in best or when < best[addr]):
                    best[addr] = when
        return best

    def first_positions(self, addrs: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each address's first message in the whole archive (as sender or author)."""
        wanted = {x.lower() for x in addrs}
        best: dict[str, int] = {}
        for col in ("author_addr", "from_addr"):
            if len(wanted) <= FIRST_LOOKUPS:
                # a few addresses (a day's authors): one indexed lookup each
                rows = [
                    (
                        a,
                        self.db.execute(
                            f"SELECT {_POS} FROM messages WHERE {col}=?", (a,)
                        ).fetchone()[0],
                    )
                    for a in wanted
                ]
            else:
                # many: one pass over the table per column (an OR of the columns scans per address)
                rows = self.db.execute(
                    f"SELECT {col}, {_POS} FROM messages GROUP BY {col}"
                ).fetchall()
            for addr, pos in rows:
                if pos is not None and addr in wanted and (addr not in best or pos < best[addr]):
                    best[addr] = pos
        return {a: _unpos(p) for a, p in best.items()}

    def first_positions_by_name(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each display name's first message in the whole archive (as author), any address."""
        out: dict[str, tuple[int, int]] = {}
        for part in chunks([n for n in set(names) if n]):
            marks = ",".join("?" * len(part))
            for name, pos in self.db.execute(
                f"SELECT author_name, {_POS} FROM messages "
                f"WHERE author_name IN ({marks}) GROUP BY author_name",
                part,
            ):
                out[name] = _unpos(pos)
        return out

    # -- ranges and a run's place ---------------------------------------------
    def span_received(self, since: int | None, until: int | None) -> tuple[str | None, str] | None:
        """The commit span holding every message received in [since, until]: (the commit
        before the first of them, or None at the archive's start; the commit of the last)."""
        bounds = _received_bounds(since, until)
        q = "SELECT epoch, seq, commit_id FROM messages WHERE received BETWEEN ? AND ? ORDER BY epoch {0}, seq {0} LIMIT 1"
        first = self.db.execute(q.format("ASC"), bounds).fetchone()
        if first is None:
            return None
        last = self.db.execute(q.format("DESC"), bounds).fetchone()
        before = self.db.execute(
            "SELECT commit_id FROM messages WHERE epoch < ? OR (epoch = ? AND seq < ?) ORDER BY epoch DESC, seq DESC LIMIT 1",
            (first[0], first[0], first[1]),
        ).fetchone()
        return (before[0] if before else None), last[2]

    def last_message_upto(self, commit: str) -> tuple[str, str, int | None] | None:
        """(blob, Message-ID, received time) of the last message stored at or before
        ``commit`` in archive order: what a run records of the digest it delivered."""
        pos = position(self.db, commit)
        if pos is None:
            return None
        r = self.db.execute(
            "SELECT blob, msgid, received FROM messages WHERE epoch < ? OR (epoch = ? AND seq <= ?) "
            "ORDER BY epoch DESC, seq DESC LIMIT 1",
            (pos[0], pos[0], pos[1]),
        ).fetchone()
        return (r[0], r[1], r[2]) if r else None

    def commit_of_blob(self, blob: str) -> str | None:
        """The commit that stores this message blob now (after a rewrite, its new id)."""
        r = self.db.execute(
            "SELECT commit_id FROM messages WHERE blob=? ORDER BY epoch, seq LIMIT 1", (blob,)
        ).fetchone()
        return r[0] if r else None

    def last_commit_received_upto(self, when: int) -> str | None:
        """The commit of the latest message (in archive order) received at or before ``when``."""
        r = self.db.execute(
            "SELECT commit_id FROM messages WHERE received <= ? ORDER BY epoch DESC, seq DESC LIMIT 1",
            (when,),
        ).fetchone()
        return r[0] if r else None
