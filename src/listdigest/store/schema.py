"""The index file's layout: its tables (versioned), and the rows one message becomes.

Owns ``SCHEMA_VERSION`` and the tables, opening a file at that version (a file of another
version is rebuilt, a database of something else refused), the secondary indexes a bulk
build defers, and the row codec: a parsed message to the rows stored (``encode``), and
the stored columns back to the parts of a message (``decode_subject``, ``decode_facts``).
Building the index is ``ingest``'s, asking it ``lookup``'s and ``rebuild``'s.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from ..errors import SourceError
from ..message import PATCH, Message, restored
from ..message.applied import AppliedItem, AppliedNotice
from ..message.body import body_head
from ..message.subject import Subject
from ..message.trailers import Trailer
from ..model.versions import change_id, lore_links, normalize_title

SCHEMA_VERSION = 8  # 8: the paths each patch posting touches; 7: message kinds from the body (reports, quoted replies, tagless covers), stated versions; 2: received-time index; 3: what rebuilds a range (facts, skipped, raw addresses); 4: no unread trailer/applied tables; 5: patch body heads; 6: deletions across epochs, first commits, parsed subjects (a range rebuilt without git log or parsing)

SCHEMA = """
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
-- the paths a patch posting touches (message.paths.touched_paths), one per line: what a
-- digest filtered by path or MAINTAINERS section reads (the body head has no diff)
CREATE TABLE paths (mid INTEGER PRIMARY KEY, list TEXT NOT NULL);
-- messages that could not be read, with the reason the digest names
CREATE TABLE skipped (epoch INTEGER NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL, commit_id TEXT NOT NULL, reason TEXT);
CREATE INDEX skipped_blob ON skipped (blob);
CREATE INDEX skipped_commit ON skipped (commit_id);
"""

#: the tables holding a message's parts, by its row id (``mid``)
CHILD_TABLES = ("refs", "links", "facts", "bodies", "paths")

# the secondary indexes, by name: a first build drops them and creates them once at the end
# (sorting 26k keys once beats keeping nine B-trees in order row by row)
INDEXES = {
    line.split()[2]: line.rstrip(";").replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
    for line in SCHEMA.splitlines()
    if line.startswith("CREATE INDEX")
}


def connect(path: str) -> sqlite3.Connection:
    """The index file at ``path``, opened at ``SCHEMA_VERSION`` (created, or rebuilt empty
    when it holds another version).  A missing directory, a file that is no SQLite
    database, or a database of something else raise ``SourceError`` (one line)."""
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        # a mistyped --index path must not create directories (the CLI makes its default's)
        raise SourceError(f"{path}: cannot open index: directory {d} does not exist")
    try:
        db = sqlite3.connect(path, timeout=600)  # workers of a build write too
    except (OSError, sqlite3.Error) as exc:
        raise SourceError(f"{path}: cannot open index: {exc}") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        _ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise SourceError(
            f"{path}: not a listdigest index ({exc}); give another --index file or remove this one"
        ) from None
    return db


def _ensure_schema(db: sqlite3.Connection) -> None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is not None and row[0] == str(SCHEMA_VERSION):
        # a bulk build killed before it recreated its indexes left them missing
        create_indexes(db)
        return
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    if tables and row is None:
        # a database of something else: never dropped, whatever --index named
        raise sqlite3.DatabaseError("it holds other tables")
    # another (or no) schema: start over, the index is a cache of the archive
    for name in tables:
        db.execute(f'DROP TABLE IF EXISTS "{name}"')
    db.executescript(SCHEMA)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.commit()


def create_indexes(db: sqlite3.Connection) -> None:
    """Create the secondary indexes a bulk build dropped (or a killed one left missing)."""
    have = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    missing = [sql for name, sql in INDEXES.items() if name not in have]
    for sql in missing:
        db.execute(sql)
    if missing:
        db.commit()


def drop_indexes(db: sqlite3.Connection) -> None:
    for name in INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def chunks(items: list, size: int = 900) -> Iterable[list]:
    """Pieces small enough for one SQL ``IN (...)`` (SQLite's variable limit)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- the row codec -------------------------------------------------------------


class MessageRow(NamedTuple):
    """A ``messages`` row without its id, in column order."""

    epoch: int
    seq: int
    blob: str
    commit_id: str
    msgid: str
    date: int | None
    received: int | None
    from_name: str
    #: lower-cased (what look-ups compare); ``from_addr_raw`` as the mail wrote it
    from_addr: str
    author_name: str
    author_addr: str
    subject: str
    title: str
    norm_title: str
    version: int
    counter: int | None
    total: int | None
    kind: str
    resend: int
    in_reply_to: str | None
    change_id: str | None
    from_addr_raw: str
    author_addr_raw: str
    has_diff: int
    synthetic: int
    subject_flags: int
    revision: str
    prefixes: str


#: placeholders of one whole ``messages`` row (its id first)
MESSAGE_MARKS = ",".join("?" * (1 + len(MessageRow._fields)))


class Encoded(NamedTuple):
    """Everything the index stores about one readable message, without its row id: what
    ``message.slim`` keeps of it (a patch posting's body head, a reply's facts)."""

    row: MessageRow
    #: References, in order
    refs: tuple[str, ...]
    #: lore links of a patch posting's body
    links: tuple[str, ...]
    #: a reply's trailers and applied notice (JSON), None when it has neither
    facts: str | None
    #: a patch posting's body head, None for other messages
    body: str | None
    #: a patch posting's touched paths, one per line; None when it names none
    paths: str | None = None


class SkippedRow(NamedTuple):
    """A ``skipped`` row: a message that could not be read, and why."""

    epoch: int
    seq: int
    blob: str
    commit_id: str
    reason: str | None


# Subject flags in the subject_flags column
REPLY, PATCHF, RFC, PULL, VERSIONED = 1, 2, 4, 8, 16


def encode(m: Message, epoch: int, seq: int, blob: str, commit: str) -> Encoded:
    """The rows of one parsed message."""
    links: tuple[str, ...] = ()
    facts = body = None
    if m.kind == PATCH:
        body = body_head(m.body)
        if "://" in body:
            links = tuple(t for t in lore_links(body) if t != m.msgid)
    else:
        trs, notice = m.trailers(), m.applied()
        if trs or notice is not None:
            facts = json.dumps(
                [
                    [[t.name, t.person_name, t.person_addr, t.comment] for t in trs],
                    _notice_json(notice),
                ]
            )
    p = m.parsed
    row = MessageRow(
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
        change_id(body) if body is not None else None,
        m.from_addr,
        m.author_addr,
        1 if m.has_diff else 0,
        1 if m.msgid_synthetic else 0,
        (p.reply and REPLY)
        | (p.patch and PATCHF)
        | (p.rfc and RFC)
        | (p.pull and PULL)
        | (p.versioned and VERSIONED),
        p.revision,
        "\n".join(p.prefixes),
    )
    paths = "\n".join(m.paths) if m.paths else None
    return Encoded(row, tuple(m.references), links, facts, body, paths)


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


def decode_facts(data: str | None) -> tuple[tuple[Trailer, ...], AppliedNotice | None]:
    """A reply's trailers and applied notice from its ``facts`` row (None: it has none)."""
    if not data:
        return (), None
    trs, a = json.loads(data)
    notice = None
    if a is not None:
        notice = AppliedNotice(
            a[0], a[1], a[2], a[3], bool(a[4]), tuple(AppliedItem(*i) for i in a[5])
        )
    return tuple(Trailer(*t) for t in trs), notice


def decode_subject(
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
    """The parsed subject from its stored columns."""
    return restored(  # Subject's fields, in order
        Subject,
        raw,
        title,
        bool(flags & REPLY),
        bool(flags & PATCHF),
        bool(flags & RFC),
        bool(resend),
        bool(flags & PULL),
        version,
        revision,
        counter,
        total,
        tuple(prefixes.split("\n")) if prefixes else (),
        bool(flags & VERSIONED),
    )
