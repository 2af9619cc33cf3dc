"""Bad input to every command (issue 8): a missing path, a directory that is no archive, an
unknown or option-like revision, FROM after TO, an invalid date, an empty archive, a corrupt
git object -> exactly one ``Error: …`` line naming the problem, exit code 2, no traceback,
nothing written (no ``-o`` file, no index, no state).  Revisions never reach a shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib

import hostile_kit
import pytest
from daily_helpers import patch

# a listdigest process per bad input (what a user's shell sees): the full suite; the fast
# tier holds the same messages in-process (tests/test_cli.py)
pytestmark = pytest.mark.slow

PY = [sys.executable, "-m", "listdigest.cli"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    raws = [patch(i, f"[PATCH] demo: change {i}") for i in range(1, 6)]
    inbox = hostile_kit.build_v2_inbox(str(root), raws, name="small")
    return {"inbox": inbox, "commits": hostile_kit.commits(os.path.join(inbox, "git", "0.git"))}


def _env(tmp_path):
    return dict(
        os.environ,
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )


def run(tmp_path, *args):
    return subprocess.run(PY + list(args), capture_output=True, text=True, env=_env(tmp_path))


def assert_error(p, *needles, code=2):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), p.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert p.stdout == ""


def nothing_written(tmp_path, out):
    assert not out.exists()
    assert not (tmp_path / "pwned").exists()


CASES = [
    ("missing-path", ["{tmp}/nope"], ["no such file or directory"]),
    ("plain-directory", ["{tmp}/plain"], ["not a public-inbox archive"]),
    ("unknown-revision", ["{inbox}", "--from", "deadbeef00"], ["unknown revision", "deadbeef00"]),
    ("option-like-revision", ["{inbox}", "--from", "--output=/tmp/x"], ["unknown revision"]),
    ("shell-revision", ["{inbox}", "--to", "HEAD;touch {tmp}/pwned"], ["unknown revision"]),
    ("subshell-revision", ["{inbox}", "--to", "$(touch {tmp}/pwned)"], ["unknown revision"]),
    ("backtick-revision", ["{inbox}", "--from", "`touch {tmp}/pwned`"], ["unknown revision"]),
    ("from-after-to", ["{inbox}", "--from", "{c3}", "--to", "{c1}"], ["--from", "not an ancestor"]),
    ("invalid-date", ["{inbox}", "--since", "2024-13-45"], ["invalid date"]),
    ("invalid-until", ["{inbox}", "--until", "tomorrow;rm"], ["invalid date"]),
    ("empty-archive", ["{empty}"], ["holds no messages"]),
]


@pytest.mark.parametrize("name, args, needles", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("index", ["--no-index", "--index"])
def test_report_bad_input(tmp_path, small, name, args, needles, index):
    (tmp_path / "plain").mkdir()
    empty = tmp_path / "empty"
    (empty / "git" / "0.git").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(empty / "git" / "0.git")], check=True)
    c = small["commits"]
    fmt = {"tmp": tmp_path, "inbox": small["inbox"], "c1": c[1], "c3": c[3], "empty": empty}
    argv = [a.format(**fmt) for a in args]
    out = tmp_path / "out.txt"
    extra = ["--no-index"] if index == "--no-index" else ["--index", str(tmp_path / "ix.sqlite")]
    p = run(tmp_path, "report", *argv, *extra, "-o", str(out))
    assert_error(p, *needles)
    nothing_written(tmp_path, out)
    # the index is a cache of the whole archive; a range that cannot be resolved fails
    # before the archive is indexed, so none of these leaves an index behind (an empty
    # archive may: only the index update finds it empty).  A quiet range of dates is no
    # error: tests/test_cli_habits.py
    if name != "empty-archive":
        assert not (tmp_path / "ix.sqlite").exists()


@pytest.fixture
def corrupt(tmp_path, small):
    """A copy of the small inbox whose objects are all loose, one message blob corrupted."""
    dest = tmp_path / "corrupt"
    shutil.copytree(small["inbox"], dest)
    gitdir = dest / "git" / "0.git"
    packs = list((gitdir / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        moved = tmp_path / pack.name
        shutil.move(str(pack), moved)
        (gitdir / "objects" / "pack" / (pack.stem + ".idx")).unlink()
        subprocess.run(
            ["git", "--git-dir", str(gitdir), "unpack-objects", "-q"],
            stdin=open(moved, "rb"),
            check=True,
        )
    blob = subprocess.run(
        ["git", "--git-dir", str(gitdir), "rev-parse", "HEAD~2:m"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    obj = gitdir / "objects" / blob[:2] / blob[2:]
    assert obj.exists()
    os.chmod(obj, 0o644)
    obj.write_bytes(zlib.compress(b"blob 9999\0garbage")[:20])  # truncated, wrong size
    return str(dest), blob


@pytest.mark.parametrize("index", ["--no-index", "--index"])
def test_report_on_corrupt_object(tmp_path, corrupt, index):
    inbox, _blob = corrupt
    out = tmp_path / "out.txt"
    extra = ["--no-index"] if index == "--no-index" else ["--index", str(tmp_path / "ix.sqlite")]
    p = run(tmp_path, "report", inbox, *extra, "-o", str(out))
    assert_error(p, "corrupt")
    assert not out.exists()


def test_index_bad_input(tmp_path, small, corrupt):
    (tmp_path / "plain").mkdir()
    ix = tmp_path / "ix.sqlite"
    for args, needle in (
        (["/nonexistent/x"], "no such file"),
        ([str(tmp_path / "plain")], "not a public-inbox"),
        ([corrupt[0]], "corrupt"),
    ):
        p = run(tmp_path, "index", *args, "--index", str(ix))
        assert_error(p, needle)
    mbox = tmp_path / "l.mbox"
    mbox.write_bytes(b"From x Thu Jan  1 00:00:00 1970\n" + patch(1, "[PATCH] x"))
    assert_error(
        run(tmp_path, "index", str(mbox), "--index", str(ix)), "only public-inbox git archives"
    )


def _cfg(tmp_path, archive, start="2020-01-01"):
    p = tmp_path / "c.toml"
    p.write_text(f"""
[smtp]
host = "127.0.0.1"
port = 9

[lists.demo]
archive = "{archive}"
to = ["r@example.org"]
from = "d@example.org"

start = "{start}"
""")
    return str(p)


@pytest.mark.parametrize(
    "what, archive, start, needles",
    [
        ("missing-archive", "{tmp}/nope", "2020-01-01", ["no such file"]),
        ("plain-directory", "{tmp}/plain", "2020-01-01", ["not a public-inbox"]),
        ("unknown-start-revision", "{inbox}", "deadbeef00", ["deadbeef00"]),
        ("option-like-start", "{inbox}", "--output=/tmp/x", ["--output=/tmp/x"]),
        ("shell-start", "{inbox}", "HEAD;touch {tmp}/pwned", ["list demo: unknown revision"]),
        ("invalid-start-date", "{inbox}", "2024-13-45", ["unknown revision: 2024-13-45"]),
        ("corrupt-object", "{corrupt}", "2020-01-01", ["corrupt"]),
    ],
)
def test_run_and_config_check_bad_input(tmp_path, small, corrupt, what, archive, start, needles):
    (tmp_path / "plain").mkdir()
    fmt = {"tmp": tmp_path, "inbox": small["inbox"], "corrupt": corrupt[0]}
    cfg = _cfg(tmp_path, archive.format(**fmt), start.format(**fmt))
    state = tmp_path / "st"
    p = run(tmp_path, "run", "--config", cfg, "--state-dir", str(state))
    # a list that cannot be read (bad archive or start) is a SourceError/RangeError: exit 2
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), p.stderr
    for n in needles:
        assert n in lines[0]
    assert not (state / "demo.json").exists()
    assert not (tmp_path / "pwned").exists()
    c = run(tmp_path, "config", "check", "--config", cfg)
    assert "Traceback" not in c.stderr
    if what == "corrupt-object":
        # a bad object shows only when the message is read: config check cannot see it
        assert c.returncode == 0, c.stderr
        return
    # config check finds each of these before a run meets it: a configuration error, exit 3
    assert (
        c.returncode == 3
        and c.stderr.startswith("Error: lists.demo.")
        and len(c.stderr.strip().splitlines()) == 1
    ), (c.returncode, c.stderr)


def test_config_check_on_missing_or_broken_file(tmp_path):
    assert_error(
        run(tmp_path, "config", "check", "--config", str(tmp_path / "none.toml")),
        "none.toml",
        code=3,
    )
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[smtp\nhost = \x00\xff")
    assert_error(run(tmp_path, "config", "check", "--config", str(bad)), "bad.toml", code=3)
    p = run(tmp_path, "run", "--config", str(bad), "--state-dir", str(tmp_path / "st"))
    assert_error(p, "bad.toml", code=3)


@pytest.mark.parametrize(
    "url, needle",
    [
        ("ext::sh -c touch% {tmp}/pwned", "not an http(s) URL"),
        ("--upload-pack=touch {tmp}/pwned", "not an http(s) URL"),
        ("file:///etc/", "not an http(s) URL"),
        ("not a url", "not an http(s) URL"),
        ("http://127.0.0.1:1/x;touch {tmp}/pwned", "not an http(s) URL"),
        ("http://127.0.0.1:1/$(touch {tmp}/pwned)/", "not an http(s) URL"),
        ("http://127.0.0.1:{closed}/list/", "connection refused"),
    ],
    ids=[
        "ext-helper",
        "option-like",
        "file-url",
        "not-a-url",
        "space-in-url",
        "subshell-in-url",
        "closed-port",
    ],
)
def test_sync_bad_url(tmp_path, url, needle):
    # the space-in-url cases were a urllib InvalidURL traceback (exit 1) before the fix
    from daily_helpers import closed_port

    url = url.format(tmp=tmp_path, closed=closed_port())
    dest = tmp_path / "dest"
    p = run(tmp_path, "sync", "--", url, str(dest))
    # a server out of reach is worth a retry later (75); a bad URL is bad input (2)
    assert_error(p, needle, code=75 if needle == "connection refused" else 2)
    assert not (tmp_path / "pwned").exists()
    assert not dest.exists() or not any(dest.rglob("*.git"))


# --- index files (issue 14, fault 6) ------------------------------------------------------


@pytest.mark.parametrize("command", ["report", "index"])
def test_index_that_is_not_sqlite_is_one_error_line(small, tmp_path, command):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is no database\n" * 100)
    p = run(tmp_path, command, small["inbox"], "--index", str(bad))
    assert_error(p, "bad.sqlite", "not a listdigest index")
    assert bad.read_bytes() == b"this is no database\n" * 100  # left as it was


def test_truncated_index_is_one_error_line(small, tmp_path):
    good = tmp_path / "good.sqlite"
    assert run(tmp_path, "index", small["inbox"], "--index", str(good)).returncode == 0
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(good.read_bytes()[:6000])
    assert_error(
        run(tmp_path, "report", small["inbox"], "--index", str(cut)),
        "cut.sqlite",
        "not a listdigest index",
    )


def test_index_in_a_missing_directory_creates_nothing(small, tmp_path):
    p = run(
        tmp_path, "report", small["inbox"], "--index", str(tmp_path / "no" / "such" / "ix.sqlite")
    )
    assert_error(p, "does not exist")
    assert not (tmp_path / "no").exists()


def test_index_never_drops_another_database(small, tmp_path):
    import sqlite3

    other = tmp_path / "notes.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (x TEXT)")
    db.execute("INSERT INTO notes VALUES ('keep me')")
    db.commit()
    db.close()
    assert_error(
        run(tmp_path, "report", small["inbox"], "--index", str(other)), "not a listdigest index"
    )
    assert sqlite3.connect(other).execute("SELECT x FROM notes").fetchall() == [("keep me",)]
