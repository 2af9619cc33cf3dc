"""The per-developer affiliation format of the gitdm data sets (``Name: email, email`` then
indented ``Company [until YYYY-MM-DD]`` lines): parsing with origins, one-line errors, and
its use as an employer map (per-address entries) and as identity groups.  The sample is
written for this test; no real data set is copied."""

from __future__ import annotations

import datetime as dt

import pytest

from listdigest.analysis.employers import UNKNOWN, describe, load_affiliations
from listdigest.errors import ConfigError
from listdigest.mapfiles import (
    developers_aliases,
    developers_as_map,
    developers_employer_map,
    is_developers_file,
    parse_developers,
    parse_employer_map,
)

SAMPLE = """\
# per-developer affiliations, gitdm data-set style
Jane Q. Hacker: jane!example.org, jqh@corp.example, JQH!Old-Startup.example
\tOld Startup until 2019-03-01
\tCorp Example until 2024-07-15
\tNew Corp
Ravi Example: ravi.example!mail.example
\tNotFound
Chen Wei: chen.wei!uni.example   # a university first
\tExample University until 2021-09-01
\tIndependent
Ingrid Nobody: ingrid!home.example
"""


def ts(day: str) -> int:
    return int(dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp())


def test_developers_format_parsed_with_origins():
    devs = parse_developers(SAMPLE, "devs.txt")
    assert [d.name for d in devs] == ["Jane Q. Hacker", "Ravi Example", "Chen Wei", "Ingrid Nobody"]
    jane = devs[0]
    # '!' is '@' again, addresses are lower case, in the order written
    assert jane.emails == ("jane@example.org", "jqh@corp.example", "jqh@old-startup.example")
    assert [(a.employer, a.until) for a in jane.history] == [
        ("Old Startup", "2019-03-01"),
        ("Corp Example", "2024-07-15"),
        ("New Corp", None),
    ]
    assert (jane.origin.path, jane.origin.line) == ("devs.txt", 2)
    assert (jane.history[1].origin.line, jane.history[1].origin.text) == (
        4,
        "Corp Example until 2024-07-15",
    )
    # the data sets' "NotFound" is no entry: the maps (and inference) may still tell
    assert devs[1].history == ()
    # a comment after the developer line is not part of the address
    assert devs[2].emails == ("chen.wei@uni.example",)
    # a developer without employer lines is an identity only
    assert devs[3].history == ()


def test_developers_as_employer_map_and_identity_groups(tmp_path):
    devs = parse_developers(SAMPLE, "devs.txt")
    emap = developers_employer_map(devs)
    assert set(emap) == {
        "jane@example.org",
        "jqh@corp.example",
        "jqh@old-startup.example",
        "chen.wei@uni.example",
    }
    al = developers_aliases(devs)
    assert al["jqh@corp.example"][0] == "jane@example.org"
    assert al["jqh@old-startup.example"][1].line == 2
    # parse_employer_map reads the format too (so a config check accepts the file)
    assert parse_employer_map(SAMPLE, "devs.txt") == emap

    path = tmp_path / "developers_affiliations.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    aff = load_affiliations([str(path)])
    # the dated history, per address, at the posting's date
    assert aff.employer("", "jane@example.org", ts("2018-06-01")).employer == "Old Startup"
    assert aff.employer("", "JQH@corp.example", ts("2023-01-01")).employer == "Corp Example"
    assert aff.employer("", "jqh@corp.example", ts("2024-07-15")).employer == "New Corp"
    assert aff.employer("", "chen.wei@uni.example", ts("2022-01-01")).employer == "Independent"
    assert aff.employer("", "ravi.example@mail.example", None).employer == UNKNOWN
    # an address entry beats the shipped map's domain entry
    path2 = tmp_path / "d2"
    path2.write_text("Rhea Example: rhea@redhat.com\n\tConsultancy Ltd\n", encoding="utf-8")
    assert load_affiliations([str(path2)]).employer("", "rhea@redhat.com", None).employer == (
        "Consultancy Ltd"
    )
    # one developer's addresses are one person
    assert aff.identity("Jane", "jqh@corp.example").addr == "jane@example.org"
    assert aff.person_addresses()("", "jane@example.org") == {
        "jqh@corp.example",
        "jqh@old-startup.example",
    }
    # who quotes the file's line
    e = describe(aff, "", "jqh@corp.example", ts("2020-01-01"))
    assert (e.match.employer, str(e.match.origin)) == (
        "Corp Example",
        f"{path}:4: Corp Example until 2024-07-15",
    )
    # a later aliases file wins over the developer grouping
    later = tmp_path / "aliases"
    later.write_text("jqh@corp.example other@corp.example\n", encoding="utf-8")
    aff = load_affiliations([str(path)], aliases=[str(later)])
    assert aff.identity("", "jqh@corp.example").addr == "other@corp.example"


def test_detection_keeps_emailmap_files_apart():
    assert is_developers_file(SAMPLE)
    assert is_developers_file("\n# c\nA B: a@b.example\n")
    assert not is_developers_file("intel.com Intel\n")
    assert not is_developers_file("alice@example.com  Old Corp < 2020-01-01\n")
    assert not is_developers_file("# only comments\n\n")
    # a colon in an employer name is no developer line: the right side is no address
    assert not is_developers_file("x.example Foo: The Company\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "\tCorp\n",
            "d:1: an employer line before any 'Name: email' line: 'Corp'",
        ),
        (
            "A B: a@b.example\n\tCorp\nno colon here\n",
            "d:3: not a developer line (want 'Name: email, email' or an indented 'Company [until YYYY-MM-DD]'): 'no colon here'",
        ),
        (
            "A B: a@b.example, not an address\n",
            "d:1: not a developer line (want 'Name: email, email' or an indented 'Company [until YYYY-MM-DD]'): 'A B: a@b.example, not an address'",
        ),
        ("A B: a@b.example\n\tCorp until 2020-02-30\n", "d:2: invalid date '2020-02-30'"),
        (
            "A B: a@b.example\n\tCorp\n\tOther\n",
            "d:3: A B has a second undated (current) employer",
        ),
        (
            "A B: a@b.example\n\tCorp\nC D: x@y.example, A!B.example\n\tOther\n",
            "d:3: a@b.example is listed twice (first at line 1)",
        ),
    ],
    ids=["employer-first", "no-colon", "bad-address", "bad-date", "two-current", "duplicate"],
)
def test_developers_errors(text, message):
    with pytest.raises(ConfigError) as e:
        parse_developers(text, "d")
    assert str(e.value) == message


def test_import_writes_an_emailmap_that_reads_back_the_same():
    devs = parse_developers(SAMPLE, "devs.txt")
    text = developers_as_map(devs, "devs.txt")
    assert text.splitlines()[:5] == [
        "# imported from devs.txt (per-developer affiliations) by listdigest",
        "# Jane Q. Hacker (devs.txt:2)",
        "jane@example.org         Old Startup < 2019-03-01",
        "jane@example.org         Corp Example < 2024-07-15",
        "jane@example.org         New Corp",
    ]
    back = parse_employer_map(text, "m")
    want = developers_employer_map(devs)
    assert {k: [(a.employer, a.until) for a in v] for k, v in back.items()} == {
        k: [(a.employer, a.until) for a in v] for k, v in want.items()
    }


def test_import_command(tmp_path):
    from click.testing import CliRunner

    from listdigest.cli import main

    src = tmp_path / "devs.txt"
    src.write_text(SAMPLE, encoding="utf-8")
    out, al = tmp_path / "EmailMap", tmp_path / "aliases"
    r = CliRunner().invoke(
        main, ["affiliations", "import", str(src), "-o", str(out), "--aliases-output", str(al)]
    )
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == developers_as_map(
        parse_developers(SAMPLE, str(src)), str(src)
    )
    assert al.read_text(encoding="utf-8").splitlines() == [
        "jqh@corp.example  jane@example.org",
        "jqh@old-startup.example  jane@example.org",
    ]
    bad = tmp_path / "bad.txt"
    bad.write_text("A B: a@b.example\n\tX\n\tY\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["affiliations", "import", str(bad)])
    assert r.exit_code == 2
    assert r.output == f"Error: {bad}:3: A B has a second undated (current) employer\n"
