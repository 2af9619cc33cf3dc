"""Collecting a range: the source's messages of a ``RangeSpec``, parsed (by worker
processes) or rebuilt from the index, with what was skipped and why."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, cast

from ..analysis.digest import Skipped
from ..errors import (
    EmptyRangeError,
    NoReadableMessageError,
)
from ..message import DUPLICATE_MARK, Message, read_messages, slim
from ..sources import RawMessage, Source
from ..sources.git import read_job
from ..timeparse import day
from ..workers import BATCH, ordered_map

if TYPE_CHECKING:
    from ..sources.git import GitSource

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RangeSpec:
    from_rev: str | None = None
    to_rev: str | None = None
    since: int | None = None
    until: int | None = None


@dataclass(frozen=True)
class Collected:
    messages: tuple[Message, ...]
    skipped: tuple[Skipped, ...]
    start: str | None
    end: str | None
    end_commit: str | None


def _parse_job(job, paths: bool = False) -> list:
    """Read and parse one job's messages (in a worker process): (raw, slim message or None,
    reason) without the raw bytes, which the caller does not need back."""
    out = []
    for raw, msg, reason in read_messages(read_job(job), paths):
        out.append(
            (dataclasses.replace(raw, data=b""), slim(msg) if msg is not None else None, reason)
        )
    return out


def _parsed(
    sel, workers: int | None, paths: bool = False
) -> Iterable[tuple[RawMessage, Message | None, str | None]]:
    """Every message of a selection parsed, in archive order; git selections are parsed by
    worker processes that read their own blobs."""
    if sel.jobs is None:
        for raw, msg, reason in read_messages(sel.messages, paths):
            yield raw, (slim(msg) if msg is not None else None), reason
        return
    yield from _parsed_jobs(sel.jobs, workers, paths)


#: a range this large is rebuilt from the index rather than parsed again
INDEXED_MIN = 2000


def _from_index(
    ix, sel, workers: int | None, paths: bool = False
) -> Iterable[tuple[RawMessage, Message | None, str | None]]:
    """A selection's messages as the index holds them; what it does not hold is parsed."""
    from ..sources.git import ReadJob

    for job in sel.jobs:
        for chunk in job.split(20000):
            known = ix.messages_of(chunk)
            missing = [item for item, m in zip(chunk.items, known) if m is None]
            parsed = {}
            if missing:
                for raw, msg, reason in _parsed_jobs(
                    [ReadJob(chunk.gitdir, chunk.epoch, tuple(missing))], workers, paths
                ):
                    parsed[raw.seq] = (raw, msg, reason)
            for (seq, _blob, commit, ctime), m in zip(chunk.items, known):
                if m is None:
                    if seq in parsed:
                        yield parsed[seq]
                    continue
                raw = RawMessage(b"", commit, chunk.epoch, ctime, seq, f"commit {commit[:12]}")
                if isinstance(m, str):
                    yield raw, None, m
                else:
                    yield raw, m, None


def _parsed_jobs(jobs, workers: int | None, paths: bool = False):
    tasks = [t for job in jobs for t in job.split(BATCH)]
    for batch in ordered_map(functools.partial(_parse_job, paths=paths), tasks, workers):
        yield from batch


def collect(
    source: Source, spec: RangeSpec, workers: int | None = None, index=None, paths: bool = False
) -> Collected:
    """The deduplicated messages of a range, in archive order, with the range's labels.
    Messages come as ``message.slim`` leaves them.  With an up-to-date ``index``, a large
    range is rebuilt from it without reading a blob.  ``paths``: patch postings carry their
    touched paths (a digest filtered by path needs them; the index keeps them anyway)."""
    sel = index.selection(source, spec.from_rev, spec.to_rev) if index is not None else None
    if sel is None:
        sel = source.select(spec.from_rev, spec.to_rev)
    indexed = (
        index is not None
        and sel.jobs is not None
        and sum(len(j.items) for j in sel.jobs) >= INDEXED_MIN
    )
    return _loop(
        sel,
        spec,
        _from_index(index, sel, workers, paths) if indexed else _parsed(sel, workers, paths),
        source,
    )


def _identity(m: Message) -> tuple:
    """What makes two stored mails under one Message-ID one message: the same sender, date,
    subject and body (a mail delivered twice); a different mail reusing an id is another."""
    return (m.from_addr.lower(), m.date, m.subject, m.has_diff, len(m.body))


def _loop(sel, spec: RangeSpec, parsed, source: Source) -> Collected:
    seen: dict[str, Message] = {}
    again: dict[str, list[Message]] = {}
    out: list[Message] = []
    skipped: list[Skipped] = []
    prev_commit = None
    first_commit = first_prev = None
    last_commit = None
    readable = unreadable = 0
    for raw, msg, reason in parsed:
        if msg is None:
            unreadable += 1
            if spec.since is None and spec.until is None:
                skipped.append(Skipped(raw.where, reason or "unreadable"))
            if raw.commit:
                prev_commit = raw.commit
            continue
        readable += 1
        when = msg.received
        if spec.since is not None and (when is None or when < spec.since):
            prev_commit = raw.commit or prev_commit
            continue
        if spec.until is not None and (when is None or when > spec.until):
            prev_commit = raw.commit or prev_commit
            continue
        if first_commit is None:
            first_commit = raw.commit
            first_prev = prev_commit
        last_commit = raw.commit
        prev_commit = raw.commit
        first = seen.setdefault(msg.msgid, msg)
        if first is not msg:
            # the id again (rare): the same mail delivered twice is one message; a different
            # mail under it (an [RFC] and later the [PATCH], a RESEND) is kept and counted,
            # under an id of its own
            same = again.setdefault(msg.msgid, [first])
            if any(_identity(x) == _identity(msg) for x in same):
                continue
            same.append(msg)
            msg = dataclasses.replace(msg, msgid=f"{msg.msgid}{DUPLICATE_MARK}{len(same)}")
        out.append(msg)
    if source.kind != "git" and not readable and unreadable:
        # a From_ line and garbage: no digest "From None to None" of nothing
        where = getattr(source, "path", None) or source.name
        raise NoReadableMessageError(
            f"{where}: no readable message ({unreadable} unreadable record"
            f"{'s' if unreadable != 1 else ''})"
        )
    if not out and not skipped:
        raise EmptyRangeError("empty range: no messages selected")
    if source.kind == "git":
        if spec.since is None and spec.until is None:
            start, end, end_commit = sel.start, sel.end, sel.end_commit
        else:
            # the range starts after the commit before its first message: the one read
            # before it, else the range's own (exclusive) start
            if first_prev:
                start = first_prev[:9]
            elif spec.from_rev or not first_commit:
                start = sel.start
            else:
                start = first_commit[:9]
            end = last_commit[:9] if last_commit else sel.end
            end_commit = last_commit
    else:
        dates = [m.date for m in out if m.date is not None]
        start = day(min(dates)) if dates else sel.start
        end = day(max(dates)) if dates else sel.end
        end_commit = None
    return Collected(tuple(out), tuple(skipped), start, end, end_commit)


def narrow(ix, spec: RangeSpec) -> RangeSpec:
    """A date range turned into the commit span that holds it, from the index: the messages
    received in [since, until] lie between the first and the last of them in archive order,
    so only that span is read (received time does not grow with archive order, so the span
    may hold other messages too; ``collect`` still filters them)."""
    if (spec.since is None and spec.until is None) or spec.from_rev or spec.to_rev:
        return spec
    span = ix.span_received(spec.since, spec.until)
    if span is None:
        raise EmptyRangeError("empty range: no messages selected")
    before, last = span
    return RangeSpec(from_rev=before, to_rev=last, since=spec.since, until=spec.until)


def _git(source: Source) -> GitSource:
    """A source known to be a git archive (``kind == "git"``), with revisions."""
    return cast("GitSource", source)


def is_url(archive: str) -> bool:
    return archive.startswith(("http://", "https://"))


def _newest_commit(source: Source) -> str:
    """Full id of the archive's newest commit (the last live epoch's head)."""
    plans = _git(source).plan(None, None)
    return plans[-1][1][0]
