"""Progress of an index build is reported per batch of messages, not per epoch: a
single-epoch list (most of lore) showed nothing for the whole build, then jumped to the end."""

import shutil

import pi
import pytest

from listdigest.sources.git import open_git_source
from listdigest.store import ingest
from listdigest.store.index import Index

# an index build per worker count on a real archive: the full suite
pytestmark = pytest.mark.slow


def _calls(inbox: str, db: str, workers: int) -> tuple[list[tuple[int, int]], int]:
    calls: list[tuple[int, int]] = []
    with Index(db, workers=workers) as ix:
        stats = ix.update(open_git_source(inbox), lambda done, total: calls.append((done, total)))
    return calls, stats.read


def _check(calls: list[tuple[int, int]], read: int) -> None:
    done = [d for d, _ in calls]
    assert len(calls) >= 3, calls
    assert done == sorted(set(done)), calls  # strictly increasing
    assert calls[-1] == (read, read)  # ends at the count the summary prints
    # until the end, never done: a terminal bar ends its line only once
    assert all(0 < d < t for d, t in calls[:-1]), calls


@pytest.mark.real
@pytest.mark.parametrize("workers", [1, 2])
def test_single_epoch_build_reports_each_batch(kvmppc_epoch, tmp_path, workers):
    # kvm-ppc is one epoch of 5,965 commits: four batches of 1,500 messages
    calls, read = _calls(kvmppc_epoch, str(tmp_path / "ix.sqlite"), workers)
    assert read > 5900
    _check(calls, read)
    assert len(calls) >= 4


@pytest.mark.skipif(
    shutil.which("public-inbox-mda") is None, reason="public-inbox is not installed"
)
@pytest.mark.parametrize("workers", [1, 2])
def test_small_batches_each_reported_then_the_update(tmp_path, monkeypatch, workers):
    msgs = [
        pi.msg(f"note {i}", msgid=f"n{i}@example.org", date=f"Mon, 01 Jan 2024 10:{i:02d}:00 +0000")
        for i in range(12)
    ]
    inbox = pi.make_v2_inbox(str(tmp_path), "prog", msgs[:9])
    monkeypatch.setattr(ingest, "BATCH", 2)  # workers are forked: they see it too
    db = str(tmp_path / "ix.sqlite")
    calls, read = _calls(inbox, db, workers)
    assert read == 9
    _check(calls, read)
    # an incremental update counts only what it reads
    pi.add_messages(inbox, msgs[9:])
    calls, read = _calls(inbox, db, workers)
    assert read == 3
    assert calls[-1] == (3, 3) and [d for d, _ in calls] == sorted({d for d, _ in calls})
    # nothing new: no bar at all
    calls, read = _calls(inbox, db, workers)
    assert (calls, read) == ([], 0)
