"""Series grouping rules, one named test each (tricky-cases.md, "Series")."""

import pytest
from pi import msg

from listdigest.message import parse_message
from listdigest.model.series import group_series
from listdigest.sources import RawMessage

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
        out.append(
            msg(f"[{prefix} 0/{n}] the series", from_=sender, msgid=f"{tag}0@x", body="Cover.\n")
        )
    for i in range(1, n + 1):
        parent = f"{tag}0@x" if cover else (f"{tag}1@x" if i > 1 else None)
        out.append(
            msg(
                f"[{prefix} {i}/{n}] patch {i}",
                from_=sender,
                msgid=f"{tag}{i}@x",
                in_reply_to=parent,
                references=[parent] if parent else None,
                body=DIFF,
            )
        )
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
    raws += [
        msg(
            "[PATCH v2] part",
            from_=ADA,
            msgid=f"p{i}@x",
            in_reply_to="h@x",
            references=["h@x"],
            body=DIFF,
        )
        for i in (1, 2)
    ]
    (s,) = series_of(raws)
    assert s.cover.msgid == "h@x" and len(s.patches) == 2


def test_two_versions_in_one_range_stay_two_series():
    v1 = patchset("PATCH", 2, tag="a")
    v2 = patchset("PATCH v2", 2, tag="b")
    # v2's cover sent in reply to v1's cover
    v2[0] = msg(
        "[PATCH v2 0/2] the series",
        from_=ADA,
        msgid="b0@x",
        in_reply_to="a0@x",
        references=["a0@x"],
        body="Cover v2.\n",
    )
    ss = series_of(v1 + v2)
    assert [(s.key, s.version, len(s.messages)) for s in ss] == [("a0@x", 1, 3), ("b0@x", 2, 3)]


def test_series_posted_in_reply_to_another_series_stays_separate():
    a = patchset("PATCH", 2, tag="a")
    b = patchset("PATCH", 2, tag="b", sender=BOB)
    b[0] = msg(
        "[PATCH 0/2] the series",
        from_=BOB,
        msgid="b0@x",
        in_reply_to="a1@x",
        references=["a0@x", "a1@x"],
        body="Other.\n",
    )
    ss = series_of(a + b)
    assert sorted(len(s.messages) for s in ss) == [3, 3]


def test_same_sender_series_in_reply_to_own_older_patch_is_separate():
    a = patchset("PATCH", 2, tag="a")
    single = msg(
        "[PATCH] unrelated fix",
        from_=ADA,
        msgid="s@x",
        in_reply_to="a2@x",
        references=["a0@x", "a2@x"],
        body=DIFF,
    )
    ss = series_of([*a, single])
    assert sorted(len(s.messages) for s in ss) == [1, 3]


def test_vN_threaded_under_older_cover_splits_by_version():
    v4 = patchset("PATCH v4", 2, tag="a")
    v5 = [
        msg(
            "[PATCH v5 0/2] s",
            from_=ADA,
            msgid="b0@x",
            in_reply_to="a0@x",
            references=["a0@x"],
            body="v5\n",
        )
    ]
    v5 += [
        msg(
            f"[PATCH v5 {i}/2] p",
            from_=ADA,
            msgid=f"b{i}@x",
            in_reply_to="b0@x",
            references=["a0@x", "b0@x"],
            body=DIFF,
        )
        for i in (1, 2)
    ]
    ss = series_of(v4 + v5)
    assert [(s.version, len(s.messages)) for s in ss] == [(4, 3), (5, 3)]


def test_extra_patch_after_n_of_n_joins():
    raws = patchset("PATCH", 2)
    raws.append(
        msg(
            "[PATCH 3/2] one more",
            from_=ADA,
            msgid="c3@x",
            in_reply_to="c0@x",
            references=["c0@x"],
            body=DIFF,
        )
    )
    (s,) = series_of(raws)
    assert len(s.patches) == 3


def test_series_mailed_in_two_batches():
    raws = patchset("PATCH", 4)
    between = msg("[PATCH] elsewhere", from_=BOB, msgid="z@x", body=DIFF)
    ss = series_of([*raws[:3], between, *raws[3:]])
    assert sorted(len(s.messages) for s in ss) == [1, 5]


def test_fractional_version_joins_its_series():
    raws = patchset("PATCH v5", 3)
    raws.append(
        msg(
            "[PATCH v5.1 2/3] patch 2",
            from_=ADA,
            msgid="c2b@x",
            in_reply_to="c2@x",
            references=["c0@x", "c2@x"],
            body=DIFF,
        )
    )
    (s,) = series_of(raws)
    assert len(s.patches) == 4


def test_replies_are_not_series():
    raws = [
        *patchset("PATCH", 1),
        msg("Re: [PATCH 1/1] patch 1", from_=BOB, in_reply_to="c1@x", body="> quoted\nok\n"),
    ]
    msgs = parse(raws)
    assert [m.kind for m in msgs] == ["patch", "patch", "reply"]
    assert len(group_series([m for m in msgs if m.is_patch])) == 1


# -- patterns seen on real lists (tricky-cases.md, "Seen on real lists") -------------------

DIFFSTAT_COVER = "Hi all,\n\nthis series adds helpers.\n\n a.c | 2 +-\n b.c | 4 ++--\n 2 files changed, 3 insertions(+), 3 deletions(-)\n"


def numbered(prefix, n, parent, sender=ADA, tag="p", first=1):
    return [
        msg(
            f"[{prefix} {i}/{n}] patch {i}",
            from_=sender,
            msgid=f"{tag}{i}@x",
            in_reply_to=parent,
            references=[parent],
            body=DIFF,
        )
        for i in range(first, n + 1)
    ]


def test_cover_version_carries_to_unversioned_patches():
    raws = [
        msg("[PATCHSET v2 0/7] the series", from_=ADA, msgid="c@x", body="Cover.\n"),
        *numbered("PATCH", 7, "c@x"),
    ]
    (s,) = series_of(raws)
    assert s.cover.msgid == "c@x" and len(s.patches) == 7 and s.version == 2


def test_rfc_cover_without_counter_heads_numbered_patches():
    raws = [
        msg("[PATCHSET RFC v3] the series", from_=ADA, msgid="c@x", body="Cover.\n"),
        *numbered("PATCH", 3, "c@x"),
    ]
    (s,) = series_of(raws)
    assert s.cover.msgid == "c@x" and len(s.patches) == 3 and (s.version, s.rfc) == (3, True)


def test_tagless_cover_with_diffstat_heads_patches():
    raws = [msg("add bvec initialization helpers v2", from_=ADA, msgid="c@x", body=DIFFSTAT_COVER)]
    raws += numbered("PATCH", 2, "c@x")
    msgs = parse(raws)
    assert (
        msgs[0].kind == "patch"
        and msgs[0].parsed.version == 2
        and msgs[0].parsed.title == "add bvec initialization helpers"
    )
    (s,) = group_series([m for m in msgs if m.is_patch])
    assert s.cover.msgid == "c@x" and len(s.patches) == 2 and s.version == 2


def test_cover_0_of_4_with_patches_n_of_5_is_one_series():
    raws = [
        msg("[RFC PATCH 0/4] the series", from_=ADA, msgid="c@x", body="Cover.\n"),
        *numbered("RFC PATCH", 5, "c@x"),
    ]
    (s,) = series_of(raws)
    assert s.cover.msgid == "c@x" and len(s.patches) == 5


def test_standalone_patch_inside_discussion_is_its_own_series():
    raws = patchset("PATCH", 2)
    raws.append(
        msg(
            "Re: [PATCH 1/2] patch 1",
            from_=BOB,
            msgid="r@x",
            in_reply_to="c1@x",
            references=["c0@x", "c1@x"],
            body="> x\nWhat about this?\n",
        )
    )
    raws.append(
        msg(
            "[PATCH] other: a different fix",
            from_=BOB,
            msgid="b@x",
            in_reply_to="r@x",
            references=["c0@x", "c1@x", "r@x"],
            body=DIFF,
        )
    )
    msgs = parse(raws)
    postings = [m for m in msgs if m.is_patch]
    ss = group_series(postings, others={m.msgid: m for m in msgs if not m.is_patch})
    assert sorted((s.key, len(s.messages)) for s in ss) == [("b@x", 1), ("c0@x", 3)]


def test_numbered_patch_answering_a_discussion_reply_is_not_a_missing_cover():
    raws = [
        msg(
            "[PATCH 1/2] try this",
            from_=BOB,
            msgid="b1@x",
            in_reply_to="r@x",
            references=["q@x", "r@x"],
            body=DIFF,
        )
    ]
    raws.append(
        msg(
            "[PATCH 2/2] and this",
            from_=BOB,
            msgid="b2@x",
            in_reply_to="b1@x",
            references=["q@x", "r@x", "b1@x"],
            body=DIFF,
        )
    )
    msgs = parse(raws)
    # r@x lies outside the range; the archive says it is a reply
    ss = group_series(msgs, kind_of=lambda mid: "reply" if mid == "r@x" else None)
    assert [(s.key, s.cover_missing, len(s.patches)) for s in ss] == [("b1@x", False, 2)]
    # unknown to the archive: taken as a cover this list did not receive
    (s,) = group_series(msgs)
    assert (s.key, s.cover_missing) == ("r@x", True)


def test_unthreaded_postings_minutes_apart_form_one_series():
    raws = [
        msg(
            f"[PATCH v2 {i}/3] patch {i}",
            from_=ADA,
            msgid=f"u{i}@x",
            body=DIFF,
            date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000",
        )
        for i in (0, 1, 2, 3)
    ]
    (s,) = series_of(raws)
    assert s.cover.msgid == "u0@x" and [p.parsed.counter for p in s.patches] == [1, 2, 3]


def test_unthreaded_postings_hours_apart_stay_apart():
    raws = [
        msg(
            f"[PATCH {i}/2] patch {i}",
            from_=ADA,
            msgid=f"u{i}@x",
            body=DIFF,
            date=f"Mon, 01 Jan 2024 1{2 * i}:00:00 +0000",
        )
        for i in (1, 2)
    ]
    assert len(series_of(raws)) == 2


def test_unthreaded_same_counter_twice_starts_another_series():
    raws = [
        msg(
            f"[PATCH 1/2] patch {i}",
            from_=ADA,
            msgid=f"u{i}@x",
            body=DIFF,
            date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000",
        )
        for i in (1, 2)
    ]
    assert len(series_of(raws)) == 2


def test_partial_reroll_answering_older_patch_is_its_own_series():
    v2 = patchset("PATCH v2", 7, tag="a")
    v3 = msg(
        "[PATCH v3 4/7] patch 4",
        from_=ADA,
        msgid="b4@x",
        in_reply_to="a4@x",
        references=["a0@x", "a4@x"],
        body=DIFF,
    )
    ss = series_of([*v2, v3])
    assert [(s.key, s.version, len(s.messages)) for s in ss] == [("a0@x", 2, 8), ("b4@x", 3, 1)]


def test_relay_rewritten_message_ids_still_group():
    raws = [
        msg("[PATCH 0/2] the series", from_=ADA, msgid="0123abcd4567ef89+c0@x", body="Cover.\n")
    ]
    raws += numbered("PATCH", 2, "c0@x")
    (s,) = series_of(raws)
    assert s.cover.msgid == "0123abcd4567ef89+c0@x" and len(s.patches) == 2


def test_old_version_patch_mailed_inside_new_batch_joins_it():
    raws = [msg("[PATCH v14 0/3] the series", from_=ADA, msgid="c@x", body="Cover.\n")]
    raws += numbered("PATCH v14", 3, "c@x")
    raws[2] = msg(
        "[PATCH v13 2/3] patch 2",
        from_=ADA,
        msgid="p2@x",
        in_reply_to="c@x",
        references=["c@x"],
        body=DIFF,
    )
    (s,) = series_of(raws)
    assert len(s.patches) == 3 and s.version == 14


def test_chain_reply_to_second_batch_joins():
    # v7 0/6..4/6 threaded; 5/6 sent two minutes later answering nothing, 6/6 answering 5/6
    raws = [
        msg(
            "[PATCH v7 0/3] s",
            from_=ADA,
            msgid="c@x",
            body="Cover.\n",
            date="Mon, 01 Jan 2024 10:00:00 +0000",
        )
    ]
    raws.append(
        msg(
            "[PATCH v7 1/3] a",
            from_=ADA,
            msgid="p1@x",
            in_reply_to="c@x",
            body=DIFF,
            date="Mon, 01 Jan 2024 10:00:10 +0000",
        )
    )
    raws.append(
        msg(
            "[PATCH v7 2/3] b",
            from_=ADA,
            msgid="p2@x",
            body=DIFF,
            date="Mon, 01 Jan 2024 10:02:00 +0000",
        )
    )
    raws.append(
        msg(
            "[PATCH v7 3/3] c",
            from_=ADA,
            msgid="p3@x",
            in_reply_to="p2@x",
            body=DIFF,
            date="Mon, 01 Jan 2024 10:02:10 +0000",
        )
    )
    (s,) = series_of(raws)
    assert s.cover.msgid == "c@x" and [p.msgid for p in s.patches] == ["p1@x", "p2@x", "p3@x"]


def test_unthreaded_tail_days_later_completing_a_series_joins():
    raws = patchset("PATCH", 4)[:3]  # cover, 1/4, 2/4 threaded
    raws += [
        msg(
            f"[PATCH {i}/4] patch {i}",
            from_=ADA,
            msgid=f"t{i}@x",
            body=DIFF,
            date=f"Wed, 03 Jan 2024 10:0{i}:00 +0000",
        )
        for i in (3, 4)
    ]
    (s,) = series_of(raws)
    assert len(s.patches) == 4


def test_similar_titles_are_one_change_edited_between_versions():
    from listdigest.model.versions import similar_titles

    assert similar_titles(
        "spi: imx: add 16/32 bits per word support for target PIO mode",
        "spi: imx: add 16/32 bits per word support for target mode",
    )
    # a number apart, another subsystem, or another change: not one change
    assert not similar_titles("spi: imx: fix dma for 8-bit", "spi: imx: fix dma for 16-bit")
    assert not similar_titles("spi: imx: fix dma", "i2c: imx: fix dma")
    assert not similar_titles("spi: add foo support", "spi: add bar support")


def test_relay_rewritten_message_ids_in_a_real_inbox(tmp_path):
    """No real instance in the shared archives: built with public-inbox-mda from mails in the
    pattern (the cover stored as HEX+id, the patches answering the id the sender gave)."""
    import shutil

    import pi

    from listdigest.pipeline import RangeSpec, report

    if shutil.which("public-inbox-mda") is None:
        pytest.skip("public-inbox is not installed")
    raws = [
        msg(
            "[PATCH v2 0/2] spi: relayed series",
            from_=ADA,
            msgid="5f3a9c1e2b7d4a60+cover@x",
            date="Mon, 01 Jan 2024 10:00:00 +0000",
            body="Cover.\n",
        )
    ]
    raws += [
        msg(
            f"[PATCH v2 {i}/2] spi: part {i}",
            from_=ADA,
            msgid=f"p{i}@x",
            in_reply_to="cover@x",
            references=["cover@x"],
            date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000",
            body=DIFF,
        )
        for i in (1, 2)
    ]
    inbox = pi.make_v2_inbox(str(tmp_path), "relay", raws)
    d = report(inbox, RangeSpec(), index_path=str(tmp_path / "ix.sqlite"))
    assert [(s.key, s.received, s.expected) for s in d.series] == [
        ("5f3a9c1e2b7d4a60+cover@x", 3, 3)
    ]
