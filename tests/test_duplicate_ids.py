"""Message identity (tricky-cases.md, "Two different mails with one Message-ID"): only identical
mails are one message; a different mail reusing an id is kept, counted and linked."""

import re

import pi

from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render

DIFF = "Fix.\n\nSigned-off-by: Ada <ada@example.com>\n---\n a.c | 2 +-\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"
ADA = "Ada <ada@example.com>"


def test_rfc_and_patch_under_one_message_id_are_two_postings(tmp_path):
    rfc = pi.msg(
        "[RFC] spi: try a thing",
        from_=ADA,
        msgid="same@x",
        date="Mon, 01 Jan 2024 10:00:00 +0000",
        body=DIFF,
    )
    patch = pi.msg(
        "[PATCH] spi: do the thing",
        from_=ADA,
        msgid="same@x",
        date="Tue, 02 Jan 2024 10:00:00 +0000",
        body=DIFF,
    )
    box = pi.make_mbox(str(tmp_path / "l.mbox"), [rfc, patch])
    d = report(box, RangeSpec())
    assert d.totals.patches == 2 and d.contributors[0].count == 2
    assert [s.subject for s in d.series] == ["[RFC] spi: try a thing", "[PATCH] spi: do the thing"]
    assert [s.key for s in d.series] == ["same@x", "same@x#dup2"]
    # the second mail links to the id lore shows both mails under
    md = render(d, "markdown", ReportOptions(link_base="https://lore.kernel.org/x/"))
    links = re.findall(r"\]\(<(https://lore\.kernel\.org/x/[^>]*)>\)", md)
    assert "https://lore.kernel.org/x/same@x/" in links and not [u for u in links if "dup" in u]


def test_the_same_mail_delivered_twice_is_one_message(tmp_path):
    m = pi.msg(
        "[PATCH] spi: do the thing",
        from_=ADA,
        msgid="one@x",
        date="Tue, 02 Jan 2024 10:00:00 +0000",
        body=DIFF,
    )
    box = pi.make_mbox(str(tmp_path / "l.mbox"), [m, m])
    d = report(box, RangeSpec())
    assert d.totals.messages == 1 and d.totals.patches == 1
