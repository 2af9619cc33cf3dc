"""The command line where people use it (issue 15, items 7-10): a terminal (progress that
moves, a pager), cron (a quiet day is no error, exit codes that say what failed), pipes
(``report -``), and one clear error line for each bad input.

Everything runs the real command in a subprocess; a terminal is a real pseudo-terminal
(``pty``), archives are real public-inbox inboxes and the real lore archives.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time

import pi
import pytest
from pi import make_mbox, msg

EXE = os.path.join(os.path.dirname(sys.executable), "listdigest")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_pi = pytest.mark.skipif(
    shutil.which("public-inbox-mda") is None, reason="public-inbox is not installed"
)


def env_for(tmp_path, **extra):
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    env.pop("PAGER", None)
    env.update(extra)
    return env


def run(tmp_path, *args, input=None, **extra):
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        env=env_for(tmp_path, **extra),
        input=input,
    )


def in_pty(tmp_path, args, *, stream="stderr", **extra) -> tuple[int, bytes, bytes]:
    """Run with ``stream`` (stderr or stdout) on a pseudo-terminal; returns the exit code,
    what the terminal got and what the other stream got (a pipe)."""
    master, slave = os.openpty()
    # a terminal of 200 rows and 100 columns (a new pty has 0 x 0)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 200, 100, 0, 0))
    other = subprocess.PIPE
    kw = (
        {"stderr": slave, "stdout": other}
        if stream == "stderr"
        else {"stdout": slave, "stderr": other}
    )

    def controlling_terminal() -> None:
        # as in a terminal session: the pty is the process's controlling terminal, so a
        # pager (less) can open /dev/tty for its keys
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(  # type: ignore[call-overload]
        [EXE, *args],
        env=env_for(tmp_path, **extra),
        stdin=subprocess.DEVNULL,
        preexec_fn=controlling_terminal,
        pass_fds=(slave,),
        **kw,
    )
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    out = (proc.stdout or proc.stderr).read()  # type: ignore[union-attr]
    (proc.stdout or proc.stderr).close()  # type: ignore[union-attr]
    return proc.wait(60), seen, out


def received(when: int) -> list[tuple[str, str]]:
    return [("Received", f"from relay.example.org by mx.example.org; {pi.format_date(when)}")]


# --------------------------------------------------------------- item 7: progress that moves


@pytest.mark.real
def test_index_progress_moves_on_a_terminal_and_ends_at_the_summary_count(kvmppc_epoch, tmp_path):
    # kvm-ppc is one epoch of 5,965 messages: before, nothing showed until the end
    ix = str(tmp_path / "ix.sqlite")
    code, tty, out = in_pty(tmp_path, ["index", kvmppc_epoch, "--index", ix])
    assert code == 0, tty
    text = tty.decode()
    bars = re.findall(r"Indexing \[[#.]+\] (\d+)/(\d+)", text)
    counts = [int(d) for d, _t in bars]
    assert len(set(counts)) >= 4, text  # several distinct updates, one per batch
    assert counts == sorted(counts) and counts[-1] == int(bars[-1][1])
    summary = re.search(r": read (\d+) messages", text)
    assert summary and int(summary.group(1)) == counts[-1] > 5900
    assert out == b""
    # not a terminal: the summary, no bar
    os.unlink(ix)
    p = run(tmp_path, "index", kvmppc_epoch, "--index", ix)
    assert p.returncode == 0
    assert b"Indexing" not in p.stderr and b"\r" not in p.stderr
    assert re.fullmatch(rb"\S+: read \d+ messages, dropped 0; \d+ in the index; .*\n", p.stderr)


@pytest.mark.real
def test_report_draws_the_first_index_build_on_a_terminal(kvmppc_epoch, tmp_path):
    ix = str(tmp_path / "ix.sqlite")
    args = ["report", kvmppc_epoch, "--index", ix, "--since", "2020-01-01", "--until", "2020-01-31"]
    code, tty, out = in_pty(tmp_path, args)
    assert code == 0, tty
    assert len(set(re.findall(rb"Indexing \[[#.]+\] (\d+)/", tty))) >= 4, tty
    assert out.startswith(b"From ")


# ------------------------------------------------------ item 8: quiet days, exit codes


@needs_pi
def test_a_quiet_day_is_a_no_traffic_digest_exit_0(two_epoch_inbox, tmp_path):
    inbox = two_epoch_inbox["path"]
    newest = two_epoch_inbox["commits"][1][-1][:9]
    for index in (["--no-index"], ["--index", str(tmp_path / "ix.sqlite")]):
        p = run(tmp_path, "report", inbox, "--since", "1d", *index)
        assert p.returncode == 0, p.stderr
        assert p.stderr == b""
        text = p.stdout.decode()
        assert text.startswith(f"From {newest} to {newest}\n")
        assert "Totals: 0 messages, 0 patch postings, 0 replies/other, 0 skipped" in text
        # short: the header, one sentence, the totals; no empty tables or section rulers
        assert "No messages in this period." in text
        assert "Top 15" not in text and "=====" not in text
    # with the flag: nothing at all, and no file
    out = tmp_path / "d.txt"
    p = run(tmp_path, "report", inbox, "--since", "yesterday", "--quiet-if-empty", "-o", str(out))
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    assert not out.exists()
    # a mailbox's quiet range is labelled by the days asked for
    mbox = make_mbox(str(tmp_path / "l.mbox"), [msg("[PATCH] old", msgid="old@example.org")])
    p = run(tmp_path, "report", mbox, "--since", "2030-01-01", "--until", "2030-01-02")
    assert p.returncode == 0 and p.stdout.startswith(b"From 2030-01-01 to 2030-01-02\n")


def _cfg(tmp_path, archive, *, extra="", port=None):
    from daily_helpers import closed_port

    p = tmp_path / "c.toml"
    p.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {port or closed_port()}
timeout = 5

[lists.demo]
archive = "{archive}"
to = ["r@example.org"]
from = "d@example.org"
start = "2020-01-01"
{extra}
""")
    return str(p)


@needs_pi
def test_exit_codes_say_what_failed(two_epoch_inbox, tmp_path):
    """README's table: 1 not delivered, 2 bad input, 3 configuration, 75 try again later."""
    from daily_helpers import closed_port

    inbox = two_epoch_inbox["path"]
    state = str(tmp_path / "st")
    # 1: the mail server is not there; nothing recorded
    p = run(tmp_path, "run", "--config", _cfg(tmp_path, inbox), "--state-dir", state)
    assert p.returncode == 1, p.stderr
    assert p.stderr.decode().startswith("Error: list demo: ")
    assert not os.path.exists(os.path.join(state, "demo.json"))
    # 2: bad input
    p = run(tmp_path, "report", inbox, "--from", "deadbeef00")
    assert (p.returncode, p.stderr) == (2, b"Error: unknown revision: deadbeef00\n")
    # 3: the configuration file
    cfg = _cfg(tmp_path, inbox, extra="hott = 3")
    for cmd in ("run", "config check"):
        p = run(
            tmp_path,
            *cmd.split(),
            "--config",
            cfg,
            *(["--state-dir", state] if cmd == "run" else []),
        )
        assert p.returncode == 3, p.stderr
        assert p.stderr.decode().endswith("lists.demo.hott: unknown key (did you mean 'hot'?)\n")
    # 75: an archive server out of reach, whether asked directly or mirrored by run
    port = closed_port()
    p = run(tmp_path, "report", "--lore", f"http://127.0.0.1:{port}/kvm", "--since", "2d")
    assert (p.returncode, p.stderr) == (
        75,
        f"Error: cannot reach 127.0.0.1:{port}: connection refused\n".encode(),
    )
    cfg = _cfg(tmp_path, f"http://127.0.0.1:{port}/kvm")
    p = run(tmp_path, "run", "--config", cfg, "--state-dir", state)
    assert p.returncode == 75, p.stderr


def test_readme_exit_code_table_is_the_one_the_code_returns():
    from listdigest.errors import EXIT_CODES

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme, code


# -------------------------------------------------------------- item 9: input habits


def _recent_mbox(tmp_path) -> str:
    now = int(time.time())
    msgs = [
        msg(
            "[PATCH] fresh",
            msgid="fresh@example.org",
            date=now - 7200,
            headers=received(now - 3600),
        ),
        msg(
            "[PATCH] last week",
            msgid="week@example.org",
            date=now - 5 * 86400,
            headers=received(now - 5 * 86400),
        ),
        msg(
            "[PATCH] last month",
            msgid="month@example.org",
            date=now - 30 * 86400,
            headers=received(now - 30 * 86400),
        ),
    ]
    return make_mbox(str(tmp_path / "recent.mbox"), msgs)


def _count(stdout: bytes) -> int:
    return json.loads(stdout)["totals"]["messages"]


def test_report_dash_reads_an_mbox_on_stdin(tmp_path):
    mbox = _recent_mbox(tmp_path)
    with open(mbox, "rb") as f:
        data = f.read()
    from_file = run(tmp_path, "report", mbox, "--list-name", "recent", "--format", "json")
    piped = run(tmp_path, "report", "-", "--list-name", "recent", "--format", "json", input=data)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == json.loads(from_file.stdout)
    # lei writes gzip too (lei q -o mboxrd:/dev/stdout --compress)
    import gzip

    gz = run(
        tmp_path,
        "report",
        "-",
        "--list-name",
        "recent",
        "--format",
        "json",
        input=gzip.compress(data),
    )
    assert json.loads(gz.stdout) == json.loads(from_file.stdout)
    empty = run(tmp_path, "report", "-", input=b"")
    assert (empty.returncode, empty.stderr) == (2, b"Error: <stdin>: empty file\n")


def test_git_style_dates_pass_through(tmp_path):
    mbox = _recent_mbox(tmp_path)
    for since, n in (("yesterday", 1), ("1.week.ago", 2), ("2.weeks.ago", 2), ("6.weeks.ago", 3)):
        p = run(tmp_path, "report", mbox, "--since", since, "--format", "json")
        assert p.returncode == 0, (since, p.stderr)
        assert _count(p.stdout) == n, since


def test_dash_h_is_help_everywhere(tmp_path):
    for cmd in (
        [],
        ["report"],
        ["index"],
        ["run"],
        ["sync"],
        ["who"],
        ["stats"],
        ["config"],
        ["config", "check"],
        ["config", "init"],
    ):
        p = run(tmp_path, *cmd, "-h")
        assert p.returncode == 0 and p.stdout.startswith(b"Usage: listdigest"), (cmd, p.stderr)


@pytest.mark.parametrize(
    "name, check",
    [
        ("d.html", lambda t: t.startswith("<!DOCTYPE html>")),
        ("d.json", lambda t: json.loads(t)["totals"]["messages"] == 3),
        ("d.md", lambda t: "](<https://lore.kernel.org/" in t),
        ("d.atom", lambda t: t.startswith("<?xml") and "<feed" in t),
        ("d.xml", lambda t: "<feed" in t),
        ("d.txt", lambda t: t.startswith("From ")),
        ("d.unknown", lambda t: t.startswith("From ")),
    ],
)
def test_output_extension_picks_the_format(tmp_path, name, check):
    mbox = _recent_mbox(tmp_path)
    out = tmp_path / name
    p = run(tmp_path, "report", mbox, "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert check(out.read_text(encoding="utf-8"))
    # --format wins over the extension
    p = run(tmp_path, "report", mbox, "-o", str(out), "--format", "text")
    assert out.read_text(encoding="utf-8").startswith("From ")


def test_pager_on_a_terminal_only(tmp_path):
    mbox = _recent_mbox(tmp_path)
    pager = {"PAGER": "sed s/^/paged:/"}
    code, tty, _err = in_pty(tmp_path, ["report", mbox], stream="stdout", **pager)
    assert code == 0
    lines = tty.decode().splitlines()
    assert lines and all(line.startswith("paged:") for line in lines), lines[:3]
    code, tty, _err = in_pty(tmp_path, ["report", mbox, "--no-pager"], stream="stdout", **pager)
    assert code == 0 and tty.startswith(b"From ") and b"paged:" not in tty
    p = run(tmp_path, "report", mbox, **pager)  # a pipe: never paged
    assert p.returncode == 0 and p.stdout.startswith(b"From ") and b"paged:" not in p.stdout
    # git's default: less -FRX, so a short digest is printed and left on screen
    if shutil.which("less"):
        code, tty, _err = in_pty(
            tmp_path, ["report", mbox], stream="stdout", TERM="xterm", LESS="FRX"
        )
        assert code == 0 and b"mailing list update" in tty


@needs_pi
def test_whole_archive_report_says_how_big_it_is(two_epoch_inbox, tmp_path):
    inbox = two_epoch_inbox["path"]
    code, tty, out = in_pty(tmp_path, ["report", inbox, "--no-index"])
    assert code == 0 and out.startswith(b"From ")
    assert tty == b"whole archive: 5 messages, 2024-01-01..2024-01-02; use --since to narrow\r\n"
    code, tty, out = in_pty(tmp_path, ["report", inbox, "--no-index", "--since", "2024-01-01"])
    assert code == 0 and tty == b""
    p = run(tmp_path, "report", inbox, "--no-index")  # cron: no line to mail
    assert p.returncode == 0 and p.stderr == b""


# --------------------------------------------------------------- item 10: clear errors


def assert_one_error(p, text: str, code: int = 2):
    assert (p.returncode, p.stderr.decode()) == (code, f"Error: {text}\n"), (
        p.stdout[:200],
        p.stderr,
    )


def test_garbage_mbox_is_no_readable_message(tmp_path):
    garbage = tmp_path / "garbage.mbox"
    garbage.write_bytes(
        b"From x@y Mon Jan  1 00:00:00 2024\n" + os.urandom(4000).replace(b"\nFrom ", b"\nfrom ")
    )
    out = tmp_path / "d.txt"
    p = run(tmp_path, "report", str(garbage), "-o", str(out))
    assert p.returncode == 2 and p.stdout == b""
    assert re.fullmatch(
        rf"Error: {re.escape(str(garbage))}: no readable message \(\d+ unreadable records?\)\n",
        p.stderr.decode(),
    )
    assert not out.exists()
    with open(garbage, "rb") as f:
        p = run(tmp_path, "report", "-", input=f.read())
    assert p.returncode == 2 and p.stderr.startswith(b"Error: <stdin>: no readable message (")


def test_a_git_repository_that_is_not_an_archive(tmp_path):
    repo = tmp_path / "code"
    pi.git(str(repo / ".git"), "init", "-q", str(repo))
    (repo / "README").write_text("hello\n")
    subprocess.run(["git", "-C", str(repo), "add", "README"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@example.org",
            "commit",
            "-qm",
            "x",
        ],
        check=True,
    )
    message = f"{repo}: a git repository, but not a public-inbox archive (its files are not messages: no m, d or xx/ paths)"
    assert_one_error(run(tmp_path, "report", str(repo)), message)
    ix = tmp_path / "ix.sqlite"
    assert_one_error(run(tmp_path, "index", str(repo), "--index", str(ix)), message)
    assert not ix.exists()


def test_who_takes_a_name_and_address_and_refuses_a_non_address(tmp_path):
    p = run(tmp_path, "who", "Ada Lovelace <ada@linux.intel.com>", "--date", "2026-01-10")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert lines[0] == "address:   Ada Lovelace <ada@linux.intel.com>"
    assert lines[2] == "employer:  Intel on 2026-01-10"
    assert (
        run(tmp_path, "who", "<ada@linux.intel.com>")
        .stdout.decode()
        .startswith("address:   <ada@linux.intel.com>\n")
    )
    for bad in ("not an address", "Ada Lovelace", "a@", "<>"):
        assert_one_error(
            run(tmp_path, "who", bad),
            f"not a mail address: {bad!r} (give user@domain or 'Name <user@domain>')",
        )


def test_unreadable_mbox_is_one_error_line(tmp_path):
    # open succeeds, read fails (EIO): the file is there but cannot be read
    assert_one_error(
        run(tmp_path, "report", "/proc/self/mem"), "/proc/self/mem: cannot read: input/output error"
    )
    if os.geteuid() != 0:  # root reads a mode-000 file
        locked = tmp_path / "locked.mbox"
        locked.write_bytes(b"From x Mon Jan  1 00:00:00 2024\n\n")
        locked.chmod(0)
        assert_one_error(
            run(tmp_path, "report", str(locked)), f"{locked}: cannot read: permission denied"
        )


def test_output_into_a_missing_directory_names_it(tmp_path):
    mbox = _recent_mbox(tmp_path)
    assert_one_error(
        run(tmp_path, "report", mbox, "-o", str(tmp_path / "nope" / "d.html")),
        f"{tmp_path / 'nope'}: No such directory",
    )


# ----------------------------------------------- --lore against a real public-inbox-httpd

needs_httpd = pytest.mark.skipif(
    shutil.which("public-inbox-httpd") is None, reason="public-inbox is not installed"
)
T0 = 1767225600  # 2026-01-01 00:00:00 UTC


# tests/pihttpd.py leaves its log file for the collector to close
@needs_httpd
@pytest.mark.slow
def test_lore_without_a_search_index_says_use_sync(tmp_path):
    from pihttpd import PiHttpd

    inbox = pi.make_v2_inbox(str(tmp_path), "nosearch", [msg("hello", msgid="a@example.org")])
    with PiHttpd(inbox) as server:
        url = server.url("nosearch")
        p = run(tmp_path, "report", "--lore", url, "--since", "2d")
    assert_one_error(
        p, f"{url}: no search index on the server; use listdigest sync and report on the mirror"
    )


@needs_httpd
@pytest.mark.slow
def test_lore_estimate_that_all_arrived_is_no_capped_warning(tmp_path):
    from pihttpd import PiHttpd

    from listdigest.errors import SourceError
    from listdigest.sources import lore
    from listdigest.sources.sync import http_get

    msgs = [
        msg(
            f"[PATCH] m{i}",
            msgid=f"m{i}@example.org",
            date=T0 + i * 60,
            headers=received(T0 + i * 60),
        )
        for i in range(3)
    ]
    inbox = pi.make_v2_inbox(str(tmp_path), "est", msgs, index=True)

    def estimating(drop: int):
        """The real server's answers, with its count shown as Xapian's estimate ~5 (and
        ``drop`` messages left out of the mbox, as a capped server would)."""

        def fetch(url, data=None, **kw):
            blob = http_get(url, data=data, **kw)
            if blob is None:
                return blob
            if data is None:
                return re.sub(rb"Results 1-3 of 3", b"Results 1-3 of ~5", blob)
            if drop:
                import gzip

                mbox = gzip.decompress(blob)
                return gzip.compress(mbox[: mbox.rindex(b"\nFrom mboxrd@z") + 1])
            return blob

        return fetch

    with PiHttpd(inbox) as server:
        url = server.url("est")
        src = lore.open_lore(url, T0, T0 + 3600, fetch=estimating(0))
        assert (src.answer.matched, src.answer.estimated, len(src.answer.messages)) == (5, True, 3)
        assert src.answer.more is False and src.warning() is None
        assert len(list(src.select().messages)) == 3
        capped = lore.open_lore(url, T0, T0 + 3600, fetch=estimating(1))
        assert capped.answer.more is True
        with pytest.raises(SourceError) as ei:
            capped.select()
        assert str(ei.value).startswith(f"{url}: the server sent 2 of ~5 matching messages")
