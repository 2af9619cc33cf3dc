"""A tree kept in the index (``store.trees``): a first pass cut short resumes where it
stopped and ends as an uninterrupted pass would, finding the same matches; a rewound ref
forgets the commits the rewind dropped and reads the new ones."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from treebuild import synthetic_commits

from listdigest.analysis.landed import MailPatch, match_tree
from listdigest.sources.tree import TreeSpec, diff_patch_ids, open_tree
from listdigest.store.trees import TreeTable, ensure_tables

N = 60


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    ensure_tables(conn)
    return conn


def rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT commit_id, patch_id, author_addr, subject FROM tree_commits ORDER BY commit_id"
    ).fetchall()


def git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, check=True
    ).stdout


def mails(repo: str, commits: list[str]) -> list[MailPatch]:
    """Each commit as the mail it might have come from: its own diff, author and subject."""
    out = []
    for c in commits:
        shown = git(repo, "show", "-s", "--format=%an%x00%ae%x00%at%x00%s", c)
        name, addr, when, subject = shown.rstrip("\n").split("\0")
        diff = git(repo, "show", "--format=", c)
        (pid,) = diff_patch_ids([diff])
        out.append(MailPatch(f"<{c}@mail>", subject, name, addr, int(when), pid))
    return out


@pytest.fixture
def repo(tmp_path):
    path = str(tmp_path / "tree")
    synthetic_commits(path, N)
    return path


def test_interrupted_first_pass_resumes_to_the_same_rows_and_matches(repo):
    calls = []

    def stop(done: int, total: int) -> None:
        calls.append((done, total))
        raise KeyboardInterrupt

    cut = db()
    table = TreeTable(cut, open_tree(TreeSpec(repo)))
    with pytest.raises(KeyboardInterrupt):
        table.update(stop, batch=10)
    assert calls == [(10, N)]
    held = cut.execute("SELECT count(*) FROM tree_commits WHERE patch_id IS NOT NULL").fetchone()
    assert held == (10,)  # the first batch was kept
    assert cut.execute("SELECT last_tip, pending_tip FROM trees").fetchone()[0] is None

    seen = []
    again = TreeTable(cut, open_tree(TreeSpec(repo)))
    got = again.update(lambda d, t: seen.append((d, t)), batch=10)
    assert got.listed == 0 and got.computed == N - 10  # only what was left
    assert seen[-1] == (N - 10, N - 10)

    whole = db()
    fresh = TreeTable(whole, open_tree(TreeSpec(repo)))
    assert fresh.update(batch=10).computed == N
    assert rows(cut) == rows(whole)
    assert all(r[1] for r in rows(cut))

    commits = git(repo, "rev-list", "HEAD").split()
    patches = mails(repo, commits[::3])
    a, b = match_tree(patches, again), match_tree(patches, fresh)
    assert a == b and len(a) == len(patches)
    assert {x.commit for x in a.values()} == set(commits[::3])
    assert not any(x.modified for x in a.values())


def test_interrupted_pass_resumes_after_the_tree_moved(repo):
    conn = db()
    table = TreeTable(conn, open_tree(TreeSpec(repo)))

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        table.update(stop, batch=10)
    synthetic_commits(repo, 5, start=N)
    got = TreeTable(conn, open_tree(TreeSpec(repo))).update(batch=10)
    assert got.computed == N + 5 - 10
    assert len(rows(conn)) == N + 5 and all(r[1] for r in rows(conn))


def test_rewound_ref_forgets_the_dropped_commits(repo):
    conn = db()
    assert TreeTable(conn, open_tree(TreeSpec(repo))).update().computed == N
    before = git(repo, "rev-list", "HEAD").split()
    dropped = before[:8]
    # the ref moves back 8 commits, then 3 others are committed on top (a rebuilt next)
    git(repo, "update-ref", "refs/heads/master", before[8])
    synthetic_commits(repo, 3, start=1000)
    after = git(repo, "rev-list", "HEAD").split()
    table = TreeTable(conn, open_tree(TreeSpec(repo)))
    got = table.update()
    assert (got.listed, got.computed, got.dropped) == (3, 3, 8)
    held = {r[0] for r in rows(conn)}
    assert held == set(after) and not held & set(dropped)
    assert conn.execute("SELECT count(*) FROM tree_links").fetchone() == (0,)
    # a mail of a dropped commit is no longer found; one of a kept commit still is
    gone, kept = mails(repo, [dropped[0], before[20]])
    found = match_tree([gone, kept], table)
    assert set(found) == {kept.msgid} and found[kept.msgid].commit == before[20]
