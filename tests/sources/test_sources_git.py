"""GitSource on genuine public-inbox archives built by public-inbox itself (see tests/pi.py)."""

from __future__ import annotations

import subprocess

import pi
import pytest

from listdigest.errors import RangeError
from listdigest.sources import open_source
from listdigest.sources.git import GitSource


def ids(selection) -> list:
    return [pi.message_id(m.data) for m in selection.messages]


# -- a v2 inbox with two epochs ----------------------------------------------------


def test_v2_two_epochs_all_messages_in_order(two_epoch_inbox):
    src = open_source(two_epoch_inbox["path"])
    assert isinstance(src, GitSource) and src.kind == "git" and src.name == "twoep"
    assert [e.number for e in src.epochs] == [0, 1]
    sel = src.select()
    msgs = list(sel.messages)
    assert [pi.message_id(m.data) for m in msgs] == [
        "a0@example.org",
        "a1@example.org",
        "a2@example.org",
        "b0@example.org",
        "b1@example.org",
    ]
    assert [m.seq for m in msgs] == [0, 1, 2, 3, 4]
    assert [m.epoch for m in msgs] == [0, 0, 0, 1, 1]
    c0, c1 = two_epoch_inbox["commits"]
    assert [m.commit for m in msgs] == c0 + c1
    assert msgs[0].where == f"commit {c0[0][:12]}"
    # public-inbox stores the Date header as the commit time
    assert msgs[0].commit_time == 1704103200
    assert sel.start == c0[0][:9] and sel.end == c1[-1][:9] and sel.end_commit == c1[-1]


def test_v2_range_across_epochs_excludes_from_includes_to(two_epoch_inbox):
    c0, c1 = two_epoch_inbox["commits"]
    src = open_source(two_epoch_inbox["path"])
    sel = src.select(c0[0], c1[0])
    assert ids(sel) == ["a1@example.org", "a2@example.org", "b0@example.org"]
    assert sel.start == c0[0][:9] and sel.end == c1[0][:9] and sel.end_commit == c1[0]


def test_v2_range_abbreviated_ids_within_one_epoch(two_epoch_inbox):
    c0, _ = two_epoch_inbox["commits"]
    sel = open_source(two_epoch_inbox["path"]).select(c0[0][:10], c0[2][:10])
    assert ids(sel) == ["a1@example.org", "a2@example.org"]


def test_v2_from_only_runs_to_newest_epoch(two_epoch_inbox):
    c0, c1 = two_epoch_inbox["commits"]
    sel = open_source(two_epoch_inbox["path"]).select(c0[2])
    assert ids(sel) == ["b0@example.org", "b1@example.org"]
    assert sel.end_commit == c1[-1]


def test_v2_to_only(two_epoch_inbox):
    c0, _ = two_epoch_inbox["commits"]
    assert ids(open_source(two_epoch_inbox["path"]).select(None, c0[1])) == [
        "a0@example.org",
        "a1@example.org",
    ]


def test_v2_unknown_revision(two_epoch_inbox):
    with pytest.raises(RangeError) as exc:
        open_source(two_epoch_inbox["path"]).select("deadbeef0123")
    assert str(exc.value) == "unknown revision: deadbeef0123"


def test_v2_option_like_revision_is_refused(two_epoch_inbox):
    with pytest.raises(RangeError) as exc:
        open_source(two_epoch_inbox["path"]).select("--all")
    assert str(exc.value) == "unknown revision: '--all'"


def test_v2_from_after_to_across_epochs(two_epoch_inbox):
    c0, c1 = two_epoch_inbox["commits"]
    with pytest.raises(RangeError) as exc:
        open_source(two_epoch_inbox["path"]).select(c1[0], c0[1])
    assert str(exc.value) == f"--from {c1[0]} comes after --to {c0[1]}"


def test_v2_from_after_to_in_one_epoch(two_epoch_inbox):
    c0, _ = two_epoch_inbox["commits"]
    with pytest.raises(RangeError) as exc:
        open_source(two_epoch_inbox["path"]).select(c0[2], c0[0])
    assert str(exc.value) == f"--from {c0[2]} is not an ancestor of --to {c0[0]}"


def test_v2_single_epoch_dir_of_an_inbox(two_epoch_inbox):
    src = open_source(two_epoch_inbox["epochs"][1])
    assert src.name == "twoep"
    assert ids(src.select()) == ["b0@example.org", "b1@example.org"]


# -- what public-inbox-init -V2 leaves behind ------------------------------------------


def test_fresh_v2_inbox_has_unborn_epoch_0(tmp_path):
    path = pi.make_v2_inbox(str(tmp_path), "empty", [])
    assert pi.epoch_dirs(path) == [str(tmp_path / "empty" / "git" / "0.git")]
    assert pi.head(pi.epoch_dirs(path)[0]) is None
    with pytest.raises(RangeError) as exc:
        open_source(path).select()
    assert str(exc.value) == f"{path}: the archive holds no messages"


@pytest.mark.slow  # public-inbox's own tools per test: the full suite
def test_new_epoch_before_its_first_message_is_skipped(tmp_path):
    path = pi.make_v2_inbox(str(tmp_path), "l", [pi.msg("one", msgid="one@x")])
    pi.add_epoch(path, [])  # public-inbox's add_epoch: git/1.git exists, HEAD unborn
    assert pi.head(pi.epoch_dirs(path)[1]) is None
    sel = open_source(path).select()
    assert ids(sel) == ["one@x"]
    assert sel.end_commit == pi.head(pi.epoch_dirs(path)[0])


def test_hand_built_epoch_is_read_like_a_real_one(tmp_path):
    path = pi.make_v2_inbox(str(tmp_path), "l", [pi.msg("one", msgid="one@x")])
    pi.add_epoch(path, [pi.msg("two", msgid="two@x")], by_hand=True)
    pi.add_messages(path, [pi.msg("three", msgid="three@x")])  # public-inbox continues in 1.git
    assert [len(pi.commits(e)) for e in pi.epoch_dirs(path)] == [1, 2]
    assert ids(open_source(path).select()) == ["one@x", "two@x", "three@x"]


# -- deletions and history rewrites --------------------------------------------------


@pytest.mark.slow  # public-inbox's own tools per test: the full suite
def test_learn_rm_writes_a_d_commit_and_hides_the_message(tmp_path):
    ms = [
        pi.msg(f"m{i}", msgid=f"m{i}@x", date=f"Mon, 01 Jan 2024 0{i}:00:00 +0000")
        for i in range(4)
    ]
    path = pi.make_v2_inbox(str(tmp_path), "l", ms)
    epoch = pi.epoch_dirs(path)[0]
    before = pi.commits(epoch)
    pi.delete_message(path, ms[1])
    after = pi.commits(epoch)
    assert after[:4] == before and len(after) == 5
    changes = pi.git(epoch, "show", "--no-renames", "--format=", "--name-status", after[-1]).split()
    assert changes == ["A", "d", "D", "m"]
    src = open_source(path)
    assert ids(src.select()) == ["m0@x", "m2@x", "m3@x"]
    # the deletion came after the range's end, and still counts
    assert ids(src.select(None, before[2])) == ["m0@x", "m2@x"]
    # the d commit stores no message: a range holding only it is empty
    assert ids(src.select(before[-1])) == []


@pytest.mark.slow  # public-inbox's own tools per test: the full suite
def test_deletion_recorded_in_a_later_epoch(tmp_path):
    # public-inbox-learn rm writes the d commit into the newest epoch, even for a message
    # of an older one
    ms = [
        pi.msg(f"m{i}", msgid=f"m{i}@x", date=f"Mon, 01 Jan 2024 0{i}:00:00 +0000")
        for i in range(3)
    ]
    path = pi.make_v2_inbox(str(tmp_path), "l", ms[:2])
    pi.add_epoch(path, ms[2:])
    c0 = pi.commits(pi.epoch_dirs(path)[0])
    pi.delete_message(path, ms[0])
    e1 = pi.epoch_dirs(path)[1]
    assert "d" in pi.git(e1, "show", "--no-renames", "--format=", "--name-only", "HEAD").split()
    src = open_source(path)
    assert ids(src.select()) == ["m1@x", "m2@x"]
    assert ids(src.select(None, c0[-1])) == ["m1@x"]


@pytest.mark.slow  # public-inbox's own tools per test: the full suite
def test_purge_rewrites_history_and_leaves_no_empty_message(tmp_path):
    ms = [
        pi.msg(f"m{i}", msgid=f"m{i}@x", date=f"Mon, 01 Jan 2024 0{i}:00:00 +0000")
        for i in range(3)
    ]
    path = pi.make_v2_inbox(str(tmp_path), "l", ms)
    epoch = pi.epoch_dirs(path)[0]
    old = pi.commits(epoch)
    pi.purge_message(path, ms[1])
    new = pi.commits(epoch)
    assert len(new) == 3 and new[0] == old[0] and new[1:] != old[1:]
    assert pi.git(epoch, "log", "-1", "--format=%s", new[1]).startswith("purged ")
    src = open_source(path)
    msgs = list(src.select().messages)
    assert [pi.message_id(m.data) for m in msgs] == ["m0@x", "m2@x"]
    assert all(m.data for m in msgs)
    # a commit id from before the rewrite is gone
    with pytest.raises(RangeError) as exc:
        src.select(old[2])
    assert str(exc.value) == f"unknown revision: {old[2]}"


# -- v1 ---------------------------------------------------------------------------


def test_v1_inbox(v1_inbox):
    src = open_source(v1_inbox["path"])
    assert src.v1 and src.name == "oldlist"
    sel = src.select()
    assert ids(sel) == ["v1-0@example.org", "v1-1@example.org", "v1-2@example.org"]
    c = v1_inbox["commits"]
    assert ids(src.select(c[0], c[1])) == ["v1-1@example.org"]


@pytest.mark.slow  # public-inbox's own tools per test: the full suite
def test_v1_learn_rm(tmp_path):
    ms = [pi.msg(f"m{i}", msgid=f"m{i}@x") for i in range(3)]
    path = pi.make_v1_inbox(str(tmp_path), "old", ms)
    first = pi.commits(path)
    pi.delete_message(path, ms[1])
    src = open_source(path)
    assert ids(src.select()) == ["m0@x", "m2@x"]
    assert ids(src.select(None, first[1])) == ["m0@x"]


# -- real archives (clones of ../shared/data bundles) ---------------------------------


@pytest.mark.real
def test_bare_epoch_of_a_real_archive(kvmppc_epoch):
    src = open_source(kvmppc_epoch)
    assert src.name == "kvm-ppc" and not src.v1
    commits = pi.git(kvmppc_epoch, "rev-list", "--reverse", "HEAD").split()
    sel = src.select(commits[-11], commits[-1])
    msgs = list(sel.messages)
    assert [m.commit for m in msgs] == commits[-10:]
    assert all(
        b"Message-ID:" in m.data or b"Message-Id:" in m.data or b"message-id:" in m.data.lower()
        for m in msgs
    )
    assert sel.end_commit == commits[-1]


@pytest.mark.real
def test_whole_real_epoch_reads_every_commit(kvmppc_epoch):
    sel = open_source(kvmppc_epoch).select()
    n = sum(1 for _ in sel.messages)
    stored = len(pi.git(kvmppc_epoch, "log", "--format=%H", "HEAD", "--", "m").split())
    assert n == stored


@pytest.mark.real
def test_non_bare_clone_of_a_real_archive(kvmppc_epoch, tmp_path):
    work = tmp_path / "kvm-ppc"
    subprocess.run(["git", "clone", "-q", "--no-checkout", kvmppc_epoch, str(work)], check=True)
    src = open_source(str(work))
    assert src.name == "kvm-ppc"
    commits = pi.git(kvmppc_epoch, "rev-list", "--reverse", "HEAD").split()
    assert [m.commit for m in src.select(commits[-4]).messages] == commits[-3:]


@pytest.mark.real
@pytest.mark.slow
def test_hv_epoch_range(hv_epoch):
    commits = pi.git(hv_epoch, "rev-list", "--reverse", "--max-count=50", "HEAD").split()
    src = open_source(hv_epoch)
    assert src.name == "linux-hyperv"
    sel = src.select(commits[0], commits[-1])
    assert sel.start == commits[0][:9] and sel.end == commits[-1][:9]
    assert len(list(sel.messages)) <= 49


@pytest.mark.parametrize("rev", ["HEAD", "master"])
def test_v2_symbolic_to_means_the_newest_epoch(two_epoch_inbox, rev):
    c0, c1 = two_epoch_inbox["commits"]
    sel = open_source(two_epoch_inbox["path"]).select(c0[1], rev)
    assert ids(sel) == ["a2@example.org", "b0@example.org", "b1@example.org"]
    assert sel.end_commit == c1[-1]
