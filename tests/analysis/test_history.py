"""History sections end to end on a crafted genuine v2 inbox, and changelog extraction."""

import json
import random
import shutil

import pi
import pytest

from listdigest.analysis.history import changelog
from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render
from listdigest.timeparse import parse_when

ANN = "Ann Author <ann@example.org>"
BOB = "Bob Reviewer <bob@example.org>"


def test_changelog_blocks():
    text = "Intro.\n\nChanges in V2:\n- one\n\nChanges in V3:\n- two\n- three\n\nAnn (2):\n  x\n"
    assert changelog(text, 3) == "Changes in V3:\n- two\n- three"
    assert changelog("v4 -> v5:\n - rebased\n\nthanks\n", 5) == "v4 -> v5:\n - rebased"
    assert changelog("Changes since v4:\n* fixed\n", 5) == "Changes since v4:\n* fixed"
    assert changelog("Changes since v4:\n* fixed\n", 4) == ""


def test_changelog_headings_are_found_as_one_scan_of_the_body_finds_them(kvmppc_epoch):
    """``changelog`` looks for headings only on the lines holding a version's "v" and digit
    (``_headings``); the matches must be those of the anchored pattern over the whole
    text, on every body and note of a real archive and on random heading soup."""
    from listdigest.analysis.history import _CL_M_RE, _headings
    from listdigest.message import read_messages
    from listdigest.message.body import split_body, strip_inbody
    from listdigest.sources.git import open_git_source

    def spans(found):
        return [m.span() for m in found]

    texts = []
    for _, m, _ in read_messages(open_git_source(kvmppc_epoch).select().messages):
        if m is not None and m.body:
            body = strip_inbody(m.body)
            texts += [body, split_body(body).notes]
    rng = random.Random(7)
    parts = ["v2:", "V3 ->v4:", "Changes in v5:", "since v4", " - v2: fix", "version 3:"]
    parts += ["dev2", "\n", "\n", " ", "\t", "x", "Changes v4..v5", "v10", "versions 2", "-"]
    texts += ["".join(rng.choice(parts) for _ in range(rng.randint(1, 20))) for _ in range(20000)]
    found = 0
    for text in texts:
        want = spans(_CL_M_RE.finditer(text))
        assert spans(_headings(text)) == want, text
        found += len(want)
    assert found > 5000


def _inbox(tmp_path):
    v1 = [
        pi.msg(
            "[PATCH 0/2] old title",
            from_=ANN,
            msgid="v1c@example.org",
            date="Mon, 01 Jan 2024 10:00:00 +0000",
        ),
        pi.msg(
            "[PATCH 1/2] a",
            from_=ANN,
            msgid="v1p1@example.org",
            in_reply_to="v1c@example.org",
            references="v1c@example.org",
            date="Mon, 01 Jan 2024 10:00:01 +0000",
            body="x\n---\ndiff --git a/a b/a\n",
        ),
    ]
    v2 = [
        pi.msg(
            "[PATCH v2 0/2] new title",
            from_=ANN,
            msgid="v2c@example.org",
            date="Thu, 01 Feb 2024 10:00:00 +0000",
            body="Cover.\n\nChanges in v2:\n- renamed\n\nv1: https://lore.kernel.org/test/v1c@example.org/\n",
        ),
        pi.msg(
            "[PATCH v2 1/2] a",
            from_=ANN,
            msgid="v2p1@example.org",
            in_reply_to="v2c@example.org",
            references="v2c@example.org",
            date="Thu, 01 Feb 2024 10:00:01 +0000",
            body="x\n---\ndiff --git a/a b/a\n",
        ),
        pi.msg(
            "Re: [PATCH v2 1/2] a",
            from_=BOB,
            msgid="r1@example.org",
            in_reply_to="v2p1@example.org",
            references=["v2c@example.org", "v2p1@example.org"],
            date="Thu, 01 Feb 2024 11:00:00 +0000",
            body="> Reviewed-by: Quoted <q@example.org>\nLooks fine.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
        pi.msg(
            "Re: [PATCH v2 1/2] a",
            from_="Carl <carl@example.org>",
            msgid="r2@example.org",
            in_reply_to="v2p1@example.org",
            references=["v2c@example.org", "v2p1@example.org"],
            date="Thu, 01 Feb 2024 11:30:00 +0000",
            body="Acked-by: Bob Reviewer <bob@example.org>\n",
        ),
        pi.msg(
            "Re: [PATCH v2 0/2] new title",
            from_="Max Maint <max@example.org>",
            msgid="r3@example.org",
            in_reply_to="v2c@example.org",
            references="v2c@example.org",
            date="Thu, 01 Feb 2024 12:00:00 +0000",
            body="On Thu, Ann wrote:\n> Cover.\n\nApplied to foo-next, thanks!\n\n[1/2] a\n      commit: 0123456789ab\n",
        ),
        pi.msg(
            "[PATCH] lonely",
            from_="Dan New <dan@example.org>",
            msgid="d1@example.org",
            date="Thu, 01 Feb 2024 13:00:00 +0000",
            body="x\n---\ndiff --git a/b b/b\n",
        ),
    ]
    return pi.make_v2_inbox(str(tmp_path), "test", v1 + v2)


@pytest.mark.skipif(
    shutil.which("public-inbox-mda") is None, reason="public-inbox is not installed"
)
def test_history_sections_crafted(tmp_path):
    inbox = _inbox(tmp_path)
    spec = RangeSpec(since=parse_when("2024-02-01"))
    d = report(inbox, spec, index_path=str(tmp_path / "ix.sqlite"))
    s = next(x for x in d.series if x.key == "v2c@example.org")
    # titles changed between versions: the cover letter's lore link still links them
    assert s.label == "v2 (revises v1 of 2024-01-01)"
    assert [(v.version, v.msgid, v.via) for v in s.versions] == [(1, "v1c@example.org", "link")]
    assert s.changelog == "Changes in v2:\n- renamed"
    h = d.history
    (rev,) = h.reviews
    assert rev.series_key == "v2c@example.org"
    assert [(t.name, t.person) for t in rev.trailers] == [
        ("Reviewed-by", "Bob Reviewer <bob@example.org>")
    ]
    assert [(t.name, t.sender) for t in h.mismatched] == [("Acked-by", "carl@example.org")]
    (ap,) = h.applied
    assert (ap.series_key, ap.tree, ap.source, ap.items[0].commit) == (
        "v2c@example.org",
        "foo-next",
        "b4",
        "0123456789ab",
    )
    assert h.first_time == ("Dan New <dan@example.org>",)
    assert [w.key for w in h.waiting] == ["d1@example.org"]
    assert h.hot_threads[0].root == "v2c@example.org" and h.hot_threads[0].messages == 5
    # text and JSON agree
    opts = ReportOptions(link_base="https://lore.kernel.org/test/")
    text = render(d, "text", opts)
    j = json.loads(render(d, "json", opts))
    assert j["schema_version"] == 3
    assert j["history"]["applied"][0]["tree"] == "foo-next"
    assert "v2 (revises v1 of 2024-01-01):  new title" in text
    assert "Reviewed-by: Bob Reviewer <bob@example.org>" in text
    assert "applied to foo-next by Max Maint <max@example.org>" in text
    assert "First-time contributors: Dan New <dan@example.org>" in text
    assert "https://lore.kernel.org/test/v2c@example.org/" in text
    # without the index: no past, so New
    d2 = report(inbox, spec)
    assert next(x for x in d2.series if x.key == "v2c@example.org").label == "New"
    assert not d2.history.indexed


def test_first_time_contributors_are_judged_by_person(tmp_path):
    """A known contributor posting from a new address is said as such, found by display name
    or by the mailmap; only a person the archive never saw is first-time."""
    if shutil.which("public-inbox-mda") is None:
        pytest.skip("public-inbox is not installed")
    from listdigest.analysis.employers import load_affiliations

    diff = "x\n---\ndiff --git a/a b/a\n"
    old = "Mon, 01 Jan 2024 10:00:00 +0000"
    new = "Thu, 01 Feb 2024 10:00:00 +0000"
    msgs = [
        pi.msg(
            "[PATCH] a: old fix",
            from_="Ann Dev <ann@old.example>",
            msgid="o1@x",
            date=old,
            body=diff,
        ),
        pi.msg(
            "[PATCH] b: old fix",
            from_="Bob Corp <bob@corp.example>",
            msgid="o2@x",
            date=old,
            body=diff,
        ),
        pi.msg(
            "[PATCH] a: new fix",
            from_="Ann Dev <ann@new.example>",
            msgid="n1@x",
            date=new,
            body=diff,
        ),
        pi.msg(
            "[PATCH] b: new fix",
            from_="Robert B <rb@home.example>",
            msgid="n2@x",
            date=new,
            body=diff,
        ),
        pi.msg(
            "[PATCH] c: first fix",
            from_="Cat New <cat@new.example>",
            msgid="n3@x",
            date=new,
            body=diff,
        ),
    ]
    inbox = pi.make_v2_inbox(str(tmp_path), "people", msgs)
    mailmap = tmp_path / "mailmap"
    mailmap.write_text("Bob Corp <bob@corp.example> <rb@home.example>\n")
    d = report(
        inbox,
        RangeSpec(since=parse_when("2024-02-01")),
        index_path=str(tmp_path / "ix.sqlite"),
        affiliations=load_affiliations(mailmaps=[str(mailmap)]),
    )
    assert d.history.first_time == ("Cat New <cat@new.example>",)
    assert d.history.new_addresses == ("Ann Dev <ann@new.example>", "Robert B <rb@home.example>")
    # the line wraps at 80 columns: compare the words
    assert (
        "New address of a known contributor: Ann Dev <ann@new.example>, Robert B <rb@home.example>"
        in " ".join(render(d, "text").split())
    )
