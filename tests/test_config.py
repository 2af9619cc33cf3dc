"""Configuration: defaults, and errors that name the exact key at fault."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from listdigest.cli import main
from listdigest.config import Config, settings_markdown
from listdigest.errors import ConfigError

GOOD = """
[smtp]
host = "127.0.0.1"
port = 8025
user = "digest"
password_env = "LISTDIGEST_SMTP_PASSWORD"

[lists.kvm]
name = "KVM"
archive = "/srv/lore/kvm"
to = ["kvm-digest@example.org"]
from = "KVM digest <digest@example.org>"
formats = ["text", "html"]
subject = "From {from} to {to}"
top = 15
link_base = "https://lore.kernel.org/kvm/"
start = "2026-07-01"
"""


def test_issue_example_loads_with_defaults():
    cfg = Config.from_toml(GOOD)
    kvm = cfg.get("kvm")
    assert kvm.name == "KVM" and kvm.delivery == ("smtp",) and kvm.formats == ("text", "html")
    assert (
        kvm.list_id == "kvm.listdigest.example.org"
        and kvm.send_empty is False
        and kvm.thread is False
    )
    assert cfg.smtp.security == "none" and cfg.smtp.timeout == 60
    assert cfg.smtp.password({"LISTDIGEST_SMTP_PASSWORD": "pw"}) == "pw"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ('formats = ["text", "html"]', 'formats = ["text", "pdf"]'),
            "lists.kvm.formats[1]: unknown format 'pdf' (known: atom, html, json, markdown, text)",
        ),
        (("top = 15", 'top = "15"'), "lists.kvm.top: expected an integer, got a string"),
        (("top = 15", "top = 0"), "lists.kvm.top: 0 is out of range (1..10000)"),
        (
            ('to = ["kvm-digest@example.org"]', 'to = ["nobody"]'),
            "lists.kvm.to[0]: not a mail address: 'nobody'",
        ),
        (
            ('archive = "/srv/lore/kvm"', ""),
            "lists.kvm.archive: missing (the path of the list's archive)",
        ),
        (
            ("port = 8025", 'port = 8025\nsecurity = "tls"'),
            "smtp.security: unknown value 'tls' (known: none, starttls, ssl)",
        ),
        (
            ("port = 8025", 'port = 8025\npassword = "x"'),
            "smtp.password: never put the password in the file; use password_env or password_file",
        ),
        (('start = "2026-07-01"', 'start = "2026-07-01"\ncolour = "red"'), None),
        (
            ('subject = "From {from} to {to}"', 'subject = "From {frm}"'),
            "lists.kvm.subject: bad placeholder 'frm' (use {list}, {since}, {until}, {count}, {from}, {to})",
        ),
        (
            ('from = "KVM digest <digest@example.org>"', ""),
            "lists.kvm.from: missing (smtp delivery needs a sender)",
        ),
        (
            ("[lists.kvm]", '[lists."k v m"]'),
            "lists.k v m: a list name may hold only letters, digits, '.', '_' and '-'",
        ),
    ],
)
def test_errors_name_the_key(change, message):
    text = GOOD.replace(*change)
    with pytest.raises(ConfigError) as ei:
        Config.from_toml(text)
    if message is None:
        assert str(ei.value).startswith("lists.kvm.colour: unknown key (known: ")
    else:
        assert str(ei.value) == message


def test_bad_toml_and_missing_password():
    with pytest.raises(ConfigError, match=r"^c\.toml: invalid TOML: "):
        Config.from_toml("[lists\n", "c.toml")
    with pytest.raises(ConfigError) as ei:
        Config.from_toml(GOOD).smtp.password({})
    assert (
        str(ei.value)
        == "smtp.password_env: environment variable LISTDIGEST_SMTP_PASSWORD is not set"
    )


def test_password_file(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("hunter2\n")
    cfg = Config.from_toml(
        GOOD.replace('password_env = "LISTDIGEST_SMTP_PASSWORD"', f'password_file = "{pw}"')
    )
    assert cfg.smtp.password({}) == "hunter2"


PW = {"LISTDIGEST_SMTP_PASSWORD": "hunter2"}


def runnable(archive: str) -> str:
    """GOOD with an archive that is there (config check opens it)."""
    return GOOD.replace("/srv/lore/kvm", archive)


def test_config_check_cli(tmp_path, two_epoch_inbox):
    p = tmp_path / "c.toml"
    p.write_text(GOOD.replace('"text", "html"', '"text", "pdf"'))
    r = CliRunner().invoke(main, ["config", "check", "--config", str(p)])
    assert r.exit_code == 3  # a configuration error (README, "Exit codes")
    assert (
        r.output.strip().splitlines()[-1]
        == "Error: lists.kvm.formats[1]: unknown format 'pdf' (known: atom, html, json, markdown, text)"
    )
    p.write_text(runnable(two_epoch_inbox["path"]))
    r = CliRunner().invoke(main, ["config", "check", "--config", str(p)], env=PW)
    assert r.exit_code == 0 and r.output.strip().endswith(f"{p}: OK, 1 list"), r.output


def test_default_config_path_from_xdg(tmp_path, two_epoch_inbox):
    d = tmp_path / "listdigest"
    d.mkdir()
    (d / "config.toml").write_text(runnable(two_epoch_inbox["path"]))
    r = CliRunner().invoke(main, ["config", "check"], env={"XDG_CONFIG_HOME": str(tmp_path), **PW})
    assert r.exit_code == 0, r.output


# -- config check catches what would fail at run time (issue 15, item 11) -------------------


@pytest.mark.parametrize(
    "change, env, message",
    [
        (
            ("{inbox}", "{tmp}/nope"),
            PW,
            "lists.kvm.archive: {tmp}/nope: no such file or directory",
        ),
        (
            ("{inbox}", "{tmp}"),
            PW,
            "lists.kvm.archive: {tmp}: not a public-inbox archive, git repository, mbox or Maildir",
        ),
        (
            ('start = "2026-07-01"', 'start = "2026-13-45"'),
            PW,
            "lists.kvm.start: '2026-13-45' is neither a date (YYYY-MM-DD, ISO datetime, "
            "2d/12h/1w, yesterday) nor a revision of {inbox}",
        ),
        (
            ("", ""),
            {"LISTDIGEST_SMTP_PASSWORD": None},
            "smtp.password_env: environment variable LISTDIGEST_SMTP_PASSWORD is not set",
        ),
        (
            ("top = 15", "top = 15\nwating_days = 7"),
            PW,
            "lists.kvm.wating_days: unknown key (did you mean 'waiting_days'?)",
        ),
        (
            ("port = 8025", "prot = 8025"),
            PW,
            "smtp.prot: unknown key (did you mean 'port'?)",
        ),
        (
            ("[lists.kvm]", "[list.kvm]"),
            PW,
            "list: unknown table (did you mean 'lists'?)",
        ),
    ],
    ids=[
        "missing-archive",
        "not-an-archive",
        "bad-start",
        "unset-password-env",
        "typo",
        "smtp-typo",
        "table-typo",
    ],
)
def test_config_check_catches_what_run_would_meet(tmp_path, two_epoch_inbox, change, env, message):
    inbox = two_epoch_inbox["path"]
    fmt = {"tmp": tmp_path, "inbox": inbox}
    text = GOOD.replace("/srv/lore/kvm", "{inbox}").replace(*change)
    p = tmp_path / "c.toml"
    p.write_text(text.replace("{inbox}", inbox).replace("{tmp}", str(tmp_path)))
    r = CliRunner().invoke(main, ["config", "check", "--config", str(p)], env=env)
    assert r.exit_code == 3, r.output
    assert r.output == "Error: " + message.format(**fmt) + "\n"


def test_config_check_accepts_a_start_revision_and_relative_dates(tmp_path, two_epoch_inbox):
    p = tmp_path / "c.toml"
    for start in (two_epoch_inbox["commits"][0][1][:12], "yesterday", "1.week.ago", "2d"):
        p.write_text(runnable(two_epoch_inbox["path"]).replace("2026-07-01", start))
        r = CliRunner().invoke(main, ["config", "check", "--config", str(p)], env=PW)
        assert r.exit_code == 0, (start, r.output)


def test_config_init_writes_an_example_check_accepts(tmp_path):
    r = CliRunner().invoke(main, ["config", "init"])
    assert r.exit_code == 0
    assert r.output.startswith("# listdigest configuration (TOML).")
    assert "# security = " in r.output and "[lists.kvm]" in r.output
    dest = tmp_path / "config.toml"
    r = CliRunner().invoke(main, ["config", "init", str(dest)])
    assert r.exit_code == 0, r.output
    assert dest.read_text() == CliRunner().invoke(main, ["config", "init"]).output
    # as written, it checks: a lore URL archive, printed to stdout
    r = CliRunner().invoke(main, ["config", "check", "--config", str(dest)], env={})
    assert r.exit_code == 0, r.output
    # never over an existing file
    dest.write_text("mine\n")
    r = CliRunner().invoke(main, ["config", "init", str(dest)])
    assert r.exit_code == 3 and r.output == f"Error: {dest}: exists; not overwritten\n"
    assert dest.read_text() == "mine\n"


def test_every_setting_is_documented_in_readme():
    import os

    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for line in settings_markdown().splitlines():
        if line.startswith("| `"):
            key = line.split("`")[1]
            assert f"| `{key}` |" in readme, key


# -- history and employer keys (issues 3 and 7) -----------------------------------------------


def _with(tmp_path, extra: str) -> str:
    p = tmp_path / "config.toml"
    p.write_text(GOOD + extra)
    return str(p)


def test_history_and_employer_keys_default_and_load(tmp_path):
    from listdigest.config import load_config
    from listdigest.pipeline import digest_options

    kvm = Config.from_toml(GOOD).get("kvm")
    assert (kvm.employer_maps, kvm.mailmaps, kvm.aliases, kvm.no_default_map) == ((), (), (), False)
    assert kvm.no_infer is False and digest_options(kvm, None).infer is True
    assert (kvm.bots, kvm.waiting_days, kvm.hot) == ((), 14, 10)
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "emap").write_text(
        "corp.example Corp Inc\nold.example Old Co < 2024-01-01\n"
    )
    (tmp_path / "mailmap").write_text("Ada Lovelace <ada@example.com> <ada@old.example>\n")
    (tmp_path / "aliases").write_text("ada@home.example ada@example.com\n")
    cfg = load_config(
        _with(
            tmp_path,
            """employer_maps = ["maps/emap"]
mailmaps = ["mailmap"]
aliases = ["aliases"]
no_default_map = true
no_infer = true
bots = ["CI-Runner@"]
waiting_days = 7
hot = 3
""",
        )
    )
    kvm = cfg.get("kvm")
    # relative paths are taken from the configuration file's directory
    assert kvm.employer_maps == (str(tmp_path / "maps" / "emap"),)
    assert kvm.mailmaps == (str(tmp_path / "mailmap"),) and kvm.aliases == (
        str(tmp_path / "aliases"),
    )
    assert (
        kvm.no_default_map is True
        and kvm.no_infer is True
        and digest_options(kvm, None).infer is False  # employers from the maps alone
        and kvm.bots == ("ci-runner@",)
        and kvm.waiting_days == 7
        and kvm.hot == 3
    )


@pytest.mark.parametrize(
    "extra,message",
    [
        (
            'employer_maps = "nope"',
            "lists.kvm.employer_maps[0]: cannot read {tmp}/nope: No such file or directory",
        ),
        ("employer_maps = [1]", "lists.kvm.employer_maps[0]: expected a string, got an integer"),
        (
            'employer_maps = ["emap", "bad"]',
            "lists.kvm.employer_maps[1]: {tmp}/bad:2: not an employer map line (want '[user@]domain Employer [< YYYY-MM-DD]'): 'lonely-word'",
        ),
        ('mailmaps = ["bad"]', "lists.kvm.mailmaps[0]: {tmp}/bad:2: not a mailmap line"),
        ('aliases = ["bad"]', "lists.kvm.aliases[0]: {tmp}/bad:2: not an aliases line"),
        (
            'no_default_map = "yes"',
            "lists.kvm.no_default_map: expected true or false, got a string",
        ),
        ("no_infer = 1", "lists.kvm.no_infer: expected true or false, got an integer"),
        ("bots = [true]", "lists.kvm.bots[0]: expected a string, got a boolean"),
        ("waiting_days = 0", "lists.kvm.waiting_days: 0 is out of range (1..3650)"),
        ('hot = "5"', "lists.kvm.hot: expected an integer, got a string"),
        ("hot = 1001", "lists.kvm.hot: 1001 is out of range (0..1000)"),
    ],
)
def test_history_and_employer_keys_name_the_key_at_fault(tmp_path, extra, message):
    (tmp_path / "emap").write_text("corp.example Corp Inc\n")
    (tmp_path / "bad").write_text("# a comment\nlonely-word\n")
    path = _with(tmp_path, extra + "\n")
    r = CliRunner().invoke(main, ["config", "check", "--config", path])
    assert r.exit_code == 3
    assert r.output.startswith("Error: " + message.format(tmp=tmp_path)), r.output


def test_readme_settings_tables_are_the_generated_ones():
    import os

    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert settings_markdown().strip() in readme
