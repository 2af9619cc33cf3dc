"""Counted words agree with their number in every format ("1 message", "1 participant",
"1 series", "1 reply"), and the Atom feed is one a feed reader takes: ``rel="self"`` and
``rel="alternate"`` links, parsed by feedparser without a complaint (no bozo) and
well-formed XML, alone and merged with an older feed."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest
from daily_helpers import T0, Epoch, mail, patch

from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render
from listdigest.report.atom import merge_feed

BASE = "https://lore.kernel.org/tiny/"
NS = "{http://www.w3.org/2005/Atom}"
# a count of one with a plural word, or more than one with a singular word
WRONG_RE = re.compile(
    r"(?<![\d.])1 (?:messages|participants|patch postings|replies|series,? 1 series)\b"
    r"|(?<![\d.])(?:[02-9]|\d\d+) (?:message|participant|patch posting|reply)\b(?![s/])"
)


def _digest(tmp_path_factory, name, messages):
    ep = Epoch(str(tmp_path_factory.mktemp(name) / "inbox"))
    for raw in messages:
        ep.add(raw)
    return report(
        ep.inbox,
        RangeSpec(since=T0),
        list_name=name,
        index_path=str(ep.inbox) + ".sqlite",
    )


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """One patch, nothing else: 1 message, 1 patch posting, 1 series, 1 participant."""
    return _digest(tmp_path_factory, "one", [patch(1, "[PATCH] lib: one fix")])


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """One patch and one reply: 2 messages, 1 reply/other, a thread of 2 participants."""
    return _digest(
        tmp_path_factory,
        "two",
        [
            patch(1, "[PATCH] lib: one fix"),
            mail(
                2,
                "Re: [PATCH] lib: one fix",
                "Bob <bob@corp.example>",
                "Why?\n",
                irt="m1@example.org",
            ),
        ],
    )


def visible(page):
    """The HTML's text, tags dropped and white space made single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def texts(d):
    o = ReportOptions(link_base=BASE)
    atom = ET.fromstring(render(d, "atom", o).encode())
    return {
        "text": " ".join(render(d, "text", o).split()),
        "markdown": " ".join(render(d, "markdown", o).replace("**", "").split()),
        "html": visible(render(d, "html", o)),
        "atom": atom.findtext(f"{NS}entry/{NS}summary"),
    }


def test_one_of_everything_is_singular(one):
    assert (one.totals.messages, one.totals.patches, len(one.series)) == (1, 1, 1)
    for fmt, text in texts(one).items():
        assert not WRONG_RE.search(text), (fmt, WRONG_RE.search(text).group(0))
        if fmt == "atom":
            assert text == "1 message, 1 patch posting, 1 series"
            continue
        assert "1 message, 1 patch posting, 0 replies/other, 0 skipped" in text, fmt


def test_a_thread_of_one_message_and_one_participant(two):
    """The history never ranks a thread nobody else answered (so 1 participant does not
    arise from an archive); the renderers still say it right when handed one."""
    h = two.history
    t = dataclasses.replace(h.hot_threads[0], messages=1, replies=1, participants=1)
    d = dataclasses.replace(two, history=dataclasses.replace(h, hot_threads=(t,)))
    for fmt, text in texts(d).items():
        assert not WRONG_RE.search(text), (fmt, WRONG_RE.search(text).group(0))
        if fmt != "atom":
            assert re.search(r"1 message, 1 from others, 1 participant\b", text), fmt


def test_the_wrong_pattern_catches_what_it_should():
    for bad in ("1 messages", "1 participants", "2 message,", "3 participant", "1 replies"):
        assert WRONG_RE.search(bad), bad
    for good in ("1 message,", "2 messages", "1 reply/other", "0 replies/other", "12 messages"):
        assert not WRONG_RE.search(good), good


# -- the Atom feed -----------------------------------------------------------------------


def links(feed_xml, where=""):
    root = ET.fromstring(feed_xml.encode())
    return {el.get("rel"): el.get("href") for el in root.findall(f"{where}{NS}link")}


def test_feed_links_default_to_the_archive_and_take_given_urls(two):
    plain = render(two, "atom", ReportOptions(link_base=BASE))
    assert links(plain) == {"self": BASE, "alternate": BASE}
    assert links(plain, f"{NS}entry/") == {"alternate": BASE}
    options = ReportOptions(
        link_base=BASE,
        feed_url="https://digests.example.org/tiny/feed.atom",
        page_url="https://digests.example.org/tiny/",
    )
    given = render(two, "atom", options)
    assert links(given) == {
        "self": "https://digests.example.org/tiny/feed.atom",
        "alternate": "https://digests.example.org/tiny/",
    }
    # no archive and no URL given: no empty link
    assert links(render(two, "atom", ReportOptions())) == {}


def test_feedparser_reads_the_feed_without_a_complaint(one, two):
    feedparser = pytest.importorskip("feedparser")
    options = ReportOptions(
        link_base=BASE,
        feed_url="https://digests.example.org/tiny/feed.atom",
        page_url="https://digests.example.org/tiny/",
    )
    first = render(one, "atom", options)
    merged = merge_feed(first, render(two, "atom", options))
    for xml in (first, merged):
        ET.fromstring(xml.encode())  # well-formed
        parsed = feedparser.parse(xml.encode())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        rels = {link["rel"]: link["href"] for link in parsed.feed.links}
        assert rels == {
            "self": "https://digests.example.org/tiny/feed.atom",
            "alternate": "https://digests.example.org/tiny/",
        }
        for e in parsed.entries:
            assert e.link == "https://digests.example.org/tiny/"
            assert e.id.startswith("urn:uuid:") and e.updated_parsed and e.summary
            assert "mailing list update" in e.content[0].value
    assert len(feedparser.parse(merged.encode()).entries) == 2


def test_merge_takes_the_newest_feed_links():
    old = render_feed_with("https://old.example.org/feed.atom")
    new = render_feed_with("https://new.example.org/feed.atom")
    assert links(merge_feed(old, new))["self"] == "https://new.example.org/feed.atom"


def render_feed_with(feed_url):
    from listdigest.analysis.digest import Digest, Totals

    d = Digest(
        list_name="tiny",
        start=feed_url[8:11],  # another start: another entry
        end="b",
        top=15,
        domains=(),
        contributors=(),
        totals=Totals(0, 0, 0, 0, 0),
        series=(),
        skipped=(),
    )
    return render(d, "atom", ReportOptions(link_base=BASE, feed_url=feed_url))
