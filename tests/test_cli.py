"""The command line on real archives: output, and one-line errors with exit code 2."""

import os
import subprocess
import sys

import pytest
from pi import make_maildir, make_mbox, msg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(os.path.dirname(sys.executable), "listdigest")


def run(*args, cwd=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    dest = str(tmp_path_factory.mktemp("sample") / "inbox")
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "make_sample.py"), dest],
        check=True,
        capture_output=True,
    )
    return dest


def epoch_commits(sample, n):
    out = subprocess.run(
        [
            "git",
            "--git-dir",
            os.path.join(sample, "git", f"{n}.git"),
            "rev-list",
            "--reverse",
            "HEAD",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def test_sample_digest(sample):
    p = run("report", sample, "--list-name", "Sample")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[1].startswith("Sample mailing list update from ")
    assert "      6 example.com" in lines and "      6  Ada Lovelace <ada@example.com>" in lines
    assert "[PATCH] grüße: add the über helper and its long documentation" in p.stdout
    assert "Author: Carol Müller <carol@example.net>" in p.stdout


def test_range_across_epochs(sample):
    e0, e1 = epoch_commits(sample, 0), epoch_commits(sample, 1)
    p = run("report", sample, "--from", e0[1], "--to", e1[2], "--format", "json")
    assert p.returncode == 0, p.stderr
    import json

    d = json.loads(p.stdout)
    # epoch 0 after its 2nd commit (2 messages) + the first 3 of epoch 1
    assert d["totals"]["messages"] == 5
    assert (d["start"], d["end"]) == (e0[1][:9], e1[2][:9])


def test_since_until_select_by_received_time(sample):
    p = run(
        "report",
        sample,
        "--since",
        "2026-01-05T09:00:00",
        "--until",
        "2026-01-05T09:45:00",
        "--format",
        "json",
    )
    assert p.returncode == 0, p.stderr
    import json

    assert json.loads(p.stdout)["totals"]["messages"] == 5


def test_mbox_and_maildir_headers_show_dates(tmp_path):
    raws = [
        msg(
            "[PATCH] one",
            date="Mon, 05 Jan 2026 10:00:00 +0000",
            body="x\n---\n a | 1 +\n 1 file changed, 1 insertion(+)\n",
        ),
        msg("[PATCH] two", date="Tue, 06 Jan 2026 10:00:00 +0000", body="y\n"),
    ]
    for path in (
        make_mbox(str(tmp_path / "l.mbox.gz"), raws, gz=True),
        make_maildir(str(tmp_path / "md"), raws),
    ):
        p = run("report", path)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("From 2026-01-05 to 2026-01-06\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "/nonexistent/x"], "Error: /nonexistent/x: no such file or directory"),
        (
            ["report", "{tmp}"],
            "Error: {tmp}: not a public-inbox archive, git repository, mbox or Maildir",
        ),
        (["report", "{sample}", "--from", "deadbeef00"], "Error: unknown revision: deadbeef00"),
        (
            ["report", "{sample}", "--from", "--output=/tmp/x"],
            "Error: unknown revision: '--output=/tmp/x'",
        ),
        (
            ["report", "{sample}", "--to", "HEAD;touch {tmp}/pwned"],
            "Error: unknown revision: 'HEAD;touch {tmp}/pwned'",
        ),
        (
            ["report", "{sample}", "--since", "yesterday-ish"],
            "Error: invalid date: 'yesterday-ish' (use YYYY-MM-DD, an ISO datetime, or 2d/12h/1w)",
        ),
        (
            ["report", "{sample}", "--since", "2026-02-01", "--until", "2026-01-01"],
            "Error: --since is after --until",
        ),
    ],
    ids=[
        "missing-path",
        "plain-directory",
        "unknown-revision",
        "option-like-revision",
        "shell-in-revision",
        "bad-date",
        "since-after-until",
    ],
)
def test_errors_are_one_line_exit_2(args, message, sample, tmp_path):
    args = [a.format(tmp=tmp_path, sample=sample) for a in args]
    out = tmp_path / "out.txt"
    p = run(*args, "-o", str(out))
    assert p.returncode == 2
    assert p.stderr == message.format(tmp=tmp_path, sample=sample) + "\n"
    assert not out.exists() and not (tmp_path / "pwned").exists()


def test_from_after_to_across_epochs(sample):
    e0, e1 = epoch_commits(sample, 0), epoch_commits(sample, 1)
    p = run("report", sample, "--from", e1[0], "--to", e0[1])
    assert p.returncode == 2 and p.stderr.startswith("Error: --from ") and p.stderr.count("\n") == 1


def test_help_on_every_command():
    for args in (["--help"], ["report", "--help"]):
        p = run(*args)
        assert p.returncode == 0 and "Usage:" in p.stdout


# `-o /dev/null` once replaced the machine's /dev/null with a regular 0600 file (temporary
# file + os.replace); from then on every `2>/dev/null` wrote into it and git repack, which
# gives pack-objects /dev/null as its revision list, read other programs' output.  These
# tests use private nodes in tmp_path: a regression must never touch the real /dev/null.
def _report_to(target, tmp_path):
    mbox = make_mbox(str(tmp_path / "a.mbox"), [msg("[PATCH] one", msgid="one@example.org")])
    return run("report", mbox, "--no-index", "-o", str(target))


def test_output_to_a_character_device_writes_through_it(tmp_path):
    import stat

    node = tmp_path / "null"
    try:
        os.mknod(str(node), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    p = _report_to(node, tmp_path)
    assert p.returncode == 0, p.stderr
    st = os.lstat(str(node))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert [n for n in os.listdir(str(tmp_path)) if n.startswith(".listdigest-")] == []


def test_output_to_a_fifo_writes_through_it(tmp_path):
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(str(fifo))
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    p = _report_to(fifo, tmp_path)
    reader.join(30)
    assert p.returncode == 0, p.stderr
    assert stat.S_ISFIFO(os.lstat(str(fifo)).st_mode)
    assert got and "[PATCH] one" in got[0]


def test_output_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "digest.txt"
    target.write_text("old\n")
    os.chmod(str(target), 0o644)
    link = tmp_path / "latest.txt"
    link.symlink_to(target.name)
    p = _report_to(link, tmp_path)
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(str(link)) == target.name
    assert "[PATCH] one" in target.read_text()
    assert os.stat(str(target)).st_mode & 0o777 == 0o644
