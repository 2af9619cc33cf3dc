"""The code trees' tables in the index: each tree's commits, patch-ids and trailer links.

Owns the ``tree*`` tables (created here with ``CREATE TABLE IF NOT EXISTS``, beside the
archive's, so the index's ``SCHEMA_VERSION`` stays the archive's business: a rebuilt
index simply loses them and they are filled again) and keeping them up to date with a
tree: incremental per tree and ref (the last tip read is remembered; a moved tree costs
one ``git log`` of the new commits and one ``git log -p | git patch-id`` pass over them;
commits a rewind dropped are forgotten), committed per batch so a first pass over a large
tree shows progress and, interrupted, resumes where it stopped.  Reading git is
``sources.tree``'s; matching is ``analysis.landed``'s, which asks ``TreeTable``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Callable

from ..analysis.landed import MailPatch, PatchLanding, TreeHit, match_tree
from ..message import Message
from ..model.versions import normalize_title
from ..sources.tree import (
    Tree,
    TreeSpec,
    commit_patch_ids,
    diff_patch_ids,
    has_commit,
    is_ancestor,
    log_commits,
    open_tree,
    rev_list,
)
from .schema import chunks

TABLES = """
CREATE TABLE IF NOT EXISTS trees (
    id INTEGER PRIMARY KEY, gitdir TEXT NOT NULL, ref TEXT NOT NULL,
    -- the tip every commit of which is held; the tip being read when a pass was cut short
    last_tip TEXT, pending_tip TEXT,
    UNIQUE (gitdir, ref)
);
CREATE TABLE IF NOT EXISTS tree_commits (
    tree INTEGER NOT NULL, commit_id TEXT NOT NULL,
    -- NULL: not computed yet; '': the commit has no diff
    patch_id TEXT,
    author_name TEXT, author_addr TEXT, author_time INTEGER, commit_time INTEGER,
    subject TEXT, norm_title TEXT,
    PRIMARY KEY (tree, commit_id)
);
CREATE INDEX IF NOT EXISTS tree_commits_pid ON tree_commits (patch_id, tree);
CREATE INDEX IF NOT EXISTS tree_commits_title ON tree_commits (norm_title, tree);
CREATE TABLE IF NOT EXISTS tree_links (
    tree INTEGER NOT NULL, commit_id TEXT NOT NULL, msgid TEXT NOT NULL,
    PRIMARY KEY (tree, commit_id, msgid)
);
CREATE INDEX IF NOT EXISTS tree_links_msgid ON tree_links (msgid, tree);
-- a mailed patch's patch-id, by the archive commit storing the mail ('' when it has none)
CREATE TABLE IF NOT EXISTS mail_patch_ids (commit_id TEXT PRIMARY KEY, patch_id TEXT NOT NULL);
"""

#: patch-ids stored per commit of the database (an interrupted pass keeps every batch done)
BATCH = 2000

#: ``progress(done, total)`` after each batch of patch-ids
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TreeUpdate:
    """What one update read: new commits listed, patch-ids computed, commits dropped."""

    listed: int
    computed: int
    dropped: int


def open_db(path: str | None) -> sqlite3.Connection:
    """The index file at ``path`` (opened as the index opens it), or a database in memory
    without one; the tree tables are created if missing."""
    if path is None:
        db = sqlite3.connect(":memory:")
    else:
        from .schema import connect

        db = connect(path)
    ensure_tables(db)
    return db


def ensure_tables(db: sqlite3.Connection) -> None:
    db.executescript(TABLES)
    db.commit()


class TreeTable:
    """One tree (gitdir + ref) in the index: updating it and answering ``analysis.landed``."""

    def __init__(self, db: sqlite3.Connection, tree: Tree) -> None:
        self.db = db
        self.tree = tree
        self.label = tree.label
        gitdir = os.path.realpath(tree.gitdir)
        db.execute("INSERT OR IGNORE INTO trees (gitdir, ref) VALUES (?, ?)", (gitdir, tree.ref))
        self.id = db.execute(
            "SELECT id FROM trees WHERE gitdir = ? AND ref = ?", (gitdir, tree.ref)
        ).fetchone()[0]
        db.commit()

    def _state(self) -> tuple[str | None, str | None]:
        row = self.db.execute(
            "SELECT last_tip, pending_tip FROM trees WHERE id = ?", (self.id,)
        ).fetchone()
        return row[0], row[1]

    def update(self, progress: Progress | None = None, batch: int = BATCH) -> TreeUpdate:
        """Bring the tree's rows up to its tip.  Nothing to do when the tip is the last one
        read; else the new commits are listed (one ``git log``), then their patch-ids
        computed in one pipe, ``batch`` of them committed at a time."""
        db, gitdir, tip = self.db, self.tree.gitdir, self.tree.tip
        last, pending = self._state()
        if last == tip and pending is None:
            return TreeUpdate(0, 0, 0)
        listed = dropped = 0
        if pending != tip:
            if last is not None and not has_commit(gitdir, last):
                last = None  # the old tip was pruned away: read the tree afresh
                db.execute("DELETE FROM tree_commits WHERE tree = ?", (self.id,))
                db.execute("DELETE FROM tree_links WHERE tree = ?", (self.id,))
            if last is not None and not is_ancestor(gitdir, last, tip):
                # rewound or rebuilt (linux-next is, daily): forget what is gone
                gone = rev_list(gitdir, [last, "--not", tip])
                dropped = len(gone)
                self._forget(gone)
            # a pass cut short before the tree moved: its unread commits may be gone too
            db.execute("DELETE FROM tree_commits WHERE tree = ? AND patch_id IS NULL", (self.id,))
            revs = [tip, "--not", last] if last is not None else [tip]
            listed = self._insert(log_commits(gitdir, revs))
            db.execute("UPDATE trees SET pending_tip = ? WHERE id = ?", (tip, self.id))
            db.commit()
        todo = [
            c
            for (c,) in db.execute(
                "SELECT commit_id FROM tree_commits WHERE tree = ? AND patch_id IS NULL",
                (self.id,),
            )
        ]
        done = 0
        pending_rows: list[tuple[str, int, str]] = []
        for commit, pid in commit_patch_ids(gitdir, todo):
            pending_rows.append((pid, self.id, commit))
            if len(pending_rows) >= batch:
                done += self._store(pending_rows)
                pending_rows = []
                if progress is not None:
                    progress(done, len(todo))
        done += self._store(pending_rows)
        # the rest have no diff (empty commits): never asked again
        db.execute(
            "UPDATE tree_commits SET patch_id = '' WHERE tree = ? AND patch_id IS NULL", (self.id,)
        )
        db.execute("UPDATE trees SET last_tip = ?, pending_tip = NULL WHERE id = ?", (tip, self.id))
        db.commit()
        if progress is not None:
            progress(len(todo), len(todo))
        return TreeUpdate(listed, done, dropped)

    def _store(self, rows: list[tuple[str, int, str]]) -> int:
        if rows:
            self.db.executemany(
                "UPDATE tree_commits SET patch_id = ? WHERE tree = ? AND commit_id = ?", rows
            )
            self.db.commit()
        return len(rows)

    def _insert(self, commits: Iterable) -> int:
        n = 0
        rows: list[tuple] = []
        links: list[tuple] = []
        for c in commits:
            n += 1
            rows.append(
                (
                    self.id,
                    c.commit,
                    c.author_name,
                    c.author_addr.lower(),
                    c.author_time,
                    c.commit_time,
                    c.subject,
                    normalize_title(c.subject),
                )
            )
            links.extend((self.id, c.commit, m) for m in c.msgids)
        self.db.executemany(
            "INSERT OR IGNORE INTO tree_commits (tree, commit_id, author_name, author_addr,"
            " author_time, commit_time, subject, norm_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.db.executemany("INSERT OR IGNORE INTO tree_links VALUES (?, ?, ?)", links)
        return n

    def _forget(self, commits: Sequence[str]) -> None:
        for part in chunks(list(commits)):
            marks = ",".join("?" * len(part))
            self.db.execute(
                f"DELETE FROM tree_commits WHERE tree = ? AND commit_id IN ({marks})",
                (self.id, *part),
            )
            self.db.execute(
                f"DELETE FROM tree_links WHERE tree = ? AND commit_id IN ({marks})",
                (self.id, *part),
            )

    # -- what analysis.landed asks ------------------------------------------------
    _COLS = (
        "c.commit_id, c.patch_id, c.author_name, c.author_addr, c.author_time,"
        " c.commit_time, c.subject, c.norm_title"
    )

    def by_patch_ids(self, pids: Iterable[str]) -> list[TreeHit]:
        return self._hits("c.patch_id", [p for p in set(pids) if p])

    def by_titles(self, titles: Iterable[str]) -> list[TreeHit]:
        return self._hits("c.norm_title", [t for t in set(titles) if t])

    def by_msgids(self, msgids: Iterable[str]) -> list[tuple[str, TreeHit]]:
        out: list[tuple[str, TreeHit]] = []
        for part in chunks(sorted(set(msgids))):
            marks = ",".join("?" * len(part))
            for row in self.db.execute(
                f"SELECT l.msgid, {self._COLS} FROM tree_links l JOIN tree_commits c"
                " ON c.tree = l.tree AND c.commit_id = l.commit_id"
                f" WHERE l.tree = ? AND l.msgid IN ({marks})",
                (self.id, *part),
            ):
                out.append((row[0], TreeHit(*row[1:])))
        return out

    def _hits(self, column: str, keys: list[str]) -> list[TreeHit]:
        out: list[TreeHit] = []
        for part in chunks(sorted(keys)):
            marks = ",".join("?" * len(part))
            out.extend(
                TreeHit(*row)
                for row in self.db.execute(
                    f"SELECT {self._COLS} FROM tree_commits c"
                    f" WHERE {column} IN ({marks}) AND c.tree = ?",
                    (*part, self.id),
                )
            )
        return out


#: the diffs of some mailed patches, by Message-ID (``pipeline`` reads them from the archive)
DiffReader = Callable[[Sequence[Message]], dict[str, str]]


class TreeLander:
    """The configured trees, up to date, answering ``analysis.landed.Lander``: the mails'
    patch-ids (kept in the index by the archive commit storing each mail, so a warm run
    computes only the new ones, all in one ``git patch-id``) matched against each tree."""

    def __init__(self, db: sqlite3.Connection, tables: Sequence[TreeTable], diffs: DiffReader):
        self.db = db
        self.tables = tuple(tables)
        self.trees = tuple(t.label for t in tables)
        self.diffs = diffs

    def patch_ids(self, patches: Sequence[Message]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        keyed = {p.commit: p for p in patches if p.commit}
        for part in chunks(sorted(keyed)):
            marks = ",".join("?" * len(part))
            for commit, pid in self.db.execute(
                f"SELECT commit_id, patch_id FROM mail_patch_ids WHERE commit_id IN ({marks})",
                part,
            ):
                out[keyed[commit].msgid] = pid or None
        todo = [p for p in patches if p.msgid not in out]
        if todo:
            diffs = self.diffs(todo)
            order = [p for p in todo if diffs.get(p.msgid)]
            pids = diff_patch_ids([diffs[p.msgid] for p in order])
            got = {p.msgid: pid for p, pid in zip(order, pids)}
            rows = []
            for p in todo:
                out[p.msgid] = got.get(p.msgid)
                if p.commit and p.msgid in diffs:
                    rows.append((p.commit, got.get(p.msgid) or ""))
            self.db.executemany("INSERT OR REPLACE INTO mail_patch_ids VALUES (?, ?)", rows)
            self.db.commit()
        return out

    def find(self, patches: Sequence[Message]) -> list[dict[str, PatchLanding]]:
        pids = self.patch_ids(patches)
        mails = [MailPatch.of(p, pids.get(p.msgid)) for p in patches]
        return [match_tree(mails, t) for t in self.tables]


def open_trees(
    specs: Sequence[TreeSpec],
    db: sqlite3.Connection,
    diffs: DiffReader,
    progress: Callable[[str, int, int], None] | None = None,
) -> TreeLander:
    """Open every tree (a bad one raises ``SourceError`` before any is read), bring each up
    to date in ``db`` (``progress(label, done, total)``), and answer for them."""
    trees = [open_tree(s) for s in specs]
    tables = []
    for t in trees:
        table = TreeTable(db, t)
        table.update(_labelled(progress, t.label))
        tables.append(table)
    return TreeLander(db, tables, diffs)


def _labelled(progress: Callable[[str, int, int], None] | None, label: str) -> Progress | None:
    if progress is None:
        return None
    report = progress

    def each(done: int, total: int) -> None:
        report(label, done, total)

    return each
