"""``report.stats_text`` and ``report.stats_html`` on statistics of a few synthetic messages:
the tables' numbers appear in the text and, read back by w3m (``-dump -T text/html``), in
the page; a name with markup is escaped in the page and shown as written."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from pi import msg

from listdigest.analysis.employers import load_affiliations
from listdigest.analysis.stats import compute_stats
from listdigest.message import parse_message
from listdigest.report.stats_html import render_html
from listdigest.report.stats_text import render_json, render_text
from listdigest.sources import RawMessage

ADA = "Ada Author <ada@corp-a.example>"
#: a display name holding markup and an ampersand
EVE_NAME = "Eve <i>Bold</i> & Co"
EVE = f'"{EVE_NAME}" <eve@corp-b.example>'
#: as the tables show her (the name quoted, as an address header writes it)
EVE_SHOWN = EVE
T0 = 1704067200  # 2024-01-01 00:00 UTC
H = 3600
DIFF = (
    "Fix it.\n\nSigned-off-by: Ada Author <ada@corp-a.example>\n---\n foo.c | 2 +-\n\n"
    "diff --git a/foo.c b/foo.c\n--- a/foo.c\n+++ b/foo.c\n@@ -1 +1 @@\n-a\n+b\n"
)


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    raws = [
        msg("[PATCH] foo: fix bar", from_=ADA, msgid="v1@x", date=T0, body=DIFF),
        msg(
            "Re: [PATCH] foo: fix bar",
            from_=EVE,
            msgid="e1@x",
            in_reply_to="v1@x",
            date=T0 + H,
            body="Reviewed-by: Eve <eve@corp-b.example>\n",
        ),
        msg(
            "Re: [PATCH] foo: fix bar",
            from_=EVE,
            msgid="e2@x",
            in_reply_to="e1@x",
            references=["v1@x", "e1@x"],
            date=T0 + 2 * H,
        ),
    ]
    emap = tmp_path_factory.mktemp("maps") / "employers"
    emap.write_text("corp-a.example Corp A & Sons\ncorp-b.example Corp B\n")
    aff = load_affiliations([str(emap)], default_map=False)
    messages = [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)]
    return compute_stats(messages, list_name="test-list", affiliations=aff, top=5)


def _rows(text: str, title: str) -> list[str]:
    """The rows of the table headed ``title:`` (up to the blank line after it)."""
    block = text.split(f"{title}:\n", 1)[1].split("\n\n", 1)[0]
    return [ln.strip() for ln in block.splitlines()]


def test_text_tables_hold_the_numbers(stats):
    text = render_text(stats)
    assert "Messages: 3 (3/day) from 2 people (2/day), 0 from bots not counted" in text
    assert "Threads: 1; change sets: 1; review share: 67% of messages" in text
    # Eve: one change set and one thread reviewed, 2 messages: 2 + 8 + 2 x (2 - 1) = 12
    assert _rows(text, "Top reviewers (messages)") == [f"1 [2] {EVE_SHOWN}"]
    assert _rows(text, "Top scores (positive)") == [f"1 [12] {EVE_SHOWN}"]
    assert _rows(text, "Top scores (negative)") == ["1 [-4] Ada Author <ada@corp-a.example>"]
    companies = text.split("== Companies ==", 1)[1]
    assert _rows(companies, "Top reviewers (messages)") == ["1 [2] Corp B"]
    assert "(Unknown): 0% of messages" in text
    assert "only authored      1   50%" in text and "only reviewed      1   50%" in text


def test_html_is_escaped(stats):
    page = render_html(stats)
    assert "<i>Bold</i>" not in page
    assert "Eve &lt;i&gt;Bold&lt;/i&gt; &amp; Co" in page
    assert "Corp A &amp; Sons" in page and "Corp A & Sons" not in page
    assert "<script" not in page


def _w3m(page: str) -> str:
    out = subprocess.run(
        ["w3m", "-dump", "-T", "text/html", "-cols", "200", "-O", "UTF-8"],
        input=page.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"[ \t]+", " ", out)


def test_html_tables_read_back_with_w3m(stats):
    shown = _w3m(render_html(stats))
    assert "test-list development statistics, 2024-01-01..2024-01-01" in shown
    assert "3 messages (3/day) from 2 people (2/day); 1 threads, 1 change sets" in shown
    # rank, value and name of each table's row, as a reader sees them
    assert f"1 2 {EVE_SHOWN}" in shown
    assert f"1 12 {EVE_SHOWN}" in shown
    assert "1 -4 Ada Author <ada@corp-a.example>" in shown
    assert "1 2 Corp B" in shown
    assert "only authored 1" in shown and "only reviewed 1" in shown and "both 0" in shown
    assert "change sets 1 (single patch 1, series 0)" in shown


def test_json_is_the_stats_dict(stats):
    d = json.loads(render_json(stats))
    assert d["totals"]["messages"] == 3
    assert {p["key"]: p["score"] for p in d["people"]} == {
        "eve@corp-b.example": 12,
        "ada@corp-a.example": -4,
    }
