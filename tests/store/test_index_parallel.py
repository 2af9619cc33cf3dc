"""Parsing in worker processes gives the very index a single process gives; a first build
killed half-way resumes to that same index."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from listdigest.sources.git import open_git_source
from listdigest.store.index import Index
from listdigest.store.schema import INDEXES


def dump(path):
    db = sqlite3.connect(path)
    out = {
        t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
        for t in ("messages", "refs", "links", "facts", "bodies", "skipped", "deleted", "epochs")
    }
    db.close()
    return out


@pytest.mark.real
def test_parallel_index_equals_single_process(kvmppc_epoch, tmp_path):
    source = open_git_source(kvmppc_epoch)
    for workers in (1, 2):
        with Index(str(tmp_path / f"{workers}.sqlite"), workers=workers) as ix:
            stats = ix.update(source)
        assert stats.read > 5900
    one, two = dump(str(tmp_path / "1.sqlite")), dump(str(tmp_path / "2.sqlite"))
    assert len(one["messages"]) > 5900 and len(one["facts"]) > 500 and len(one["bodies"]) > 2500
    # workers that write their own batches reserve ids per batch: compare without ids
    assert _by_msgid(str(tmp_path / "1.sqlite")) == _by_msgid(str(tmp_path / "2.sqlite"))
    assert one["refs"] and one["epochs"] == two["epochs"]
    # the two-worker build made its indexes while its last batches were still going in
    db = sqlite3.connect(str(tmp_path / "2.sqlite"))
    have = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    db.close()
    assert set(INDEXES) <= have


def _by_msgid(path):
    """The index's content without row ids (a resumed build may number rows otherwise)."""
    db = sqlite3.connect(path)
    cols = [r[1] for r in db.execute("PRAGMA table_info(messages)") if r[1] != "id"]
    msgs = sorted(db.execute(f"SELECT {', '.join(cols)} FROM messages").fetchall(), key=repr)
    kids = {
        t: sorted(
            db.execute(
                f"SELECT m.msgid, m.seq, c.* FROM {t} c JOIN messages m ON m.id = c.mid"
            ).fetchall(),
            key=lambda r: repr(r[:2] + r[3:]),
        )
        for t in ("refs", "links", "facts", "bodies")
    }
    kids = {t: [r[:2] + r[3:] for r in rows] for t, rows in kids.items()}
    rest = {
        t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())
        for t in ("skipped", "deleted", "epochs")
    }
    db.close()
    return msgs, kids, rest


@pytest.mark.real
def test_first_build_killed_halfway_resumes_to_the_same_index(kvmppc_epoch, tmp_path):
    clean = str(tmp_path / "clean.sqlite")
    with Index(clean) as ix:
        ix.update(open_git_source(kvmppc_epoch))
    killed = str(tmp_path / "killed.sqlite")
    child = (
        "import sys, listdigest.store.ingest as m, listdigest.store.index as ix; m.BATCH = 200; "
        "from listdigest.sources.git import open_git_source; "
        "ix.Index(sys.argv[1]).update(open_git_source(sys.argv[2]))"
    )
    # its own process group, killed whole: the workers die with it (a worker left alive
    # would commit its batch after the count below, as it may in life: resuming is the same)
    proc = subprocess.Popen(
        [sys.executable, "-c", child, killed, kvmppc_epoch], start_new_session=True
    )
    seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(killed):
            try:
                db = sqlite3.connect(killed, timeout=0.1)
                seen = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
                db.close()
            except sqlite3.Error:
                seen = 0
        if seen >= 1000:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    db = sqlite3.connect(killed)
    part = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 0  # not recorded as indexed
    db.close()
    assert 1000 <= part < 5900
    with Index(killed) as ix:
        stats = ix.update(open_git_source(kvmppc_epoch))
    assert stats.read == 5965 - part - len(_by_msgid(clean)[2]["skipped"])  # only what was missing
    assert _by_msgid(killed) == _by_msgid(clean)
