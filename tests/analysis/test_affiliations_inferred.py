"""Identities inferred from the archive (``infer_affiliations``): one display name writing
from a personal and a company address in the same months, and a company sender carrying a
personal in-body From of the same name; shown as inferred, below every explicit rule."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from click.testing import CliRunner

from listdigest.analysis.employers import (
    UNKNOWN,
    Affiliations,
    IdentityMap,
    describe,
    employer_counter,
    infer_affiliations,
    merge_employer_maps,
    name_key,
    parse_aliases,
    parse_employer_map,
    unknown_share,
)
from listdigest.cli import main

MAP = "corp.example Corp\nother.example Other Co\nmail.example (Unknown)\n"


@dataclass(frozen=True)
class Row:
    """A message as inference reads it (``message.Message`` has these fields)."""

    author_name: str
    author_addr: str
    date: int | None
    from_name: str = ""
    from_addr: str = ""
    received: int | None = None

    def __post_init__(self) -> None:
        if not self.from_addr:
            object.__setattr__(self, "from_name", self.author_name)
            object.__setattr__(self, "from_addr", self.author_addr)


def ts(day: str) -> int:
    return int(dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp())


def aff(extra: str = "", aliases: str = "") -> Affiliations:
    return Affiliations(
        merge_employer_maps([("m", parse_employer_map(MAP + extra, "m"))]),
        IdentityMap(aliases=parse_aliases(aliases, "aliases")),
    )


def employer(a: Affiliations, addr: str, day: str | None, name: str = "") -> str:
    return a.employer(name, addr, ts(day) if day else None).employer


def test_same_name_same_months():
    rows = [
        Row("Jane Doe", "jane@mail.example", ts("2025-03-10")),
        Row("Jane Doe", "jane.doe@corp.example", ts("2025-04-02")),  # the next month
        Row("Jane Doe", "jane@mail.example", ts("2025-09-01")),  # no company mail near
    ]
    got = infer_affiliations(rows, aff())
    assert employer(got, "jane@mail.example", "2025-03-10") == "Corp"
    assert employer(got, "Jane@Mail.example", "2025-03-31") == "Corp"
    assert employer(got, "jane@mail.example", "2025-09-01") == UNKNOWN
    assert employer(got, "jane@mail.example", None) == UNKNOWN  # undated: no month to match
    # the maps alone are unchanged
    assert employer(aff(), "jane@mail.example", "2025-03-10") == UNKNOWN
    e = describe(got, "", "jane@mail.example", ts("2025-03-10"))
    assert str(e.match.origin) == (
        "archive: inferred from Jane Doe <jane.doe@corp.example> (the same name, 2025-03)"
    )
    assert e.match.key == "jane@mail.example"


def test_name_order_case_and_tags_do_not_matter():
    assert name_key("Doe, Jane") == name_key("jane DOE (Corp)") == "doe jane"
    assert name_key("Jane") is None and name_key("jane@mail.example") is None
    rows = [
        Row("Doe, Jane", "jane@mail.example", ts("2025-03-10")),
        Row("Jane Doe [C]", "jane.doe@corp.example", ts("2025-03-20")),
    ]
    assert employer(infer_affiliations(rows, aff()), "jane@mail.example", "2025-03-10") == "Corp"


def test_two_companies_under_one_name_infer_nothing():
    rows = [
        Row("Wei Zhang", "wz@mail.example", ts("2025-03-10")),
        Row("Wei Zhang", "wei.zhang@corp.example", ts("2025-03-11")),
        Row("Wei Zhang", "wzhang@other.example", ts("2025-03-12")),
    ]
    assert employer(infer_affiliations(rows, aff()), "wz@mail.example", "2025-03-10") == UNKNOWN


def test_in_body_from_beside_the_sender():
    # sent through work, written at home: that month the home address is the sender's
    # company, even though the name also wrote from another company that month
    rows = [
        Row(
            "Wei Zhang",
            "wz@mail.example",
            ts("2025-03-10"),
            from_name="Wei Zhang",
            from_addr="wei.zhang@corp.example",
        ),
        Row("Wei Zhang", "wzhang@other.example", ts("2025-03-12")),
    ]
    got = infer_affiliations(rows, aff())
    assert employer(got, "wz@mail.example", "2025-03-10") == "Corp"
    e = describe(got, "", "wz@mail.example", ts("2025-03-10"))
    assert "(sent postings written at this address, 2025-03)" in e.match.origin.text


def test_an_address_lent_under_another_name_is_not_theirs():
    # a colleague sent a patch as "Yan Author <tl@mail.example>": the address is Tom Lee's
    rows = [
        Row("Tom Lee", "tl@mail.example", ts("2025-03-01")),
        Row("Tom Lee", "tl@mail.example", ts("2025-03-02")),
        Row("Yan Author", "tl@mail.example", ts("2025-03-03")),
        Row("Yan Author", "yan@corp.example", ts("2025-03-04")),
    ]
    assert employer(infer_affiliations(rows, aff()), "tl@mail.example", "2025-03-03") == UNKNOWN


def test_explicit_rules_win():
    rows = [
        Row("Jane Doe", "jane@mail.example", ts("2025-03-10")),
        Row("Jane Doe", "jane.doe@corp.example", ts("2025-03-20")),
    ]
    # an address entry, even (Unknown), is final
    got = infer_affiliations(rows, aff("jane@mail.example (Unknown)\n"))
    assert employer(got, "jane@mail.example", "2025-03-10") == UNKNOWN
    got = infer_affiliations(rows, aff("jane@mail.example Freelance\n"))
    assert employer(got, "jane@mail.example", "2025-03-10") == "Freelance"
    # an alias (or mailmap) to a company address decides before inference
    got = infer_affiliations(rows, aff(aliases="jane@mail.example jd@other.example\n"))
    assert employer(got, "jane@mail.example", "2025-03-10") == "Other Co"
    # inferring twice starts from the maps again: nothing piles up
    once = infer_affiliations(rows, aff())
    assert infer_affiliations(rows[:1], once).employers.inferred.entries == {}


def test_counter_and_share_see_the_inference():
    rows = [
        Row("Jane Doe", "jane@mail.example", ts("2025-03-10")),
        Row("Jane Doe", "jane.doe@corp.example", ts("2025-03-20")),
        Row("Jane Doe", "jane@mail.example", ts("2025-09-01")),
        Row("Solo Person", "solo@mail.example", ts("2025-03-10")),
    ]
    got = infer_affiliations(rows, aff())
    count = employer_counter(got.employers)
    # the same address at two dates: not remembered across them
    assert count(("jane@mail.example",), ts("2025-03-10")) == "Corp"
    assert count(("jane@mail.example",), ts("2025-09-01")) == UNKNOWN
    share = unknown_share(rows, got)
    assert (share.postings, share.unknown) == (4, 2)
    assert share.addresses == (("jane@mail.example", 1), ("solo@mail.example", 1))
    assert share.domains == (("mail.example", 2),)
    assert share.share == 0.5


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def test_digest_lists_the_unmapped_addresses(tmp_path):
    box = tmp_path / "box.mbox"
    posts = [("Ann Dev", "ann@gmail.com"), ("Ann Dev", "ann@gmail.com"), ("Bob", "bob@intel.com")]
    with open(box, "w", encoding="utf-8") as f:
        for i, (name, addr) in enumerate(posts):
            date = f"{5 + i} Jan 2026 10:00:00 +0000"
            f.write(
                f"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: {name} <{addr}>\n"
                f"To: list@example.org\nSubject: [PATCH] subsys: change {i}\nDate: {date}\n"
                f"Message-ID: <p{i}@example.org>\n\nChange {i}.\n\nSigned-off-by: {name} <{addr}>\n"
                f"---\ndiff --git a/f{i}.c b/f{i}.c\n--- a/f{i}.c\n+++ b/f{i}.c\n@@ -1 +1,2 @@\n x\n+y\n\n"
            )
    r = CliRunner().invoke(main, ["report", str(box), "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["unmapped"] == [{"count": 2, "label": "ann@gmail.com"}]
    assert {"count": 2, "label": UNKNOWN} in d["employers"]


def test_inferred_map_reads_back_as_an_employer_map():
    from listdigest.analysis.employers import inferred_as_map

    rows = [
        Row("Jane Doe", "jane@mail.example", ts("2024-03-10")),
        Row("Jane Doe", "jane.doe@other.example", ts("2024-03-20")),
        Row("Jane Doe", "jane@mail.example", ts("2025-03-10")),
        Row("Jane Doe", "jane.doe@corp.example", ts("2025-03-20")),
        Row("Jane Doe", "jane@mail.example", ts("2025-06-10")),
        Row("Jane Doe", "jane.doe@corp.example", ts("2025-06-20")),
    ]
    text = inferred_as_map(infer_affiliations(rows, aff()).employers.inferred, "arch")
    assert text.splitlines()[2:] == [
        "jane@mail.example  Other Co < 2025-03-01  # inferred from Jane Doe"
        " <jane.doe@other.example> (the same name, 2024-03)",
        "jane@mail.example  Corp  # inferred from Jane Doe <jane.doe@corp.example>"
        " (the same name, 2025-06); 1 more span(s)",
    ]
    m = parse_employer_map(text, "inferred")
    assert [(a.employer, a.until) for a in m["jane@mail.example"]] == [
        ("Other Co", "2025-03-01"),
        ("Corp", None),
    ]
