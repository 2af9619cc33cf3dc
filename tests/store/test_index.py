"""The index on genuine public-inbox v2 inboxes: incremental updates, d-deletions, purges."""

import shutil

import pytest

import pi
from listdigest.sources.git import open_git_source
from listdigest.store.index import Index

pytestmark = pytest.mark.skipif(shutil.which("public-inbox-mda") is None, reason="public-inbox is not installed")


def _m(i, **kw):
    return pi.msg(f"[PATCH {i}/5] thing {i}", msgid=f"p{i}@example.org", date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000", **kw)


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


def test_deleted_message_is_dropped(tmp_path):
    msgs = [_m(1), _m(2), _m(3)]
    inbox = pi.make_v2_inbox(str(tmp_path), "del", msgs)
    db = str(tmp_path / "ix.sqlite")
    _update(inbox, db)
    pi.delete_message(inbox, msgs[1])
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
