"""The index on genuine public-inbox v2 inboxes: incremental updates, d-deletions, purges."""

import dataclasses
import shutil

import pi
import pytest

from listdigest.sources.git import open_git_source
from listdigest.store.index import Index

pytestmark = pytest.mark.skipif(
    shutil.which("public-inbox-mda") is None, reason="public-inbox is not installed"
)


def _m(i, **kw):
    return pi.msg(
        f"[PATCH {i}/5] thing {i}",
        msgid=f"p{i}@example.org",
        date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000",
        **kw,
    )


def _update(path, db):
    with Index(db) as ix:
        return ix.update(open_git_source(path)), ix.count()


def test_incremental_update_reads_only_new_messages(tmp_path):
    inbox = pi.make_v2_inbox(str(tmp_path), "inc", [_m(1), _m(2), _m(3)])
    db = str(tmp_path / "ix.sqlite")
    st, n = _update(inbox, db)
    assert (st.read, n) == (3, 3)
    st, n = _update(inbox, db)
    assert (st.read, n) == (0, 3)
    pi.add_messages(inbox, [_m(4), _m(5)])
    st, n = _update(inbox, db)
    assert (st.read, n, st.rewritten) == (2, 5, ())


def test_positions_count_back_from_the_newest_then_on_from_zero(tmp_path):
    # a first build lists the log newest first (git writes it at once): the epoch's commits
    # are numbered back from -1; later commits go on from 0, and positions still order
    inbox = pi.make_v2_inbox(str(tmp_path), "pos", [_m(1), _m(2), _m(3)])
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    pi.add_messages(inbox, [_m(4), _m(5)])
    _update(inbox, db)
    with Index(db) as ix:
        seqs = [ix.posting(f"p{i}@example.org").pos for i in range(1, 6)]
        assert seqs == [(0, -3), (0, -2), (0, -1), (0, 0), (0, 1)]
        # first_positions packs (epoch, seq) into one integer: negative seqs survive it
        assert ix.first_positions(["alice@example.org"]) == {"alice@example.org": (0, -3)}
        src = open_git_source(inbox)
        assert _sel_view(ix.selection(src)) == _sel_view(src.select())
    # a build that lists the whole log oldest first (after a rewrite) numbers alike
    with Index(db) as ix:
        ix.db.execute("UPDATE epochs SET last_commit='0000000000000000000000000000000000000000'")
        ix.db.commit()
        st = ix.update(open_git_source(inbox))
        assert st.rewritten == (0,) and st.read == 0
        assert [ix.posting(f"p{i}@example.org").pos for i in range(1, 6)] == [
            (0, -5),
            (0, -4),
            (0, -3),
            (0, -2),
            (0, -1),
        ]


def _indexed_then_second_deleted(tmp_path, name):
    """Three messages indexed, then the second removed from the inbox (a d commit)."""
    msgs = [_m(1), _m(2), _m(3)]
    inbox = pi.make_v2_inbox(str(tmp_path), name, msgs)
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    pi.delete_message(inbox, msgs[1])
    return inbox, db


def test_deleted_message_is_dropped(tmp_path):
    inbox, db = _indexed_then_second_deleted(tmp_path, "del")
    st, n = _update(inbox, db)
    assert (st.read, st.dropped, n) == (0, 1, 2)
    with Index(db) as ix:
        assert ix.subject_of("p2@example.org") is None


def test_history_rewrite_drops_vanished_and_rereads_nothing(tmp_path):
    msgs = [_m(1), _m(2), _m(3), _m(4)]
    inbox = pi.make_v2_inbox(str(tmp_path), "purge", msgs)
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    before = pi.head(pi.epoch_dirs(inbox)[0])
    pi.purge_message(inbox, msgs[1])
    st, n = _update(inbox, db)
    assert st.rewritten == (0,)
    assert (st.read, st.dropped, n) == (0, 1, 3)
    # the surviving rows carry the rewritten commits, and later messages are still found
    with Index(db) as ix:
        assert ix.subject_of("p2@example.org") is None
        assert ix.subject_of("p4@example.org") == "[PATCH 4/5] thing 4"
        assert ix.position_of_commit(before) is None
    pi.add_messages(inbox, [_m(5)])
    st, n = _update(inbox, db)
    assert (st.read, n) == (1, 4)


def test_schema_version_mismatch_rebuilds(tmp_path):
    inbox = pi.make_v2_inbox(str(tmp_path), "schema", [_m(1)])
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    with Index(db) as ix:
        ix.db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
        ix.db.commit()
    st, n = _update(inbox, db)
    assert (st.read, n) == (1, 1)


def _sel_view(sel):
    return (
        sel.start,
        sel.end,
        sel.end_commit,
        [(j.epoch, [i[:3] for i in j.items]) for j in sel.jobs],
    )


def test_delete_in_a_later_epoch_drops_the_message_of_an_earlier_one(tmp_path):
    # public-inbox-learn rm writes the d commit into the newest epoch, wherever the message is
    msgs = [_m(1), _m(2), _m(3)]
    inbox = pi.make_v2_inbox(str(tmp_path), "xdel", msgs)
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    pi.add_epoch(inbox, [_m(4)])
    pi.delete_message(inbox, msgs[0])
    assert len(pi.commits(pi.epoch_dirs(inbox)[1])) == 2  # the message, then the d commit
    st, n = _update(inbox, db)
    assert (st.read, st.dropped, n) == (1, 1, 3)
    with Index(db) as ix:
        assert ix.subject_of("p1@example.org") is None
        src = open_git_source(inbox)
        assert _sel_view(ix.selection(src)) == _sel_view(src.select())
    # a fresh build sees the same
    db2 = str(tmp_path / "ix2.sqlite")
    st, n = _update(inbox, db2)
    assert n == 3


def test_selection_from_the_index_equals_git_select(two_epoch_inbox):
    path = two_epoch_inbox["path"]
    c0, c1 = two_epoch_inbox["commits"]
    src = open_git_source(path)
    import tempfile

    with tempfile.TemporaryDirectory() as d, Index(d + "/ix.sqlite") as ix:
        ix.update(src)
        for lo, hi in [
            (None, None),
            (c0[0], None),
            (c0[1], c1[0]),
            (c0[0], c0[2]),
            (None, c0[1]),
            (c1[0], c1[1]),
        ]:
            got = ix.selection(src, lo, hi)
            assert got is not None, (lo, hi)
            assert _sel_view(got) == _sel_view(src.select(lo, hi)), (lo, hi)
            assert [r.commit for r in got.messages] == [
                r.commit for r in src.select(lo, hi).messages
            ]


def test_selection_declines_what_the_index_cannot_answer(tmp_path):
    inbox, db = _indexed_then_second_deleted(tmp_path, "decline")
    d_commit = pi.head(pi.epoch_dirs(inbox)[0])
    src = open_git_source(inbox)
    with Index(db) as ix:
        assert ix.selection(src) is None  # behind the archive: not up to date
        ix.update(src)
        assert ix.selection(src, None, d_commit) is None  # the d commit stores no message
        assert _sel_view(ix.selection(src)) == _sel_view(src.select())


def test_rebuilt_messages_equal_parsed_ones_after_a_rewrite(tmp_path):
    # a purge keeps row ids but renumbers positions: the span and sparse-id paths agree
    from listdigest.message import Message, read_messages, slim

    msgs = [_m(i) for i in range(1, 7)]
    inbox = pi.make_v2_inbox(str(tmp_path), "rebuilt", msgs)
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    pi.purge_message(inbox, msgs[2])
    pi.add_messages(inbox, [_m(7), _m(8)])
    src = open_git_source(inbox)
    with Index(db) as ix:
        ix.update(src)
        sel = ix.selection(src)
        (job,) = sel.jobs
        by_id = {
            m.msgid: slim(m) for _, m, _ in read_messages(sel.messages, paths=True) if m is not None
        }
        assert len(by_id) == 7
        fields = {f.name for f in dataclasses.fields(Message)}
        for part in (job, job.split(2)[1], type(job)(job.gitdir, job.epoch, job.items[::3])):
            rebuilt = ix.messages_of(part)
            assert rebuilt and all(m is not None for m in rebuilt)
            for m in rebuilt:
                # made without __init__ (message.restored): every field there, all equal
                assert set(vars(m)) == fields and set(vars(m.parsed)) == set(
                    vars(by_id[m.msgid].parsed)
                )
                assert m == by_id[m.msgid]


def test_message_without_date_keeps_its_commit_time_through_the_index(tmp_path):
    """Issue 14, fault 3: a message without Date is received at its commit's time with or
    without the index (no 1970 bar in per_day, and a date range still selects it)."""
    from daily_helpers import Epoch, mail

    from listdigest.pipeline import RangeSpec, report
    from listdigest.timeparse import parse_when

    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(mail(1, "[PATCH] a: one"))
    ep.add(
        b"From: Bob <bob@example.org>\nSubject: no date here\nMessage-ID: <nodate@example.org>\n\nhello\n"
    )
    ix = str(tmp_path / "ix.sqlite")
    spec = RangeSpec(
        since=parse_when("2026-01-05"), until=parse_when("2026-01-05", end_of_day=True)
    )
    for index_path in (None, ix, ix):
        d = report(ep.inbox, RangeSpec(), index_path=index_path)
        assert [(c.label, c.count) for c in d.per_day] == [("2026-01-05", 2)], index_path
        assert report(ep.inbox, spec, index_path=index_path).totals.messages == 2, index_path


def test_missing_message_blob_is_skipped_with_a_warning_and_retried(tmp_path):
    """Issue 14, fault 1: a mirror lacking one message blob (lore drops oversized spam) made
    'index' and every 'report' exit 2.  Now that message is skipped with one warning naming
    its commit, counted as skipped, and read by the next index update once the blob is back."""
    import os
    import subprocess
    import sys

    from daily_helpers import Epoch, patch

    ep = Epoch(str(tmp_path / "inbox"))
    for n in (1, 2, 3):
        ep.add(patch(n, f"[PATCH] demo: change {n}"))
    commit = subprocess.run(
        ["git", "--git-dir", ep.gitdir, "rev-parse", "HEAD~1"], capture_output=True, text=True
    ).stdout.strip()
    blob = subprocess.run(
        ["git", "--git-dir", ep.gitdir, "rev-parse", f"{commit}:m"], capture_output=True, text=True
    ).stdout.strip()
    data = subprocess.run(
        ["git", "--git-dir", ep.gitdir, "cat-file", "blob", blob], capture_output=True
    ).stdout
    os.unlink(os.path.join(ep.gitdir, "objects", blob[:2], blob[2:]))
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    ix = str(tmp_path / "ix.sqlite")

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "listdigest.cli", *args], capture_output=True, text=True, env=env
        )

    for args in (
        ("index", ep.inbox, "--index", ix),
        ("report", ep.inbox, "--index", ix),
        ("report", ep.inbox, "--no-index"),
    ):
        p = cli(*args)
        assert p.returncode == 0, (args, p.stderr)
        assert (
            p.stderr.strip().splitlines()
            == [
                f"Warning: commit {commit[:12]}: message blob missing from the repository; "
                "retried at the next index update; skipped"
            ]
            or args[0] == "index"
        ), p.stderr
        assert f"commit {commit[:12]}" in p.stderr and "Traceback" not in p.stderr
        if args[0] == "report":
            assert "Totals: 2 messages, 2 patch postings, 0 replies/other, 1 skipped" in p.stdout
    # the object comes back (the mirror fetched it): the next update reads it
    subprocess.run(
        ["git", "--git-dir", ep.gitdir, "hash-object", "-w", "--stdin"],
        input=data,
        check=True,
        capture_output=True,
    )
    p = cli("index", ep.inbox, "--index", ix)
    assert p.returncode == 0 and "Warning" not in p.stderr and "read 1" in p.stderr, p.stderr
    p = cli("report", ep.inbox, "--index", ix)
    assert (
        "Totals: 3 messages, 3 patch postings, 0 replies/other, 0 skipped" in p.stdout
        and not p.stderr
    )
