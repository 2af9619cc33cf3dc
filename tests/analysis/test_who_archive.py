"""``listdigest who --archive PATH``: the employer an archive's mail suggests for an address
the maps leave (Unknown), explained ("inferred from …"), on a genuine small inbox
(tests/pi.py); an explicit map line for the address wins over it."""

from __future__ import annotations

import pi
import pytest
from click.testing import CliRunner

from listdigest.cli import main

ADA_HOME = "Ada Lovelace <ada.lovelace@gmail.com>"
ADA_WORK = "Ada Lovelace <ada@corp-a.example>"


def _run(*args):
    try:
        r = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        r = CliRunner()
    return r.invoke(main, list(args))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Ada writes from work and from home in January 2024."""
    root = tmp_path_factory.mktemp("who")
    raws = [
        pi.msg(
            "[PATCH] foo: one", from_=ADA_WORK, msgid="w1@x", date="Tue, 09 Jan 2024 10:00:00 +0000"
        ),
        pi.msg(
            "Re: [PATCH] foo: one",
            from_=ADA_HOME,
            msgid="h1@x",
            in_reply_to="w1@x",
            date="Wed, 10 Jan 2024 20:00:00 +0000",
        ),
    ]
    emap = root / "employers"
    emap.write_text("corp-a.example Corp A\n")
    return {"path": pi.make_v2_inbox(str(root), "list", raws), "map": str(emap), "root": root}


def test_who_without_archive_is_unknown(inbox):
    r = _run("who", ADA_HOME, "--date", "2024-01-15", "--employer-map", inbox["map"])
    assert r.exit_code == 0, r.output + r.stderr
    assert "employer:  (Unknown) on 2024-01-15" in r.output


def test_who_with_archive_explains_the_inferred_employer(inbox):
    r = _run(
        "who",
        ADA_HOME,
        "--date",
        "2024-01-15",
        "--employer-map",
        inbox["map"],
        "--archive",
        inbox["path"],
    )
    assert r.exit_code == 0, r.output + r.stderr
    lines = r.output.splitlines()
    i = lines.index("employer:  Corp A on 2024-01-15")
    assert lines[i + 1] == (
        "  inferred from Ada Lovelace <ada@corp-a.example> (the same name, 2024-01) "
        f"in {inbox['path']}; no map line for ada.lovelace@gmail.com"
    )


def test_who_with_archive_an_explicit_line_wins(inbox):
    own = inbox["root"] / "own"
    own.write_text("ada.lovelace@gmail.com  Home Office\n")
    r = _run(
        "who",
        ADA_HOME,
        "--date",
        "2024-01-15",
        "--employer-map",
        inbox["map"],
        "--employer-map",
        str(own),
        "--archive",
        inbox["path"],
    )
    assert r.exit_code == 0, r.output + r.stderr
    assert "employer:  Home Office on 2024-01-15" in r.output
    assert f"  matched  ada.lovelace@gmail.com at {own}:1: " in r.output
    assert "inferred" not in r.output
