"""Done-when: ``listdigest run`` over a clone of the real linux-hyperv archive, run twice with
messages added in between, mails two digests whose ranges join exactly to a real SMTP server."""

from __future__ import annotations

import re
import subprocess

import pytest
from click.testing import CliRunner

from listdigest.cli import main

pytestmark = [pytest.mark.real, pytest.mark.slow]


def git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_two_runs_over_linux_hyperv_join_exactly(tmp_path, smtp_server, hv_epoch):
    gitdir = str(tmp_path / "hv" / "git" / "0.git")
    # a local clone of the session's mirror (hard links): this test moves its refs
    subprocess.run(["git", "clone", "-q", "--mirror", hv_epoch, gitdir], check=True)
    head = git(gitdir, "rev-parse", "HEAD")
    branch = git(gitdir, "symbolic-ref", "HEAD")
    # pretend the newest 25 messages have not arrived yet
    git(gitdir, "update-ref", branch, f"{head}~25")
    start = git(gitdir, "rev-parse", f"{head}~60")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
timeout = 30

[lists.linux-hyperv]
archive = "{tmp_path / "hv"}"
to = ["hv-digest@example.org"]
from = "Hyper-V digest <digest@example.org>"
formats = ["text", "html"]
link_base = "https://lore.kernel.org/linux-hyperv/"
start = "{start}"
thread = true
""")
    sdir = str(tmp_path / "state")
    args = ["run", "--config", str(cfg), "--state-dir", sdir]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    git(gitdir, "update-ref", branch, head)  # the 25 messages arrive
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert len(smtp_server.messages) == 2
    m1, m2 = smtp_server.messages
    mid = git(gitdir, "rev-parse", f"{head}~25")
    assert m2["In-Reply-To"] == m1["Message-ID"]
    t1 = m1.get_body(("plain",)).get_content()
    t2 = m2.get_body(("plain",)).get_content()
    assert f"linux-hyperv mailing list update from {start[:9]} to {mid[:9]}\n" in t1
    assert f"linux-hyperv mailing list update from {mid[:9]} to {head[:9]}\n" in t2
    # the subjects name the list and the (UTC) days of the first and last message
    for m in (m1, m2):
        since, until = re.fullmatch(r"\[linux-hyperv\] digest (\S+) – (\S+)", m["Subject"]).groups()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", since) and since <= until
    # together the two digests count every message of start..head exactly once
    n1 = int(t1.split("Totals: ")[1].split(" messages")[0])
    n2 = int(t2.split("Totals: ")[1].split(" messages")[0])
    assert n1 + n2 == 60
    html = m2.get_body(("html",)).get_content()
    assert "<svg" in html and "https://lore.kernel.org/linux-hyperv/" in html
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and len(smtp_server.messages) == 2
