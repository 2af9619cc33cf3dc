"""``listdigest run`` end to end: a real git inbox, a real SMTP server, the real CLI."""

from __future__ import annotations

import datetime
import email.utils
import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from daily_helpers import BadServer, Epoch, mail, patch, write_config

from listdigest.cli import main


@pytest.fixture
def inbox(tmp_path):
    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] demo: first"))
    ep.add(mail(2, "Re: [PATCH] demo: first", "Bob <bob@corp.example>", irt="m1@example.org"))
    ep.add(patch(3, "[PATCH v2] demo: second"))
    return ep


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart by default


def run(*args):
    return runner().invoke(main, list(args))


def state(tmp_path):
    p = tmp_path / "state" / "demo.json"
    return json.loads(p.read_text()) if p.exists() else None


def span(msg):
    """The commit range a mailed digest covers, from its text: (FROM, TO)."""
    m = re.search(
        r"mailing list update from (\S+) to (\S+)", msg.get_body(("plain",)).get_content()
    )
    assert m, msg.get_body(("plain",)).get_content()[:300]
    return m.group(1), m.group(2)


def subjects_in(msg):
    text = msg.get_body(("plain",)).get_content()
    return [ln for ln in text.splitlines() if "[PATCH" in ln and " of " in ln]


def test_two_runs_mail_two_digests_whose_ranges_join(tmp_path, inbox, smtp_server):
    cfg = write_config(tmp_path / "c.toml", inbox.inbox, smtp_server.port)
    first_head = inbox.head
    r = run("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0, r.stderr
    assert len(smtp_server.messages) == 1
    m1 = smtp_server.messages[0]
    assert m1.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in m1.iter_parts()] == ["text/plain", "text/html"]
    assert m1["Auto-Submitted"] == "auto-generated"
    assert m1["List-Id"] == "Demo digest <demo.listdigest.example.org>"
    assert m1["Message-ID"] and m1["Date"]
    assert smtp_server.envelopes[0] == ("digest@example.org", ["readers@example.org"])
    assert state(tmp_path)["to_commit"] == first_head
    # new mail arrives
    inbox.add(patch(4, "[PATCH] demo: third"))
    inbox.add(mail(5, "Re: [PATCH] demo: third", "Bob <bob@corp.example>", irt="m4@example.org"))
    r = run("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0, r.stderr
    assert len(smtp_server.messages) == 2
    m2 = smtp_server.messages[1]
    # the subject names the list and the days of its messages (patch(n) arrive on 2026-01-05)
    assert m1["Subject"] == m2["Subject"] == "[Demo] digest 2026-01-05 – 2026-01-05"
    (_, b1), (a2, b2) = span(m1), span(m2)
    assert b1 == a2 == first_head[:9]  # the second starts where the first ended
    assert b2 == inbox.head[:9]
    assert subjects_in(m2) == ["  1 of 1   [PATCH] demo: third  -- Ada Lovelace <ada@example.com>"]
    assert state(tmp_path)["to_commit"] == inbox.head
    # nothing new: nothing sent, exit 0
    r = run("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0 and len(smtp_server.messages) == 2
    assert "nothing sent" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("failure", ["refuse", "drop", "stall"])
def test_failed_delivery_keeps_state_and_next_run_sends_union_once(
    tmp_path, inbox, smtp_server, failure
):
    cfg = write_config(tmp_path / "c.toml", inbox.inbox, smtp_server.port)
    sdir = str(tmp_path / "state")
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    before = state(tmp_path)
    mark = inbox.head
    inbox.add(patch(4, "[PATCH] demo: third"))
    bad = None
    if failure == "refuse":
        smtp_server.refuse = "554 5.7.1 digest rejected"
        bad_cfg = cfg
    else:
        bad = BadServer(failure)
        bad_cfg = write_config(tmp_path / "bad.toml", inbox.inbox, bad.port, timeout=1)
    try:
        r = run("run", "--config", str(bad_cfg), "--state-dir", sdir)
    finally:
        if bad:
            bad.close()
    assert r.exit_code == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: list demo: SMTP 127.0.0.1:")
    expect = {
        "refuse": "server said 554 5.7.1 digest rejected",
        "drop": "connection closed",
        "stall": "timed out after 1s",
    }[failure]
    assert expect in err[0]
    assert state(tmp_path) == before
    assert len(smtp_server.messages) == 1
    # more mail arrives, the server is healthy again: one digest covers both
    smtp_server.refuse = None
    inbox.add(patch(5, "[PATCH] demo: fourth"))
    r = run("run", "--config", str(cfg), "--state-dir", sdir)
    assert r.exit_code == 0, r.stderr
    assert len(smtp_server.messages) == 2
    m = smtp_server.messages[1]
    assert span(m) == (mark[:9], inbox.head[:9])
    assert [s.split("  -- ")[0].split("   ")[-1] for s in subjects_in(m)] == [
        "[PATCH] demo: third",
        "[PATCH] demo: fourth",
    ]
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    assert len(smtp_server.messages) == 2  # exactly once


def test_dry_run_sends_and_records_nothing(tmp_path, inbox, smtp_server):
    cfg = write_config(tmp_path / "c.toml", inbox.inbox, smtp_server.port)
    r = run("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert (
        "To: readers@example.org" in r.stdout
        and "Subject: [Demo] digest 2026-01-05 – 2026-01-05" in r.stdout
    )
    assert "[PATCH v2] demo: second" in r.stdout
    assert smtp_server.messages == [] and state(tmp_path) is None


def test_send_empty_mails_no_traffic(tmp_path, inbox, smtp_server):
    cfg = write_config(
        tmp_path / "c.toml",
        inbox.inbox,
        smtp_server.port,
        extra_list="send_empty = true\nthread = true",
    )
    sdir = str(tmp_path / "state")
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    assert len(smtp_server.messages) == 2
    first, empty = smtp_server.messages
    # no message: the days are the day it was sent (UTC)
    sent = email.utils.parsedate_to_datetime(empty["Date"]).astimezone(datetime.timezone.utc)
    today = sent.strftime("%Y-%m-%d")
    assert empty["Subject"] == f"[Demo] digest {today} – {today} (no traffic)"
    assert span(empty) == (inbox.head[:9], inbox.head[:9])
    assert "Totals: 0 messages" in empty.get_body(("plain",)).get_content()
    # threaded: the second digest replies to the first
    assert (
        empty["In-Reply-To"] == first["Message-ID"] and empty["References"] == first["Message-ID"]
    )


def test_lock_prevents_two_runs_of_one_list(tmp_path, inbox, smtp_server):
    from listdigest.store.state import locked

    cfg = write_config(tmp_path / "c.toml", inbox.inbox, smtp_server.port)
    sdir = str(tmp_path / "state")
    with locked(sdir, "demo"):
        # a separate process, as cron would start
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "listdigest.cli",
                "run",
                "--config",
                str(cfg),
                "--state-dir",
                sdir,
            ],
            capture_output=True,
            text=True,
        )
    assert p.returncode == 1
    assert (
        p.stderr.strip() == f"Error: list demo: another run holds {os.path.join(sdir, 'demo.lock')}"
    )
    assert smtp_server.messages == []


def test_files_delivery_and_atom_feed(tmp_path, inbox):
    out = tmp_path / "out"
    cfg = write_config(
        tmp_path / "c.toml",
        inbox.inbox,
        25,
        extra_list=f'delivery = ["files"]\noutput_dir = "{out}"',
        formats=("text", "markdown", "html", "json", "atom"),
    )
    sdir = str(tmp_path / "state")
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    h1 = inbox.head
    inbox.add(patch(4, "[PATCH] demo: third"))
    assert run("run", "--config", str(cfg), "--state-dir", sdir).exit_code == 0
    names = sorted(os.listdir(out / "demo"))
    first = [n for n in names if n.endswith(".txt")]
    assert len(first) == 2 and f"{h1[:9]}..{inbox.head[:9]}.txt" in first
    assert {n.rsplit(".", 1)[1] for n in names} == {"txt", "md", "html", "json", "atom"}
    import xml.etree.ElementTree as ET

    feed = ET.parse(out / "demo" / "feed.atom").getroot()
    ns = "{http://www.w3.org/2005/Atom}"
    assert len(feed.findall(ns + "entry")) == 2


def test_password_never_shown(tmp_path, inbox, smtp_server):
    cfg = write_config(
        tmp_path / "c.toml",
        inbox.inbox,
        smtp_server.port,
        extra_smtp='user = "digest"\npassword_env = "LD_TEST_PW"',
    )
    r = runner().invoke(
        main,
        ["run", "--config", str(cfg), "--state-dir", str(tmp_path / "s")],
        env={"LD_TEST_PW": "s3cret-Pa55"},
    )
    # the plain server offers no AUTH: the run fails, without the password in sight
    assert r.exit_code == 1
    assert "s3cret-Pa55" not in r.stderr + r.stdout
    assert state(tmp_path) is None


def test_first_run_with_a_date_start_reads_only_that_span_through_the_index(
    tmp_path, smtp_server, monkeypatch
):
    """Issue 14, fault 4: the first run (no state, start = a date) used to parse the whole
    archive to find the date's mail; now the index gives the span and only it is read."""
    import listdigest.pipeline.ranges as pipeline_collect

    ep = Epoch(str(tmp_path / "inbox"))
    for n in range(1, 26):  # 2026-01-05 ..: old mail
        ep.add(patch(n, f"[PATCH] demo: old {n}"))
    for n in range(24 * 10, 24 * 10 + 5):  # ten days later
        ep.add(patch(n, f"[PATCH] demo: new {n}"))
    cfg = write_config(tmp_path / "c.toml", ep.inbox, smtp_server.port)
    with open(cfg) as f:
        text = f.read().replace('start = "2020-01-01"', 'start = "2026-01-15"')
    with open(cfg, "w") as f:
        f.write(text)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    parsed = []
    real = pipeline_collect.read_messages

    def counting(raws, *args, **kwargs):
        for item in real(raws, *args, **kwargs):
            parsed.append(item[0].commit)
            yield item

    monkeypatch.setattr(pipeline_collect, "read_messages", counting)
    r = run("run", "--config", cfg, "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0, r.stderr
    assert len(parsed) == 5  # the five new messages, not the thirty of the archive
    (m,) = smtp_server.messages
    assert len(subjects_in(m)) == 5 and all("new" in s for s in subjects_in(m))
    assert state(tmp_path)["to_commit"] == ep.head


def test_failed_mail_leaves_no_overlapping_files_or_feed_entries(tmp_path, inbox, smtp_server):
    """Issue 14, fault 7: with a failing SMTP every retry wrote another overlapping digest
    and Atom entry.  A retry (same start, a later end) now replaces them."""
    import xml.etree.ElementTree as ET

    from daily_helpers import BadServer

    out = tmp_path / "out"
    extra = f'delivery = ["files", "smtp"]\noutput_dir = "{out}"'
    bad = BadServer("drop")
    try:
        cfg = write_config(
            tmp_path / "c.toml",
            inbox.inbox,
            bad.port,
            extra_list=extra,
            formats=("text", "atom"),
            timeout=1,
        )
        sdir = str(tmp_path / "state")
        assert run("run", "--config", cfg, "--state-dir", sdir).exit_code == 1
        inbox.add(patch(4, "[PATCH] demo: third"))
        assert run("run", "--config", cfg, "--state-dir", sdir).exit_code == 1
    finally:
        bad.close()
    assert state(tmp_path) is None
    ns = "{http://www.w3.org/2005/Atom}"
    texts = [n for n in os.listdir(out / "demo") if n.endswith(".txt")]
    assert len(texts) == 1 and texts[0].endswith(f"..{inbox.head[:9]}.txt")
    assert len(ET.parse(out / "demo" / "feed.atom").getroot().findall(ns + "entry")) == 1
    # delivered at last: the files of that start are the delivered digest's, once
    cfg = write_config(
        tmp_path / "c.toml",
        inbox.inbox,
        smtp_server.port,
        extra_list=extra,
        formats=("text", "atom"),
    )
    assert run("run", "--config", cfg, "--state-dir", sdir).exit_code == 0
    assert len([n for n in os.listdir(out / "demo") if n.endswith(".txt")]) == 1
    assert len(ET.parse(out / "demo" / "feed.atom").getroot().findall(ns + "entry")) == 1
    assert len(smtp_server.messages) == 1
