"""Employer and identity maps: gitdm formats, dated histories, aliases, mailmap, ``who``,
and the digest's employer table (through the real CLI on real mbox files)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from listdigest.analysis.employers import (
    DEFAULT_MAP,
    UNKNOWN,
    Affiliations,
    IdentityMap,
    load_affiliations,
    lookup_employer,
    merge_employer_maps,
    parse_aliases,
    parse_employer_map,
    parse_mailmap,
    resolve_identity,
)
from listdigest.cli import main
from listdigest.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = [
    os.environ.get("LISTDIGEST_SHARED", ""),
    os.path.join(ROOT, "..", "shared"),
    os.path.join(ROOT, "..", "..", "shared"),
]
EXAMPLES = [os.path.join(d, "examples", "kvm-update-2026-01-05.txt") for d in SHARED if d]
#: the example digest's two tables, as ../shared/examples/kvm-update-2026-01-05.txt prints them
EXAMPLE_TABLES = {
    "Top 15 contributor Email domains": """Top 15 contributor Email domains (Based on Email Body)
     16 redhat.com
      8 amd.com
      6 intel.com
      4 suse.com
      3 linux.alibaba.com""",
    "Top 15 contributors": """Top 15 contributors (Based on Email Body)
     16  "Michael S. Tsirkin" <mst@redhat.com>
      8  Nikunj A Dadhania <nikunj@amd.com>
      4  Juergen Gross <jgross@suse.com>
      3  Fangyu Yu <fangyu.yu@linux.alibaba.com>
      3  Chao Gao <chao.gao@intel.com>
      1  Vishal Verma <vishal.l.verma@intel.com>
      1  Kai Huang <kai.huang@intel.com>
      1  Jun Miao <jun.miao@intel.com>""",
}

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def ts(day: str) -> int:
    import datetime as dt

    return int(dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp())


def posting(i: int, name: str, addr: str, day: str, *, inbody: str = "") -> str:
    """One patch posting as git send-email writes it, for an mbox."""
    y, m, d = day.split("-")
    date = f"{int(d)} {MONTHS[int(m) - 1]} {y} 10:{i % 60:02d}:00 +0000"
    frm = f"{name} <{addr}>" if name else addr
    body = (f"From: {inbody}\n\n" if inbody else "") + (
        f"Change number {i}.\n\nSigned-off-by: {name} <{addr}>\n---\n"
        f" f{i}.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
        f"diff --git a/f{i}.c b/f{i}.c\n--- a/f{i}.c\n+++ b/f{i}.c\n@@ -1 +1,2 @@\n x\n+y\n"
    )
    return (
        f"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        f"Received: from relay.example.org by lists.example.org; {date}\n"
        f"From: {frm}\nTo: list@example.org\nSubject: [PATCH] subsys: change {i}\n"
        f"Date: {date}\nMessage-ID: <p{i}@example.org>\n\n{body}\n"
    )


def write_mbox(path, postings) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for i, p in enumerate(postings):
            name, addr, day = p[:3]
            f.write(posting(i, name, addr, day, inbody=p[3] if len(p) > 3 else ""))
    return str(path)


def write(path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args) -> str:
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def block(text: str, heading_start: str) -> str:
    """The lines of the table under a ``Top N …`` heading, up to the next blank line."""
    lines = text.splitlines()
    i = next(n for n, l in enumerate(lines) if l.startswith(heading_start))
    out = []
    for l in lines[i + 2 :]:
        if not l.strip():
            break
        out.append(l)
    return "\n".join([lines[i], *out])


# --- file formats ----------------------------------------------------------------------------


def test_employer_map_format(tmp_path):
    m = parse_employer_map(
        "# gitdm EmailMap\n"
        "\n"
        "intel.com\tIntel   # a comment\n"
        "alice@example.com   Old Company Ltd < 2026-01-15\n"
        "alice@example.com   New Company\n"
        "alice@example.com   First Job < 2020-6-1 # earlier\n",
        "EmailMap",
    )
    assert [a.employer for a in m["intel.com"]] == ["Intel"]
    hist = m["alice@example.com"]
    assert [(a.employer, a.until) for a in hist] == [
        ("First Job", "2020-06-01"),
        ("Old Company Ltd", "2026-01-15"),
        ("New Company", None),
    ]
    assert (hist[1].origin.path, hist[1].origin.line) == ("EmailMap", 4)
    emap = merge_employer_maps([("EmailMap", m)])
    assert lookup_employer(emap, ["alice@example.com"], ts("2019-12-31")).employer == "First Job"
    assert (
        lookup_employer(emap, ["alice@example.com"], ts("2026-01-14")).employer == "Old Company Ltd"
    )
    # the end date is excluded: from that day on, the next employer
    assert lookup_employer(emap, ["alice@example.com"], ts("2026-01-15")).employer == "New Company"


def test_employer_map_errors():
    with pytest.raises(ConfigError) as e:
        parse_employer_map("intel.com Intel\njustonefield\n", "m")
    assert (
        str(e.value)
        == "m:2: not an employer map line (want '[user@]domain Employer [< YYYY-MM-DD]'): 'justonefield'"
    )
    with pytest.raises(ConfigError) as e:
        parse_employer_map("a.com A < 2020-02-30\n", "m")
    assert str(e.value) == "m:1: invalid date '2020-02-30'"
    with pytest.raises(ConfigError) as e:
        parse_employer_map("a.com A\na.com B\n", "m")
    assert str(e.value) == "m:2: a.com has a second undated (current) employer"


def test_most_specific_entry_wins():
    emap = merge_employer_maps(
        [
            (
                "m",
                parse_employer_map(
                    "intel.com Intel\nlab.intel.com Intel Labs\nboss@lab.intel.com Himself\n", "m"
                ),
            )
        ]
    )
    look = lambda a: lookup_employer(emap, [a], None)
    assert look("x@linux.intel.com").employer == "Intel"  # no closer entry: falls back to intel.com
    assert look("x@linux.intel.com").key == "intel.com"
    assert look("x@lab.intel.com").employer == "Intel Labs"
    assert look("x@deep.lab.intel.com").employer == "Intel Labs"
    assert look("BOSS@Lab.Intel.com").employer == "Himself"
    assert look("x@intel.com.evil.org").employer == UNKNOWN
    assert look("x@notintel.com").employer == UNKNOWN


def test_personal_domains_unknown_unless_address_mapped(tmp_path):
    aff = load_affiliations([write(tmp_path / "m", "kernelhacker@gmail.com Google\n")])
    assert aff.employer("", "someone@gmail.com", None).employer == UNKNOWN
    assert aff.employer("", "someone@kernel.org", None).employer == UNKNOWN
    assert aff.employer("", "someone@linux.dev", None).employer == UNKNOWN
    assert aff.employer("", "kernelhacker@gmail.com", None).employer == "Google"
    assert aff.employer("", "x@linux.microsoft.com", None).employer == "Microsoft"
    assert aff.employer("", "x@linux.vnet.ibm.com", None).employer == "IBM"
    assert aff.employer("", "x@au1.ibm.com", None).employer == "IBM"


def test_later_file_overrides_earlier(tmp_path):
    a = write(
        tmp_path / "a", "example.com A Corp\nexample.com Older Corp < 2010-01-01\nother.org Other\n"
    )
    b = write(tmp_path / "b", "example.com B Corp\n")
    aff = load_affiliations([a, b], default_map=False)
    # b's lines replace a's whole history for example.com; a's other keys stay
    assert aff.employer("", "x@example.com", ts("2005-01-01")).employer == "B Corp"
    assert aff.employer("", "x@other.org", None).employer == "Other"
    # and a file given with --employer-map overrides the shipped map
    aff = load_affiliations([write(tmp_path / "c", "redhat.com IBM\n")])
    assert aff.employer("", "x@redhat.com", None).employer == "IBM"
    assert aff.employer("", "x@suse.de", None).employer == "SUSE"


def test_mailmap_four_forms():
    mm = parse_mailmap(
        "# comment\n"
        "Proper One <one@example.com>\n"
        "<two@proper.org> <two@example.com>\n"
        "Proper Three <three@proper.org> <three@example.com>\n"
        "Proper Four <four@proper.org> Commit Four <four@example.com>  # trailing\n",
        ".mailmap",
    )
    imap = IdentityMap(mailmap=mm)
    r = lambda n, a: (lambda i: (i.name, i.addr))(resolve_identity(imap, n, a))
    assert r("one", "ONE@example.com") == ("Proper One", "ONE@example.com")
    assert r("Two", "two@example.com") == ("Two", "two@proper.org")
    assert r("3", "three@example.com") == ("Proper Three", "three@proper.org")
    assert r("commit four", "four@example.com") == ("Proper Four", "four@proper.org")
    # form 4 needs the commit name too
    assert r("Someone Else", "four@example.com") == ("Someone Else", "four@example.com")
    assert resolve_identity(imap, "Two", "two@example.com").via[0].line == 3
    with pytest.raises(ConfigError) as e:
        parse_mailmap("just text\n", "mm")
    assert str(e.value).startswith("mm:1: not a mailmap line")


def test_aliases_format():
    al = parse_aliases(
        '# gitdm aliases\nold@example.com  new@example.com\n"quoted@x.org"\tnew@example.com\n',
        "aliases",
    )
    assert al["old@example.com"][0] == "new@example.com"
    assert al["quoted@x.org"][0] == "new@example.com"
    with pytest.raises(ConfigError) as e:
        parse_aliases("a b c\n", "aliases")
    assert (
        str(e.value)
        == "aliases:1: not an aliases line (want 'alias@address canonical@address'): 'a b c'"
    )


def test_canonical_address_gives_employer_for_personal_address():
    aff = Affiliations(
        employers=merge_employer_maps(
            [("m", parse_employer_map("intel.com Intel\ngmail.com (Unknown)\n", "m"))]
        ),
        identities=IdentityMap(
            aliases=parse_aliases("dev@gmail.com dev@intel.com\nother@intel.com other@gmail.com\n")
        ),
    )
    # a personal address says nothing; the canonical address's domain does
    assert aff.employer("", "dev@gmail.com", None).employer == "Intel"
    # a company address keeps its employer even when the canonical address is personal
    assert aff.employer("", "other@intel.com", None).employer == "Intel"


# --- the digest -------------------------------------------------------------------------------


def test_dated_affiliation_crossing_the_range(tmp_path):
    box = write_mbox(
        tmp_path / "list.mbox",
        [
            ("Alice Dev", "alice@example.com", "2026-01-05"),
            ("Alice Dev", "alice@example.com", "2026-01-14"),
            ("Alice Dev", "alice@example.com", "2026-01-15"),
            ("Alice Dev", "alice@example.com", "2026-01-20"),
            ("Alice Dev", "alice@example.com", "2026-01-28"),
            ("Bob", "bob@intel.com", "2026-01-10"),
            ("Bob", "bob@intel.com", "2026-02-10"),  # outside the range
        ],
    )
    emap = write(
        tmp_path / "EmailMap",
        "alice@example.com Old Corp < 2026-01-15\nalice@example.com New Corp\n",
    )
    out = run(
        "report",
        box,
        "--since",
        "2026-01-01",
        "--until",
        "2026-01-31",
        "--employer-map",
        emap,
        "--format",
        "json",
    )
    d = json.loads(out)
    assert d["schema_version"] == 3
    assert d["employers"] == [
        {"count": 3, "label": "New Corp"},
        {"count": 2, "label": "Old Corp"},
        {"count": 1, "label": "Intel"},
    ]
    # the contributor and domain tables do not change
    assert d["contributors"] == [
        {"count": 5, "label": "Alice Dev <alice@example.com>"},
        {"count": 1, "label": "Bob <bob@intel.com>"},
    ]
    assert d["domains"] == [
        {"count": 5, "label": "example.com"},
        {"count": 1, "label": "intel.com"},
    ]
    text = run(
        "report", box, "--since", "2026-01-01", "--until", "2026-01-31", "--employer-map", emap
    )
    assert block(text, "Top 15 employers") == (
        "Top 15 employers (Based on Email Body)\n      3 New Corp\n      2 Old Corp\n      1 Intel"
    )
    # the seed's two tables stand together; the employer table follows them (ae2938d)
    assert text.index("Email domains") < text.index("contributors (Based")
    assert text.index("contributors (Based") < text.index("employers (Based")


def test_aliases_and_mailmap_merge_contributors(tmp_path):
    box = write_mbox(
        tmp_path / "list.mbox",
        [
            ("Carol Kernel", "carol@intel.com", "2026-01-02"),
            ("Carol Kernel", "carol@intel.com", "2026-01-03"),
            ("carol", "carol.k@gmail.com", "2026-01-04"),
            ("Carol Kernel", "carol@intel.com", "2026-01-05"),
            ("carol", "carol.k@gmail.com", "2026-01-06"),
            ("Dan", "dan@old.example.com", "2026-01-06"),
            ("Daniel Q", "dan@new.example.com", "2026-01-07"),
            ("Eve", "eve@redhat.com", "2026-01-07"),
            ("Eve", "eve@redhat.com", "2026-01-08"),
            ("Eve", "eve@redhat.com", "2026-01-09"),
            ("Eve", "eve@redhat.com", "2026-01-10"),
        ],
    )
    aliases = write(tmp_path / "aliases", "# gitdm aliases\ncarol.k@gmail.com carol@intel.com\n")
    mailmap = write(
        tmp_path / ".mailmap",
        "Daniel Q. Public <dan@new.example.com> <dan@old.example.com>\nDaniel Q. Public <dan@new.example.com>\n",
    )
    plain = json.loads(run("report", box, "--format", "json"))
    assert plain["contributors"] == [
        {"count": 4, "label": "Eve <eve@redhat.com>"},
        {"count": 3, "label": "Carol Kernel <carol@intel.com>"},
        {"count": 2, "label": "carol <carol.k@gmail.com>"},
        {"count": 1, "label": "Daniel Q <dan@new.example.com>"},
        {"count": 1, "label": "Dan <dan@old.example.com>"},
    ]
    d = json.loads(
        run("report", box, "--format", "json", "--aliases", aliases, "--mailmap", mailmap)
    )
    assert d["contributors"] == [
        {"count": 5, "label": "Carol Kernel <carol@intel.com>"},
        {"count": 4, "label": "Eve <eve@redhat.com>"},
        {"count": 2, "label": '"Daniel Q. Public" <dan@new.example.com>'},
    ]
    # the domain table still counts each posting's own address
    assert d["domains"] == plain["domains"]
    # carol's gmail postings count for her canonical address's employer
    assert d["employers"] == [
        {"count": 5, "label": "Intel"},
        {"count": 4, "label": "Red Hat"},
        {"count": 2, "label": UNKNOWN},
    ]


# the example's authors, with their posting counts (names and addresses from the example)
EXAMPLE_AUTHORS = [
    ("Michael S. Tsirkin", "mst@redhat.com", 16),
    ("Nikunj A Dadhania", "nikunj@amd.com", 8),
    ("Juergen Gross", "jgross@suse.com", 4),
    ("Fangyu Yu", "fangyu.yu@linux.alibaba.com", 3),
    ("Chao Gao", "chao.gao@intel.com", 3),
    ("Jun Miao", "jun.miao@intel.com", 1),
    ("Kai Huang", "kai.huang@intel.com", 1),
    ("Vishal Verma", "vishal.l.verma@intel.com", 1),
]


def test_example_tables_unchanged_with_default_map(tmp_path):
    posts = []
    for name, addr, n in EXAMPLE_AUTHORS:
        posts += [(name, addr, f"2026-01-0{1 + k % 4}") for k in range(n)]
    box = write_mbox(tmp_path / "kvm.mbox", posts)
    with_map = run("report", box)
    without = run("report", box, "--no-default-map")
    for heading in ("Top 15 contributor Email domains", "Top 15 contributors"):
        assert block(with_map, heading) == block(without, heading)
    assert block(with_map, "Top 15 employers") == (
        "Top 15 employers (Based on Email Body)\n"
        "     16 Red Hat\n      8 AMD\n      6 Intel\n      4 SUSE\n      3 Alibaba"
    )
    assert (
        block(without, "Top 15 employers")
        == "Top 15 employers (Based on Email Body)\n     37 (Unknown)"
    )
    for heading, table in EXAMPLE_TABLES.items():
        assert block(with_map, heading) == table
    for path in [p for p in EXAMPLES if os.path.exists(p)][:1]:
        with open(path, encoding="utf-8") as f:
            example = f.read()
        for heading, table in EXAMPLE_TABLES.items():
            assert block(example, heading) == table


# --- listdigest who ---------------------------------------------------------------------------


def test_who_explains(tmp_path):
    emap = write(
        tmp_path / "EmailMap",
        "# history\nalice@example.com Old Corp < 2026-01-15\nalice@example.com New Corp\nexample.com Example Inc\n",
    )
    aliases = write(tmp_path / "aliases", "alice@gmail.com alice@example.com\n")
    mailmap = write(tmp_path / "mailmap", "Alice Dev <alice@example.com>\n")
    out = run(
        "who",
        "<alice@gmail.com>",
        "--date",
        "2026-01-10",
        "--no-default-map",
        "--employer-map",
        emap,
        "--aliases",
        aliases,
        "--mailmap",
        mailmap,
    )
    assert out == (
        "address:   <alice@gmail.com>\n"
        "identity:  Alice Dev <alice@example.com>\n"
        f"  via      {aliases}:1: alice@gmail.com alice@example.com\n"
        f"  via      {mailmap}:1: Alice Dev <alice@example.com>\n"
        "employer:  Old Corp on 2026-01-10\n"
        f"  matched  alice@example.com at {emap}:2: alice@example.com Old Corp < 2026-01-15\n"
        "entries for alice@example.com:\n"
        f"  Old Corp (until 2026-01-15)  {emap}:2: alice@example.com Old Corp < 2026-01-15\n"
        f"  New Corp (current)  {emap}:3: alice@example.com New Corp\n"
        "entries for example.com:\n"
        f"  Example Inc (current)  {emap}:4: example.com Example Inc\n"
    )
    out = run("who", "dev@linux.intel.com", "--date", "2026-01-10")
    lines = out.splitlines()
    assert lines[1] == "identity:  <dev@linux.intel.com> (no mailmap or alias entry)"
    assert lines[2] == "employer:  Intel on 2026-01-10"
    assert lines[3].startswith(f"  matched  linux.intel.com at {DEFAULT_MAP}:")
    out = run("who", "nobody@nowhere.invalid", "--date", "2026-01-10")
    assert out.splitlines()[2:] == ["employer:  (Unknown) on 2026-01-10", "  matched  no map entry"]


def test_missing_map_file_is_an_error(tmp_path):
    r = CliRunner().invoke(main, ["who", "a@b.c", "--employer-map", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert (
        r.output
        == f"Error: cannot read employer map {tmp_path / 'nope'}: No such file or directory\n"
    )
    bad = write(tmp_path / "bad", "x.org Y < 2020-13-01\n")
    r = CliRunner().invoke(main, ["report", str(tmp_path), "--employer-map", bad])
    assert r.exit_code == 2
    assert r.output == f"Error: {bad}:1: invalid date '2020-13-01'\n"


def test_default_map_is_well_formed():
    with open(DEFAULT_MAP, encoding="utf-8") as f:
        m = parse_employer_map(f.read(), DEFAULT_MAP)
    assert m["linux.microsoft.com"][0].employer == "Microsoft"
    for personal in (
        "gmail.com",
        "kernel.org",
        "linux.dev",
        "outlook.com",
        "hotmail.com",
        "qq.com",
        "163.com",
    ):
        assert m[personal][0].employer == UNKNOWN, personal
