"""The HTML digest where people read it: a text browser (``w3m -dump``), a webmail client
that strips ``<svg>``, and headless Chromium at a phone's 390 px and a desktop's 1280 px.

The input is a real week of linux-hyperv (long names, diffstats with long paths, a month's
reviewers) and the golden test's small archive.  Chromium measures the page itself: a host
page frames the digest at the width wanted and its script writes what it measured into the
DOM, read back with ``--dump-dom`` (the digest itself keeps its CSP: no script runs in it).  Screenshots at both
widths are kept in the test's tmp directory (and copied to ``$LISTDIGEST_SCREENSHOT_DIR``).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import browsers
import pytest

from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render
from listdigest.timeparse import parse_when

BASE = "https://lore.kernel.org/linux-hyperv/"


def w3m_dump(page: str, cols: int = 80) -> str:
    w3m = shutil.which("w3m")
    if w3m is None:
        pytest.skip("w3m is not installed (Debian: apt-get install w3m)")
    r = subprocess.run(
        [w3m, "-dump", "-T", "text/html", "-cols", str(cols), "-O", "UTF-8"],
        input=page.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    return r.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def hv_week(hv_epoch, real_index):
    return report(
        hv_epoch,
        RangeSpec(since=parse_when("2026-07-01"), until=parse_when("2026-07-07")),
        list_name="linux-hyperv",
        index_path=real_index("hv_epoch"),
    )


def _tables(d):
    h = d.history
    out = {"domains": d.domains, "contributors": d.contributors, "employers": d.employers}
    if h is not None and h.top_reviewers:
        out["reviewers"] = h.top_reviewers
    return out


def _rows_on_lines(dump: str, rows) -> list:
    """The rows not found as one line "count label" (label whole) in ``dump``."""
    lines = [" ".join(line.split()) for line in dump.splitlines()]
    return [(c.count, c.label) for c in rows if f"{c.count} {c.label}" not in lines]


@pytest.mark.real
def test_w3m_prints_one_table_row_per_line_with_its_number(hv_week):
    page = render(hv_week, "html", ReportOptions(link_base=BASE))
    dump = w3m_dump(page, cols=120)
    tables = _tables(hv_week)
    assert len(tables) == 4 and all(len(rows) >= 2 for rows in tables.values())
    for name, rows in tables.items():
        assert _rows_on_lines(dump, rows) == [], name
    # the tables in the text digest's order: the seed's two, then employers and reviewers
    at = [dump.index(t) for t in ("contributor Email domains", "15 contributors", "employers")]
    assert at == sorted(at)
    # the per-day chart's counts, as a table: one day a line
    days = [" ".join(line.split()) for line in dump.splitlines()]
    assert all(f"{c.label} {c.count}" in days for c in hv_week.per_day)
    # a diffstat line is one line, its path whole
    stat = re.search(r"^ (\S+/\S+\.[ch]) +\| +\d+ [-+]+$", dump, re.M)
    assert stat, "no diffstat line in the dump"


@pytest.mark.real
def test_numbers_survive_a_client_that_strips_svg(hv_week):
    page = render(hv_week, "html", ReportOptions(link_base=BASE))
    stripped = re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S)
    assert "<svg" not in stripped
    dump = w3m_dump(stripped, cols=120)
    for name, rows in _tables(hv_week).items():
        assert _rows_on_lines(dump, rows) == [], name
    lines = [" ".join(line.split()) for line in dump.splitlines()]
    assert all(f"{c.label} {c.count}" in lines for c in hv_week.per_day)


# -- headless Chromium --------------------------------------------------------------------

# what the per-day chart, the count tables and the diffstats measure, beside what
# ``browsers.framed`` measures of every page
SCRIPT = """  var svg = doc.querySelector("#per-day svg");
  var scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 0;
  measured.scale = scale;
  measured.labels = Array.prototype.map.call(doc.querySelectorAll("#per-day svg text"),
    function (t) {
      return {text: t.textContent, height: t.getBoundingClientRect().height,
              px: parseFloat(cs(t).fontSize) * scale};
    });
  measured.tables = Array.prototype.map.call(doc.querySelectorAll("table.counts"), function (t) {
    return {right: t.getBoundingClientRect().right,
            cells: Array.prototype.map.call(t.querySelectorAll("td"), function (c) {
              return parseFloat(cs(c).fontSize); })};
  });
  measured.stats = Array.prototype.map.call(doc.querySelectorAll(".diffstat"), function (s) {
    var st = cs(s), r = s.getBoundingClientRect();
    return {ws: st.whiteSpace, ox: st.overflowX, right: r.right, height: r.height,
            lines: s.textContent.replace(/\\n$/, "").split("\\n").length,
            line: parseFloat(cs(s.parentElement).lineHeight),
            scrolls: s.scrollWidth > s.clientWidth};
  });
"""


def measure(tmp_path, page: str, width: int) -> dict:
    return browsers.measure(tmp_path, page, width, "probe", SCRIPT)


def screenshot(tmp_path, page: str, width: int) -> str:
    return browsers.screenshot(tmp_path, page, width, "digest")


@pytest.mark.real
@pytest.mark.slow  # browser starts: in the full suite, not in the fast tier
def test_phone_and_desktop_layout_in_chromium(hv_week, tmp_path):
    page = render(hv_week, "html", ReportOptions(link_base=BASE))
    phone, desk = measure(tmp_path, page, 390), measure(tmp_path, page, 1280)
    assert phone["vw"] <= 390 and desk["vw"] > 1000
    # the chart is drawn at its own size: labels the same on a phone and a desktop, readable
    assert phone["scale"] == pytest.approx(1.0) and desk["scale"] == pytest.approx(1.0)
    assert len(phone["labels"]) >= 3 and len(phone["labels"]) == len(desk["labels"])
    for p, d in zip(phone["labels"], desk["labels"]):
        assert p["text"] == d["text"]
        assert abs(p["height"] - d["height"]) <= 1 and abs(p["px"] - d["px"]) <= 1, (p, d)
        assert p["px"] >= 10 and d["px"] >= 10
    # nothing leaves a phone's screen, except inside a wrapper that scrolls sideways
    for m in (phone, desk):
        assert m["over"] == [], m["over"][:10]
        assert m["scrollWidth"] <= m["vw"]
        assert len(m["tables"]) == 4
        assert all(t["right"] <= m["vw"] for t in m["tables"])
        assert all(px >= 12 for t in m["tables"] for px in t["cells"])
    # diffstats: never wrapped (as many line boxes as lines), scrolled sideways on a phone
    assert phone["stats"], "no diffstat in the week"
    for s in phone["stats"] + desk["stats"]:
        assert s["ws"] == "pre" and s["ox"] == "auto"
        assert s["height"] == pytest.approx(s["lines"] * s["line"], abs=2), s
    assert any(s["scrolls"] for s in phone["stats"])  # some path is wider than a phone
    screenshot(tmp_path, page, 390)
    screenshot(tmp_path, page, 1280)
