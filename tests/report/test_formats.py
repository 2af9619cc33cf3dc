"""Every format says the same thing: series subjects and counts in text, Markdown, HTML and
JSON agree, and so do the history and employer sections (reviews, applied, hot threads,
labels, versions, newcomers, bots, employers) of a digest built with an index; JSON matches its schema; Atom holds RFC 4287's required elements; the HTML page
renders in headless Chromium with its charts and links and shows hostile subjects as text."""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import markupsafe
import pytest
from browsers import chrome
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
    ep.add(
        mail(31, "Re: " + HOSTILE, "Bob <bob@corp.example>", "Looks odd.\n", irt="m30@example.org")
    )
    ep.add(patch(60, "[PATCH v3 3/7] net: partial"))
    return report(ep.inbox, RangeSpec(), list_name="demo")


def rendered(digest, fmt, width=0):
    """``fmt`` with every composed line whole (width 0), one item a line, as the extractors
    below read it; test_wrapping_changes_only_white_space holds the wrapped output to it."""
    return render(digest, fmt, ReportOptions(link_base=BASE, width=width))


# -- extracting (received, expected, subject) from each format -----------------------------


def from_text(text):
    # patch-list lines: "  3 of 3   subject  -- author"
    body = text.split("===== Patch list in this time period =====")[1].split(
        "===== Patch Commit Messages"
    )[0]
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
    assert (
        f"<strong>{t.messages}</strong> messages, <strong>{t.patches}</strong> patch postings"
        in rendered(digest, "html")
    )
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
    # the count tables are HTML tables; the one SVG is the per-day chart
    assert page.count("<svg") == 1 and page.count('<table class="counts"') == 3


def test_json_matches_schema(digest):
    jsonschema = pytest.importorskip("jsonschema")
    here = os.path.join(
        os.path.dirname(__file__), "..", "..", "src", "listdigest", "report", "schema.json"
    )
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


@pytest.mark.slow  # a browser start: in the full suite, not in the fast tier
def test_html_in_headless_chromium(digest, tmp_path):
    page = tmp_path / "digest.html"
    page.write_text(rendered(digest, "html"), encoding="utf-8")
    r = chrome(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-500:]
    dom = r.stdout
    # the rendered DOM: three count tables and the day chart with bars, every series linked,
    # hostile text shown as text
    assert dom.count("<svg") == 1 and dom.count('class="counts"') == 3
    assert dom.count('class="bar"') >= 4
    assert f'href="{BASE}m30@example.org/"' in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom
    assert "alert(2)" not in dom.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    # a phone-size screenshot for humans (kept next to the test's tmp files)
    shot = tmp_path / "digest-phone.png"
    r = chrome(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=412,900",
        "--hide-scrollbars",
        page.as_uri(),
    )
    assert r.returncode == 0 and shot.stat().st_size > 10_000
    out = os.environ.get("LISTDIGEST_SCREENSHOT_DIR")
    if out:
        shutil.copy(shot, os.path.join(out, "digest-phone.png"))


# -- parity of the history and employer sections ---------------------------------------------
#
# A crafted genuine inbox (public-inbox tools) indexed through pipeline.report: a v1 and a v2
# of a series linked by the lore link in v2's cover letter, a Reviewed-by reply, a trailer sent
# by someone else, b4 "Applied to ..., thanks!" notices, a hostile series that is reviewed,
# applied and discussed, a newcomer waiting for review and a bot.  Every format is reduced to
# (section, line) pairs, and the facts the Digest holds must all be found in the right section
# of each format.

ANN = "Ann Author <ann@acme.example>"
BOB = "Bob Reviewer <bob@globex.example>"
MAX = "Max Maint <max@kernel.org>"
EVE = '"Eve <img src=x onerror=alert(2)>" <eve@globex.example>'
HBASE = "https://lore.kernel.org/test/"
#: the section titles, in the text digest's order (a line starting with one opens the section)
TITLES = (
    "Top 15 contributor Email domains",
    "Top 15 contributors",
    "Top 15 employers",
    "Top 15 reviewers",
    "First-time contributors",
    "Bots",
    "Totals",
    "Messages per day",
    "Patch list in this time period",
    "Patch Commit Messages",
    "Waiting for review",
    "Reviews in this period",
    "Applied in this period",
    "Hot threads",
    "Skipped",
)
HTML_ONLY = {"Messages per day"}


def _when(day, hh=10, mm=0):
    return f"{day} 2024 {hh:02d}:{mm:02d}:00 +0000"


@pytest.fixture(scope="module")
def hdigest(tmp_path_factory):
    if shutil.which("public-inbox-mda") is None:
        pytest.skip("public-inbox is not installed")
    import pi

    from listdigest.analysis.employers import load_affiliations
    from listdigest.timeparse import parse_when

    tmp = tmp_path_factory.mktemp("hist")
    diff = "x\n---\ndiff --git a/a b/a\n"
    v2 = {"references": ["v2c@example.org", "v2p1@example.org"], "in_reply_to": "v2p1@example.org"}
    hot = {"in_reply_to": "h1@example.org", "references": "h1@example.org"}
    msgs = [
        pi.msg(
            "[PATCH 0/2] old title", from_=ANN, msgid="v1c@example.org", date=_when("Mon, 01 Jan")
        ),
        pi.msg(
            "[PATCH 1/2] a",
            from_=ANN,
            msgid="v1p1@example.org",
            in_reply_to="v1c@example.org",
            references="v1c@example.org",
            date=_when("Mon, 01 Jan", 10, 1),
            body=diff,
        ),
        # the range starts here
        pi.msg(
            "[PATCH v2 0/2] new title",
            from_=ANN,
            msgid="v2c@example.org",
            date=_when("Thu, 01 Feb"),
            body="Cover.\n\nChanges in v2:\n- renamed <b>*x*</b>\n\nv1: https://lore.kernel.org/test/v1c@example.org/\n",
        ),
        pi.msg(
            "[PATCH v2 1/2] a",
            from_=ANN,
            msgid="v2p1@example.org",
            in_reply_to="v2c@example.org",
            references="v2c@example.org",
            date=_when("Thu, 01 Feb", 10, 1),
            body=diff,
        ),
        pi.msg(
            "Re: [PATCH v2 1/2] a",
            from_=BOB,
            msgid="r1@example.org",
            date=_when("Thu, 01 Feb", 11),
            body="Looks fine.\n\nReviewed-by: Bob Reviewer <bob@globex.example>\n",
            **v2,
        ),
        pi.msg(
            "Re: [PATCH v2 1/2] a",
            from_="Carl <carl@example.org>",
            msgid="r2@example.org",
            date=_when("Thu, 01 Feb", 11, 30),
            body="Acked-by: Bob Reviewer <bob@globex.example>\n",
            **v2,
        ),
        pi.msg(
            "Re: [PATCH v2 0/2] new title",
            from_=MAX,
            msgid="r3@example.org",
            in_reply_to="v2c@example.org",
            references="v2c@example.org",
            date=_when("Thu, 01 Feb", 12),
            body="On Thu, Ann wrote:\n> Cover.\n\nApplied to foo-next, thanks!\n\n[1/2] a\n      commit: 0123456789ab\n",
        ),
        pi.msg(
            HOSTILE,
            from_=EVE,
            msgid="h1@example.org",
            date=_when("Fri, 02 Feb"),
            body="Body <b>bold</b>\n---\ndiff --git a/h b/h\n",
        ),
        pi.msg(
            "Re: " + HOSTILE,
            from_=BOB,
            msgid="h2@example.org",
            date=_when("Fri, 02 Feb", 11),
            body="Tested-by: Bob Reviewer <bob@globex.example>\n",
            **hot,
        ),
        pi.msg(
            "Re: " + HOSTILE,
            from_="Carl <carl@example.org>",
            msgid="h3@example.org",
            in_reply_to="h2@example.org",
            references=["h1@example.org", "h2@example.org"],
            date=_when("Fri, 02 Feb", 12),
            body="Me too.\n",
        ),
        pi.msg(
            "Re: " + HOSTILE,
            from_=MAX,
            msgid="h4@example.org",
            date=_when("Fri, 02 Feb", 13),
            body="Applied to x86-next, thanks!\n\n[1/1] x86: <b>hostile</b>\n      commit: abcdef012345\n",
            **hot,
        ),
        pi.msg(
            "[PATCH] lonely",
            from_="Dan New <dan@acme.example>",
            msgid="d1@example.org",
            date=_when("Sat, 03 Feb"),
            body=diff,
        ),
        pi.msg(
            "Re: [PATCH] lonely",
            from_="kernel test robot <lkp@intel.com>",
            msgid="k1@example.org",
            in_reply_to="d1@example.org",
            references="d1@example.org",
            date=_when("Sat, 03 Feb", 12),
            body="Hi Dan,\n\nkernel test robot noticed build errors.\n",
        ),
    ]
    inbox = pi.make_v2_inbox(str(tmp), "test", msgs)
    emap = tmp / "employers"
    # markup characters in an employer name must come out as text everywhere
    emap.write_text("acme.example\tAcme & *Co* [x]_y\nglobex.example\tGlobex\n")
    return report(
        inbox,
        RangeSpec(since=parse_when("2024-02-01")),
        list_name="test",
        index_path=str(tmp / "ix.sqlite"),
        affiliations=load_affiliations([str(emap)]),
    )


def hrendered(digest, fmt, width=0):
    return render(digest, fmt, ReportOptions(link_base=HBASE, width=width))


def _norm(line):
    return " ".join(line.split())


def _sections(lines):
    """{title: [lines]} and the titles in order, for a format reduced to plain lines."""
    out, order, cur = {}, [], None
    for line in lines:
        line = _norm(line)
        title = next((t for t in TITLES if line.startswith(t)), None)
        if title is not None and title not in out:
            cur = title
            out[cur] = []
            order.append(cur)
        if cur is not None and line:
            out[cur].append(line)
    return out, [t for t in order if t not in HTML_ONLY]


def text_lines(text):
    return [re.sub(r"^=+ | =+$", "", line.strip()) for line in text.splitlines()]


# a Markdown link as the renderer writes it: [escaped text](<url>)
MD_LINK_RE = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(<([^>]*)>\)")


def md_lines(text):
    out, fence = [], None
    for line in text.splitlines():
        # fenced blocks (bodies, changelogs) are shown verbatim: no markup to undo
        opener = re.match(r"^(`{3,})", line)
        if fence is None and opener:
            fence = opener.group(1)
            continue
        if fence is not None:
            if line == fence:
                fence = None
            else:
                out.append(line)
            continue
        line = MD_LINK_RE.sub(lambda m: m.group(1) + " " + m.group(2), line)
        line = re.sub(
            r"^#+ |^\s*- |\*\*", "", line.replace("|", " ") if line.startswith("|") else line
        )
        out.append(re.sub(r"\\(.)", r"\1", line).replace("&amp;", "&"))
    return out


class _Lines(HTMLParser):
    """Visible text, one line per block element (an SVG chart row is one line); hrefs kept
    as words after their link text; <title> tooltips and <head> left out."""

    BLOCK = {"p", "li", "ul", "h1", "h2", "h3", "div", "g", "br", "pre", "tr", "svg", "details"}

    def __init__(self):
        super().__init__()
        self.lines, self.cur, self.skip, self.href, self.pre = [], [], 0, [], 0

    def _flush(self):
        self.lines.extend("".join(self.cur).split("\n"))
        self.cur = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK:
            self._flush()
        if tag in ("title", "head"):
            self.skip += 1
        if tag == "a":
            self.href.append(dict(attrs).get("href"))
        if tag == "text":
            self.cur.append(" ")
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag):
        if tag in ("title", "head"):
            self.skip -= 1
        if tag == "a":
            self.cur.append(" " + (self.href.pop() or ""))
        if tag == "pre":
            self.pre -= 1
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data):
        if not self.skip:
            # outside <pre> a newline in the markup is just white space
            self.cur.append(data if self.pre else data.replace("\n", " "))


def html_lines(page):
    p = _Lines()
    p.feed(page)
    p._flush()
    return p.lines


def json_lines(text):
    """The JSON reduced to the text digest's lines, from the keys that carry each section."""
    j = json.loads(text)
    h, top, out = j["history"], j["top"], []
    out.append(f"Top {top} contributor Email domains")
    out += [f"{c['count']} {c['label']}" for c in j["domains"]]
    out.append(f"Top {top} contributors")
    out += [f"{c['count']} {c['label']}" for c in j["contributors"]]
    out.append(f"Top {top} employers")
    out += [f"{c['count']} {c['label']}" for c in j["employers"]]
    out.append(f"Top {top} reviewers")
    out += [f"{c['count']} {c['label']}" for c in h["top_reviewers"]]
    out.append("First-time contributors: " + ", ".join(h["first_time"]))
    out.append("Bots: " + ", ".join(f"{b['label']} ({b['count']})" for b in h["bots"]))
    t = j["totals"]
    out.append(f"Totals: {t['messages']} messages, {t['patches']} patch postings")
    out.append("Patch list in this time period")
    out += [f"{s['received']} of {s['expected']} {s['subject']} {s['link']}" for s in j["series"]]
    out.append("Patch Commit Messages")
    for s in j["series"]:
        out.append(f"{s['label']}: {s['title']}")
        out += [f"Versions: v{v['version']} {v['date']}" for v in s["versions"]]
        out += s["changelog"].splitlines()
    out.append("Waiting for review")
    out += [f"{w['date']} {w['subject']} -- {w['author']}" for w in h["waiting"]]
    out.append("Reviews in this period")
    for r in h["reviews"]:
        out.append(r["subject"])
        out += [f"{x['name']}: {x['person']}" for x in r["trailers"]]
    out += [f"{x['name']}: {x['person']} (sent by {x['sender']})" for x in h["mismatched"]]
    out.append("Applied in this period")
    for a in h["applied"]:
        out += [a["subject"], f"applied to {a['tree']} by {a['by']}"]
        out += [f"[{i['label']}] {i['title']} {i['commit']}" for i in a["items"]]
    out.append("Hot threads")
    out += [
        f"{x['messages']} messages, {x['participants']} participants {x['subject']}"
        for x in h["hot_threads"]
    ]
    return out


def facts(d):
    """(section, words that one line of that section holds) for everything the digest says."""
    h, top = d.history, d.top
    num = lambda n: ("#", str(n))
    out = set()
    for title, rows in (
        (f"Top {top} contributor Email domains", d.domains),
        (f"Top {top} employers", d.employers),
        (f"Top {top} contributors", d.contributors),
        (f"Top {top} reviewers", h.top_reviewers),
    ):
        out |= {(title[: len(title)].split(" (")[0], (num(c.count), c.label)) for c in rows}
    out |= {("First-time contributors", (p,)) for p in h.first_time}
    out |= {("Bots", (b.label, f"({b.count})")) for b in h.bots}
    out.add(("Totals", (f"{d.totals.messages} messages", f"{d.totals.patches} patch postings")))
    out |= {
        ("Patch list in this time period", (f"{s.received} of {s.expected}", s.subject))
        for s in d.series
    }
    for s in d.series:
        out.add(("Patch Commit Messages", (s.label + ":", s.title)))
        out |= {
            ("Patch Commit Messages", ("Versions:", f"v{v.version} {v.date}")) for v in s.versions
        }
        out |= {
            ("Patch Commit Messages", (line,)) for line in s.changelog.splitlines() if line.strip()
        }
    out |= {("Waiting for review", (w.date, w.subject, w.author)) for w in h.waiting}
    for r in h.reviews:
        out.add(("Reviews in this period", (r.subject,)))
        out |= {("Reviews in this period", (f"{t.name}: {t.person}",)) for t in r.trailers}
    out |= {
        ("Reviews in this period", (f"{t.name}: {t.person}", f"(sent by {t.sender})"))
        for t in h.mismatched
    }
    for a in h.applied:
        out.add(("Applied in this period", (a.subject,)))
        out.add(("Applied in this period", (f"applied to {a.tree}", f"by {a.by}")))
        out |= {("Applied in this period", (f"[{i.label}] {i.title}", i.commit)) for i in a.items}
    out |= {
        ("Hot threads", (f"{t.messages} messages", f"{t.participants} participants", t.subject))
        for t in h.hot_threads
    }
    return out


def _holds(line, words):
    for w in words:
        if isinstance(w, tuple):  # a count: a whole word, not a digit inside another number
            if not re.search(r"(?<![\w.])" + re.escape(w[1]) + r"(?![\w.])", line):
                return False
        elif w not in line:
            return False
    return True


def found(sections, want):
    return {
        (sec, words)
        for sec, words in want
        if any(_holds(line, words) for line in sections.get(sec, ()))
    }


def links(d):
    """(section, URL) for every series, version, thread, patch and notice the markup links."""
    h, u = d.history, (lambda msgid: HBASE + msgid + "/")
    out = {("Patch list in this time period", u(s.key)) for s in d.series}
    for s in d.series:
        out |= {
            ("Patch Commit Messages", u(x))
            for x in [s.key] + [v.msgid for v in s.versions] + [b.msgid for b in s.bodies]
        }
    out |= {("Waiting for review", u(w.key)) for w in h.waiting}
    for r in h.reviews:
        out.add(("Reviews in this period", u(r.series_key)))
        out |= {("Reviews in this period", u(t.patch_msgid)) for t in r.trailers}
    out |= {("Reviews in this period", u(t.patch_msgid)) for t in h.mismatched}
    out |= {("Applied in this period", u(x)) for a in h.applied for x in (a.series_key, a.msgid)}
    out |= {("Hot threads", u(t.root)) for t in h.hot_threads}
    return out


def test_history_fixture_has_every_section(hdigest):
    h = hdigest.history
    assert h.indexed
    v2 = next(s for s in hdigest.series if s.key == "v2c@example.org")
    assert v2.label == "v2 (revises v1 of 2024-01-01)" and [v.msgid for v in v2.versions] == [
        "v1c@example.org"
    ]
    assert v2.changelog.startswith("Changes in v2:")
    assert [(t.name, t.person) for r in h.reviews for t in r.trailers] == [
        ("Reviewed-by", BOB),
        ("Tested-by", BOB),
    ]
    assert [(t.name, t.sender) for t in h.mismatched] == [("Acked-by", "carl@example.org")]
    assert {(a.subject, a.tree) for a in h.applied} == {
        ("[PATCH v2 0/2] new title", "foo-next"),
        (HOSTILE, "x86-next"),
    }
    assert [t.subject for t in h.hot_threads][:2] == ["[PATCH v2 0/2] new title", HOSTILE]
    assert [(b.label, b.count) for b in h.bots] == [("kernel test robot", 1)]
    assert h.first_time and [(w.key, w.state) for w in h.waiting] == [("d1@example.org", "new")]
    # the applied series: by whom, where, the notice that decided it; the bot's reply is no review
    st = {s.key: s.state for s in hdigest.series}
    assert (
        st["v2c@example.org"].state,
        st["v2c@example.org"].tree,
        st["v2c@example.org"].msgid,
    ) == ("applied", "foo-next", "r3@example.org")
    assert (st["d1@example.org"].state, st["d1@example.org"].replies) == ("new", 0)
    assert [(c.label, c.count) for c in hdigest.employers] == [
        ("Acme & *Co* [x]_y", 3),
        ("Globex", 1),
    ]
    assert {c.label for c in h.top_reviewers} == {BOB}


@pytest.mark.parametrize(
    "fmt,lines",
    [("text", text_lines), ("markdown", md_lines), ("html", html_lines), ("json", json_lines)],
)
def test_all_formats_say_the_same_history(hdigest, fmt, lines):
    want = facts(hdigest)
    assert len(want) > 30
    sections, order = _sections(lines(hrendered(hdigest, fmt)))
    got = found(sections, want)
    assert sorted(want - got, key=repr) == []
    # the same sections, in the text digest's order
    _, text_order = _sections(text_lines(hrendered(hdigest, "text")))
    assert order == text_order
    assert text_order == [t for t in TITLES if t not in HTML_ONLY and t != "Skipped"]
    if fmt in ("markdown", "html"):
        # every series, version, thread, trailer's patch and applied notice is linked
        urls = {
            (sec, w)
            for sec, ls in sections.items()
            for line in ls
            for w in re.findall(re.escape(HBASE) + r"[^\s)]*", line)
        }
        assert sorted(links(hdigest) - urls, key=repr) == []


def test_history_escaping_in_markup(hdigest):
    md = hrendered(hdigest, "markdown")
    outside = re.sub(
        r"```text\n.*?\n```", "", md, flags=re.S
    )  # bodies and changelogs are fenced, shown verbatim
    # outside them, every "<" is escaped, except the <url> of a link
    assert re.findall(r"(?<!\\)<(?!https://)", outside) == []
    assert "Acme &amp; \\*Co\\* \\[x\\]\\_y" in md
    for section in ("## Reviews in this period", "## Applied in this period", "## Hot threads"):
        part = md.split(section)[1].split("\n## ")[0]
        assert "\\<script\\>alert\\(1\\)\\</script\\>" in part and not re.search(
            r"(?<!\\)<script", part
        )
    page = hrendered(hdigest, "html")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "Acme &amp; *Co* [x]_y" in page


def test_history_json_matches_schema(hdigest):
    jsonschema = pytest.importorskip("jsonschema")
    here = os.path.join(
        os.path.dirname(__file__), "..", "..", "src", "listdigest", "report", "schema.json"
    )
    with open(here) as f:
        schema = json.load(f)
    data = json.loads(hrendered(hdigest, "json"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["schema_version"] == 3 and data["history"]["indexed"] is True
    states = {s["key"]: s["state"]["state"] for s in data["series"]}
    assert states == {
        "v2c@example.org": "applied",
        "h1@example.org": "applied",
        "d1@example.org": "new",
    }
    assert data["employers"][0] == {"count": 3, "label": "Acme & *Co* [x]_y"}


def test_atom_entry_embeds_the_history(hdigest):
    ns = "{http://www.w3.org/2005/Atom}"
    content = ET.fromstring(hrendered(hdigest, "atom").encode()).find(f"{ns}entry/{ns}content").text
    sections, _ = _sections(html_lines(content))
    want = facts(hdigest)
    assert found(sections, want) == want


@pytest.mark.slow  # a browser start: in the full suite, not in the fast tier
def test_history_html_in_headless_chromium(hdigest, tmp_path):
    page = tmp_path / "history.html"
    page.write_text(hrendered(hdigest, "html"), encoding="utf-8")
    r = chrome(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-500:]
    dom = r.stdout
    assert "<script" not in dom and "<img" not in dom
    # four count tables (domains, contributors, employers, reviewers) and the per-day chart;
    # the employer table has its bars
    assert dom.count("<svg") == 1 and dom.count('class="counts"') == 4
    employers = dom.split('id="employers"')[1].split('id="reviewers"')[0]
    assert employers.count('class="bar"') == 2 and "Acme &amp; *Co* [x]_y" in employers
    sections, _ = _sections(html_lines(dom))
    for sec in ("Reviews in this period", "Applied in this period", "Hot threads"):
        assert any(HOSTILE in line for line in sections[sec]), (
            sec
        )  # the subject is text, not markup
    shot = tmp_path / "history-phone.png"
    r = chrome(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=412,900",
        "--hide-scrollbars",
        page.as_uri(),
    )
    assert r.returncode == 0 and shot.stat().st_size > 10_000
    out = os.environ.get("LISTDIGEST_SCREENSHOT_DIR")
    if out:
        shutil.copy(shot, os.path.join(out, "history-phone.png"))
