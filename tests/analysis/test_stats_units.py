"""``analysis.stats_ranges`` and ``analysis.stats.compute_stats`` on a handful of synthetic
messages (tests/pi.py's ``msg``): roles, bots, the score formula and change sets, each
figure worked out by hand in the test."""

from __future__ import annotations

import pytest
from pi import msg

from listdigest.analysis.employers import load_affiliations
from listdigest.analysis.stats import Tally, compute_stats
from listdigest.analysis.stats_ranges import (
    find_range,
    parse_ranges,
    previous_period,
    previous_range,
)
from listdigest.errors import RangeError
from listdigest.message import parse_message
from listdigest.sources import RawMessage

# -- named ranges -----------------------------------------------------------------------------

RANGES = """\
# releases, oldest first
6.11 v6.10 v6.11
6.12 2024-09-15 2024-11-17   # dates work as well as revisions

6.13\tv6.12\tv6.13
"""


def test_ranges_file_good_lines_and_comments():
    got = parse_ranges(RANGES, "rel.txt")
    assert [(r.name, r.start, r.end, r.origin) for r in got] == [
        ("6.11", "v6.10", "v6.11", "rel.txt:2"),
        ("6.12", "2024-09-15", "2024-11-17", "rel.txt:3"),
        ("6.13", "v6.12", "v6.13", "rel.txt:5"),
    ]
    assert find_range(got, "6.12", "rel.txt").start == "2024-09-15"
    prev = previous_range(got, "6.13")
    assert prev is not None and prev.name == "6.12"
    assert previous_range(got, "6.11") is None


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "6.11 v6.10 v6.11\n6.12 v6.11\n",
            "rel.txt:2: expected \"name FROM TO\", got '6.12 v6.11'",
            id="two-fields",
        ),
        pytest.param(
            "# c\n6.11 v6.10 v6.11 extra # x\n",
            "rel.txt:2: expected \"name FROM TO\", got '6.11 v6.10 v6.11 extra # x'",
            id="four-fields",
        ),
        pytest.param(
            "6.11 v6.10 v6.11\n\n6.11 v6.11 v6.12\n",
            "rel.txt:3: range '6.11' is named twice",
            id="named-twice",
        ),
    ],
)
def test_ranges_file_bad_line_is_one_line_naming_file_and_line(text, message):
    with pytest.raises(RangeError) as exc:
        parse_ranges(text, "rel.txt")
    assert str(exc.value) == message
    assert "\n" not in str(exc.value)


def test_unknown_range_names_the_known_ones():
    with pytest.raises(RangeError) as exc:
        find_range(parse_ranges(RANGES, "rel.txt"), "7.0", "rel.txt")
    assert str(exc.value) == "rel.txt: no range named '7.0' (known: 6.11, 6.12, 6.13)"


def test_previous_period_is_as_long_and_ends_just_before():
    assert previous_period(1000, 1999) == (0, 999)
    assert previous_period(86400, 86400) == (86399, 86399)


# -- compute_stats ------------------------------------------------------------------------------

ADA = "Ada Author <ada@corp-a.example>"
BOB = "Bob Reviewer <bob@corp-b.example>"
CAROL = "Carol Once <carol@corp-b.example>"
DAVE = "Dave Solo <dave@elsewhere.example>"
BOT = "kernel test robot <lkp@intel.com>"
T0 = 1704067200  # 2024-01-01 00:00 UTC
H = 3600


def _diff(path: str) -> str:
    return (
        "Fix it.\n\nSigned-off-by: X <x@example.org>\n---\n"
        f" {path} | 2 +-\n\ndiff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        "@@ -1 +1 @@\n-a\n+b\n"
    )


def _reply(mid, frm, to, refs, when, body="Comment.\n", subject="Re: [PATCH] foo: fix bar"):
    return msg(subject, from_=frm, msgid=mid, in_reply_to=to, references=refs, date=when, body=body)


def _messages():
    raws = [
        # v1 of "foo: fix bar" by Ada, reviewed by Bob, answered by Ada; a bot's report
        msg("[PATCH] foo: fix bar", from_=ADA, msgid="v1@x", date=T0, body=_diff("foo.c")),
        _reply(
            "b1@x",
            BOB,
            "v1@x",
            ["v1@x"],
            T0 + H,
            "Reviewed-by: Bob Reviewer <bob@corp-b.example>\n",
        ),
        _reply("a1@x", ADA, "b1@x", ["v1@x", "b1@x"], T0 + 2 * H),
        _reply("bot@x", BOT, "v1@x", ["v1@x"], T0 + 3 * H, "Build failed.\n"),
        # v2 (a thread of its own): the same change set; Bob twice, Carol once
        msg(
            "[PATCH v2] foo: fix bar",
            from_=ADA,
            msgid="v2@x",
            date=T0 + 48 * H,
            body=_diff("foo.c"),
        ),
        _reply("b2@x", BOB, "v2@x", ["v2@x"], T0 + 49 * H, subject="Re: [PATCH v2] foo: fix bar"),
        _reply(
            "b3@x",
            BOB,
            "b2@x",
            ["v2@x", "b2@x"],
            T0 + 50 * H,
            subject="Re: [PATCH v2] foo: fix bar",
        ),
        _reply("c1@x", CAROL, "v2@x", ["v2@x"], T0 + 51 * H, subject="Re: [PATCH v2] foo: fix bar"),
        # Dave's patch, never answered
        msg(
            "[PATCH] baz: add qux", from_=DAVE, msgid="d1@x", date=T0 + 60 * H, body=_diff("baz.c")
        ),
    ]
    return [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    emap = tmp_path_factory.mktemp("maps") / "employers"
    emap.write_text("corp-a.example Corp A\ncorp-b.example Corp B\n")
    aff = load_affiliations([str(emap)], default_map=False)
    return compute_stats(_messages(), list_name="test", affiliations=aff, top=5)


def _tally(stats, addr: str) -> Tally:
    (t,) = [t for t in stats.people if t.key == addr]
    return t


def test_author_and_reviewer_roles(stats):
    ada = _tally(stats, "ada@corp-a.example")
    # v1, v2 and her answer in v1's thread: all as author (her threads), one change set
    assert (ada.messages_author, ada.threads_author, ada.cs_author) == (3, 2, 1)
    assert (ada.messages_reviewer, ada.threads_reviewer, ada.cs_reviewer) == (0, 0, 0)
    bob = _tally(stats, "bob@corp-b.example")
    assert (bob.messages_reviewer, bob.threads_reviewer, bob.cs_reviewer) == (3, 2, 1)
    assert bob.messages_author == 0
    assert (stats.roles.only_author, stats.roles.only_reviewer, stats.roles.both) == (2, 2, 0)


def test_bots_count_nowhere(stats):
    assert stats.totals.bot_messages == 1
    assert stats.totals.messages == 8
    assert "lkp@intel.com" not in {t.key for t in stats.people}
    assert stats.totals.people == 4


def test_score_formula_and_the_first_review_message_discount(stats):
    # 2 x change sets reviewed + 8 x threads reviewed + 2 x max(reviewer messages - 1, 0)
    # - 4 x author messages
    assert _tally(stats, "bob@corp-b.example").score == 2 * 1 + 8 * 2 + 2 * (3 - 1)
    # one review message: the third term is 0
    assert _tally(stats, "carol@corp-b.example").score == 2 * 1 + 8 * 1 + 0
    # no review message: the third term is 0, never -2
    assert _tally(stats, "dave@elsewhere.example").score == -4 * 1
    assert _tally(stats, "ada@corp-a.example").score == -4 * 3
    assert Tally("k", "n", messages_reviewer=0).score == 0
    scores = {r.key: [(x.name, x.value) for x in r.rows] for r in stats.rankings}
    assert scores["score_positive"] == [(BOB, 22), (CAROL, 10)]
    assert scores["score_negative"] == [(ADA, -12), (DAVE, -4)]


def test_change_sets_join_two_versions(stats):
    # v1 and v2 of "foo: fix bar" are one change set (by title, without an index); baz another
    assert stats.totals.change_sets == 2
    assert stats.totals.threads == 3


def test_companies_are_the_authors_employers(stats):
    by = {t.key: t for t in stats.companies}
    assert set(by) == {"Corp A", "Corp B", "(Unknown)"}
    assert by["Corp B"].messages_reviewer == 4 and by["Corp B"].threads_reviewer == 2
    assert by["Corp A"].messages_author == 3
    assert stats.unmapped == (("elsewhere.example", 1),)
    assert stats.unknown_share == round(1 / 8, 4)
