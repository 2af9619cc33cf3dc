"""A range's messages rebuilt from the index, without reading a blob or running git log.

Owns turning a revision range into read jobs from the stored positions (``selection``),
and stored rows back into messages as ``message.slim`` leaves them (``messages_of`` for a
read job, ``messages_before`` for the window of mail before a range).  The row layout is
``schema``'s; the archive's own ranges and reads are ``sources.git``'s.
"""

from __future__ import annotations

import sqlite3
from typing import Callable, NamedTuple

from ..message import PATCH, Message, restored
from ..sources import Selection
from ..sources.git import GitSource, ReadItem, ReadJob, read_job
from .schema import chunks, decode_facts, decode_subject


class StoredMessage(NamedTuple):
    """The columns a message is rebuilt from, the parsed subject's last (``MESSAGE_COLS``)."""

    id: int
    msgid: str
    subject: str
    from_name: str
    from_addr_raw: str
    author_name: str
    author_addr_raw: str
    date: int | None
    received: int | None
    in_reply_to: str | None
    has_diff: int
    synthetic: int
    kind: str
    title: str
    subject_flags: int
    resend: int
    version: int
    revision: str
    counter: int | None
    total: int | None
    prefixes: str


MESSAGE_COLS = ", ".join(StoredMessage._fields)


def position(db: sqlite3.Connection, commit: str) -> tuple[int, int] | None:
    """(epoch, seq) of the commit storing a message, readable or not."""
    for table in ("messages", "skipped"):
        r = db.execute(
            f"SELECT epoch, seq FROM {table} WHERE commit_id=? LIMIT 1", (commit,)
        ).fetchone()
        if r is not None:
            return (r[0], r[1])
    return None


def selection(
    db: sqlite3.Connection, source: GitSource, from_rev: str | None, to_rev: str | None
) -> Selection | None:
    """``source.select(from_rev, to_rev)`` made from the index alone, without listing the
    epochs' history again (``git log`` of a large epoch costs more than the rest of a
    whole-archive report's reading).  None when the index cannot answer: an epoch is not
    up to date, or an end of the range is a commit that stores no message."""
    plan = source.plan(from_rev, to_rev)  # checks the range; raises as select() would
    if not plan:
        return None
    known = dict(db.execute("SELECT epoch, last_commit FROM epochs").fetchall())
    for ep in source.epochs:
        if known.get(ep.number) != source.head(ep):
            return None
    lo_commit = source.resolve(from_rev)[1] if from_rev else None
    hi_commit = source.resolve(to_rev)[1] if to_rev else None
    lo = position(db, lo_commit) if lo_commit else None
    hi = position(db, hi_commit) if hi_commit else None
    if (lo_commit and lo is None) or (hi_commit and hi is None):
        return None
    jobs = []
    seq = 0
    for ep, _ in plan:
        # a message without Date was received at its commit's time, which the index kept
        # as its received time: the parse of a small range falls back to it
        q = (
            "SELECT seq, blob, commit_id, COALESCE(received, 0) FROM messages WHERE epoch=? {0} "
            "UNION ALL SELECT seq, blob, commit_id, 0 FROM skipped WHERE epoch=? {0} ORDER BY seq"
        )
        cond, args = "", []
        if lo is not None and lo[0] == ep.number:
            cond += " AND seq > ?"
            args.append(lo[1])
        if hi is not None and hi[0] == ep.number:
            cond += " AND seq <= ?"
            args.append(hi[1])
        items = []
        for _, blob, commit, when in db.execute(
            q.format(cond), (ep.number, *args, ep.number, *args)
        ):
            items.append(ReadItem(seq, blob, commit, when))
            seq += 1
        jobs.append(ReadJob(ep.gitdir, ep.number, tuple(items)))
    start: str | None = lo_commit
    if start is None:
        row = db.execute(
            "SELECT first_commit FROM epochs WHERE epoch=?", (plan[0][0].number,)
        ).fetchone()
        start = row[0] if row else None
        if start is None:
            return None
    end = hi_commit or source.head(plan[-1][0])
    return Selection(
        messages=(raw for job in jobs for raw in read_job(job)),
        start=start[:9],
        end=end[:9] if end else None,
        end_commit=end,
        jobs=tuple(jobs),
    )


def messages_of(db: sqlite3.Connection, job: ReadJob) -> list[Message | str | None]:
    """For each item of a read job, the message as ``message.slim`` leaves it (patch
    postings with their body head, replies with their facts), the reason it is
    unreadable (str), or None when the index does not hold it."""
    cols = "blob, " + MESSAGE_COLS
    blobs = [i.blob for i in job.items]
    wanted = set(blobs)
    rows: dict[str, StoredMessage] = {}
    skipped: dict[str, str] = {}
    lo = position(db, job.items[0].commit) if job.items else None
    hi = position(db, job.items[-1].commit) if job.items else None
    if lo is not None and hi is not None and lo[0] == hi[0] == job.epoch:
        # the job's commits are a span of the epoch: one range scan, not a lookup per blob
        span = (job.epoch, lo[1], hi[1])
        for r in db.execute(
            f"SELECT {cols} FROM messages WHERE epoch=? AND seq BETWEEN ? AND ?", span
        ):
            if r[0] in wanted:
                rows[r[0]] = StoredMessage._make(r[1:])
        for b, reason in db.execute(
            "SELECT blob, reason FROM skipped WHERE epoch=? AND seq BETWEEN ? AND ?", span
        ):
            if b in wanted:
                skipped[b] = reason
    else:
        for part in chunks(blobs):
            marks = ",".join("?" * len(part))
            for r in db.execute(
                f"SELECT {cols} FROM messages WHERE epoch=? AND blob IN ({marks})",
                (job.epoch, *part),
            ):
                rows[r[0]] = StoredMessage._make(r[1:])
            for b, reason in db.execute(
                f"SELECT blob, reason FROM skipped WHERE epoch=? AND blob IN ({marks})",
                (job.epoch, *part),
            ):
                skipped[b] = reason
    build = builder(db, list(rows.values()))
    out: list[Message | str | None] = []
    for seq, blob, commit, _ in job.items:
        r = rows.get(blob)
        out.append(skipped.get(blob) if r is None else build(r, commit, job.epoch, seq))
    return out


def messages_before(db: sqlite3.Connection, pos: tuple[int, int], since: int) -> list[Message]:
    """The messages received since ``since`` and stored before position ``pos`` (a
    range's start), in archive order, as ``message.slim`` leaves them: the window of
    earlier mail a digest judges its waiting series by."""
    rows = db.execute(
        f"SELECT commit_id, epoch, seq, {MESSAGE_COLS} FROM messages "
        "WHERE received >= ? AND (epoch < ? OR (epoch = ? AND seq < ?)) ORDER BY epoch, seq",
        (since, pos[0], pos[0], pos[1]),
    ).fetchall()
    stored = [StoredMessage._make(r[3:]) for r in rows]
    build = builder(db, stored)
    return [build(s, r[0], r[1], r[2]) for s, r in zip(stored, rows)]


def builder(
    db: sqlite3.Connection, rows: list[StoredMessage]
) -> Callable[[StoredMessage, str, int, int], Message]:
    """Rebuilds messages from stored rows: their references, facts and body heads are read
    at once here; the returned call makes one message of one row."""
    ids = [r.id for r in rows]
    refs: dict[int, list[str]] = {}
    for mid, ref in _children(db, "SELECT mid, ref FROM refs WHERE {} ORDER BY mid, pos", ids):
        refs.setdefault(mid, []).append(ref)
    facts = dict(_children(db, "SELECT mid, data FROM facts WHERE {}", ids))
    bodies = dict(_children(db, "SELECT mid, text FROM bodies WHERE {}", ids))
    paths = dict(_children(db, "SELECT mid, list FROM paths WHERE {}", ids))

    def build(r: StoredMessage, commit: str, epoch: int, seq: int) -> Message:
        return restored(  # Message's fields, in order
            Message,
            r.msgid,
            r.subject,
            decode_subject(
                r.subject,
                r.title,
                r.subject_flags,
                r.resend,
                r.version,
                r.revision,
                r.counter,
                r.total,
                r.prefixes,
            ),
            r.from_name,
            r.from_addr_raw,
            r.author_name,
            r.author_addr_raw,
            r.date,
            r.received,
            r.in_reply_to,
            tuple(refs.get(r.id, ())),
            bodies.get(r.id, ""),
            bool(r.has_diff),
            commit,
            epoch,
            seq,
            bool(r.synthetic),
            r.kind,
            None if r.kind == PATCH else decode_facts(facts.get(r.id)),
            tuple(paths[r.id].split("\n")) if r.id in paths else (),
        )

    return build


def _children(db: sqlite3.Connection, query: str, ids: list[int]) -> list[tuple]:
    """Rows of a child table (``mid`` first) for ``ids``: one range scan when the ids are
    dense (a range rebuilt whole), else lookups in chunks."""
    if not ids:
        return []
    lo, hi = min(ids), max(ids)
    if hi - lo < 4 * len(ids):
        rows = db.execute(query.format("mid BETWEEN ? AND ?"), (lo, hi)).fetchall()
        if hi - lo + 1 == len(ids):
            return rows  # every id of the span is wanted
        want = set(ids)
        return [r for r in rows if r[0] in want]
    out: list[tuple] = []
    for part in chunks(ids):
        out += db.execute(query.format(f"mid IN ({','.join('?' * len(part))})"), part).fetchall()
    return out
