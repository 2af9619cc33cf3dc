"""A digest of several lists filtered to some files (``report A B --path``, ``[digests.NAME]``
``paths`` and ``maintainers`` + ``sections``): two genuine inboxes (public-inbox's own
tools) share a cross-posted series touching the filtered path and another that does not.

The digest keeps exactly the matching series, counts the cross-post once, and its heading
says what it is for."""

from __future__ import annotations

import json

import pi
import pytest
from click.testing import CliRunner
from pihttpd import PiHttpd

from listdigest.cli import main

# real inboxes and an httpd per test: the full suite, not the fast tier
pytestmark = pytest.mark.slow


def _run(*args):
    try:
        r = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        r = CliRunner()
    return r.invoke(main, list(args))


def _patch(n: int, subject: str, path: str, day: int, **kw) -> bytes:
    body = (
        f"Fix it.\n\nSigned-off-by: Ada Lovelace <ada@example.com>\n---\n {path} | 2 +-\n"
        " 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
    )
    return pi.msg(
        subject,
        from_="Ada Lovelace <ada@example.com>",
        msgid=f"p{n}@example.com",
        date=f"Mon, {day:02d} Jan 2024 10:00:00 +0000",
        body=body,
        **kw,
    )


def _reply(n: int, to: int, subject: str, day: int) -> bytes:
    return pi.msg(
        f"Re: {subject}",
        from_="Bob Reviewer <bob@corp.example>",
        msgid=f"r{n}@example.com",
        in_reply_to=f"p{to}@example.com",
        date=f"Tue, {day:02d} Jan 2024 11:00:00 +0000",
        body="Looks good.\n\nReviewed-by: Bob Reviewer <bob@corp.example>\n",
    )


#: the filter is drivers/hv/: the cross-post and the hv patch touch it, the spi patch not
SPI_ONLY = "drivers/spi/spi-foo.c"
HV_ONLY = "drivers/hv/vmbus_drv.c"
SHARED = "drivers/hv/channel.c"


def _lists(tmp_path):
    cross = _patch(1, "[PATCH] spi: hv: fix both", SHARED, 2)
    spi = pi.make_v2_inbox(
        str(tmp_path),
        "spi",
        [
            cross,
            _patch(2, "[PATCH] spi: foo: own", SPI_ONLY, 2),
            _reply(1, 1, "[PATCH] spi: hv: fix both", 2),
        ],
    )
    hv = pi.make_v2_inbox(
        str(tmp_path),
        "hv",
        [
            cross,
            _patch(3, "[PATCH] hv: vmbus: own", HV_ONLY, 2),
            _reply(3, 3, "[PATCH] hv: vmbus: own", 2),
        ],
    )
    return spi, hv


def test_report_two_lists_path_filter_keeps_the_matching_series_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spi, hv = _lists(tmp_path)
    r = _run("report", spi, hv, "--path", "drivers/hv/", "--format", "json", "--no-pager")
    assert r.exit_code == 0, r.output + r.stderr
    d = json.loads(r.output)
    # the cross-post (on both lists, once) and the hv patch; the spi patch is left out
    assert [(s["key"], s["lists"]) for s in d["series"]] == [
        ("p1@example.com", ["spi", "hv"]),
        ("p3@example.com", ["hv"]),
    ]
    assert d["filtered"] == {"label": "drivers/hv/", "series": 2, "of": 3}
    # the postings of the kept series: p1 once, its review, p3, its review
    assert d["totals"]["messages"] == 4 and d["totals"]["patches"] == 2
    assert [p["messages"] for p in d["lists"]] == [3, 3]

    r = _run("report", spi, hv, "--path", "drivers/hv/", "--no-pager")
    assert r.exit_code == 0, r.output + r.stderr
    assert (
        "spi + hv mailing list update from 2024-01-02 to 2024-01-02 for drivers/hv/ (2 of 3 series)"
        in r.output
    )
    assert "spi: foo: own" not in r.output


MAINTAINERS = """\
HYPER-V/AZURE CORE AND DRIVERS
M:	Kay Maintainer <kay@example.org>
L:	linux-hyperv@vger.kernel.org
S:	Supported
F:	drivers/hv/
X:	drivers/hv/hv_trace*

SPI SUBSYSTEM
M:	Sam Maintainer <sam@example.org>
L:	linux-spi@vger.kernel.org
S:	Maintained
F:	drivers/spi/
"""


def _digest_config(tmp_path, spi, hv, filters: str) -> str:
    (tmp_path / "MAINTAINERS").write_text(MAINTAINERS)
    path = tmp_path / "c.toml"
    path.write_text(f"""
[lists.spi]
name = "linux-spi"
archive = "{spi}"

[digests.hv]
name = "HV+SPI"
archives = ["spi", "{hv}"]
delivery = ["stdout"]
start = "2024-01-01"
{filters}
""")
    return str(path)


def _dry_run(tmp_path, cfg) -> str:
    r = _run("run", "--config", cfg, "--state-dir", str(tmp_path / "state"), "--dry-run")
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def test_digest_config_sections_filter_the_several_list_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spi, hv = _lists(tmp_path)
    cfg = _digest_config(
        tmp_path,
        spi,
        hv,
        'maintainers = "MAINTAINERS"\nsections = ["HYPER-V/AZURE CORE AND DRIVERS"]',
    )
    r = _run("config", "check", "--config", cfg)
    assert r.exit_code == 0, r.output + r.stderr
    _holds_the_hv_series(_dry_run(tmp_path, cfg), "HYPER-V/AZURE CORE AND DRIVERS")


def test_digest_config_paths_filter_the_several_list_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spi, hv = _lists(tmp_path)
    cfg = _digest_config(tmp_path, spi, hv, 'paths = ["drivers/hv/"]')
    _holds_the_hv_series(_dry_run(tmp_path, cfg), "drivers/hv/")


def _holds_the_hv_series(text: str, label: str) -> None:
    assert (
        f"HV+SPI mailing list update from 2024-01-02 to 2024-01-02 for {label} (2 of 3 series)"
        in text
    )
    assert "Totals: 4 messages, 2 patch postings, 2 replies/other" in text
    assert "Lists: linux-spi (3 messages), hv (3 messages)" in text
    # the cross-post is one series, shown once, with the lists that carried it
    assert text.count("New:  spi: hv: fix both") == 1
    assert text.count("On linux-spi, also on hv") == 1
    assert "[PATCH] hv: vmbus: own" in text
    assert "spi: foo: own" not in text


def test_digest_config_check_names_an_unknown_section(tmp_path):
    spi, hv = _lists(tmp_path)
    cfg = _digest_config(
        tmp_path, spi, hv, 'maintainers = "MAINTAINERS"\nsections = ["HYPER-V CORE"]'
    )
    r = _run("config", "check", "--config", cfg)
    assert r.exit_code != 0
    err = r.stderr.splitlines()
    assert len(err) == 1 and err[0].startswith("Error: digests.hv"), r.stderr
    assert "HYPER-V CORE" in err[0]


def test_report_a_lore_url_among_the_lists_is_mirrored_then_merged(tmp_path, monkeypatch):
    """A list URL among the PATHs is supported: mirrored (as `sync` does, into
    $XDG_DATA_HOME) from a real public-inbox-httpd, then merged like a local archive."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spi, hv = _lists(tmp_path)
    with PiHttpd(hv) as server:
        url = server.url("hv")
        r = _run("report", spi, url, "--path", "drivers/hv/", "--format", "json", "--no-pager")
    assert r.exit_code == 0, r.output + r.stderr
    d = json.loads(r.output)
    assert [(s["key"], s["lists"]) for s in d["series"]] == [
        ("p1@example.com", ["spi", "hv"]),
        ("p3@example.com", ["hv"]),
    ]
    assert d["filtered"] == {"label": "drivers/hv/", "series": 2, "of": 3}
    assert d["totals"]["messages"] == 4
    # the mirror is where `sync` puts it by default, read as any archive
    mirrors = tmp_path / "data" / "listdigest" / "mirrors"
    assert [p.parent.parent.name for p in mirrors.glob("*/hv/git/0.git")] == ["hv"]
