"""Messages of a period straight from a public-inbox server's search, without a mirror.

This module owns the ``report --lore URL`` source: it asks the server's Xapian search for
``rt:SINCE..UNTIL`` (received-time range, unix seconds), downloads the results as a gzipped
mbox (``x=m``, POSTed as public-inbox expects), and hands the messages over in archive
order (the server sends newest first).  It also checks the server's own count of matches
against what arrived, because search results can be capped; a capped answer is refused
rather than digested short.  Parsing and date filtering are left to later stages.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import RangeError, SourceError
from . import RawMessage, Selection
from .mailbox import MboxSource, header_date
from .sync import ListNotFoundError, NotPublicInboxError, http_get, split_list_url

Fetch = Callable[..., Optional[bytes]]

# the search page's count line: "Results 1-200 of ~12345" ("~" when Xapian only estimates)
_COUNT_RE = re.compile(rb"Results\s+\d+-\d+\s+of\s+(~?)(\d+)")
_NO_RANGE = "--from/--to need a git archive; use --since/--until with --lore"


class CappedResultsError(SourceError):
    """The server returned fewer results than it matched."""


class NoSearchError(SourceError):
    """The server has the list but no search index (public-inbox answers 501)."""


def _not_implemented(exc: SourceError) -> bool:
    """Whether ``http_get``'s error was an HTTP 501 (its HTTPError is the context)."""
    ctx = exc.__context__
    return isinstance(ctx, urllib.error.HTTPError) and ctx.code == 501


@dataclass(frozen=True)
class LoreAnswer:
    """What the server said: the messages, and its own count of matches."""

    query: str
    messages: tuple[bytes, ...]
    #: the server's count of matches (None when its search page showed none)
    matched: int | None
    #: True when ``matched`` is Xapian's estimate rather than an exact count
    estimated: bool
    #: for an estimate above what arrived: whether the server lists results beyond them
    #: (None when not asked)
    more: bool | None = None


def rt_query(since: int | None, until: int | None) -> str:
    """The public-inbox search for a received-time range (bounds included, unix seconds)."""
    return f"rt:{'' if since is None else int(since)}..{'' if until is None else int(until)}"


def ask(url: str, since: int | None, until: int | None, *, fetch: Fetch = http_get) -> LoreAnswer:
    """Run the ``rt:`` search on the list at ``url``; the matching messages, newest first."""
    _site, _path, list_url = split_list_url(url)
    query = rt_query(since, until)
    qs = urllib.parse.urlencode({"q": query})
    try:
        page = fetch(f"{list_url}/?{qs}")
    except SourceError as exc:
        if _not_implemented(exc):
            raise NoSearchError(
                f"{list_url}: no search index on the server; use listdigest sync and report "
                "on the mirror"
            ) from None
        raise
    if page is None:
        # public-inbox answers a search without results with 404 too: is the list there?
        if fetch(f"{list_url}/") is None:
            raise ListNotFoundError(
                f"{list_url}: HTTP 404, no such list on {urllib.parse.urlsplit(list_url).netloc}"
            )
        return LoreAnswer(query, (), 0, False)
    m = _COUNT_RE.search(page)
    if m is None and b"search results" not in page and b"No results" not in page:
        raise NotPublicInboxError(
            f"{list_url}: not a public-inbox archive with search (no search results page)"
        )
    matched = int(m.group(2)) if m else 0
    estimated = bool(m and m.group(1))
    if matched == 0 and not estimated:
        return LoreAnswer(query, (), 0, False)
    blob = fetch(
        f"{list_url}/?{urllib.parse.urlencode({'q': query, 'x': 'm'})}", data=b"z=results+only"
    )
    messages: list[bytes] = []
    if blob:
        with tempfile.NamedTemporaryFile(
            prefix="listdigest-lore-", suffix=".mbox.gz", delete=False
        ) as tmp:
            tmp.write(blob)
        try:
            messages = [raw.data for raw in MboxSource(tmp.name).messages()]
        except SourceError:
            raise NotPublicInboxError(f"{list_url}: search did not return an mbox") from None
        finally:
            os.unlink(tmp.name)
    more = None
    if estimated and len(messages) < matched:
        # Xapian's estimate may overshoot: ask for the page after the last result sent;
        # a count line there means results are missing, "No more results" that all came
        after = fetch(f"{list_url}/?{urllib.parse.urlencode({'q': query, 'o': len(messages)})}")
        more = after is not None and _COUNT_RE.search(after) is not None
    return LoreAnswer(query, tuple(messages), matched, estimated, more)


class LoreSource:
    """The answer to one ``rt:`` search, as a source ``report`` can read."""

    kind = "mailbox"

    def __init__(self, url: str, answer: LoreAnswer) -> None:
        self.url = url
        self.answer = answer
        self.name = split_list_url(url)[1].rsplit("/", 1)[-1] or "list"

    def warning(self) -> str | None:
        """A one-line caveat about the answer (an estimate we could not check), or None."""
        got, matched = len(self.answer.messages), self.answer.matched
        if (
            self.answer.estimated
            and self.answer.more is None
            and matched is not None
            and got < matched
        ):
            return f"the server estimated ~{matched} matches and sent {got}; results may be capped (use `listdigest sync`)"
        return None

    def check(self) -> None:
        """Refuse an answer the server cut short: a digest of part of a period is wrong."""
        got, matched = len(self.answer.messages), self.answer.matched
        if (
            matched is not None
            and got < matched
            and (not self.answer.estimated or self.answer.more)
        ):
            raise CappedResultsError(
                f"{self.url}: the server sent {got} of {'~' if self.answer.estimated else ''}{matched} matching messages (search results are capped); "
                "use `listdigest sync` and report on the mirror for big ranges"
            )

    def select(self, from_rev: str | None = None, to_rev: str | None = None) -> Selection:
        if from_rev is not None or to_rev is not None:
            raise RangeError(_NO_RANGE)
        self.check()
        # public-inbox sends the newest first (ORDER BY docid DESC); archive order is oldest first
        raws = [
            RawMessage(data=data, seq=i, where=f"{self.url} result {i + 1}")
            for i, data in enumerate(reversed(self.answer.messages))
        ]
        dates = [d for d in (header_date(r.data) for r in raws) if d is not None]
        start = min(dates).strftime("%Y-%m-%d") if dates else None
        end = max(dates).strftime("%Y-%m-%d") if dates else None
        return Selection(messages=iter(raws), start=start, end=end, end_commit=None)


def open_lore(
    url: str, since: int | None, until: int | None, *, fetch: Fetch = http_get
) -> LoreSource:
    """Query the server once and wrap the answer as a source."""
    return LoreSource(url, ask(url, since, until, fetch=fetch))
