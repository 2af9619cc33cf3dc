"""The archive index: one SQLite file holding what history needs about every message.

Owns the schema (versioned: a file of another version is rebuilt), building and updating
it from a public-inbox git archive, and the archive-wide lookups the history analysis asks
for (``VersionLookup`` and friends).  It holds every message as ``message.slim`` leaves it
(a reply's trailers and applied notice, a patch posting's body head), so a range of any
size is rebuilt from it without reading a blob.

Updates are incremental per epoch: each epoch records the last commit indexed, and only
``last..HEAD`` is read.  When ``last`` is no longer an ancestor of HEAD (public-inbox purge
or edit rewrote the epoch), the epoch's commit list is listed again (``git log``, no blob
reads): rows whose message blob is still there get their new commit id and position,
rows whose blob vanished are dropped, and only blobs never seen are read.  Keying rows on the
blob (not the commit) is what lets a rewrite re-read nothing: purge rewrites every later
commit id but leaves their blobs alone.  Messages removed by a ``d`` commit are dropped too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Callable

from ..errors import SourceError
from ..message import OTHER, PATCH, Message, read_messages
from ..message.applied import AppliedItem, AppliedNotice
from ..message.body import body_head
from ..message.subject import Subject
from ..message.trailers import Trailer
from ..model.versions import Posting, change_id, lore_links, normalize_title
from ..sources import MISSING_BLOB, Selection
from ..sources.git import Epoch, GitSource, LogEntry, ReadJob, read_job
from ..workers import BATCH, default_workers, ordered_map

SCHEMA_VERSION = 7  # 7: message kinds from the body (reports, quoted replies, tagless covers), stated versions; 2: received-time index; 3: what rebuilds a range (facts, skipped, raw addresses); 4: no unread trailer/applied tables; 5: patch body heads; 6: deletions across epochs, first commits, parsed subjects (a range rebuilt without git log or parsing)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE epochs (epoch INTEGER PRIMARY KEY, last_commit TEXT, first_commit TEXT);
-- blobs a v2 ``d`` commit removed, by the epoch holding the d commit (public-inbox-learn rm
-- writes it into the newest epoch, whichever epoch holds the message)
CREATE TABLE deleted (epoch INTEGER NOT NULL, blob TEXT NOT NULL);
CREATE INDEX deleted_blob ON deleted (blob);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    -- seq orders the epoch's commits, oldest first: -N..-1 as the epoch was first listed, then 0, 1, …
    epoch INTEGER NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL, commit_id TEXT NOT NULL,
    msgid TEXT NOT NULL, date INTEGER, received INTEGER,
    from_name TEXT, from_addr TEXT, author_name TEXT, author_addr TEXT,
    subject TEXT, title TEXT, norm_title TEXT, version INTEGER, counter INTEGER, total INTEGER,
    kind TEXT, resend INTEGER, in_reply_to TEXT, change_id TEXT,
    from_addr_raw TEXT, author_addr_raw TEXT, has_diff INTEGER, synthetic INTEGER,
    -- the rest of the parsed subject (message.subject.Subject), so rebuilding needs no parse
    subject_flags INTEGER, revision TEXT, prefixes TEXT
);
CREATE INDEX messages_msgid ON messages (msgid);
CREATE INDEX messages_pos ON messages (epoch, seq);
CREATE INDEX messages_blob ON messages (blob);
CREATE INDEX messages_commit ON messages (commit_id);
CREATE INDEX messages_title ON messages (norm_title, author_addr);
CREATE INDEX messages_author ON messages (author_addr);
CREATE INDEX messages_from ON messages (from_addr);
CREATE INDEX messages_irt ON messages (in_reply_to);
CREATE INDEX messages_cid ON messages (change_id) WHERE change_id IS NOT NULL;
CREATE INDEX messages_received ON messages (received);
CREATE TABLE refs (mid INTEGER NOT NULL, pos INTEGER NOT NULL, ref TEXT NOT NULL);
CREATE INDEX refs_mid ON refs (mid);
CREATE INDEX refs_ref ON refs (ref);
CREATE TABLE links (mid INTEGER NOT NULL, target TEXT NOT NULL);
CREATE INDEX links_mid ON links (mid);
-- what a reply says that the digest reads (trailers, applied notice), as message.slim keeps it
CREATE TABLE facts (mid INTEGER PRIMARY KEY, data TEXT NOT NULL);
-- a patch posting's body as the digest reads it (message.body.body_head): a large range is
-- rebuilt from the index without reading a blob
CREATE TABLE bodies (mid INTEGER PRIMARY KEY, text TEXT NOT NULL);
-- messages that could not be read, with the reason the digest names
CREATE TABLE skipped (epoch INTEGER NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL, commit_id TEXT NOT NULL, reason TEXT);
CREATE INDEX skipped_blob ON skipped (blob);
CREATE INDEX skipped_commit ON skipped (commit_id);
"""

_CHILD_TABLES = ("refs", "links", "facts", "bodies")

# the secondary indexes, by name: a first build drops them and creates them once at the end
# (sorting 26k keys once beats keeping nine B-trees in order row by row)
_INDEXES = {
    line.split()[2]: line.rstrip(";").replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
    for line in _SCHEMA.splitlines()
    if line.startswith("CREATE INDEX")
}
#: up to this many addresses, first_positions looks each up by index instead of one table pass
FIRST_LOOKUPS = 300
#: a build that adds at least this many rows to an empty index defers its indexes
BULK_MIN = 5000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UpdateStats:
    #: message blobs read and parsed in this update (the incremental test counts these)
    read: int
    #: rows dropped (vanished in a rewrite, or deleted by a ``d`` commit)
    dropped: int
    #: rows kept across a history rewrite with a new commit id
    moved: int
    #: epochs whose history was rewritten since the last update
    rewritten: tuple[int, ...]
    total: int
    #: commits whose message blob the repository lacks (skipped, retried at the next update)
    missing: tuple[str, ...] = ()


def _git(gitdir: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "--git-dir", gitdir, *args], capture_output=True)


def _row(m: Message, epoch: int, seq: int, blob: str, commit: str, body: str) -> tuple:
    p = m.parsed
    cid = change_id(body) if m.kind == PATCH else None
    return (
        epoch,
        seq,
        blob,
        commit,
        m.msgid,
        m.date,
        m.received,
        m.from_name,
        m.from_addr.lower(),
        m.author_name,
        m.author_addr.lower(),
        m.subject,
        p.title,
        normalize_title(p.title),
        p.version,
        p.counter,
        p.total,
        m.kind,
        1 if p.resend else 0,
        m.in_reply_to,
        cid,
        m.from_addr,
        m.author_addr,
        1 if m.has_diff else 0,
        1 if m.msgid_synthetic else 0,
        (p.reply and _REPLY)
        | (p.patch and _PATCHF)
        | (p.rfc and _RFC)
        | (p.pull and _PULL)
        | (p.versioned and _VERSIONED),
        p.revision,
        "\n".join(p.prefixes),
    )


# the columns a message is rebuilt from (Index._builder), the parsed subject's last
_MESSAGE_COLS = (
    "id, msgid, subject, from_name, from_addr_raw, author_name, author_addr_raw, date, received, "
    "in_reply_to, has_diff, synthetic, kind, title, subject_flags, resend, version, revision, counter, total, "
    "prefixes"
)

# Subject flags in the subject_flags column
_REPLY, _PATCHF, _RFC, _PULL, _VERSIONED = 1, 2, 4, 8, 16


def _subject(
    raw: str,
    title: str,
    flags: int,
    resend: int,
    version: int,
    revision: str,
    counter: int | None,
    total: int | None,
    prefixes: str,
) -> Subject:
    return Subject(
        raw,
        title,
        bool(flags & _REPLY),
        bool(flags & _PATCHF),
        bool(flags & _RFC),
        bool(resend),
        bool(flags & _PULL),
        version,
        revision,
        counter,
        total,
        tuple(prefixes.split("\n")) if prefixes else (),
        bool(flags & _VERSIONED),
    )


def _index_rows(m: Message, epoch: int, seq: int, blob: str, commit: str) -> tuple:
    """Everything the index stores about one parsed message, without its row id: what
    ``message.slim`` keeps of it (a patch posting's body head, a reply's facts)."""
    refs = list(enumerate(m.references))
    links: list = []
    facts: list = []
    bodies: list = []
    body = ""
    if m.kind == PATCH:
        body = body_head(m.body)
        bodies.append((body,))
        if "://" in body:
            links = [(t,) for t in lore_links(body) if t != m.msgid]
    else:
        trs, notice = m.trailers(), m.applied()
        if trs or notice is not None:
            facts.append(
                (
                    json.dumps(
                        [
                            [[t.name, t.person_name, t.person_addr, t.comment] for t in trs],
                            _notice_json(notice),
                        ]
                    ),
                )
            )
    return _row(m, epoch, seq, blob, commit, body), refs, links, facts, bodies


def _chunks(items: list, size: int = 900) -> Iterable[list]:
    """Pieces small enough for one SQL ``IN (...)`` (SQLite's variable limit)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _notice_json(a: AppliedNotice | None) -> list | None:
    if a is None:
        return None
    return [
        a.source,
        a.tree,
        a.branch,
        a.by,
        a.subset,
        [[i.label, i.title, i.commit] for i in a.items],
    ]


def _facts(data: str | None) -> tuple[tuple[Trailer, ...], AppliedNotice | None]:
    if not data:
        return (), None
    trs, a = json.loads(data)
    notice = None
    if a is not None:
        notice = AppliedNotice(
            a[0], a[1], a[2], a[3], bool(a[4]), tuple(AppliedItem(*i) for i in a[5])
        )
    return tuple(Trailer(*t) for t in trs), notice


def _parse_task(task: tuple) -> tuple[list, int, int]:
    """One batch in a worker: parsed, then written to the index at ``path`` under ids from
    ``base`` and committed (returning no rows), or returned for the caller to write.
    ``plan`` (which plan the batch belongs to) comes back with the result."""
    job, plan, base, path = task
    out = _parse_batch(job)
    if path is None:
        return out, plan, len(out)
    db = _WORKER_DB.get(path)
    if db is None:
        db = _WORKER_DB[path] = sqlite3.connect(path, timeout=600)
        db.execute("PRAGMA synchronous=NORMAL")
    _insert(db.cursor(), out, base)
    db.commit()
    return [], plan, len(out)


#: a worker process's connection to the index it writes (opened after the fork)
_WORKER_DB: dict[str, sqlite3.Connection] = {}


def _insert(cur: sqlite3.Cursor, out: list, next_id: int) -> int:
    """Insert a parsed batch's rows under ids from ``next_id``; returns the next free id."""
    rows, refs, links, facts, bodies, skipped = [], [], [], [], [], []
    for item in out:
        if item[0] == "skipped":
            skipped.append(item[1:])
            continue
        row, r_refs, r_links, r_facts, r_bodies = item
        mid = next_id
        next_id += 1
        rows.append((mid, *row))
        refs += [(mid, *r) for r in r_refs]
        links += [(mid, *r) for r in r_links]
        facts += [(mid, *r) for r in r_facts]
        bodies += [(mid, *r) for r in r_bodies]
    cur.executemany("INSERT INTO messages VALUES (" + ",".join("?" * 29) + ")", rows)
    cur.executemany("INSERT INTO facts VALUES (?,?)", facts)
    cur.executemany("INSERT INTO bodies VALUES (?,?)", bodies)
    cur.executemany("INSERT INTO skipped VALUES (?,?,?,?,?)", skipped)
    cur.executemany("INSERT INTO refs VALUES (?,?,?)", refs)
    cur.executemany("INSERT INTO links VALUES (?,?)", links)
    return next_id


def _count_commits(gitdir: str, head: str) -> int:
    proc = _git(gitdir, "rev-list", "--count", head)
    return int(proc.stdout or 0) if proc.returncode == 0 else 0


def _parse_batch(job: ReadJob) -> list:
    """Read and parse one batch of message blobs (runs in a worker process)."""
    blob_at = {seq: blob for seq, blob, _, _ in job.items}
    out = []
    for raw, m, reason in read_messages(read_job(job)):
        if m is None:
            out.append(("skipped", job.epoch, raw.seq, blob_at[raw.seq], raw.commit, reason))
        else:
            out.append(_index_rows(m, job.epoch, raw.seq, blob_at[raw.seq], raw.commit))
    return out


class Index:
    """An open index file.  Use as a context manager, or call ``close()``."""

    def __init__(self, path: str, workers: int | None = None) -> None:
        self.path = path
        #: processes that parse messages in a large update (one per core, at most 4)
        self.workers = workers if workers is not None else default_workers()
        d = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(d):
            # a mistyped --index path must not create directories (the CLI makes its default's)
            raise SourceError(f"{path}: cannot open index: directory {d} does not exist")
        try:
            self.db = sqlite3.connect(path, timeout=600)  # workers of a build write too
        except (OSError, sqlite3.Error) as exc:
            raise SourceError(f"{path}: cannot open index: {exc}") from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise SourceError(
                f"{path}: not a listdigest index ({exc}); give another --index file or remove this one"
            ) from None
        self._posting_cache: dict[str, Posting | None] = {}
        self._heads_by: dict[str, list] = {}
        #: first commit and deletions of each epoch read fresh, noted as its log streams by
        self._first: dict[int, str] = {}
        self._fresh_gone: dict[int, set[str]] = {}

    def reopened(self) -> Index:
        """The same index on a connection of its own (for a forked process: a connection
        must not cross a fork)."""
        return Index(self.path, self.workers)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _ensure_schema(self) -> None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is not None and row[0] == str(SCHEMA_VERSION):
            # a bulk build killed before it recreated its indexes left them missing
            self._create_indexes()
            return
        tables = [
            name
            for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            ).fetchall()
        ]
        if tables and row is None:
            # a database of something else: never dropped, whatever --index named
            raise sqlite3.DatabaseError("it holds other tables")
        # another (or no) schema: start over, the index is a cache of the archive
        for name in tables:
            self.db.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.db.executescript(_SCHEMA)
        self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self.db.commit()

    def _create_indexes(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        missing = [sql for name, sql in _INDEXES.items() if name not in have]
        for sql in missing:
            self.db.execute(sql)
        if missing:
            self.db.commit()

    # -- building ------------------------------------------------------------
    def update(self, source: GitSource, progress: Progress | None = None) -> UpdateStats:
        """Bring the index up to date with every epoch of ``source``.

        Epochs never indexed are read as ``git log`` lists them: worker processes parse the
        first batches while git is still listing the rest; the same log names the epoch's
        deletions (``d`` commits).  Each epoch is committed once all its rows and deletions
        are in, so an interrupted update leaves whole epochs or nothing."""
        read = dropped = moved = 0
        rewritten: list[int] = []
        states = []
        for ep in source.epochs:
            head = source.head(ep)
            row = self.db.execute(
                "SELECT last_commit FROM epochs WHERE epoch=?", (ep.number,)
            ).fetchone()
            last = row[0] if row else None
            incremental = (
                last is not None
                and head is not None
                and last != head
                and _git(ep.gitdir, "merge-base", "--is-ancestor", last, head).returncode == 0
            )
            # an epoch with no row and nothing stored is read straight from the log
            fresh = (
                last is None
                and head is not None
                and self.db.execute(
                    "SELECT 1 FROM messages WHERE epoch=? UNION ALL SELECT 1 FROM skipped WHERE epoch=? LIMIT 1",
                    (ep.number, ep.number),
                ).fetchone()
                is None
            )
            states.append((ep, head, last, incremental, fresh))
        # deletions first, from every epoch: a d commit in one epoch may remove a message of
        # another.  The log that lists an epoch's messages names its deletions too; a fresh
        # epoch's are gathered as its log streams by and applied when it is in.
        new_gone: set[str] = set()
        logs: dict[int, list[LogEntry]] = {}
        for ep, head, last, incremental, fresh in states:
            if head is None or last == head or fresh:
                continue
            logs[ep.number] = source._log(ep, [f"{last}..{head}" if incremental else head])
            if not incremental:
                self.db.execute("DELETE FROM deleted WHERE epoch=?", (ep.number,))
            got = {e.gone for e in logs[ep.number] if e.gone}
            self.db.executemany("INSERT INTO deleted VALUES (?, ?)", [(ep.number, b) for b in got])
            new_gone |= got
        gone = {b for (b,) in self.db.execute("SELECT blob FROM deleted")}
        plans: list[tuple[Epoch, str, Iterator[tuple[int, LogEntry]] | list, bool]] = []
        for ep, head, last, incremental, fresh in states:
            if head is None:
                if last is not None:
                    dropped += self._drop_epoch(ep.number)
                continue
            if last == head:
                continue
            if fresh:
                plans.append((ep, head, self._fresh_todo(source, ep, head, gone), True))
            elif incremental:
                entries = logs[ep.number]
                base = self.db.execute(
                    "SELECT MAX(s) FROM (SELECT COALESCE(MAX(seq), -1) + 1 AS s FROM messages WHERE epoch=?"
                    " UNION ALL SELECT COALESCE(MAX(seq), -1) + 1 FROM skipped WHERE epoch=?)",
                    (ep.number, ep.number),
                ).fetchone()[0]
                todo = [(base + i, e) for i, e in enumerate(entries) if e.stores_message(gone)]
                plans.append((ep, head, todo, False))
            else:
                entries = logs[ep.number]
                if last is not None:
                    rewritten.append(ep.number)
                todo, m, d = self._reconcile(ep.number, entries, gone)
                moved += m
                dropped += d
                first = entries[0].commit if entries else None
                self.db.execute(
                    "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?)", (ep.number, last, first)
                )
                plans.append((ep, head, todo, False))
        # rows of any epoch whose blob a d commit just removed (older ones are gone already)
        dropped += self._drop_gone(new_gone)
        listed = sum(len(t) for _, _, t, f in plans if not f)
        streamed = any(f for _, _, _, f in plans)
        total = (
            listed + sum(_count_commits(ep.gitdir, head) for ep, head, _, f in plans if f)
            if progress
            else 0
        )
        bulk = (streamed or listed >= BULK_MIN) and self.count() == 0
        if bulk:
            for name in _INDEXES:
                self.db.execute(f"DROP INDEX IF EXISTS {name}")
        workers = self.workers if (streamed or listed >= 2 * BATCH) else 1
        done = 0
        # a first build's indexes are made as soon as a worker runs out of batches, while
        # the others finish theirs (they wait for the lock, then insert with indexes on)
        early = self._create_indexes if bulk else None
        for ep, head, _todo, fresh, got in self._ingest(plans, workers, early):
            read += got
            done += got
            if progress is not None:
                progress(min(done, total), total)
            if fresh:
                # the epoch's own deletions, gathered from its log, before it counts as indexed
                blobs = self._fresh_gone.pop(ep.number, set())
                self.db.executemany(
                    "INSERT INTO deleted VALUES (?, ?)", [(ep.number, b) for b in blobs]
                )
                dropped += self._drop_gone(blobs)
            self.db.execute("UPDATE epochs SET last_commit=? WHERE epoch=?", (head, ep.number))
            self.db.execute(
                "INSERT OR IGNORE INTO epochs VALUES (?, ?, ?)",
                (ep.number, head, self._first.pop(ep.number, None)),
            )
            self.db.commit()
        if bulk:
            self._create_indexes()
        self.db.commit()
        read += self._retry_missing(source)
        self._posting_cache.clear()
        self._heads_by.clear()
        if progress is not None and total:
            progress(total, total)
        count = self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        missing = tuple(
            c
            for (c,) in self.db.execute(
                "SELECT commit_id FROM skipped WHERE reason=? ORDER BY epoch, seq", (MISSING_BLOB,)
            )
        )
        return UpdateStats(read, dropped, moved, tuple(rewritten), count, missing)

    def _retry_missing(self, source: GitSource) -> int:
        """Read again the messages skipped because their blob was missing (a mirror fetches
        the object later); returns how many are now indexed."""
        rows = self.db.execute(
            "SELECT epoch, seq, blob, commit_id FROM skipped WHERE reason=? ORDER BY epoch, seq",
            (MISSING_BLOB,),
        ).fetchall()
        found = 0
        gitdirs = {ep.number: ep.gitdir for ep in source.epochs}
        for epoch in sorted({r[0] for r in rows}):
            if epoch not in gitdirs:
                continue
            items = [(seq, blob, commit) for e, seq, blob, commit in rows if e == epoch]
            # the commit times, for a message without Date (one git call for them all)
            times = _git(
                gitdirs[epoch], "show", "-s", "--format=%ct", *[c for _, _, c in items]
            ).stdout.split()
            job = ReadJob(
                gitdirs[epoch],
                epoch,
                tuple((seq, blob, commit, int(t)) for (seq, blob, commit), t in zip(items, times)),
            )
            got = [
                r for r in _parse_batch(job) if not (r[0] == "skipped" and r[-1] == MISSING_BLOB)
            ]
            if not got:
                continue
            blobs = [r[3] if r[0] == "skipped" else r[0][2] for r in got]
            self.db.executemany(
                "DELETE FROM skipped WHERE epoch=? AND blob=? AND reason=?",
                [(epoch, b, MISSING_BLOB) for b in blobs],
            )
            next_id = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM messages").fetchone()[0]
            _insert(self.db.cursor(), got, next_id)
            found += len(got)
        if found:
            self.db.commit()
        return found

    def _fresh_todo(
        self, source: GitSource, ep: Epoch, head: str, gone: set[str]
    ) -> Iterator[tuple[int, LogEntry]]:
        """An unindexed epoch's messages as git log lists them, newest first: git writes
        the newest commits at once, where oldest first it writes nothing until it has
        walked the whole history (0.2 s of linux-hyperv's build, a core idle meanwhile).
        So an epoch listed whole numbers its commits back from the newest, -1, -2, …
        (``_reconcile`` does the same), and later commits on from 0: ``seq`` orders an
        epoch's commits, its values mean nothing else.  The first commit is noted last."""
        deletions = self._fresh_gone[ep.number] = set()
        e = None
        for i, e in enumerate(source.iter_log(ep, [head], newest_first=True)):
            if e.gone:
                deletions.add(e.gone)
            if e.stores_message(gone):
                yield -1 - i, e
        if e is not None:
            self._first[ep.number] = e.commit

    def _drop_gone(self, gone: set[str]) -> int:
        """Drop the rows (any epoch) of blobs named by a d commit."""
        ids = []
        # in chunks, not blob by blob: during a first build the blob index is not made yet,
        # and each lookup would scan the table
        for part in _chunks(sorted(gone)):
            marks = ",".join("?" * len(part))
            ids += [
                r[0]
                for r in self.db.execute(f"SELECT id FROM messages WHERE blob IN ({marks})", part)
            ]
            self.db.execute(f"DELETE FROM skipped WHERE blob IN ({marks})", part)
        self._drop_ids(ids)
        return len(ids)

    def _reconcile(
        self, epoch: int, entries: Sequence[LogEntry], gone: set[str]
    ) -> tuple[list, int, int]:
        """After a rewrite (or first build): move kept rows, drop vanished ones, list new blobs."""
        known: dict[str, int] = dict(
            self.db.execute("SELECT blob, id FROM messages WHERE epoch=?", (epoch,)).fetchall()
        )
        todo = []
        updates = []
        present: set[str] = set()
        for seq, e in enumerate(
            entries, -len(entries)
        ):  # numbered back from the newest (_fresh_todo)
            if not e.stores_message(gone):
                continue
            present.add(e.blob)
            if e.blob in known:
                updates.append((seq, e.commit, known[e.blob]))
            else:
                todo.append((seq, e))
        vanished = [i for b, i in known.items() if b not in present]
        self._drop_ids(vanished)
        self.db.executemany("UPDATE messages SET seq=?, commit_id=? WHERE id=?", updates)
        # unreadable messages are kept the same way: moved when still there, else dropped
        unreadable = {
            b for (b,) in self.db.execute("SELECT blob FROM skipped WHERE epoch=?", (epoch,))
        }
        self.db.executemany(
            "DELETE FROM skipped WHERE epoch=? AND blob=?",
            [(epoch, b) for b in unreadable - present],
        )
        moves = [(seq, e.commit, epoch, e.blob) for seq, e in todo if e.blob in unreadable]
        self.db.executemany("UPDATE skipped SET seq=?, commit_id=? WHERE epoch=? AND blob=?", moves)
        todo = [(seq, e) for seq, e in todo if e.blob not in unreadable]
        return todo, len(updates), len(vanished)

    def _drop_epoch(self, epoch: int) -> int:
        self.db.execute("DELETE FROM skipped WHERE epoch=?", (epoch,))
        ids = [
            r[0]
            for r in self.db.execute("SELECT id FROM messages WHERE epoch=?", (epoch,)).fetchall()
        ]
        self._drop_ids(ids)
        self.db.execute("DELETE FROM epochs WHERE epoch=?", (epoch,))
        return len(ids)

    def _drop_ids(self, ids: Sequence[int]) -> None:
        # in chunks (see _drop_gone: refs and links may have no index on mid yet)
        for part in _chunks(list(ids)):
            marks = ",".join("?" * len(part))
            for t in _CHILD_TABLES:
                self.db.execute(f"DELETE FROM {t} WHERE mid IN ({marks})", part)
            self.db.execute(f"DELETE FROM messages WHERE id IN ({marks})", part)

    def _ingest(
        self, plans, workers: int, early: Callable[[], None] | None = None
    ) -> Iterator[tuple]:
        """Read, parse and insert every plan's messages, one stream of batches across epochs;
        yields ``(epoch, head, todo, fresh, messages read)`` as each epoch is complete.

        In a first build (every plan fresh, worker processes) each worker writes its own
        batches under row ids reserved for them, so rows never travel back here to be
        pickled, unpickled and inserted (measured: 0.2 s of 3.8 s on linux-hyperv).  There,
        ``early`` is called once no batch is left for a worker that finishes: its core
        would idle until the last batches are in (measured: ~0.05 s on linux-hyperv)."""
        cur = self.db.cursor()
        next_id = cur.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM messages").fetchone()[0]
        direct = workers > 1 and all(p[3] for p in plans)
        if direct:
            self.db.commit()  # the workers write: no transaction of ours may hold the lock
        path = os.path.abspath(self.path) if direct else None

        made = [0] * len(plans)  # tasks made per plan (the pool draws them in a thread)
        closed = [False] * len(plans)  # the plan's last task is made (the last plan's: all are)

        def tasks() -> Iterator[tuple]:
            # a batch of n messages may use ids base..base+n-1 (when its worker writes it);
            # every plan has a task (maybe empty), so that its end is seen
            base = next_id
            for i, (ep, _, todo, _) in enumerate(plans):
                batch: list = []
                for seq, e in todo:
                    batch.append((seq, e.blob or "", e.commit, e.time))
                    if len(batch) == BATCH:
                        made[i] += 1
                        yield ReadJob(ep.gitdir, ep.number, tuple(batch)), i, base, path
                        base += BATCH
                        batch = []
                made[i] += 1
                closed[i] = True
                yield ReadJob(ep.gitdir, ep.number, tuple(batch)), i, base, path
                base += len(batch)

        done = [0] * len(plans)
        got = [0] * len(plans)
        received = ready = 0
        # workers that write their own rows report in any order: the first to run out of
        # batches is seen at once
        for out, i, count in ordered_map(_parse_task, tasks(), workers, ordered=not direct):
            received += 1
            if out:
                next_id = _insert(cur, out, next_id)
            done[i] += 1
            got[i] += count
            if direct and early is not None and closed[-1] and sum(made) - received < workers:
                early()
                early = None
            if closed[i] and done[i] == made[i]:
                # plans complete in order even when their batches do not: a d commit in a
                # later epoch may remove a message of an earlier one, which must be in
                while ready < len(plans) and closed[ready] and done[ready] == made[ready]:
                    yield plans[ready] + (got[ready],)
                    ready += 1
            elif plans[i][3] and not direct:
                # a fresh epoch commits as it goes (as its workers do when they write): the
                # writing overlaps the parsing, and an interrupted build resumes from its
                # rows (the epoch, not yet recorded as indexed, is reconciled against its
                # log on the next update)
                self.db.commit()

    # -- a range's messages, rebuilt ------------------------------------------
    def selection(
        self, source: GitSource, from_rev: str | None = None, to_rev: str | None = None
    ) -> Selection | None:
        """``source.select(from_rev, to_rev)`` made from the index alone, without listing the
        epochs' history again (``git log`` of a large epoch costs more than the rest of a
        whole-archive report's reading).  None when the index cannot answer: an epoch is not
        up to date, or an end of the range is a commit that stores no message."""
        plan = source.plan(from_rev, to_rev)  # checks the range; raises as select() would
        if not plan:
            return None
        known = dict(self.db.execute("SELECT epoch, last_commit FROM epochs").fetchall())
        for ep in source.epochs:
            if known.get(ep.number) != source.head(ep):
                return None
        lo_commit = source.resolve(from_rev)[1] if from_rev else None
        hi_commit = source.resolve(to_rev)[1] if to_rev else None
        lo = self._position(lo_commit) if lo_commit else None
        hi = self._position(hi_commit) if hi_commit else None
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
            for _, blob, commit, when in self.db.execute(
                q.format(cond), (ep.number, *args, ep.number, *args)
            ):
                items.append((seq, blob, commit, when))
                seq += 1
            jobs.append(ReadJob(ep.gitdir, ep.number, tuple(items)))
        start: str | None = lo_commit
        if start is None:
            row = self.db.execute(
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

    def _position(self, commit: str) -> tuple[int, int] | None:
        """(epoch, seq) of the commit storing a message, readable or not."""
        pos = self.position_of_commit(commit)
        if pos is None:
            r = self.db.execute(
                "SELECT epoch, seq FROM skipped WHERE commit_id=? LIMIT 1", (commit,)
            ).fetchone()
            pos = (r[0], r[1]) if r else None
        return pos

    def messages_of(self, job: ReadJob) -> list[Message | str | None]:
        """For each item of a read job, the message as ``message.slim`` leaves it (patch
        postings with their body head, replies with their facts), the reason it is
        unreadable (str), or None when the index does not hold it."""
        cols = "blob, " + _MESSAGE_COLS
        blobs = [i[1] for i in job.items]
        wanted = set(blobs)
        rows: dict[str, tuple] = {}
        skipped: dict[str, str] = {}
        lo = self._position(job.items[0][2]) if job.items else None
        hi = self._position(job.items[-1][2]) if job.items else None
        if lo is not None and hi is not None and lo[0] == hi[0] == job.epoch:
            # the job's commits are a span of the epoch: one range scan, not a lookup per blob
            span = (job.epoch, lo[1], hi[1])
            for r in self.db.execute(
                f"SELECT {cols} FROM messages WHERE epoch=? AND seq BETWEEN ? AND ?", span
            ):
                if r[0] in wanted:
                    rows[r[0]] = r[1:]
            for b, reason in self.db.execute(
                "SELECT blob, reason FROM skipped WHERE epoch=? AND seq BETWEEN ? AND ?", span
            ):
                if b in wanted:
                    skipped[b] = reason
        else:
            for part in _chunks(blobs):
                marks = ",".join("?" * len(part))
                for r in self.db.execute(
                    f"SELECT {cols} FROM messages WHERE epoch=? AND blob IN ({marks})",
                    (job.epoch, *part),
                ):
                    rows[r[0]] = r[1:]
                for b, reason in self.db.execute(
                    f"SELECT blob, reason FROM skipped WHERE epoch=? AND blob IN ({marks})",
                    (job.epoch, *part),
                ):
                    skipped[b] = reason
        build = self._builder(list(rows.values()))
        out: list[Message | str | None] = []
        for seq, blob, commit, _ in job.items:
            r = rows.get(blob)
            out.append(skipped.get(blob) if r is None else build(r, commit, job.epoch, seq))
        return out

    def _builder(self, rows: list[tuple]) -> Callable[[tuple, str, int, int], Message]:
        """Rebuilds messages from rows of ``_MESSAGE_COLS``: their references, facts and body
        heads are read at once here; the returned call makes one message of one row."""
        ids = [r[0] for r in rows]
        refs: dict[int, list[str]] = {}
        for mid, ref in self._children("SELECT mid, ref FROM refs WHERE {} ORDER BY mid, pos", ids):
            refs.setdefault(mid, []).append(ref)
        facts = dict(self._children("SELECT mid, data FROM facts WHERE {}", ids))
        bodies = dict(self._children("SELECT mid, text FROM bodies WHERE {}", ids))

        def build(r: tuple, commit: str, epoch: int, seq: int) -> Message:
            (
                mid,
                msgid,
                subject,
                fname,
                faddr,
                aname,
                aaddr,
                date,
                received,
                irt,
                has_diff,
                synth,
                kind,
            ) = r[:13]
            return Message(
                msgid=msgid,
                subject=subject,
                parsed=_subject(subject, *r[13:]),
                from_name=fname,
                from_addr=faddr,
                author_name=aname,
                author_addr=aaddr,
                date=date,
                received=received,
                in_reply_to=irt,
                references=tuple(refs.get(mid, ())),
                body=bodies.get(mid, ""),
                has_diff=bool(has_diff),
                commit=commit,
                epoch=epoch,
                seq=seq,
                msgid_synthetic=bool(synth),
                kind=kind,
                facts=None if kind == PATCH else _facts(facts.get(mid)),
            )

        return build

    def messages_before(self, pos: tuple[int, int], since: int) -> list[Message]:
        """The messages received since ``since`` and stored before position ``pos`` (a
        range's start), in archive order, as ``message.slim`` leaves them: the window of
        earlier mail a digest judges its waiting series by."""
        rows = self.db.execute(
            f"SELECT commit_id, epoch, seq, {_MESSAGE_COLS} FROM messages "
            "WHERE received >= ? AND (epoch < ? OR (epoch = ? AND seq < ?)) ORDER BY epoch, seq",
            (since, pos[0], pos[0], pos[1]),
        ).fetchall()
        build = self._builder([r[3:] for r in rows])
        return [build(r[3:], r[0], r[1], r[2]) for r in rows]

    def last_message_upto(self, commit: str) -> tuple[str, str, int | None] | None:
        """(blob, Message-ID, received time) of the last message stored at or before
        ``commit`` in archive order: what a run records of the digest it delivered."""
        pos = self._position(commit)
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

    def kind_of(self, msgid: str) -> str | None:
        """The kind (patch, reply, other) of the first message stored under ``msgid``."""
        r = self.db.execute(
            "SELECT kind FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1", (msgid,)
        ).fetchone()
        return r[0] if r else None

    def _children(self, query: str, ids: list[int]) -> list[tuple]:
        """Rows of a child table (``mid`` first) for ``ids``: one range scan when the ids are
        dense (a range rebuilt whole), else lookups in chunks."""
        if not ids:
            return []
        lo, hi = min(ids), max(ids)
        if hi - lo < 4 * len(ids):
            rows = self.db.execute(query.format("mid BETWEEN ? AND ?"), (lo, hi)).fetchall()
            if hi - lo + 1 == len(ids):
                return rows  # every id of the span is wanted
            want = set(ids)
            return [r for r in rows if r[0] in want]
        out: list[tuple] = []
        for part in _chunks(ids):
            out += self.db.execute(
                query.format(f"mid IN ({','.join('?' * len(part))})"), part
            ).fetchall()
        return out

    # -- lookups (model.versions.VersionLookup and the history analysis) ------
    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]

    def _posting_row(self, r) -> Posting:
        return Posting(r[0], r[1], r[2], r[3], r[4], r[5], (r[6], r[7]), bool(r[8]), r[13] or "")

    _PCOLS = (
        "msgid, subject, title, version, author_addr, date, epoch, seq, resend, counter, in_reply_to, kind, from_addr, "
        "author_name, subject_flags, has_diff"
    )

    def _first_row(self, msgid: str):
        return self.db.execute(
            f"SELECT {self._PCOLS} FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1",
            (msgid,),
        ).fetchone()

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
            and r[11] == OTHER
            and not r[15]
            and self.db.execute(
                "SELECT 1 FROM messages WHERE in_reply_to=? AND kind=? AND counter >= 1 AND from_addr=? LIMIT 1",
                (msgid, PATCH, r[12]),
            ).fetchone()
        ):
            # a thread root that is neither patch nor reply, answered by its sender's numbered
            # patches: a cover letter written without tag or diffstat (model.series promotes it)
            out = self._posting_row(r)
        elif r is not None and r[11] == PATCH:
            out = self._posting_row(r)
            cur = r
            for _ in range(50):
                counter, irt = cur[9], cur[10]
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
                fits = parent[3] == cur[3] or not (cur[14] or 0) & _VERSIONED
                if parent[11] != PATCH or parent[12] != cur[12] or not fits:
                    break
                out = self._posting_row(parent)
                if (parent[9] is not None and parent[9] <= 1 and cur[9] > 1) or parent[9] == 0:
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
            f"SELECT {self._PCOLS} FROM messages WHERE change_id=? AND (epoch < ? OR (epoch = ? AND seq < ?))",
            (cid, before[0], before[0], before[1]),
        ).fetchall()
        return [p for p in (self.posting(r[0]) for r in rows) if p is not None]

    def parents_of(self, msgid: str) -> list[str]:
        r = self.db.execute(
            "SELECT id, in_reply_to FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1",
            (msgid,),
        ).fetchone()
        if r is None:
            return []
        out = [r[1]] if r[1] else []
        out += [
            x[0]
            for x in self.db.execute("SELECT ref FROM refs WHERE mid=? ORDER BY pos DESC", (r[0],))
            if x[0] not in out
        ]
        return out

    def version_facts(self, msgid: str) -> tuple[list[str], str | None, list[str]]:
        """The lore links, change-id and parents (In-Reply-To, then References from the
        nearest) of the first message stored under ``msgid``: what a version step reads."""
        r = self.db.execute(
            "SELECT id, in_reply_to, change_id FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1",
            (msgid,),
        ).fetchone()
        if r is None:
            return [], None, []
        links = [
            x[0]
            for x in self.db.execute("SELECT target FROM links WHERE mid=? ORDER BY rowid", (r[0],))
        ]
        parents = [r[1]] if r[1] else []
        parents += [
            x[0]
            for x in self.db.execute("SELECT ref FROM refs WHERE mid=? ORDER BY pos DESC", (r[0],))
            if x[0] not in parents
        ]
        return links, r[2], parents

    def position_of_commit(self, commit: str) -> tuple[int, int] | None:
        r = self.db.execute(
            "SELECT epoch, seq FROM messages WHERE commit_id=? LIMIT 1", (commit,)
        ).fetchone()
        return (r[0], r[1]) if r else None

    def first_positions(self, addrs: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each address's first message in the whole archive (as sender or author)."""
        wanted = {x.lower() for x in addrs}
        best: dict[str, int] = {}
        # (epoch, seq) as one integer that orders the same; seq may be negative (_fresh_todo)
        first = "MIN(epoch * 4294967296 + seq + 2147483648)"
        for col in ("author_addr", "from_addr"):
            if len(wanted) <= FIRST_LOOKUPS:
                # a few addresses (a day's authors): one indexed lookup each
                rows = [
                    (
                        a,
                        self.db.execute(
                            f"SELECT {first} FROM messages WHERE {col}=?", (a,)
                        ).fetchone()[0],
                    )
                    for a in wanted
                ]
            else:
                # many: one pass over the table per column (an OR of the columns scans per address)
                rows = self.db.execute(
                    f"SELECT {col}, {first} FROM messages GROUP BY {col}"
                ).fetchall()
            for addr, pos in rows:
                if pos is not None and addr in wanted and (addr not in best or pos < best[addr]):
                    best[addr] = pos
        return {a: (p >> 32, (p & 0xFFFFFFFF) - 2147483648) for a, p in best.items()}

    def first_positions_by_name(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Each display name's first message in the whole archive (as author), any address."""
        out: dict[str, tuple[int, int]] = {}
        for part in _chunks([n for n in set(names) if n]):
            marks = ",".join("?" * len(part))
            for name, pos in self.db.execute(
                f"SELECT author_name, MIN(epoch * 4294967296 + seq + 2147483648) FROM messages "
                f"WHERE author_name IN ({marks}) GROUP BY author_name",
                part,
            ):
                out[name] = (pos >> 32, (pos & 0xFFFFFFFF) - 2147483648)
        return out

    def subject_of(self, msgid: str) -> str | None:
        r = self.db.execute(
            "SELECT subject FROM messages WHERE msgid=? ORDER BY epoch, seq LIMIT 1", (msgid,)
        ).fetchone()
        return r[0] if r else None

    def span_received(self, since: int | None, until: int | None) -> tuple[str | None, str] | None:
        """The commit span holding every message received in [since, until]: (the commit
        before the first of them, or None at the archive's start; the commit of the last)."""
        lo = since if since is not None else -(1 << 62)
        hi = until if until is not None else 1 << 62
        q = "SELECT epoch, seq, commit_id FROM messages WHERE received BETWEEN ? AND ? ORDER BY epoch {0}, seq {0} LIMIT 1"
        first = self.db.execute(q.format("ASC"), (lo, hi)).fetchone()
        if first is None:
            return None
        last = self.db.execute(q.format("DESC"), (lo, hi)).fetchone()
        before = self.db.execute(
            "SELECT commit_id FROM messages WHERE epoch < ? OR (epoch = ? AND seq < ?) ORDER BY epoch DESC, seq DESC LIMIT 1",
            (first[0], first[0], first[1]),
        ).fetchone()
        return (before[0] if before else None), last[2]


def index_archive(
    path: str,
    index_path: str,
    progress: Progress | None = None,
    opener: Callable[[str], object] | None = None,
) -> UpdateStats:
    """Build or update the index of the git archive at ``path``; returns the update's stats.
    (Here rather than in ``pipeline``, so that ``listdigest index`` starts without importing
    the analysis and report stages: 44 ms of its start-up.)"""
    from ..sources import open_source

    source = (opener or open_source)(path)
    if getattr(source, "kind", None) != "git":
        raise SourceError(
            f"{path}: only public-inbox git archives can be indexed (mbox/Maildir are read whole each time)"
        )
    with Index(index_path) as ix:
        return ix.update(source, progress)  # type: ignore[arg-type]
