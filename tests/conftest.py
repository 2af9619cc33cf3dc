"""Shared fixtures: real archive epochs cloned from ../shared/data bundles, and small
genuine public-inbox inboxes built once per session with the helpers in ``pi.py``.

Session fixtures hand out archives that tests must only read; a test that changes an
inbox (deletes, purges, adds) builds its own with ``pi`` in ``tmp_path``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path

import hypothesis
import hypothesis.configuration
import pi
import pytest

REPO = Path(__file__).resolve().parent.parent


def _check_dev_null() -> None:
    """Stop at once when /dev/null is not the null device.

    ``git gc`` (run by ``public-inbox-purge``) has ``git repack`` give ``pack-objects`` an
    fd 0 of its own, opened on /dev/null, and pack-objects reads revisions from it.  When
    /dev/null has been replaced by a regular file (``rm /dev/null`` or an atomic
    ``os.replace`` onto it: ``listdigest report -o /dev/null`` did this before it learnt to
    write devices in place), every ``2>/dev/null`` on the machine writes into that file, and
    purges fail now and then with ``fatal: bad revision '<another program's output>'``.
    No environment variable or fd of ours reaches that open(), so the tests refuse to run.
    """
    st = os.stat(os.devnull)
    if not stat.S_ISCHR(st.st_mode) or st.st_rdev != os.makedev(1, 3):
        pytest.exit(
            f"{os.devnull} is not the null device (mode {stat.filemode(st.st_mode)}); git repack "
            f"reads it as input, so purge tests would fail at random. Restore it (as root): "
            f"mknod -m 666 /dev/null.new c 1 3 && mv -f /dev/null.new /dev/null",
            returncode=3,
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    _check_dev_null()


_SCRATCH = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The run's scratch directory (``pi.SCRATCH_ENV``): the real archives' clones and
    their shared indexes, made once per run.  The process that owns the run (pytest alone,
    or pytest-xdist's controller, before it starts its workers: they inherit the variable)
    makes it and removes it at the end; a worker uses its controller's."""
    if hasattr(config, "workerinput"):
        return
    scratch = tempfile.mkdtemp(prefix="listdigest-tests-")
    os.environ[pi.SCRATCH_ENV] = scratch
    config.stash[_SCRATCH] = scratch
    atexit.register(shutil.rmtree, scratch, True)  # also when the run ends abruptly


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(_SCRATCH, None)
    if scratch is not None:
        shutil.rmtree(scratch, True)
        os.environ.pop(pi.SCRATCH_ENV, None)


#: the longest test files, in seconds (their tests' setup and call, measured in a run on two
#: cores, 2026-11-30).  They are collected first, the longest first: pytest-xdist, as
#: tools/dev.py runs it (``--dist loadfile --no-loadscope-reorder``), hands files out in
#: that order, so the long ones start early and the short ones fill in at the end instead
#: of one long file running alone while the other worker is idle.  Only the order depends
#: on these figures: a stale one costs a little time, never a result.
LONGEST = {
    "tests/test_hostile_run.py": 63,
    "tests/test_real_archives.py": 61,
    "tests/analysis/test_paths_real.py": 52,
    "tests/test_multi_list_real.py": 27,
    "tests/fuzz/test_fuzz.py": 27,
    "tests/analysis/test_employers_real.py": 26,
    "tests/analysis/test_stats_real.py": 23,
    "tests/test_cli_habits.py": 20,
    "tests/test_equivalence.py": 19,
    "tests/model/test_corpus_real.py": 14,
    "tests/sources/test_sync.py": 14,
    "tests/test_bad_input.py": 14,
    "tests/store/test_index.py": 13,
    "tests/analysis/test_landed_real.py": 12,
    "tests/sources/test_sources_git.py": 12,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # a stable sort: within a file, and among the other files, the order stays as collected
    items.sort(key=lambda item: -LONGEST.get(item.nodeid.split("::", 1)[0], 0))


# the tests read no input: fd 0 of pytest and of the tools it runs is the null device, not
# the terminal or pipe of whoever started pytest
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
from pi import shared_data_dir  # noqa: E402

MESSAGES = Path(__file__).resolve().parent / "data" / "messages"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory):
    """HOME and the XDG directories of the whole session (and of every program it starts)
    point into a temporary directory: no test writes an index, a state file or a cache into
    the real home (a run used to leave hundreds of MB in ~/.local/share/listdigest)."""
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    for var, sub in (
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        mp.setenv(var, str(home / sub) if sub else str(home))
    # a terminal's size comes from the terminal (a test's pty says it): pytest-xdist's
    # workers export LINES=24 and COLUMNS=80, which a pager would take over the pty's
    for var in ("LINES", "COLUMNS"):
        mp.delenv(var, raising=False)
    yield home
    mp.undo()


# hypothesis keeps no example database, and its caches (written as test modules are
# collected, before any fixture) go to a temporary directory, not the checkout's .hypothesis
hypothesis.settings.register_profile("listdigest", database=None)
hypothesis.settings.load_profile("listdigest")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="listdigest-hypothesis-")
hypothesis.configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)


#: the bundle each real-archive fixture clones
BUNDLES = {"hv_epoch": "linux-hyperv", "kvmppc_epoch": "kvm-ppc", "spi_epoch": "linux-spi"}


def _clone_bundle(fixture: str) -> str:
    epoch = pi.shared_epoch(BUNDLES[fixture])
    if epoch is None:
        pytest.skip(f"{shared_data_dir() / BUNDLES[fixture]}.bundle is absent")
    return epoch


@pytest.fixture(scope="session")
def hv_epoch() -> str:
    """A bare mirror of the linux-hyperv epoch (real lore archive); read only."""
    return _clone_bundle("hv_epoch")


@pytest.fixture(scope="session")
def kvmppc_epoch() -> str:
    """A bare mirror of the kvm-ppc epoch (real lore archive); read only."""
    return _clone_bundle("kvmppc_epoch")


@pytest.fixture(scope="session")
def spi_epoch() -> str:
    """A bare mirror of the linux-spi epoch (real lore archive, rich in b4 thank-you mails); read only."""
    return _clone_bundle("spi_epoch")


def _fingerprint(path: str) -> tuple:
    """What a write into an index would change: its tables, epochs, meta and messages."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return (
            db.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall(),
            db.execute("SELECT * FROM epochs ORDER BY epoch").fetchall(),
            db.execute("SELECT * FROM meta ORDER BY key").fetchall(),
            db.execute("SELECT count(*), max(id) FROM messages").fetchall(),
        )
    finally:
        db.close()


@pytest.fixture(scope="session")
def real_index(request: pytest.FixtureRequest):
    """``real_index("hv_epoch")``: the path of the whole-archive index of that fixture's
    archive, built once per run for all tests and xdist workers (``pi.shared_index``).
    READ ONLY: a report given it finds it up to date and writes nothing; a test that adds
    trees or builds, interrupts or rebuilds an index uses ``pi.copy_index`` or its own.
    At the end of the session the index must be as it was built, or the session errs."""
    seen: dict[str, tuple] = {}

    def get(fixture: str) -> str:
        request.getfixturevalue(fixture)  # skips when the bundle is absent
        path = pi.shared_index(BUNDLES[fixture])
        assert path is not None
        if path not in seen:
            seen[path] = _fingerprint(path)
        return path

    yield get
    changed = [p for p, before in seen.items() if _fingerprint(p) != before]
    assert not changed, f"a test wrote into the shared read-only index: {changed}"


def _need_pi_tools() -> None:
    if shutil.which("public-inbox-mda") is None:
        pytest.skip("public-inbox is not installed")


# Messages of the session's two-epoch inbox: A0..A2 in epoch 0, B0..B1 in epoch 1.
EPOCH0 = [
    pi.msg(
        f"[PATCH {i + 1}/3] epoch zero",
        msgid=f"a{i}@example.org",
        date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000",
    )
    for i in range(3)
]
EPOCH1 = [
    pi.msg(
        f"Re: [PATCH {i + 1}/3] epoch zero",
        from_="Bob Reviewer <bob@example.org>",
        msgid=f"b{i}@example.org",
        in_reply_to=f"a{i}@example.org",
        references=[f"a{i}@example.org"],
        date=f"Tue, 02 Jan 2024 10:0{i}:00 +0000",
    )
    for i in range(2)
]


@pytest.fixture(scope="session")
def two_epoch_inbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A v2 inbox with 3 messages in git/0.git and 2 in git/1.git; read only.

    Returns ``{"path", "epochs", "commits": [[epoch0 ids], [epoch1 ids]], "messages"}``.
    """
    _need_pi_tools()
    root = tmp_path_factory.mktemp("pi2")
    path = pi.make_v2_inbox(str(root), "twoep", EPOCH0)
    pi.add_epoch(path, EPOCH1)
    epochs = pi.epoch_dirs(path)
    return {
        "path": path,
        "epochs": epochs,
        "commits": [pi.commits(e) for e in epochs],
        "messages": EPOCH0 + EPOCH1,
    }


@pytest.fixture(scope="session")
def v1_inbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A v1 inbox with three messages; read only."""
    _need_pi_tools()
    root = tmp_path_factory.mktemp("pi1")
    messages = [
        pi.msg(
            f"v1 message {i}",
            msgid=f"v1-{i}@example.org",
            date=f"Wed, 03 Jan 2024 0{i}:00:00 +0000",
        )
        for i in range(3)
    ]
    path = pi.make_v1_inbox(str(root), "oldlist", messages)
    return {"path": path, "commits": pi.commits(path), "messages": messages}
