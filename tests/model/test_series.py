"""Series grouping rules, one named test each (tricky-cases.md, "Series")."""

import pytest

from listdigest.message import parse_message
from listdigest.model.series import group_series
from listdigest.sources import RawMessage
from pi import msg

ADA = "Ada <ada@example.com>"
BOB = "Bob <bob@example.com>"
DIFF = "Change.\n\nSigned-off-by: Ada <ada@example.com>\n---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"


def parse(raws):
    return [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]


def series_of(raws):
    msgs = [m for m in parse(raws) if m.is_patch]
    return group_series(msgs)


def patchset(prefix, n, cover=True, sender=ADA, tag="c"):
    out = []
    if cover:
        out.append(msg(f"[{prefix} 0/{n}] the series", from_=sender, msgid=f"{tag}0@x", body="Cover.\n"))
    for i in range(1, n + 1):
        parent = f"{tag}0@x" if cover else (f"{tag}1@x" if i > 1 else None)
        out.append(msg(f"[{prefix} {i}/{n}] patch {i}", from_=sender, msgid=f"{tag}{i}@x", in_reply_to=parent,
                       references=[parent] if parent else None, body=DIFF))
    return out


def test_cover_and_patches_form_one_series():
    (s,) = series_of(patchset("PATCH v2", 3))
    assert s.cover.msgid == "c0@x"
    assert [p.parsed.counter for p in s.patches] == [1, 2, 3]
    assert s.expected == 4 and s.version == 2


def test_out_of_order_arrival_cover_last():
    raws = patchset("PATCH", 3)
    (s,) = series_of(raws[1:] + raws[:1])
    assert s.cover is not None and len(s.patches) == 3


def test_missing_cover_still_groups_patches():
    raws = patchset("PATCH v5", 21)[1:4]  # only 3 of 21 patches Cc'd, no cover
    (s,) = series_of(raws)
    assert s.cover is None and s.key == "c0@x"
    assert (len(s.messages), s.expected) == (3, 22)


def test_series_without_cover_threaded_under_patch_one():
    (s,) = series_of(patchset("PATCH", 3, cover=False))
    assert s.cover is None and s.key == "c1@x" and s.expected == 3


def test_cover_without_counter():
    raws = [msg("[PATCH v2] the feature", from_=ADA, msgid="h@x", body="Cover text, no diff.\n")]
    raws += [msg("[PATCH v2] part", from_=ADA, msgid=f"p{i}@x", in_reply_to="h@x", references=["h@x"], body=DIFF) for i in (1, 2)]
    (s,) = series_of(raws)
    assert s.cover.msgid == "h@x" and len(s.patches) == 2


def test_two_versions_in_one_range_stay_two_series():
    v1 = patchset("PATCH", 2, tag="a")
    v2 = patchset("PATCH v2", 2, tag="b")
    # v2's cover sent in reply to v1's cover
    v2[0] = msg("[PATCH v2 0/2] the series", from_=ADA, msgid="b0@x", in_reply_to="a0@x", references=["a0@x"], body="Cover v2.\n")
    ss = series_of(v1 + v2)
    assert [(s.key, s.version, len(s.messages)) for s in ss] == [("a0@x", 1, 3), ("b0@x", 2, 3)]


def test_series_posted_in_reply_to_another_series_stays_separate():
    a = patchset("PATCH", 2, tag="a")
    b = patchset("PATCH", 2, tag="b", sender=BOB)
    b[0] = msg("[PATCH 0/2] the series", from_=BOB, msgid="b0@x", in_reply_to="a1@x", references=["a0@x", "a1@x"], body="Other.\n")
    ss = series_of(a + b)
    assert sorted(len(s.messages) for s in ss) == [3, 3]


def test_same_sender_series_in_reply_to_own_older_patch_is_separate():
    a = patchset("PATCH", 2, tag="a")
    single = msg("[PATCH] unrelated fix", from_=ADA, msgid="s@x", in_reply_to="a2@x", references=["a0@x", "a2@x"], body=DIFF)
    ss = series_of(a + [single])
    assert sorted(len(s.messages) for s in ss) == [1, 3]


def test_vN_threaded_under_older_cover_splits_by_version():
    v4 = patchset("PATCH v4", 2, tag="a")
    v5 = [msg("[PATCH v5 0/2] s", from_=ADA, msgid="b0@x", in_reply_to="a0@x", references=["a0@x"], body="v5\n")]
    v5 += [msg(f"[PATCH v5 {i}/2] p", from_=ADA, msgid=f"b{i}@x", in_reply_to="b0@x", references=["a0@x", "b0@x"], body=DIFF) for i in (1, 2)]
    ss = series_of(v4 + v5)
    assert [(s.version, len(s.messages)) for s in ss] == [(4, 3), (5, 3)]


def test_extra_patch_after_n_of_n_joins():
    raws = patchset("PATCH", 2)
    raws.append(msg("[PATCH 3/2] one more", from_=ADA, msgid="c3@x", in_reply_to="c0@x", references=["c0@x"], body=DIFF))
    (s,) = series_of(raws)
    assert len(s.patches) == 3


def test_series_mailed_in_two_batches():
    raws = patchset("PATCH", 4)
    between = msg("[PATCH] elsewhere", from_=BOB, msgid="z@x", body=DIFF)
    ss = series_of(raws[:3] + [between] + raws[3:])
    assert sorted(len(s.messages) for s in ss) == [1, 5]


def test_fractional_version_joins_its_series():
    raws = patchset("PATCH v5", 3)
    raws.append(msg("[PATCH v5.1 2/3] patch 2", from_=ADA, msgid="c2b@x", in_reply_to="c2@x", references=["c0@x", "c2@x"], body=DIFF))
    (s,) = series_of(raws)
    assert len(s.patches) == 4


def test_replies_are_not_series():
    raws = patchset("PATCH", 1) + [msg("Re: [PATCH 1/1] patch 1", from_=BOB, in_reply_to="c1@x", body="> quoted\nok\n")]
    msgs = parse(raws)
    assert [m.kind for m in msgs] == ["patch", "patch", "reply"]
    assert len(group_series([m for m in msgs if m.is_patch])) == 1
