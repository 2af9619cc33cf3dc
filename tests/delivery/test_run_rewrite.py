"""``run`` after a history rewrite (issue 14, fault 2): public-inbox-purge on a real inbox
rewrites every later commit id, so the state's commit is gone; the next run finds its place
again by the last delivered message, says so in one line, and delivers exactly what is new."""

from __future__ import annotations

import json
import shutil

import pi
import pytest
from click.testing import CliRunner
from daily_helpers import write_config

from listdigest.cli import main

DIFF = "Fix.\n\nSigned-off-by: Ada <ada@example.com>\n---\n a.c | 2 +-\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"

pytestmark = [
    pytest.mark.skipif(
        shutil.which("public-inbox-purge") is None, reason="public-inbox is not installed"
    ),
    pytest.mark.slow,  # public-inbox-purge rewrites per test: the full suite, not the fast tier
]


def mail(n: int) -> bytes:
    return pi.msg(
        f"[PATCH] demo: change {n}",
        from_="Ada <ada@example.com>",
        msgid=f"c{n}@example.org",
        date=f"Mon, 0{n} Mar 2026 10:00:00 +0000",
        body=DIFF,
    )


def run(cfg, sdir):
    try:
        r = CliRunner(mix_stderr=False)
    except TypeError:
        r = CliRunner()
    return r.invoke(main, ["run", "--config", cfg, "--state-dir", sdir])


def delivered_subjects(m):
    return sorted(
        ln.split("  --")[0].split("] ", 1)[1]
        for ln in m.get_body(("plain",)).get_content().splitlines()
        if " of " in ln and "[PATCH]" in ln
    )


@pytest.mark.parametrize(
    "purged", [2, 3], ids=["earlier-message-purged", "last-delivered-message-purged"]
)
def test_run_finds_its_place_after_purge(tmp_path, smtp_server, purged):
    msgs = [mail(n) for n in (1, 2, 3)]
    inbox = pi.make_v2_inbox(str(tmp_path), "demo", msgs)
    cfg = write_config(tmp_path / "c.toml", inbox, smtp_server.port)
    sdir = str(tmp_path / "state")
    r = run(cfg, sdir)
    assert r.exit_code == 0, r.stderr
    assert delivered_subjects(smtp_server.messages[0]) == [
        "demo: change 1",
        "demo: change 2",
        "demo: change 3",
    ]
    before = json.loads((tmp_path / "state" / "demo.json").read_text())
    assert before["last_msgid"] == "c3@example.org" and before["last_blob"]

    pi.purge_message(inbox, msgs[purged - 1])  # rewrites the ids of the commits after it
    pi.add_messages(inbox, [mail(4)])
    r = run(cfg, sdir)
    assert r.exit_code == 0, r.stderr
    (note,) = [ln for ln in r.stdout.splitlines() if "history rewritten" in ln]
    assert note.startswith("demo: history rewritten")
    assert ("c3@example.org" in note) == (purged == 2)
    # exactly what is new: nothing twice, nothing lost
    assert len(smtp_server.messages) == 2
    assert delivered_subjects(smtp_server.messages[1]) == ["demo: change 4"]
    after = json.loads((tmp_path / "state" / "demo.json").read_text())
    assert after["last_msgid"] == "c4@example.org" and after["to_commit"] == pi.head(
        pi.epoch_dirs(inbox)[0]
    )
    # and the run after that goes on from there
    r = run(cfg, sdir)
    assert r.exit_code == 0 and "no new messages" in r.stdout and len(smtp_server.messages) == 2
