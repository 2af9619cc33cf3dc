"""The Atom feed (RFC 4287): one entry per delivered digest.

``render_atom`` makes a feed holding this digest's entry, with ``rel="self"`` (the feed's
URL) and ``rel="alternate"`` (the page it stands for) links; ``merge_feed`` adds that entry
to a list's existing feed (the files delivery keeps ``feed.atom`` in the output directory).
Nothing in it depends on the time it is made: ``updated`` is the newest message's time.
XML is built with ElementTree, so every string from a message is escaped.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from ..analysis.digest import Digest
from ..words import plural
from . import ReportOptions, register

NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", NS)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _iso(ts: int | None) -> str:
    when = (
        dt.datetime.fromtimestamp(ts, dt.timezone.utc)
        if ts is not None
        else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    )
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_id(list_name: str, link_base: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"listdigest:{list_name}:{link_base}"))


def entry_id(digest: Digest) -> str:
    """One entry per start: a retry after a failed delivery (same start, a later end)
    replaces the entry of the attempt before instead of adding an overlapping one."""
    return "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"listdigest:{digest.list_name}:{digest.start}")
    )


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def feed_links(options: ReportOptions) -> tuple[str, str]:
    """The feed's ``rel="self"`` and ``rel="alternate"`` URLs: the feed's and the page's own
    when given, else the list's archive (``link_base``); empty when there is neither."""
    return options.feed_url or options.link_base, options.page_url or options.link_base


@register("atom", "atom")
def render_atom(digest: Digest, options: ReportOptions) -> str:
    from .html import render_fragment

    updated = _iso(digest.newest)
    feed = ET.Element(_q("feed"))
    _sub(feed, "id", feed_id(digest.list_name, options.link_base))
    _sub(feed, "title", f"{digest.list_name} mailing list updates")
    _sub(feed, "updated", updated)
    author = _sub(feed, "author")
    _sub(author, "name", "listdigest")
    _sub(feed, "generator", "listdigest")
    self_url, page_url = feed_links(options)
    if self_url:
        _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    if page_url:
        _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id(digest))
    _sub(
        entry,
        "title",
        f"{digest.list_name} mailing list update from {digest.start} to {digest.end}",
    )
    _sub(entry, "updated", updated)
    if page_url:
        _sub(entry, "link", rel="alternate", type="text/html", href=page_url)
    t = digest.totals
    _sub(
        entry,
        "summary",
        f"{plural(t.messages, 'message')}, {plural(t.patches, 'patch posting')}, "
        f"{plural(len(digest.series), 'series')}",
    )
    _sub(entry, "content", render_fragment(digest, options), type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def merge_feed(old: str | None, new: str, keep: int = 50) -> str:
    """``old`` feed with ``new``'s entries added first (same id replaces), newest ``keep`` kept."""
    fresh = ET.fromstring(new.encode("utf-8"))
    if not old:
        return new
    try:
        feed = ET.fromstring(old.encode("utf-8"))
    except ET.ParseError:
        return new  # a damaged feed is replaced rather than blocking delivery
    if feed.tag != _q("feed"):
        return new
    # the feed's own links are the newest render's (a feed URL set since the last run)
    for link in feed.findall(_q("link")):
        feed.remove(link)
    at = next((i for i, el in enumerate(feed) if el.tag == _q("entry")), len(feed))
    for i, link in enumerate(fresh.findall(_q("link"))):
        feed.insert(at + i, link)
    new_entries = fresh.findall(_q("entry"))
    ids = {e.findtext(_q("id")) for e in new_entries}
    for e in feed.findall(_q("entry")):
        if e.findtext(_q("id")) in ids:
            feed.remove(e)
    kept = feed.findall(_q("entry"))
    for e in kept:
        feed.remove(e)
    entries = (new_entries + kept)[:keep]
    for e in entries:
        feed.append(e)
    upd = feed.find(_q("updated"))
    if upd is not None:
        upd.text = max(e.findtext(_q("updated")) or "" for e in entries)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
