"""Glue for ``report`` (and later ``run``): source -> messages -> digest.

The one module that knows every stage.  It raises; the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Tuple

from .analysis.digest import Digest, Skipped, build_digest
from .analysis.employers import Affiliations, load_affiliations
from .errors import RangeError
from .message import Message, MessageError, parse_message
from .sources import RawMessage, Source, open_source
from .timeparse import day


@dataclass(frozen=True)
class RangeSpec:
    from_rev: Optional[str] = None
    to_rev: Optional[str] = None
    since: Optional[int] = None
    until: Optional[int] = None


@dataclass(frozen=True)
class Collected:
    messages: Tuple[Message, ...]
    skipped: Tuple[Skipped, ...]
    start: Optional[str]
    end: Optional[str]
    end_commit: Optional[str]


def read_messages(raws: Iterable[RawMessage]) -> Iterable[Tuple[RawMessage, Optional[Message], Optional[str]]]:
    """Parse each raw message; yields (raw, message or None, reason it could not be read)."""
    for raw in raws:
        try:
            yield raw, parse_message(raw), None
        except MessageError as exc:
            yield raw, None, str(exc)
        except (ValueError, LookupError, UnicodeError, AssertionError, IndexError, TypeError, RecursionError) as exc:
            yield raw, None, f"{type(exc).__name__}: {str(exc)[:80]}"


def collect(source: Source, spec: RangeSpec) -> Collected:
    """The deduplicated messages of a range, in archive order, with the range's labels."""
    sel = source.select(spec.from_rev, spec.to_rev)
    seen = set()
    out: List[Message] = []
    skipped: List[Skipped] = []
    prev_commit = None
    first_commit = None
    last_commit = None
    for raw, msg, reason in read_messages(sel.messages):
        if msg is None:
            if spec.since is None and spec.until is None:
                skipped.append(Skipped(raw.where, reason or "unreadable"))
            if raw.commit:
                prev_commit = raw.commit
            continue
        when = msg.received
        if spec.since is not None and (when is None or when < spec.since):
            prev_commit = raw.commit or prev_commit
            continue
        if spec.until is not None and (when is None or when > spec.until):
            prev_commit = raw.commit or prev_commit
            continue
        if first_commit is None:
            first_commit = prev_commit or raw.commit
        last_commit = raw.commit
        prev_commit = raw.commit
        if msg.msgid in seen:
            continue
        seen.add(msg.msgid)
        out.append(msg)
    if not out and not skipped:
        raise RangeError("empty range: no messages selected")
    if source.kind == "git":
        if spec.since is None and spec.until is None:
            start, end, end_commit = sel.start, sel.end, sel.end_commit
        else:
            start = first_commit[:9] if first_commit else sel.start
            end = last_commit[:9] if last_commit else sel.end
            end_commit = last_commit
    else:
        dates = [m.date for m in out if m.date is not None]
        start = day(min(dates)) if dates else sel.start
        end = day(max(dates)) if dates else sel.end
        end_commit = None
    return Collected(tuple(out), tuple(skipped), start, end, end_commit)


def report(
    path: str,
    spec: RangeSpec,
    *,
    list_name: Optional[str] = None,
    top: int = 15,
    opener: Callable[[str], Source] = open_source,
    affiliations: Optional[Affiliations] = None,
) -> Digest:
    """Build the digest of ``spec`` over the archive at ``path``.

    ``affiliations`` defaults to the shipped employer map alone (no mailmap, no aliases).
    """
    if affiliations is None:
        affiliations = load_affiliations()
    source = opener(path)
    got = collect(source, spec)
    return build_digest(
        got.messages,
        list_name=list_name or source.name,
        start=got.start,
        end=got.end,
        top=top,
        skipped=got.skipped,
        end_commit=got.end_commit,
        affiliations=affiliations,
    )
