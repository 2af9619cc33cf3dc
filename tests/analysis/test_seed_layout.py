"""The seed digest's layout: messages shaped like the kvm range of the example must give
its first lines and its two tables line for line (ties in `sort | uniq -c | sort -rn`
order), one after the other with the employer table after them, a filled patch list, one
entry per series under the seed's three-line head, and whole subjects."""

import os

import pytest
from pi import msg, shared_data_dir

from listdigest.analysis.digest import build_digest
from listdigest.analysis.employers import load_affiliations
from listdigest.analysis.people import format_address
from listdigest.message import parse_message
from listdigest.report import render
from listdigest.sources import RawMessage

EXAMPLE = str(shared_data_dir().parent / "examples" / "kvm-update-2026-01-05.txt")
#: the employer section (issue 7) the digest adds after the seed's two tables, with the shipped map
EMPLOYERS = [
    "Top 15 employers (Based on Email Body)",
    "",
    "     16 Red Hat",
    "      8 AMD",
    "      6 Intel",
    "      4 SUSE",
    "      3 Alibaba",
    "",
]
DIFF = "\n---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n"

# the example's tables as (sender, in-body author or None, count)
MST = '"Michael S. Tsirkin" <mst@redhat.com>'
PEOPLE = [
    (MST, None, 16),
    ("Nikunj A Dadhania <nikunj@amd.com>", None, 8),
    ("Nikunj A Dadhania <nikunj@amd.com>", "Kai Huang <kai.huang@intel.com>", 1),
    ("Juergen Gross <jgross@suse.com>", None, 4),
    ("Fangyu Yu <fangyu.yu@linux.alibaba.com>", None, 3),
    ("Chao Gao <chao.gao@intel.com>", None, 3),
    ("Chao Gao <chao.gao@intel.com>", "Vishal Verma <vishal.l.verma@intel.com>", 1),
    ("Jun Miao <jun.miao@intel.com>", None, 1),
]


def build():
    raws = []
    n = 0
    for sender, author, count in PEOPLE:
        for i in range(count):
            n += 1
            body = (
                (f"From: {author}\n\n" if author else "")
                + f"Change {n}.\n\nSigned-off-by: {sender}"
                + DIFF
            )
            raws.append(
                msg(
                    f"[PATCH v2 {i + 1}/{count}] change {n}",
                    from_=sender,
                    msgid=f"m{n}@x",
                    body=body,
                    in_reply_to=f"cover-{sender}@x",
                )
            )
    # replies and a syzbot report are not counted
    raws.append(
        msg(
            "Re: [PATCH v2 1/16] change 1",
            from_="Sean <seanjc@google.com>",
            in_reply_to="m1@x",
            body="> x\nok\n",
        )
    )
    raws.append(
        msg(
            "[syzbot] [kvm?] WARNING in foo",
            from_="syzbot <syzbot+123@syzkaller.appspotmail.com>",
            body="crash\n",
        )
    )
    # a folded, encoded subject: the seed digest printed only "dma-mapping: add"
    raws.append(
        msg(
            "[PATCH v2 01/15] dma-mapping: add\n __dma_from_device_group_begin()/end()",
            from_="x <x@redhat.com>",
            msgid="fold@x",
            body="Add it." + DIFF,
            headers={"X-Test": "1"},
        )
    )
    return [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]


def test_tables_match_the_seed_digest_line_for_line():
    if not os.path.exists(EXAMPLE):
        pytest.skip(f"{EXAMPLE} not found (set LISTDIGEST_SHARED)")
    msgs = build()[:-1]
    digest = build_digest(
        msgs,
        list_name="KVM",
        start="0b15536c0",
        end="810a535b1",
        top=15,
        affiliations=load_affiliations(),
    )
    text = render(digest, "text")
    with open(EXAMPLE, encoding="utf-8") as f:
        example = f.read().split("\n")
    ours = text.split("\n")
    # the seed's first lines ("From A to B", "KVM mailing list update from A to B") and its
    # two tables, one after the other, line for line
    assert ours[:22] == example[:22]
    assert ours[0] == "From 0b15536c0 to 810a535b1"
    assert ours[1] == "KVM mailing list update from 0b15536c0 to 810a535b1"
    # then the employer table the digest adds, after both
    assert ours[22 : 22 + len(EMPLOYERS)] == EMPLOYERS
    del ours[22 : 22 + len(EMPLOYERS)]
    # after the tables: the bots kept out of them, then the range's totals
    assert ours[22:24] == [
        "Bots: syzbot (1)",
        "Totals: 39 messages, 37 patch postings, 2 replies/other, 0 skipped",
    ]


def test_quoting_follows_rfc5322():
    assert format_address("Michael S. Tsirkin", "mst@redhat.com") == MST
    assert format_address("Chao Gao", "chao.gao@intel.com") == "Chao Gao <chao.gao@intel.com>"
    assert format_address("", "a@b") == "<a@b>"
    assert format_address("Jörg Rödel", "joro@8bytes.org") == "Jörg Rödel <joro@8bytes.org>"


def test_folded_subject_is_whole():
    m = build()[-1]
    assert m.subject == "[PATCH v2 01/15] dma-mapping: add __dma_from_device_group_begin()/end()"
    assert m.parsed.title == "dma-mapping: add __dma_from_device_group_begin()/end()"


def test_patch_list_is_filled_and_one_entry_per_series():
    msgs = build()
    digest = build_digest(msgs, list_name="KVM", start="a", end="b")
    text = render(digest, "text")
    plist = text.split("===== Patch list in this time period =====\n", 1)[1].split(
        "===== Patch Commit Messages ===="
    )[0]
    # one item per series; a long item goes on under its subject (11 columns in)
    items = [l for l in plist.split("\n") if l.strip() and not l.startswith(" " * 11)]
    assert len(items) == len(digest.series) == 7
    assert " 16 of 17  [PATCH v2 1/16] change 1  -- Michael S. Tsirkin <mst@redhat.com>" in plist
    entries = text.split("===== Patch Commit Messages ====\n\n", 1)[1].split("-" * 70 + "\n\n")
    assert len([e for e in entries if e.strip()]) == 7
    assert "diff --git" not in text and "2.43.0" not in text


def test_same_address_in_other_case_is_one_person():
    raws = [
        msg(f"[PATCH] fix {i}", from_=f"Ada <{a}>", msgid=f"c{i}@x", body="x" + DIFF)
        for i, a in enumerate(["ada@Example.com", "ada@example.com", "ada@example.com"])
    ]
    d = build_digest(
        [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)],
        list_name="l",
        start="a",
        end="b",
    )
    assert [(c.count, c.label) for c in d.contributors] == [(3, "Ada <ada@example.com>")]
    assert [(c.count, c.label) for c in d.domains] == [(3, "example.com")]


def test_huge_body_is_cut_with_a_note():
    body = (
        "Start.\n"
        + "x" * 70
        + "\n"
        + ("line of a very long commit message\n" * 20000)
        + "\n---\n a | 1 +\n 1 file changed, 1 insertion(+)\n"
    )
    m = parse_message(RawMessage(msg("[PATCH] huge", msgid="h@x", body=body + DIFF), seq=0))
    d = build_digest([m], list_name="l", start="a", end="b")
    text = d.series[0].bodies[0].text
    assert len(text) < 66 * 1024 and text.startswith("Start.")
    assert text.endswith("more lines not shown; the whole message is in the archive]")


def test_series_head_keeps_the_seed_three_lines():
    """``New:  title`` / the subject / ``Author:``, as the seed prints them; the link and the
    versions the digest adds come after ``Author:``, the body after a blank line."""
    if not os.path.exists(EXAMPLE):
        pytest.skip(f"{EXAMPLE} not found (set LISTDIGEST_SHARED)")
    from listdigest.report import ReportOptions

    raws = [
        msg(
            "[PATCH v5 00/21] paravirt: cleanup and reorg",
            from_="Juergen Gross <jgross@suse.com>",
            msgid="pv0@x",
            body="Some cleanups and reorg of paravirt code and headers:\n",
        ),
        msg(
            "[PATCH v5 01/21] x86/paravirt: Remove not needed includes of paravirt.h",
            from_="Juergen Gross <jgross@suse.com>",
            msgid="pv1@x",
            in_reply_to="pv0@x",
            body="Remove them.\n\nSigned-off-by: Juergen Gross <jgross@suse.com>" + DIFF,
        ),
    ]
    msgs = [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]
    digest = build_digest(msgs, list_name="KVM", start="0b15536c0", end="810a535b1")
    with open(EXAMPLE, encoding="utf-8") as f:
        example = f.read()
    seed_head = "New:  paravirt: cleanup and reorg\n[PATCH v5 00/21] paravirt: cleanup and reorg\nAuthor: Juergen Gross <jgross@suse.com>\n"
    assert seed_head + "\nSome cleanups" in example
    body = "\nSome cleanups and reorg of paravirt code and headers:\n"
    # without a link base: the seed's three lines, then the body after a blank line; the
    # state the digest adds closes the entry
    text = render(digest, "text")
    assert seed_head + body + "\nState: new, no reply yet\n\n" + "-" * 70 in text
    # with one: the link follows Author:
    text = render(digest, "text", ReportOptions(link_base="https://lore.kernel.org/kvm/"))
    assert seed_head + "https://lore.kernel.org/kvm/pv0@x/\n" + body in text
