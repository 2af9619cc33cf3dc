"""Series states (``analysis.lifecycle``): one named test per state and per precedence rule."""

from pi import msg

from listdigest.analysis.lifecycle import Newer, answers_of, series_state
from listdigest.message import parse_message
from listdigest.model.series import group_series
from listdigest.sources import RawMessage

ADA = "Ada <ada@example.com>"
BOB = "Bob <bob@example.org>"
BOT = "kernel test robot <lkp@intel.com>"
DIFF = "Fix.\n\nSigned-off-by: Ada <ada@example.com>\n---\n a.c | 2 +-\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"
DAY = 86400
T0 = 1704067200  # 2024-01-01


def when(days):
    return T0 + int(days * DAY)


def state(replies=(), newer=None, as_of_days=2, stale_days=30):
    raws = [
        msg("[PATCH 0/1] s", from_=ADA, msgid="c@x", body="Cover.\n", date=when(0)),
        msg("[PATCH 1/1] a", from_=ADA, msgid="p@x", in_reply_to="c@x", body=DIFF, date=when(0)),
    ]
    for i, (frm, body, days) in enumerate(replies):
        raws.append(
            msg(
                "Re: [PATCH 1/1] a",
                from_=frm,
                msgid=f"r{i}@x",
                in_reply_to="p@x",
                references=["c@x", "p@x"],
                body=body,
                date=when(days),
            )
        )
    msgs = [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]
    (s,) = group_series([m for m in msgs if m.is_patch])
    answers = answers_of([s], msgs)[s.key]
    return series_state(
        s,
        answers,
        newer,
        as_of=when(as_of_days),
        is_bot=lambda a, n: "lkp@" in a,
        stale_days=stale_days,
    )


def test_no_reply_is_new():
    st = state()
    assert (st.state, st.msgid, st.replies) == ("new", None, 0)


def test_bot_reply_leaves_it_new():
    assert state([(BOT, "Hi Ada,\n\nkernel test robot noticed build errors\n", 1)]).state == "new"


def test_authors_own_reply_leaves_it_new():
    assert state([(ADA, "> x\nPing?\n", 1)]).state == "new"


def test_reply_from_another_is_discussed():
    st = state([(BOB, "> x\nWhy?\n", 1)])
    assert (st.state, st.msgid, st.replies) == ("discussed", "r0@x", 1)


def test_review_tag_sent_by_its_person_is_reviewed():
    st = state([(BOB, "> x\nReviewed-by: Bob <bob@example.org>\n", 1)])
    assert (st.state, st.reviewers) == ("reviewed", ("Bob <bob@example.org>",))


def test_review_tag_naming_someone_else_is_no_review():
    assert state([(BOB, "Reviewed-by: Carl <carl@example.org>\n", 1)]).state == "discussed"


def test_pw_bot_cr_is_changes_requested_over_review():
    st = state(
        [
            (BOB, "Reviewed-by: Bob <bob@example.org>\n", 1),
            ("Jakub <kuba@example.org>", "> x\nNo.\n\npw-bot: cr\n", 1.5),
        ]
    )
    assert (st.state, st.msgid) == ("changes-requested", "r1@x")


def test_quoted_pw_bot_line_is_no_command():
    assert state([(BOB, "> pw-bot: cr\nI disagree.\n", 1)]).state == "discussed"


def test_newer_version_supersedes_a_reviewed_series():
    st = state(
        [(BOB, "Reviewed-by: Bob <bob@example.org>\n", 1)], newer=Newer("v2@x", 2, when(1.5))
    )
    assert (st.state, st.superseded_by, st.superseded_version) == ("superseded", "v2@x", 2)


def test_newer_version_after_the_digest_end_does_not_count():
    assert state(newer=Newer("v2@x", 2, when(5)), as_of_days=2).state == "new"


def test_applied_beats_superseded():
    st = state(
        [
            (
                "Mark <broonie@kernel.org>",
                "On Mon, Ada wrote:\n> x\n\nApplied to\n\n   https://git.kernel.org/pub/scm/linux/kernel/git/broonie/spi.git for-next\n\nThanks!\n",
                1,
            )
        ],
        newer=Newer("v2@x", 2, when(1.5)),
    )
    assert (st.state, st.msgid) == ("applied", "r0@x")


def test_reply_after_the_digest_end_does_not_count():
    assert state([(BOB, "> x\nWhy?\n", 5)], as_of_days=2).state == "new"


def test_nothing_for_thirty_days_is_stale():
    st = state([(BOB, "> x\nWhy?\n", 1)], as_of_days=40)
    assert (st.state, st.last_activity) == ("stale", "2024-01-02")
