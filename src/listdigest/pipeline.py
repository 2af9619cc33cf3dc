"""Glue for ``report`` (and later ``run``): source -> messages -> digest.

The one module that knows every stage.  It raises; the CLI prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, TextIO

from .analysis.digest import Digest, Skipped, build_digest
from .analysis.employers import Affiliations, load_affiliations
from .analysis.history import DEFAULT_BOTS
from .errors import EmptyRangeError, RangeError, StateError
from .message import DUPLICATE_MARK, Message, read_messages, slim
from .sources import RawMessage, Source, open_source
from .sources.git import read_job
from .timeparse import day
from .workers import BATCH, ordered_map


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


def _parse_job(job) -> list:
    """Read and parse one job's messages (in a worker process): (raw, slim message or None,
    reason) without the raw bytes, which the caller does not need back."""
    out = []
    for raw, msg, reason in read_messages(read_job(job)):
        out.append(
            (dataclasses.replace(raw, data=b""), slim(msg) if msg is not None else None, reason)
        )
    return out


def _parsed(sel, workers: int | None) -> Iterable[tuple[RawMessage, Message | None, str | None]]:
    """Every message of a selection parsed, in archive order; git selections are parsed by
    worker processes that read their own blobs."""
    if sel.jobs is None:
        for raw, msg, reason in read_messages(sel.messages):
            yield raw, (slim(msg) if msg is not None else None), reason
        return
    yield from _parsed_jobs(sel.jobs, workers)


#: a range this large is rebuilt from the index rather than parsed again
INDEXED_MIN = 2000


def _from_index(
    ix, sel, workers: int | None
) -> Iterable[tuple[RawMessage, Message | None, str | None]]:
    """A selection's messages as the index holds them; what it does not hold is parsed."""
    from .sources.git import ReadJob

    for job in sel.jobs:
        for chunk in job.split(20000):
            known = ix.messages_of(chunk)
            missing = [item for item, m in zip(chunk.items, known) if m is None]
            parsed = {}
            if missing:
                for raw, msg, reason in _parsed_jobs(
                    [ReadJob(chunk.gitdir, chunk.epoch, tuple(missing))], workers
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


def _parsed_jobs(jobs, workers: int | None):
    tasks = [t for job in jobs for t in job.split(BATCH)]
    for batch in ordered_map(_parse_job, tasks, workers):
        yield from batch


def collect(source: Source, spec: RangeSpec, workers: int | None = None, index=None) -> Collected:
    """The deduplicated messages of a range, in archive order, with the range's labels.
    Messages come as ``message.slim`` leaves them.  With an up-to-date ``index``, a large
    range is rebuilt from it without reading a blob."""
    sel = index.selection(source, spec.from_rev, spec.to_rev) if index is not None else None
    if sel is None:
        sel = source.select(spec.from_rev, spec.to_rev)
    indexed = (
        index is not None
        and sel.jobs is not None
        and sum(len(j.items) for j in sel.jobs) >= INDEXED_MIN
    )
    return _loop(
        sel, spec, _from_index(index, sel, workers) if indexed else _parsed(sel, workers), source
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
    for raw, msg, reason in parsed:
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


def report(
    path: str,
    spec: RangeSpec,
    *,
    list_name: str | None = None,
    top: int = 15,
    opener: Callable[[str], Source] = open_source,
    index_path: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    bots: Sequence[str] = DEFAULT_BOTS,
    waiting_days: int = 14,
    hot: int = 10,
    affiliations: Affiliations | None = None,
) -> Digest:
    """Build the digest of ``spec`` over the archive at ``path``.

    With ``index_path`` (git archives only), the index there is brought up to date first and
    gives the digest its history; without it (or for mbox/Maildir) history needing the past
    is left out and every series is ``New``.  ``affiliations`` defaults to the shipped
    employer map alone (no mailmap, no aliases).
    """
    source = opener(path)
    if index_path is not None and source.kind == "git":
        from .store.index import Index

        if spec.from_rev or spec.to_rev:
            source.plan(spec.from_rev, spec.to_rev)  # type: ignore[attr-defined]  # a bad revision fails now, not after indexing
        with Index(index_path) as ix:
            ix.update(source, progress)  # type: ignore[arg-type]
            got = collect(source, narrow(ix, spec), index=ix)
            return digest_of(
                got,
                source,
                list_name=list_name,
                top=top,
                index=ix,
                bots=bots,
                waiting_days=waiting_days,
                hot=hot,
                affiliations=affiliations,
            )
    got = collect(source, spec)
    return digest_of(
        got,
        source,
        list_name=list_name,
        top=top,
        bots=bots,
        waiting_days=waiting_days,
        hot=hot,
        affiliations=affiliations,
    )


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


def digest_of(
    got: Collected,
    source: Source,
    *,
    list_name: str | None = None,
    top: int = 15,
    index_path: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    bots: Sequence[str] = DEFAULT_BOTS,
    waiting_days: int = 14,
    hot: int = 10,
    affiliations: Affiliations | None = None,
    index=None,
) -> Digest:
    """The digest of collected messages; with an index (git archives), brought up to date
    first, the digest gains its history."""
    if index is None and index_path is not None and source.kind == "git":
        from .store.index import Index

        with Index(index_path) as ix:
            ix.update(source, progress)  # type: ignore[arg-type]
            return digest_of(
                got,
                source,
                list_name=list_name,
                top=top,
                index=ix,
                bots=bots,
                waiting_days=waiting_days,
                hot=hot,
                affiliations=affiliations,
            )
    if index is not None:
        first = next((m.commit for m in got.messages if m.commit), None)
        range_start = index.position_of_commit(first) if first else None
        return _build(
            got, source, list_name, top, index, bots, waiting_days, hot, range_start, affiliations
        )
    return _build(got, source, list_name, top, None, bots, waiting_days, hot, None, affiliations)


def index(
    path: str,
    index_path: str,
    progress: Callable[[int, int], None] | None = None,
    opener: Callable[[str], Source] = open_source,
):
    """Build or update the index of the git archive at ``path``; returns the update's stats."""
    from .store.index import index_archive

    return index_archive(path, index_path, progress, opener)


def _build(
    got: Collected,
    source: Source,
    list_name,
    top,
    lookup,
    bots,
    waiting_days,
    hot,
    range_start,
    affiliations,
) -> Digest:
    if affiliations is None:
        affiliations = load_affiliations()
    return build_digest(
        got.messages,
        list_name=list_name or source.name,
        start=got.start,
        end=got.end,
        top=top,
        skipped=got.skipped,
        end_commit=got.end_commit,
        lookup=lookup,
        bots=bots,
        waiting_days=waiting_days,
        hot=hot,
        range_start=range_start,
        affiliations=affiliations,
    )


# -- listdigest run ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What ``run_list`` did for one list (the CLI reports it)."""

    key: str
    #: "delivered", "empty" (nothing to send) or "dry-run"
    status: str
    start: str | None
    end: str | None
    end_commit: str | None
    messages: int
    series: int
    subject: str | None = None
    rendered: tuple[tuple[str, str], ...] = ()
    mail: object | None = None
    written: tuple[str, ...] = ()
    deliveries: tuple[str, ...] = ()
    #: a line worth telling the user (the run found its place again after a history rewrite)
    note: str | None = None


def _newest_commit(source: Source) -> str:
    """Full id of the archive's newest commit (the last live epoch's head)."""
    plans = source.plan(None, None)  # type: ignore[attr-defined]
    return plans[-1][1][0]


def first_range(start: str | None, now: int) -> RangeSpec:
    """Where a list's first run starts: a date/span (received since), a revision, or 24 h back."""
    from .timeparse import parse_when

    if start is None:
        return RangeSpec(since=now - 86400)
    try:
        return RangeSpec(since=parse_when(start, now=now))
    except RangeError:
        return RangeSpec(from_rev=start)


def _last_delivered(ix, commit: str) -> dict[str, object]:
    """The state's record of the last message up to ``commit`` (its blob, Message-ID and
    received time), by which ``resume_point`` finds its place after a history rewrite."""
    got = ix.last_message_upto(commit) if ix is not None else None
    blob, msgid, received = got if got is not None else (None, None, None)
    return {"last_blob": blob, "last_msgid": msgid, "last_received": received}


def resume_point(state, source, ix) -> tuple[str, str | None]:
    """Where the next digest starts: after ``state.to_commit``, or, when a history rewrite
    (public-inbox-purge or -edit, taken by ``sync``) made that commit unknown, after the
    commit that now stores the last delivered message (found by its blob), or after the last
    message received by then when that message itself was removed.  Returns the commit and,
    when it moved, one line saying so."""
    if source.in_history(state.to_commit):
        return state.to_commit, None
    lost = (
        f"the last digest ended at commit {state.to_commit[:12]}, which a history rewrite removed"
    )
    if ix is None:
        raise StateError(f"{lost}; run needs the archive index to find its place again")
    found = ix.commit_of_blob(state.last_blob) if state.last_blob else None
    if found is not None:
        return (
            found,
            f"history rewritten: resuming after {state.last_msgid or 'the last delivered message'} (now commit {found[:12]})",
        )
    if state.last_received is not None:
        found = ix.last_commit_received_upto(state.last_received)
        if found is not None:
            return found, (
                f"history rewritten and the last delivered message removed: resuming after the last message "
                f"received by then (commit {found[:12]})"
            )
    raise StateError(
        f"{lost}, and the state does not say which message it was; remove its state file to start "
        f"again from 'start'"
    )


def run_list(
    lst,
    smtp,
    *,
    state_dir: str,
    environ: Mapping[str, str],
    dry_run: bool = False,
    now: int | None = None,
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
    opener: Callable[[str], Source] = open_source,
    index_path: str | None = None,
) -> Outcome:
    """One list's run: range from the last delivered TO to the newest message, digest,
    delivery, and only then the new state.  Any failure leaves the state as it was."""
    import time as _time

    from .delivery import files as _files
    from .delivery import smtp as _smtp
    from .errors import ConfigError
    from .report import ReportOptions, render
    from .store.state import State, locked, read_state, write_state

    now = int(_time.time()) if now is None else now
    with locked(state_dir, lst.key):
        state = read_state(state_dir, lst.key)
        source = opener(lst.archive)
        if source.kind != "git":
            raise ConfigError(
                f"lists.{lst.key}.archive: run needs a git archive (public-inbox); {lst.archive} has no revisions"
            )
        newest = _newest_commit(source)
        got: Collected | None = None
        note: str | None = None
        with contextlib.ExitStack() as stack:
            ix = None
            if index_path is not None:
                from .store.index import Index

                # the index first: a first run's date range is read from its span, not by
                # parsing the whole archive to find the last day's mail
                ix = stack.enter_context(Index(index_path))
                ix.update(source)  # type: ignore[arg-type]
            if state is not None:
                resume, note = resume_point(state, source, ix)
                if resume != state.to_commit:
                    state = dataclasses.replace(state, to_commit=resume)
                spec = RangeSpec(from_rev=state.to_commit, to_rev=newest)
                from_label = state.to_commit[:9]
            else:
                spec = first_range(lst.start, now)
                spec = RangeSpec(from_rev=spec.from_rev, to_rev=newest, since=spec.since)
                from_label = source.resolve(spec.from_rev)[1][:9] if spec.from_rev else None
            if state is None or state.to_commit != newest:
                try:
                    cspec = spec
                    if ix is not None and spec.since is not None and spec.from_rev is None:
                        cspec = narrow(ix, RangeSpec(since=spec.since))
                    got = collect(source, cspec, index=ix)
                except EmptyRangeError:
                    got = None
            if got is None:
                if not lst.send_empty:
                    if not dry_run and (state is None or state.to_commit != newest):
                        # nothing to deliver: move the mark so the next digest starts at today's newest
                        base = state or State(to_commit=newest)
                        write_state(
                            state_dir,
                            lst.key,
                            dataclasses.replace(
                                base, to_commit=newest, **_last_delivered(ix, newest)
                            ),
                        )
                    return Outcome(
                        lst.key,
                        "empty" if not dry_run else "dry-run",
                        from_label,
                        newest[:9],
                        newest,
                        0,
                        0,
                        note=note,
                    )
                digest = build_digest(
                    (),
                    list_name=lst.name,
                    start=from_label or newest[:9],
                    end=newest[:9],
                    top=lst.top,
                    end_commit=newest,
                )
            else:
                digest = digest_of(
                    got,
                    source,
                    list_name=lst.name,
                    top=lst.top,
                    index=ix,
                    bots=DEFAULT_BOTS + tuple(lst.bots),
                    waiting_days=lst.waiting_days,
                    hot=lst.hot,
                    affiliations=load_affiliations(
                        lst.employer_maps,
                        lst.mailmaps,
                        lst.aliases,
                        default_map=not lst.no_default_map,
                    ),
                )
                if digest.end_commit is None:
                    digest = dataclasses.replace(digest, end_commit=newest)
            # what the state records of the last message delivered, to find its place again
            # after a history rewrite
            last = _last_delivered(ix, digest.end_commit or newest)
        options = ReportOptions(link_base=lst.link_base)
        rendered = {fmt: render(digest, fmt, options) for fmt in lst.formats}
        subject = lst.subject.format_map({"from": digest.start, "to": digest.end, "list": lst.name})
        if got is None:
            subject += " (no traffic)"
        mail = None
        if "smtp" in lst.delivery:
            text = rendered.get("text") or rendered["markdown"]
            mail = _smtp.build_message(
                subject=subject,
                sender=lst.sender,
                to=lst.to,
                text=text,
                html=rendered.get("html"),
                list_id=lst.list_id,
                list_name=lst.name,
                in_reply_to=state.thread_root if (lst.thread and state is not None) else None,
                date=now,
            )
        result = {
            "key": lst.key,
            "start": digest.start,
            "end": digest.end,
            "end_commit": digest.end_commit,
            "messages": digest.totals.messages,
            "series": len(digest.series),
            "subject": subject,
            "rendered": tuple(rendered.items()),
            "mail": mail,
            "deliveries": lst.delivery,
            "note": note,
        }
        if dry_run:
            return Outcome(status="dry-run", **result)
        written: tuple[str, ...] = ()
        if "files" in lst.delivery:
            written = tuple(
                _files.write_files(lst.output_dir, lst.key, digest.start, digest.end, rendered)
            )
        if mail is not None:
            password = smtp.password(environ) if smtp.user else None
            kwargs = {
                "host": smtp.host,
                "port": smtp.port,
                "security": smtp.security,
                "user": smtp.user,
                "password": password,
                "timeout": smtp.timeout,
                "context": tls_context,
            }
            if connect is not None:
                kwargs["connect"] = connect
            _smtp.send(mail, **kwargs)
        if "stdout" in lst.delivery and stdout is not None:
            for fmt in lst.formats:
                stdout.write(rendered[fmt])
            stdout.flush()
        msgid = mail["Message-ID"] if mail is not None else None
        write_state(
            state_dir,
            lst.key,
            State(
                to_commit=digest.end_commit or newest,
                from_commit=digest.start,
                message_id=msgid,
                thread_root=(
                    state.thread_root if state is not None and state.thread_root else msgid
                ),
                delivered_at=now,
                count=(state.count if state is not None else 0) + 1,
                **last,
            ),
        )
        return Outcome(status="delivered", written=written, **result)
