"""The stats HTML page's charts in headless Chromium and ``w3m -dump``: a small synthetic
``Stats`` (a long name with markup, rank moves up, down, equal and new, tenure and
time-to-review buckets) laid out at a phone's 390 px (an iframe: headless Chromium will not
make a narrower window than 500 px) and a desktop's 1280 px.  The host page's script writes
what it measured into the DOM, read back with ``--dump-dom``; screenshots at both widths are
kept in the test's tmp directory (and copied to ``$LISTDIGEST_SCREENSHOT_DIR``).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import browsers
import pytest
from pi import msg
from test_html_readers import w3m_dump

from listdigest.analysis.stats import Bucket, Ranking, RankRow, compute_stats, duration_buckets
from listdigest.message import parse_message
from listdigest.report.stats_html import render_html
from listdigest.sources import RawMessage

LONG = "Eve <i>Bold</i> & Co, a Very Long Display Name <eve.long.address@corp-b.example>"
CHARTS = ("move-reviewers_cs", "move-authors_cs", "tenure", "durations")

# what the charts measure, beside what ``browsers.framed`` measures of every page
SCRIPT = """  var charts = {};
  Array.prototype.forEach.call(doc.querySelectorAll("svg[id]"), function (svg) {
    var r = svg.getBoundingClientRect();
    charts[svg.id] = {width: r.width, height: r.height,
      labels: Array.prototype.map.call(svg.querySelectorAll("text"), function (t) {
        return {text: t.textContent, height: t.getBoundingClientRect().height,
                px: parseFloat(cs(t).fontSize)};
      })};
  });
  measured.charts = charts;
"""


@pytest.fixture(scope="module")
def stats():
    ada = "Ada Author <ada@corp-a.example>"
    raws = [
        msg("[PATCH] foo: fix bar", from_=ada, msgid="v1@x", date=1704067200),
        msg(
            "Re: [PATCH] foo: fix bar", from_=ada, msgid="r1@x", in_reply_to="v1@x", date=1704070800
        ),
    ]
    base = compute_stats(
        [parse_message(RawMessage(r, seq=i)) for i, r in enumerate(raws)],
        list_name="test-list",
        top=5,
    )
    rows = (
        RankRow(1, LONG, 31, "+1"),
        RankRow(2, "Michael Kelley <mhklinux@outlook.com>", 14, "-1"),
        RankRow(3, "Jakub Kicinski <kuba@kernel.org>", 7, "+38"),
        RankRow(4, "Simon Horman <horms@kernel.org>", 5, "="),
        RankRow(5, "Haiyang Zhang <haiyangz@microsoft.com>", 3, "new"),
    )
    return replace(
        base,
        previous=("2025-07-26", "2025-09-28"),
        rankings=(
            Ranking("reviewers_cs", "Top reviewers (change sets)", rows),
            Ranking("authors_cs", "Top authors (change sets)", rows[::-1]),
        ),
        tenure=(
            Bucket("first time", 12, 6),
            Bucket("< 6 months", 3, 3),
            Bucket("4+ years", 10, 23),
        ),
        outcomes=replace(
            base.outcomes,
            durations=duration_buckets([0.5, 2, 30, 30, 100, 900], [20, 200, 400, 800]),
        ),
    )


def _measure(tmp_path, page: str, width: int, shot: bool = False) -> dict:
    if shot:
        browsers.screenshot(tmp_path, page, width, "stats")
    return browsers.measure(tmp_path, page, width, "stats", SCRIPT)


@pytest.mark.slow  # browser starts: in the full suite, not in the fast tier
def test_stats_charts_in_chromium_at_phone_and_desktop_width(stats, tmp_path):
    page = render_html(stats)
    assert "<script" not in page and "<i>Bold</i>" not in page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)  # no external requests
    phone, desk = _measure(tmp_path, page, 390, True), _measure(tmp_path, page, 1280, True)
    assert phone["vw"] <= 390 and desk["vw"] > 1000
    for m in (phone, desk):
        assert sorted(m["charts"]) == sorted(CHARTS)
        assert m["over"] == [], m["over"][:10]
        assert m["scrollWidth"] <= m["vw"]
    for cid in CHARTS:
        p, d = phone["charts"][cid], desk["charts"][cid]
        assert p["width"] == d["width"] and p["height"] == d["height"] > 50, cid
        assert p["width"] <= 358, cid  # fits a phone beside the body's padding
        assert len(p["labels"]) >= 6 and [x["text"] for x in p["labels"]] == [
            x["text"] for x in d["labels"]
        ]
        for a, b in zip(p["labels"], d["labels"]):
            assert a["px"] >= 10 and a["px"] == b["px"] and abs(a["height"] - b["height"]) <= 1
    # what the rank chart says: before and now, "new", the long name cut with an ellipsis
    texts = [x["text"] for x in desk["charts"]["move-reviewers_cs"]["labels"]]
    assert {"#2", "#1", "#41", "new"} <= set(texts)
    assert any(t.startswith("Eve <i>Bold</i> & Co") and t.endswith("\u2026") for t in texts)


def test_stats_chart_tables_in_w3m(stats):
    lines = [" ".join(ln.split()) for ln in w3m_dump(render_html(stats), cols=160).splitlines()]
    # rank movement: before, now, move, name (whole)
    assert f"2 1 +1 {html.unescape(LONG)}" in lines
    assert "41 3 +38 Jakub Kicinski <kuba@kernel.org>" in lines
    assert "new 5 new Haiyang Zhang <haiyangz@microsoft.com>" in lines
    assert "4 4 = Simon Horman <horms@kernel.org>" in lines
    # tenure and time-to-review: label, then each series' count
    assert "first time 12 6" in lines and "4+ years 10 23" in lines
    assert "< 1 hour 1 0" in lines and "< 1 day 1 1" in lines and "< 3 days 2 0" in lines
    assert "< 2 weeks 0 1" in lines and "1 month+ 1 1" in lines
