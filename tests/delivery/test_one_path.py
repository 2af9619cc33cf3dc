"""One orchestration path (issue 14): ``report`` and ``run`` build the same digest for the same
range and options; every default comes from the settings table; one atomic writer."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner
from daily_helpers import Epoch, mail, patch, write_config

from listdigest import config, pipeline
from listdigest.cli import main
from listdigest.fileio import MissingDirectoryError, atomic_write


@pytest.fixture
def inbox(tmp_path):
    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] demo: first"))
    ep.add(mail(2, "Re: [PATCH] demo: first", "Bob <bob@corp.example>", irt="m1@example.org"))
    ep.add(patch(3, "[PATCH v2] demo: second"))
    ep.add(mail(4, "Re: [PATCH v2] demo: second", "ci <ci-bot@corp.example>", irt="m3@example.org"))
    return ep


def invoke(*args):
    try:
        r = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        r = CliRunner()
    return r.invoke(main, list(args))


def test_report_and_run_give_the_same_digest(tmp_path, inbox):
    """The same range and options through ``run`` (stdout delivery) and ``report``: one JSON."""
    index = str(tmp_path / "ix.sqlite")
    cfg = write_config(
        tmp_path / "c.toml",
        inbox.inbox,
        1,
        formats=("json",),
        extra_list='delivery = "stdout"\ntop = 3\nhot = 2\nwaiting_days = 30\nbots = ["CI-Bot@"]',
    )
    lst = config.load_config(cfg).get("demo")
    out = pipeline.run_list(
        lst,
        config.SmtpConfig(),
        state_dir=str(tmp_path / "state"),
        environ={},
        dry_run=True,
        index_path=index,
    )
    via_run = json.loads(dict(out.rendered)["json"])
    r = invoke(
        "report",
        inbox.inbox,
        "--since",
        "2020-01-01",
        "--list-name",
        "Demo",
        "--top",
        "3",
        "--hot",
        "2",
        "--waiting-days",
        "30",
        "--bot",
        "CI-Bot@",
        "--index",
        index,
        "--link-base",
        "https://lore.example.org/demo/",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    via_report = json.loads(r.stdout)
    assert via_report == via_run
    assert via_run["totals"]["messages"] == 4 and via_run["top"] == 3
    assert via_run["history"]["bots"] == [{"count": 1, "label": "ci"}]  # the --bot pattern


def test_defaults_come_from_the_settings_table():
    opts = pipeline.DigestOptions()
    for name in ("top", "hot", "waiting_days"):
        assert getattr(opts, name) == config.default(name)
    report = main.commands["report"]
    params = {p.name: p for p in report.params}
    for name in ("top", "hot", "waiting_days"):
        s = config.setting(name)
        assert params[name].default == s.default and params[name].help.startswith(s.help)
        assert (params[name].type.min, params[name].type.max) == s.bounds
    assert params["bot_patterns"].help.startswith(config.setting("bots").help)
    # the README's table is generated from the same rows, bounds and option names included
    assert "| `hot` | `10` | Rows in 'Hot threads'. 0 to 1000. Like `--hot`. |" in (
        config.settings_markdown()
    )


def test_atomic_write_modes(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(str(tmp_path / "a" / "pub.html"), "x")
        atomic_write(str(tmp_path / "a" / "state.json"), "x", private=True)
        os.chmod(tmp_path / "a" / "pub.html", 0o640)
        atomic_write(str(tmp_path / "a" / "pub.html"), "y")  # an existing file keeps its mode
        os.umask(0o077)
        atomic_write(str(tmp_path / "a" / "mine.txt"), "x")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a").iterdir()}
    assert modes == {"pub.html": 0o640, "state.json": 0o600, "mine.txt": 0o600}
    assert (tmp_path / "a" / "pub.html").read_text() == "y"


def test_output_into_a_missing_directory_names_the_directory(tmp_path, inbox):
    with pytest.raises(MissingDirectoryError) as ei:
        atomic_write(str(tmp_path / "nope" / "x.txt"), "x", make_dirs=False)
    assert ei.value.filename == str(tmp_path / "nope")
    r = invoke("report", inbox.inbox, "--no-index", "-o", str(tmp_path / "nope" / "d.txt"))
    assert r.exit_code == 2
    assert r.stderr == f"Error: {tmp_path / 'nope'}: No such directory\n"
    assert not (tmp_path / "nope").exists()
