"""``listdigest sync`` and ``report --lore`` against a real public-inbox-httpd on 127.0.0.1.

The server serves a genuine v2 inbox (public-inbox-init/-mda/-index, full Xapian index so
``rt:`` searches work) with two epochs; tests change it with public-inbox's own tools
(``-mda``, ``MultiGit::add_epoch``, ``-purge``) and check the mirror follows.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pi
import pytest
from click.testing import CliRunner
from pihttpd import PiHttpd

from listdigest.cli import main
from listdigest.sources import lore as lore_mod
from listdigest.sources import sync as sync_mod
from listdigest.sources.sync import (
    DiskFullError,
    HostUnreachableError,
    ListNotFoundError,
    NotPublicInboxError,
    http_get,
    sync,
)

# a public-inbox-httpd per test: in the full suite, not in the fast tier
pytestmark = [
    pytest.mark.skipif(
        shutil.which("public-inbox-httpd") is None, reason="public-inbox is not installed"
    ),
    pytest.mark.slow,
]

DAY = 86400
T0 = 1767225600  # 2026-01-01 00:00:00 UTC


def mail(i: int, when: int, *, reply_to: int = -1, subject: str = "") -> bytes:
    """Message i, received at ``when`` (a Received: header, which public-inbox's rt: uses)."""
    received = [("Received", f"from relay.example.org by mx.example.org; {pi.format_date(when)}")]
    if reply_to >= 0:
        return pi.msg(
            f"Re: [PATCH {reply_to % 3 + 1}/3] change {reply_to // 3}",
            from_="Rita Reviewer <rita@review.example.com>",
            msgid=f"m{i}@example.org",
            in_reply_to=f"m{reply_to}@example.org",
            references=[f"m{reply_to}@example.org"],
            date=when - 60,
            headers=received,
            body="Looks good.\n\nReviewed-by: Rita Reviewer <rita@review.example.com>\n",
        )
    return pi.msg(
        subject or f"[PATCH {i % 3 + 1}/3] change {i // 3}",
        from_=f"Dev {i % 2} <dev{i % 2}@corp{i % 2}.example.com>",
        msgid=f"m{i}@example.org",
        date=when - 60,
        headers=received,
        body=f"Change {i}.\n\nSigned-off-by: Dev {i % 2} <dev{i % 2}@corp{i % 2}.example.com>\n---\n f | 1 +\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+{i}\n",
    )


EPOCH0 = [mail(i, T0 + i * 3600) for i in range(6)] + [mail(6, T0 + DAY, reply_to=1)]
EPOCH1 = [mail(7 + i, T0 + 2 * DAY + i * 3600) for i in range(3)] + [
    mail(10, T0 + 3 * DAY, reply_to=8)
]


def build_inbox(root: str, name: str = "kvm") -> str:
    path = pi.make_v2_inbox(root, name, EPOCH0, index=True)
    pi.add_epoch(path, EPOCH1)
    pi.reindex(path)
    return path


def cli(*args: str, env=None):
    res = (
        CliRunner(mix_stderr=False).invoke(main, list(args), env=env, catch_exceptions=False)
        if _mix()
        else CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    )
    return res


def _mix() -> bool:
    import inspect

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def digest_text(path: str, *extra: str) -> str:
    """The digest with one link base: a mirror links to the server it came from by default
    (tests/delivery/test_reader_facing.py holds that), the served inbox to lore."""
    if "--link-base" not in extra:
        extra = (*extra, "--link-base", "https://lore.kernel.org/kvm/")
    res = cli("report", path, "--list-name", "kvm", *extra)
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The two-epoch inbox, built once by public-inbox's tools; the tests serve copies (and
    the tools they run on a copy must leave this one as it was)."""
    inbox = build_inbox(str(tmp_path_factory.mktemp("built")))
    heads = [pi.head(e) for e in pi.epoch_dirs(inbox)]
    yield inbox
    assert [pi.head(e) for e in pi.epoch_dirs(inbox)] == heads


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    """A read-only two-epoch inbox behind public-inbox-httpd, with one mirror of it."""
    root = tmp_path_factory.mktemp("served")
    inbox = pi.copy_inbox(built, str(root))
    with PiHttpd(inbox) as server:
        mirror = str(root / "mirror" / "kvm")
        result = sync(server.url("kvm"), mirror)
        yield {"inbox": inbox, "server": server, "mirror": mirror, "result": result, "root": root}


@pytest.fixture
def fresh(built, tmp_path):
    """An inbox and server of the test's own, for tests that change the upstream."""
    inbox = pi.copy_inbox(built, str(tmp_path))
    with PiHttpd(inbox) as server:
        yield {"inbox": inbox, "server": server, "mirror": str(tmp_path / "mirror" / "kvm")}


# --------------------------------------------------------------------------- first sync


def test_first_sync_gives_the_servers_digest(served):
    r = served["result"]
    assert r.cloned == (0, 1)
    assert [e.new_commits for e in r.epochs] == [7, 4]
    assert r.forced == () and r.dropped == 0
    assert sorted(os.listdir(os.path.join(served["mirror"], "git"))) == ["0.git", "1.git"]
    for n in (0, 1):
        assert pi.commits(os.path.join(served["mirror"], "git", f"{n}.git")) == pi.commits(
            os.path.join(served["inbox"], "git", f"{n}.git")
        )
    assert digest_text(served["mirror"]) == digest_text(served["inbox"])


def test_cli_sync_from_empty_dir_then_report(served, tmp_path):
    """The issue's 'done when': sync URL into an empty directory, then report on it."""
    dest = str(tmp_path / "kvm")
    res = cli("sync", served["server"].url("kvm"), dest)
    assert res.exit_code == 0, res.output
    assert (
        res.stdout.strip()
        == f"{served['server'].url('kvm')} -> {dest}: 2 epochs; 11 new commits; cloned 0, 1"
    )
    assert digest_text(dest) == digest_text(served["inbox"])
    again = cli("sync", served["server"].url("kvm") + "/", dest)
    assert again.stdout.strip().endswith("2 epochs; 0 new commits")
    assert cli("sync", "--quiet", served["server"].url("kvm"), dest).stdout == ""


def test_default_dest_is_in_xdg_data_home(served, tmp_path):
    res = cli(
        "sync", "-q", served["server"].url("kvm"), env={"XDG_DATA_HOME": str(tmp_path / "xdg")}
    )
    assert res.exit_code == 0, res.output
    port = served["server"].port
    dest = tmp_path / "xdg" / "listdigest" / "mirrors" / f"127.0.0.1_{port}" / "kvm"
    assert (dest / "git" / "1.git" / "HEAD").is_file()


# --------------------------------------------------------------------------- upstream changes


def test_incremental_sync_after_new_messages(fresh):
    url, mirror = fresh["server"].url("kvm"), fresh["mirror"]
    sync(url, mirror)
    pi.add_messages(
        fresh["inbox"], [mail(11, T0 + 4 * DAY), mail(12, T0 + 4 * DAY + 60, reply_to=11)]
    )
    r = sync(url, mirror)
    assert [(e.epoch, e.action, e.new_commits, e.forced) for e in r.epochs] == [
        (0, "unchanged", 0, False),
        (1, "updated", 2, False),
    ]
    assert digest_text(mirror) == digest_text(fresh["inbox"])


def test_new_epoch_upstream_is_cloned(fresh):
    url, mirror = fresh["server"].url("kvm"), fresh["mirror"]
    sync(url, mirror)
    pi.add_epoch(fresh["inbox"], [mail(20, T0 + 5 * DAY), mail(21, T0 + 5 * DAY + 60)])
    r = sync(url, mirror)
    assert r.cloned == (2,)
    assert [e.action for e in r.epochs] == ["unchanged", "unchanged", "cloned"]
    assert digest_text(mirror) == digest_text(fresh["inbox"])
    assert "dev0@corp0.example.com" in digest_text(mirror, "--since", "2026-01-06")


def test_purge_upstream_is_a_forced_update_with_dropped_count(fresh):
    url, mirror, inbox = fresh["server"].url("kvm"), fresh["mirror"], fresh["inbox"]
    sync(url, mirror)
    before = pi.commits(os.path.join(mirror, "git", "0.git"))
    pi.purge_message(inbox, EPOCH0[4])  # the 5th of 7 commits: it and the 2 after are rewritten
    r = sync(url, mirror)
    e0 = r.epochs[0]
    assert (e0.action, e0.forced, e0.dropped, e0.new_commits) == ("updated", True, 3, 3)
    assert r.forced == (0,) and r.epochs[1].action == "unchanged"
    after = pi.commits(os.path.join(mirror, "git", "0.git"))
    assert after[:4] == before[:4] and after[4:] != before[4:]
    assert after == pi.commits(os.path.join(inbox, "git", "0.git"))
    # the purged commit is gone from the mirror's object store too
    proc = subprocess.run(
        ["git", "--git-dir", os.path.join(mirror, "git", "0.git"), "cat-file", "-e", before[4]]
    )
    assert proc.returncode != 0
    text = digest_text(mirror)
    assert text == digest_text(inbox)
    assert "Change 3." in text and "Change 4." not in text  # the purged message is not digested
    res = cli("sync", url, mirror)
    assert "forced update" not in res.stdout  # nothing new the second time


def test_cli_reports_forced_update(fresh):
    url, mirror, inbox = fresh["server"].url("kvm"), fresh["mirror"], fresh["inbox"]
    sync(url, mirror)
    pi.purge_message(inbox, EPOCH1[1])
    res = cli("sync", url, mirror)
    assert res.exit_code == 0
    assert res.stdout.strip().endswith(
        "2 epochs; 3 new commits; forced update of epoch 1 (3 commits dropped)"
    )


def test_interrupted_sync_leaves_a_usable_mirror_and_resumes(fresh):
    url, mirror, server = fresh["server"].url("kvm"), fresh["mirror"], fresh["server"]
    exe = os.path.join(os.path.dirname(sys.executable), "listdigest")
    proc = subprocess.Popen(
        [exe, "sync", url, mirror], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    first = os.path.join(mirror, "git", "0.git")
    deadline = time.monotonic() + 60
    try:
        while not os.path.isdir(first) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        server.pause()  # epoch 1's clone now hangs mid-way
        assert proc.poll() is None, "sync finished before it could be interrupted"
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        server.resume()
    gitroot = os.path.join(mirror, "git")
    assert "1.git" not in os.listdir(gitroot)
    # what is there is a usable inbox: epoch 0's messages
    part = digest_text(mirror)
    assert "Totals: 7 messages" in part
    r = sync(url, mirror)
    assert [e.action for e in r.epochs] == ["unchanged", "cloned"]
    assert sorted(os.listdir(gitroot)) == ["0.git", "1.git"]  # the partial clone was cleared
    assert digest_text(mirror) == digest_text(fresh["inbox"])


# --------------------------------------------------------------------------- report --lore


def _comparable(text: str) -> dict:
    """A JSON digest without what only a git archive has: commit ids, positions, range labels."""
    d = json.loads(text)
    for k in ("start", "end", "end_commit"):
        d.pop(k, None)
    for s in d["series"]:
        s.pop("first_seq", None)
        for m in s["messages"]:
            m.pop("commit", None)
    return d


@pytest.mark.parametrize(
    "since,until",
    [
        ("2026-01-01", None),
        ("2026-01-01T03:00:00", "2026-01-03"),
        ("2026-01-02", "2026-01-03T01:30:00Z"),
    ],
)
def test_lore_query_digest_equals_mirror_digest(served, since, until):
    args = ["--since", since] + (["--until", until] if until else [])
    via_lore = cli("report", "--lore", served["server"].url("kvm"), "--format", "json", *args)
    assert via_lore.exit_code == 0, via_lore.output
    link = ["--link-base", served["server"].url("kvm") + "/"]
    # a search answer has no archive history: compare with the mirror's digest without its index
    mirrored = cli(
        "report",
        served["mirror"],
        "--no-index",
        "--list-name",
        "kvm",
        "--format",
        "json",
        *link,
        *args,
    )
    assert mirrored.exit_code == 0, mirrored.output
    a, b = _comparable(via_lore.stdout), _comparable(mirrored.stdout)
    assert a["totals"]["messages"] > 0
    assert a == b


def test_lore_text_and_order(served):
    res = cli(
        "report",
        "--lore",
        served["server"].url("kvm"),
        "--since",
        "2026-01-03",
        "--until",
        "2026-01-03",
    )
    assert res.exit_code == 0, res.output
    text = res.stdout
    # a mailbox's range is labelled by the messages' Date: (one was written before midnight)
    assert text.startswith("From 2026-01-02 to 2026-01-03\nkvm mailing list update")
    assert "Totals: 3 messages, 3 patch postings, 0 replies/other, 0 skipped" in text
    patch_list = text.split("===== Patch list in this time period =====")[1].split("=====")[0]
    assert patch_list.index("change 2") < patch_list.index(
        "change 3"
    )  # oldest first, like the archive


def test_lore_empty_period(served):
    """A quiet period is no error (cron would mail one every quiet day): a 'no traffic'
    digest, exit 0, or nothing at all with --quiet-if-empty."""
    url = served["server"].url("kvm")
    res = cli("report", "--lore", url, "--since", "2027-01-01")
    assert res.exit_code == 0, res.stderr
    assert "Totals: 0 messages" in res.stdout
    res = cli("report", "--lore", url, "--since", "2027-01-01", "--quiet-if-empty")
    assert (res.exit_code, res.stdout) == (0, "")


def test_lore_needs_since_and_no_path(served):
    res = cli("report", "--lore", served["server"].url("kvm"))
    assert res.exit_code == 2 and "--lore needs --since" in res.stderr
    res = cli("report", served["mirror"], "--lore", served["server"].url("kvm"), "--since", "1d")
    assert res.exit_code == 2 and "not both" in res.stderr


def test_lore_capped_results_are_refused(served):
    """A server that matched N but sent fewer: the digest would be short, so it is an error."""

    def capped(url, data=None, **kw):
        blob = http_get(url, data=data, **kw)
        if data is None:
            return blob
        import gzip

        mbox = gzip.decompress(blob)
        return gzip.compress(mbox[: mbox.rindex(b"\nFrom mboxrd@z") + 1])

    url = served["server"].url("kvm")
    src = lore_mod.open_lore(url, T0, T0 + 10 * DAY, fetch=capped)
    assert src.answer.matched == 11 and len(src.answer.messages) == 10
    with pytest.raises(lore_mod.CappedResultsError) as exc:
        src.select()
    assert str(exc.value) == (
        f"{url}: the server sent 10 of 11 matching messages (search results are capped); "
        "use `listdigest sync` and report on the mirror for big ranges"
    )


# --------------------------------------------------------------------------- errors


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_host(tmp_path):
    port = _closed_port()
    with pytest.raises(HostUnreachableError) as exc:
        sync(f"http://127.0.0.1:{port}/kvm", str(tmp_path / "m"))
    assert str(exc.value) == f"cannot reach 127.0.0.1:{port}: connection refused"
    # 75 (EX_TEMPFAIL): a server out of reach is worth trying again, unlike bad input
    res = cli("sync", f"http://127.0.0.1:{port}/kvm", str(tmp_path / "m"))
    assert (
        res.exit_code == 75
        and res.stderr == f"Error: cannot reach 127.0.0.1:{port}: connection refused\n"
    )
    res = cli("report", "--lore", f"http://127.0.0.1:{port}/kvm", "--since", "2d")
    assert (
        res.exit_code == 75
        and res.stderr == f"Error: cannot reach 127.0.0.1:{port}: connection refused\n"
    )


def test_unknown_list_is_404(served, tmp_path):
    url = served["server"].url("nosuchlist")
    with pytest.raises(ListNotFoundError) as exc:
        sync(url, str(tmp_path / "m"))
    assert str(exc.value) == f"{url}: HTTP 404, no such list on 127.0.0.1:{served['server'].port}"
    assert not os.path.exists(tmp_path / "m")
    res = cli("report", "--lore", url, "--since", "2d")
    assert (
        res.exit_code == 2
        and res.stderr
        == f"Error: {url}: HTTP 404, no such list on 127.0.0.1:{served['server'].port}\n"
    )


def test_not_a_public_inbox(tmp_path):
    docroot = tmp_path / "www"
    (docroot / "kvm").mkdir(parents=True)
    (docroot / "kvm" / "index.html").write_text("<html>hello</html>")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=str(docroot),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        for name in ("kvm", "empty"):
            url = f"http://127.0.0.1:{port}/{name}"
            with pytest.raises(NotPublicInboxError) as exc:
                sync(url, str(tmp_path / "m"))
            assert (
                str(exc.value)
                == f"{url}: not a public-inbox archive (no manifest.js.gz, no git/0.git)"
            )
        res = cli("report", "--lore", f"http://127.0.0.1:{port}/kvm", "--since", "2d")
        assert res.exit_code == 2
        assert (
            res.stderr
            == f"Error: http://127.0.0.1:{port}/kvm: not a public-inbox archive with search (no search results page)\n"
        )
    finally:
        server.terminate()
        server.wait()


def test_disk_full(served, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], stderr=subprocess.PIPE
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.decode().strip()}")
    try:
        dest = str(mnt / "kvm")
        with pytest.raises(DiskFullError) as exc:
            sync(served["server"].url("kvm"), dest)
        assert str(exc.value).endswith(": no space left on device")
        res = cli("sync", served["server"].url("kvm"), dest)
        assert res.exit_code == 2 and res.stderr.endswith(": no space left on device\n")
        assert not any(
            n.endswith(".git") and not n.startswith(".")
            for n in os.listdir(os.path.join(dest, "git"))
        )
    finally:
        subprocess.run(["umount", str(mnt)])


def test_split_list_url():
    assert sync_mod.split_list_url("https://lore.kernel.org/kvm/") == (
        "https://lore.kernel.org",
        "/kvm",
        "https://lore.kernel.org/kvm",
    )
    with pytest.raises(sync_mod.SyncError):
        sync_mod.split_list_url("lore.kernel.org/kvm")


def test_run_syncs_a_configured_url_first(served, tmp_path):
    url = served["server"].url("kvm")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[lists.kvm]\narchive = "{url}"\ndelivery = "stdout"\nformats = ["text"]\n')
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    res = cli("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"), env=env)
    assert res.exit_code == 0, res.output
    mirror = (
        tmp_path / "xdg" / "listdigest" / "mirrors" / f"127.0.0.1_{served['server'].port}" / "kvm"
    )
    assert sorted(os.listdir(mirror / "git")) == ["0.git", "1.git"]
    assert res.stdout.startswith("kvm: ")  # the first run only records where the list stands


def test_counted_words_are_plural_only_when_more_than_one():
    from listdigest.sources.sync import EpochResult, SyncResult, describe_epoch, summary

    one = EpochResult(0, "updated", "a", "b", 1, True, 1)
    assert describe_epoch(one) == (
        "epoch 0: 1 new commit; history rewritten upstream (forced update), 1 old commit dropped"
    )
    assert summary(SyncResult("u", "d", (one,))) == (
        "u -> d: 1 epoch; 1 new commit; forced update of epoch 0 (1 commit dropped)"
    )
    two = EpochResult(1, "cloned", None, "c", 2, False, 0)
    assert describe_epoch(two) == "epoch 1: cloned, 2 commits"
    assert summary(SyncResult("u", "d", (one, two))).startswith("u -> d: 2 epochs; 3 new commits")
