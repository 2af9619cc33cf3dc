"""Every format says the same thing: series subjects and counts in text, Markdown, HTML and
JSON agree; JSON matches its schema; Atom holds RFC 4287's required elements; the HTML page
renders in headless Chromium with its charts and links and shows hostile subjects as text."""

from __future__ import annotations

import html as _html
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import markupsafe
import pytest

from daily_helpers import Epoch, mail, patch
from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render

HOSTILE = "[PATCH] x86: <script>alert(1)</script> & [brackets] *stars* _under_ `tick`"
BASE = "https://lore.example.org/demo/"


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    ep = Epoch(str(tmp_path_factory.mktemp("fmt") / "inbox"))
    ep.add(mail(1, "[PATCH 0/2] mm: speed up things", "Ada Lovelace <ada@example.com>", "Cover.\n"))
    ep.add(patch(2, "[PATCH 1/2] mm: one"))
    ep.add(patch(30, HOSTILE, '"Eve <img src=x onerror=alert(2)>" <eve@evil.example>'))
    ep.add(mail(31, "Re: " + HOSTILE, "Bob <bob@corp.example>", "Looks odd.\n", irt="m30@example.org"))
    ep.add(patch(60, "[PATCH v3 3/7] net: partial"))
    return report(ep.inbox, RangeSpec(), list_name="demo")


def rendered(digest, fmt):
    return render(digest, fmt, ReportOptions(link_base=BASE))


# -- extracting (received, expected, subject) from each format -----------------------------

def from_text(text):
    # patch-list lines: "  3 of 3   subject  -- author"
    body = text.split("===== Patch list in this time period =====")[1].split("===== Patch Commit Messages")[0]
    out = set()
    for line in body.strip().splitlines():
        m = re.match(r"^\s*(\d+) of (\d+)\s+(.*?)  -- ", line)
        out.add((int(m.group(1)), int(m.group(2)), m.group(3)))
    return out


def from_markdown(text):
    body = text.split("## Patch list in this time period")[1].split("## Patch Commit Messages")[0]
    out = set()
    for line in body.strip().splitlines():
        # "- 3 of 3 [escaped subject](<url>) — author"
        m = re.match(r"^- (\d+) of (\d+) \[(.*)\]\(<([^>]*)>\) — ", line)
        subject = re.sub(r"\\(.)", r"\1", m.group(3)).replace("&amp;", "&")
        out.add((int(m.group(1)), int(m.group(2)), subject))
    return out


class _Series(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items, self.cur, self.links = [], None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "li" and a.get("class") == "series":
            self.cur = []
        if tag == "a" and self.cur is not None:
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "li" and self.cur is not None:
            self.items.append("".join(self.cur))
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def from_html(text):
    p = _Series()
    p.feed(text)
    out = set()
    for item in p.items:
        m = re.match(r"^(\d+) of (\d+) (.*) — ", item)
        out.add((int(m.group(1)), int(m.group(2)), m.group(3)))
    return out


def from_json(text):
    return {(s["received"], s["expected"], s["subject"]) for s in json.loads(text)["series"]}


def test_all_formats_render_the_same_series(digest):
    want = {(s.received, s.expected, s.subject) for s in digest.series}
    assert len(want) == 4 and any(s[2] == HOSTILE for s in want)
    assert from_text(rendered(digest, "text")) == want
    assert from_markdown(rendered(digest, "markdown")) == want
    assert from_html(rendered(digest, "html")) == want
    assert from_json(rendered(digest, "json")) == want


def test_totals_and_tables_agree(digest):
    t = digest.totals
    line = f"{t.messages} messages, {t.patches} patch postings"
    assert line in rendered(digest, "text")
    assert f"**Totals:** {line}" in rendered(digest, "markdown")
    assert f"<strong>{t.messages}</strong> messages, <strong>{t.patches}</strong> patch postings" in rendered(digest, "html")
    for c in digest.contributors:
        assert str(markupsafe.escape(c.label)) in rendered(digest, "html")


def test_markdown_links_and_escapes(digest):
    md = rendered(digest, "markdown")
    assert "(<https://lore.example.org/demo/m30@example.org/>)" in md
    assert "<script>" not in md and "\\<script\\>" in md


def test_html_is_self_contained_and_escaped(digest):
    page = rendered(digest, "html")
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    # no external requests: the only URLs are the archive links (and the SVG namespace)
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", page))
    assert urls and all(u.startswith(BASE) for u in urls)
    assert not re.search(r"<[^>]*\ssrc=", page)  # no element loads anything
    assert page.count("<svg") == 3


def test_json_matches_schema(digest):
    jsonschema = pytest.importorskip("jsonschema")
    here = os.path.join(os.path.dirname(__file__), "..", "..", "src", "listdigest", "report", "schema.json")
    with open(here) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(rendered(digest, "json"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["per_day"][0] == {"count": 2, "label": "2026-01-05"}
    assert sum(c["count"] for c in data["per_day"]) == data["totals"]["messages"]


def test_atom_has_required_elements(digest):
    ns = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(rendered(digest, "atom").encode())
    assert feed.tag == ns + "feed"
    for tag in ("id", "title", "updated"):
        assert (feed.findtext(ns + tag) or "").strip(), tag
    assert feed.find(f"{ns}author/{ns}name") is not None
    entries = feed.findall(ns + "entry")
    assert len(entries) == 1
    e = entries[0]
    for tag in ("id", "title", "updated"):
        assert (e.findtext(ns + tag) or "").strip(), tag
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.findtext(ns + "updated"))
    assert e.findtext(ns + "id").startswith("urn:uuid:")
    content = e.find(ns + "content")
    assert content.get("type") == "html" and "&lt;script&gt;alert(1)" in content.text


def test_atom_feed_keeps_one_entry_per_digest(digest, tmp_path):
    from listdigest.report.atom import merge_feed

    ns = "{http://www.w3.org/2005/Atom}"
    one = rendered(digest, "atom")
    merged = merge_feed(one, one)  # the same digest twice: still one entry
    assert len(ET.fromstring(merged.encode()).findall(ns + "entry")) == 1


# -- headless Chromium ------------------------------------------------------------------------

def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def chrome(tmp_path, *args):
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_html_in_headless_chromium(digest, tmp_path):
    page = tmp_path / "digest.html"
    page.write_text(rendered(digest, "html"), encoding="utf-8")
    r = chrome(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-500:]
    dom = r.stdout
    # the rendered DOM: three charts with bars, every series linked, hostile text shown as text
    assert dom.count("<svg") == 3 and dom.count('class="bar"') >= 3
    assert f'href="{BASE}m30@example.org/"' in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom
    assert "alert(2)" not in dom.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    # a phone-size screenshot for humans (kept next to the test's tmp files)
    shot = tmp_path / "digest-phone.png"
    r = chrome(tmp_path, f"--screenshot={shot}", "--window-size=412,900", "--hide-scrollbars", page.as_uri())
    assert r.returncode == 0 and shot.stat().st_size > 10_000
    out = os.environ.get("LISTDIGEST_SCREENSHOT_DIR")
    if out:
        shutil.copy(shot, os.path.join(out, "digest-phone.png"))
