"""``run`` of a ``[digests.NAME]``: two real inboxes sharing a cross-posted series, one state
per archive, consecutive digests joining exactly on both lists (a real SMTP server)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from daily_helpers import Epoch, mail, patch

from listdigest.cli import main


def _run(*args):
    try:
        r = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        r = CliRunner()
    return r.invoke(main, list(args))


def _config(tmp_path, port, spi, hv) -> str:
    path = tmp_path / "c.toml"
    path.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {port}
timeout = 5

[lists.spi]
name = "linux-spi"
archive = "{spi}"

[digests.mine]
name = "SPI+HV"
archives = ["spi", "{hv}"]
to = ["readers@example.org"]
from = "Digest <digest@example.org>"
link_base = "https://lore.example.org/all/"
start = "2020-01-01"
""")
    return str(path)


def _text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def test_two_runs_join_exactly_on_both_lists_and_a_cross_post_is_one(tmp_path, smtp_server):
    spi, hv = Epoch(str(tmp_path / "spi")), Epoch(str(tmp_path / "hv"))
    cross = patch(1, "[PATCH] shared: fix both")  # the same mail on both lists
    spi.add(cross)
    hv.add(cross)
    spi.add(mail(2, "Re: [PATCH] shared: fix both", "Bob <bob@corp.example>", irt="m1@example.org"))
    hv.add(patch(3, "[PATCH] hv: only here"))
    cfg = _config(tmp_path, smtp_server.port, spi.inbox, hv.inbox)
    sdir = str(tmp_path / "state")

    r = _run("config", "check", "--config", cfg)
    assert r.exit_code == 0, r.output + r.stderr
    assert "mine: spi + hv (one digest)" in r.output

    r = _run("run", "--config", cfg, "--state-dir", sdir)
    assert r.exit_code == 0, r.output + r.stderr
    assert len(smtp_server.messages) == 1
    first = _text(smtp_server.messages[0])
    assert "Totals: 3 messages" in first  # 4 stored mails, the cross-post once
    assert "Lists: linux-spi (2 messages), hv (2 messages)" in first
    assert "On linux-spi, also on hv" in first
    states = json.loads((tmp_path / "state" / "digests" / "mine.json").read_text())["archives"]
    assert states["spi"]["to_commit"] == spi.head and states["hv"]["to_commit"] == hv.head

    # new mail on both lists: the second digest holds exactly it
    spi.add(patch(4, "[PATCH] spi: later"))
    hv.add(mail(5, "Re: [PATCH] hv: only here", "Bob <bob@corp.example>", irt="m3@example.org"))
    r = _run("run", "--config", cfg, "--state-dir", sdir)
    assert r.exit_code == 0, r.output + r.stderr
    second = _text(smtp_server.messages[1])
    assert "Totals: 2 messages" in second
    listed = second.split("===== Patch list")[1].split("===== Patch Commit")[0]
    assert "spi: later" in listed and "shared: fix both" not in listed
    assert smtp_server.messages[1]["In-Reply-To"] is None

    # nothing new: nothing sent, the marks stay
    r = _run("run", "--config", cfg, "--state-dir", sdir)
    assert r.exit_code == 0 and "nothing sent" in r.output
    assert len(smtp_server.messages) == 2


def test_a_failed_delivery_advances_no_archive(tmp_path, smtp_server):
    spi, hv = Epoch(str(tmp_path / "spi")), Epoch(str(tmp_path / "hv"))
    spi.add(patch(1, "[PATCH] spi: one"))
    hv.add(patch(2, "[PATCH] hv: two"))
    cfg = _config(tmp_path, smtp_server.port, spi.inbox, hv.inbox)
    sdir = str(tmp_path / "state")
    smtp_server.refuse = "554 no thanks"
    r = _run("run", "--config", cfg, "--state-dir", sdir)
    assert r.exit_code == 1 and "Error: digest mine:" in r.stderr
    assert not (tmp_path / "state" / "digests" / "mine.json").exists()
    smtp_server.refuse = None
    r = _run("run", "--config", cfg, "--state-dir", sdir)
    assert r.exit_code == 0, r.output + r.stderr
    assert "Totals: 2 messages" in _text(smtp_server.messages[0])


def test_config_check_names_an_unknown_list(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[digests.mine]\narchives = ["nope"]\n')
    r = _run("config", "check", "--config", str(p))
    assert r.exit_code == 3
    assert "digests.mine.archives[0]: no list 'nope'" in r.stderr


def test_config_check_names_a_missing_archive(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(f'[digests.mine]\narchives = ["{tmp_path}/no/such"]\n')
    r = _run("config", "check", "--config", str(p))
    assert r.exit_code == 3
    assert r.stderr.startswith("Error: digests.mine.archives[0]: ")
