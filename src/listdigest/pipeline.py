"""Glue for ``report`` and ``run``: source -> messages -> digest -> rendered -> delivered.

The one module that knows every stage.  Both commands build a digest through one function,
``make_digest``, fed one ``DigestOptions``; ``run`` reads as ``plan_range`` -> ``digest_range``
-> ``render_formats`` -> ``compose`` -> ``deliver`` -> ``record``.  It raises; the CLI
parses arguments, picks default paths, prints and exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Callable, TextIO, cast

from .analysis.digest import Digest, Skipped, build_digest
from .analysis.employers import Affiliations, infer_affiliations, load_affiliations
from .analysis.history import DEFAULT_BOTS
from .analysis.paths import PathFilter, find_sections, read_maintainers
from .config import default
from .errors import (
    ConfigError,
    ConfigFileError,
    EmptyRangeError,
    NoReadableMessageError,
    RangeError,
    SourceError,
    StateError,
)
from .message import DUPLICATE_MARK, Message, read_messages, slim
from .sources import MISSING_BLOB, RawMessage, Source, open_source
from .sources.git import read_job
from .timeparse import day
from .workers import BATCH, ordered_map

if TYPE_CHECKING:
    from email.message import EmailMessage

    from .config import Config, ListConfig, SmtpConfig
    from .sources.git import GitSource
    from .store.index import Index
    from .store.state import State

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


# -- one digest, for report and run -----------------------------------------------------


@dataclass(frozen=True)
class DigestOptions:
    """Everything that shapes a digest besides its range, for ``report`` and ``run`` alike.

    Defaults are the configuration table's (``config.LIST_SETTINGS``)."""

    #: the name the digest shows (None: the archive's own, e.g. its directory name)
    list_name: str | None = None
    top: int = default("top")
    hot: int = default("hot")
    waiting_days: int = default("waiting_days")
    #: extra bot address patterns (lower case), beside the built-in ``DEFAULT_BOTS``
    bots: tuple[str, ...] = ()
    #: employer maps, mailmaps and aliases, read once (None: the shipped employer map alone)
    affiliations: Affiliations | None = None
    #: the archive index to bring up to date and read history from (git archives only);
    #: None: no index, so no history (every series is New)
    index_path: str | None = None
    #: a digest of some files (``--path``, ``--maintainers``/``--section``): the series
    #: touching them; None: the whole list
    path_filter: PathFilter | None = None

    #: code trees (``PATH[:REF]``) to find the series in (``analysis.landed``)
    trees: tuple[str, ...] = ()
    landed_days: int = default("landed_days")
    #: ``progress(tree, done, total)`` while a tree's new commits are read
    tree_progress: Callable[[str, int, int], None] | None = None

    @property
    def all_bots(self) -> tuple[str, ...]:
        return DEFAULT_BOTS + self.bots


def _options(options: DigestOptions | None, overrides: Mapping[str, object]) -> DigestOptions:
    """``options`` (or the defaults) with some fields replaced: ``report(path, spec, top=5)``."""
    base = options or DigestOptions()
    return dataclasses.replace(base, **overrides) if overrides else base  # type: ignore[arg-type]


def _git(source: Source) -> GitSource:
    """A source known to be a git archive (``kind == "git"``), with revisions."""
    return cast("GitSource", source)


@contextlib.contextmanager
def opened_index(
    source: Source, index_path: str | None, progress: Progress | None = None
) -> Iterator[Index | None]:
    """The archive index at ``index_path``, brought up to date with ``source`` first; None
    without a path or for a source without commits (mbox, Maildir, a server's answer)."""
    if index_path is None or source.kind != "git":
        yield None
        return
    from .store.index import Index

    with Index(index_path) as ix:
        ix.update(_git(source), progress)
        yield ix


def make_digest(
    source: Source, spec: RangeSpec, options: DigestOptions, ix: Index | None
) -> Digest:
    """The digest of ``spec`` over ``source``: the one path ``report`` and ``run`` take.

    With an index (open and up to date), a date range is read from the commit span that
    holds it and the digest gains its history.  With ``trees``, it says where its series
    landed (``analysis.landed``)."""
    check_trees(options.trees)
    got = collect(source, narrow(ix, spec) if ix is not None else spec, index=ix)
    digest = digest_of(got, source, options, index=ix)
    if options.trees and got.messages:
        digest = landed_digest(digest, got, source, options, ix)
    return digest


def check_trees(trees: Iterable[str]) -> None:
    """Open each ``PATH[:REF]``: a bad one fails now (one line), before anything is read."""
    from .sources.tree import open_tree, parse_tree_spec

    for t in trees:
        open_tree(parse_tree_spec(t))


#: besides the digest's range and waiting window, series posted this many days before the
#: "applied but not in TREE" limit are looked for (a notice comes days after the posting)
LANDED_LOOKBACK_DAYS = 30


def landed_digest(
    digest: Digest, got: Collected, source: Source, options: DigestOptions, ix: Index | None
) -> Digest:
    """``digest`` with what the trees say (``analysis.landed.with_landed``): the trees are
    brought up to date in the index (in memory without one), the mails' diffs read from
    the archive."""
    from .analysis.landed import with_landed
    from .sources.tree import parse_tree_spec
    from .store.trees import open_db, open_trees

    earlier: list[Message] = []
    if ix is not None and digest.newest is not None:
        first = next((m.commit for m in got.messages if m.commit), None)
        pos = ix.position_of_commit(first) if first else None
        if pos is not None:
            back = max(options.waiting_days, options.landed_days + LANDED_LOOKBACK_DAYS)
            earlier = ix.messages_before(pos, digest.newest - back * 86400)
    db = open_db(options.index_path if ix is not None else None)
    try:
        lander = open_trees(
            [parse_tree_spec(t) for t in options.trees],
            db,
            lambda patches: mail_diffs(source, patches),
            options.tree_progress,
        )
        return with_landed(digest, got.messages, earlier, lander, days=options.landed_days)
    finally:
        db.close()


def mail_diffs(source: Source, patches: Iterable[Message]) -> dict[str, str]:
    """The diff of each patch mail, by Message-ID, read again from the archive (a digest
    holds a patch's body cut after its diff's first lines): one ``git cat-file`` per epoch
    for a git archive, one more read of a mailbox."""
    from .message import parse_message
    from .message.body import split_body, strip_inbody

    want = {p.msgid: p for p in patches}
    raws: list[RawMessage] = []
    if source.kind == "git":
        from .sources.gitio import CatFile, run

        git = _git(source)
        for ep in git.epochs:
            mine = [p for p in want.values() if p.commit and p.epoch == ep.number]
            if not mine:
                continue
            if git.v1:
                # a v1 commit adds one file, named by the message: ask git which
                listed = run(
                    ep.gitdir,
                    *("log", "--no-walk=unsorted", "--root", "--no-renames", "--raw"),
                    *("--no-abbrev", "--diff-filter=AM", "--format=C %H"),
                    *[p.commit or "" for p in mine],
                ).stdout.decode()
                blob_of: dict[str, str] = {}
                commit = ""
                for ln in listed.splitlines():
                    if ln.startswith("C "):
                        commit = ln[2:]
                    elif ln.startswith(":"):
                        blob_of.setdefault(commit, ln.split()[3])
                blobs = [blob_of.get(p.commit or "", "0" * 40) for p in mine]
            else:
                blobs = [f"{p.commit}:m" for p in mine]
            for (_oid, data), p in zip(CatFile(ep.gitdir).stream(blobs), mine):
                if data:
                    raws.append(RawMessage(data, p.commit, ep.number))
    else:
        raws = list(source.select().messages)
    out: dict[str, str] = {}
    for raw in raws:
        try:
            m = parse_message(raw)
        except ValueError:
            continue
        if m.msgid in want and m.msgid not in out:
            diff = split_body(strip_inbody(m.body)).diff
            if diff:
                out[m.msgid] = diff
    return out


def digest_of(
    got: Collected,
    source: Source,
    options: DigestOptions | None = None,
    *,
    index: Index | None = None,
    **overrides: object,
) -> Digest:
    """The digest of collected messages; with an index, history sections too."""
    options = _options(options, overrides)
    range_start = None
    if index is not None:
        first = next((m.commit for m in got.messages if m.commit), None)
        range_start = index.position_of_commit(first) if first else None
    return build_digest(
        got.messages,
        list_name=options.list_name or source.name,
        start=got.start,
        end=got.end,
        top=options.top,
        skipped=got.skipped,
        end_commit=got.end_commit,
        lookup=index,
        bots=options.all_bots,
        waiting_days=options.waiting_days,
        hot=options.hot,
        range_start=range_start,
        keep=options.path_filter.keeps if options.path_filter is not None else None,
        keep_label=options.path_filter.label if options.path_filter is not None else "",
        # the maps first; what the range's own mail says about an address they leave
        # (Unknown) after them (analysis.employers.infer_affiliations)
        affiliations=infer_affiliations(got.messages, options.affiliations or load_affiliations()),
    )


def digest_source(
    source: Source, spec: RangeSpec, options: DigestOptions, progress: Progress | None = None
) -> Digest:
    """Open the index the options name (updating it), then ``make_digest``."""
    if options.index_path is not None and source.kind == "git" and (spec.from_rev or spec.to_rev):
        _git(source).plan(
            spec.from_rev, spec.to_rev
        )  # a bad revision fails now, not after indexing
    check_trees(options.trees)  # a bad tree fails before the index is built
    with opened_index(source, options.index_path, progress) as ix:
        return make_digest(source, spec, options, ix)


def report(
    path: str,
    spec: RangeSpec,
    options: DigestOptions | None = None,
    *,
    opener: Callable[[str], Source] = open_source,
    progress: Progress | None = None,
    **overrides: object,
) -> Digest:
    """Build the digest of ``spec`` over the archive at ``path``.

    ``overrides`` replace fields of ``options`` (``report(path, spec, index_path=ix,
    list_name="kvm")``).  With an ``index_path`` (git archives only), the index there is
    brought up to date first and gives the digest its history; without it (or for
    mbox/Maildir) history needing the past is left out and every series is ``New``."""
    return digest_source(opener(path), spec, _options(options, overrides), progress)


@dataclass(frozen=True)
class Report:
    """What ``report`` prints: the digest, where its links point, and lines to show."""

    digest: Digest
    link_base: str
    warnings: tuple[str, ...] = ()
    #: the range held no message: ``digest`` is the short "no traffic" one
    empty: bool = False
    #: lines worth telling the user that are not warnings (a whole archive's size)
    notes: tuple[str, ...] = ()


def open_target(path: str, stdin: BinaryIO | None = None) -> Source:
    """The archive at ``path``; ``-`` is an mbox read from ``stdin`` (``lei q … -o - |``)."""
    if path == "-":
        from .sources.mailbox import MboxSource

        if stdin is None:
            raise SourceError("-: no standard input to read an mbox from")
        return MboxSource.from_stream(stdin)
    return open_source(path)


def quiet_digest(source: Source, spec: RangeSpec, options: DigestOptions, now: int) -> Digest:
    """The short "no traffic" digest of a range without messages (``report`` on a quiet
    day): a git archive's range is labelled by its commits (the newest, when it has no
    end), a mailbox's by the days asked for."""
    if source.kind == "git":
        git = _git(source)
        end = git.resolve(spec.to_rev)[1] if spec.to_rev else _newest_commit(source)
        start = git.resolve(spec.from_rev)[1][:9] if spec.from_rev else end[:9]
        got = Collected((), (), start, end[:9], end)
    else:
        hi = day(spec.until if spec.until is not None else now)
        got = Collected((), (), day(spec.since) if spec.since is not None else hi, hi, None)
    return digest_of(got, source, options)


def _whole_archive_note(digest: Digest) -> str:
    days = [c.label for c in digest.per_day]
    n = digest.totals.messages
    span = f", {days[0]}..{days[-1]}" if days else ""
    return f"whole archive: {n} message{'s' if n != 1 else ''}{span}; use --since to narrow"


def build_report(
    target: str,
    spec: RangeSpec,
    options: DigestOptions,
    *,
    lore: bool = False,
    link_base: str | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    now: int | None = None,
) -> Report:
    """The ``report`` command's digest of ``target``: an archive path (``-``: an mbox on
    ``stdin``), or with ``lore`` the URL of a list on a public-inbox server (one ``rt:``
    search, no index).  A range without messages is not an error: its digest is the short
    "no traffic" one (``Report.empty``)."""
    import time

    warnings: list[str] = []
    notes: list[str] = []
    if lore:
        from .sources.lore import open_lore

        answer = open_lore(target, spec.since, spec.until)
        warning = answer.warning()
        if warning:
            warnings.append(warning)
        source: Source = answer
        options = dataclasses.replace(options, index_path=None)
        link_base = link_base or target.rstrip("/") + "/"
    else:
        source = open_target(target, stdin)
    empty = False
    try:
        try:
            digest = digest_source(source, spec, options, progress)
        except EmptyRangeError:
            empty = True
            digest = quiet_digest(
                source,
                spec,
                dataclasses.replace(options, index_path=None),
                int(time.time()) if now is None else now,
            )
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    warnings += [
        f"{k.where}: {MISSING_BLOB}; skipped" for k in digest.skipped if k.reason == MISSING_BLOB
    ]
    whole = spec == RangeSpec() and not lore and source.kind == "git"
    if whole and not empty:
        notes.append(_whole_archive_note(digest))
    base = link_base or default_link_base(target, digest.list_name)
    return Report(digest, base, tuple(warnings), empty, tuple(notes))


def default_link_base(archive: str, name: str) -> str:
    """Where a digest's links point when no link base is given: the list an archive URL
    names, or the one a local mirror was made from (``sync``); else lore.kernel.org's list
    of that name, in lower case as lore spells its lists (``--list-name KVM`` -> ``/kvm/``)."""
    from .sources.origin import mirror_origin

    if is_url(archive):
        from .sources.sync import split_list_url

        return split_list_url(archive)[2] + "/"
    origin = mirror_origin(archive) if archive != "-" else None
    if origin is not None:
        return origin
    return f"https://lore.kernel.org/{urllib.parse.quote(name.strip().lower())}/"


def render_formats(
    digest: Digest,
    formats: Iterable[str],
    link_base: str,
    feed_url: str | None = None,
    cache_dir: str | None = None,
) -> dict[str, str]:
    """Each format's rendering of ``digest``, in the order given; ``feed_url`` is where the
    Atom feed is published (its ``rel="self"`` link), ``cache_dir`` where compiled templates
    are kept between runs."""
    from .report import ReportOptions, render

    options = ReportOptions(link_base=link_base, feed_url=feed_url or "", cache_dir=cache_dir)
    return {fmt: render(digest, fmt, options) for fmt in formats}


def index(
    path: str,
    index_path: str,
    progress: Progress | None = None,
    opener: Callable[[str], Source] = open_source,
):
    """Build or update the index of the git archive at ``path``; returns the update's stats."""
    from .store.index import index_archive

    return index_archive(path, index_path, progress, opener)


# -- listdigest run ---------------------------------------------------------------------


def is_url(archive: str) -> bool:
    return archive.startswith(("http://", "https://"))


def mirrored(lst: ListConfig, mirror_dir: str, *, env: Mapping[str, str]) -> ListConfig:
    """A list whose ``archive`` is an http(s) URL, mirrored into ``mirror_dir`` now
    (``sources.sync``), with the mirror as its archive; a local archive is left as it is."""
    if not is_url(lst.archive):
        return lst
    from .sources.sync import sync

    sync(lst.archive, mirror_dir, env=env)
    return dataclasses.replace(lst, archive=mirror_dir)


def digest_options(lst: ListConfig, index_path: str | None) -> DigestOptions:
    """A configured list's options (its maps read now)."""
    return DigestOptions(
        list_name=lst.name,
        top=lst.top,
        hot=lst.hot,
        waiting_days=lst.waiting_days,
        trees=lst.trees,
        landed_days=lst.landed_days,
        bots=lst.bots,
        affiliations=load_affiliations(
            lst.employer_maps, lst.mailmaps, lst.aliases, default_map=not lst.no_default_map
        ),
        index_path=index_path,
        path_filter=path_filter(lst.paths, lst.maintainers, lst.sections, f"list {lst.name}"),
    )


def path_filter(
    paths: Iterable[str], maintainers: str | None, sections: Iterable[str], where: str
) -> PathFilter | None:
    """The filter of ``--path`` patterns and MAINTAINERS sections (read now); None when
    there is neither.  Sections need their file, and a file its sections."""
    paths, sections = tuple(paths), tuple(sections)
    if bool(maintainers) != bool(sections):
        raise ConfigError(
            f"{where}: --section needs --maintainers FILE"
            if sections
            else f"{where}: --maintainers needs at least one --section NAME"
        )
    found = find_sections(read_maintainers(maintainers), sections, where) if maintainers else ()
    if not paths and not found:
        return None
    return PathFilter.of(paths, found)


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
    mail: EmailMessage | None = None
    written: tuple[str, ...] = ()
    deliveries: tuple[str, ...] = ()
    #: a line worth telling the user (the run found its place again after a history rewrite)
    note: str | None = None


def _newest_commit(source: Source) -> str:
    """Full id of the archive's newest commit (the last live epoch's head)."""
    plans = _git(source).plan(None, None)
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


@dataclass(frozen=True)
class LastMessage:
    """The state's record of the last message a digest held, by which ``resume_point``
    finds its place after a history rewrite."""

    blob: str | None = None
    msgid: str | None = None
    received: int | None = None


def last_message(ix: Index | None, commit: str) -> LastMessage:
    """The last message up to ``commit`` (its blob, Message-ID and received time)."""
    got = ix.last_message_upto(commit) if ix is not None else None
    return LastMessage(*got) if got is not None else LastMessage()


def resume_point(state: State, source: Source, ix: Index | None) -> tuple[str, str | None]:
    """Where the next digest starts: after ``state.to_commit``, or, when a history rewrite
    (public-inbox-purge or -edit, taken by ``sync``) made that commit unknown, after the
    commit that now stores the last delivered message (found by its blob), or after the last
    message received by then when that message itself was removed.  Returns the commit and,
    when it moved, one line saying so."""
    if _git(source).in_history(state.to_commit):
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


@dataclass(frozen=True)
class Plan:
    """One run's range: from where the last delivered digest ended to the newest commit."""

    #: full id of the archive's newest commit, where the range ends
    newest: str
    #: what to collect; None when nothing can be new (the last digest ended at ``newest``)
    spec: RangeSpec | None
    #: label of the range's (exclusive) start, None for a first run starting at a date
    from_label: str | None
    #: the state this run continues (its ``to_commit`` moved after a history rewrite)
    state: State | None
    #: a line for the user (the run found its place again after a history rewrite)
    note: str | None = None


def plan_range(
    lst: ListConfig, state: State | None, source: Source, ix: Index | None, newest: str, now: int
) -> Plan:
    """Plan a run: after the state's commit (found again after a rewrite), or for a first run
    from ``lst.start``; to ``newest``."""
    if state is not None:
        resume, note = resume_point(state, source, ix)
        if resume != state.to_commit:
            state = dataclasses.replace(state, to_commit=resume)
        spec = RangeSpec(from_rev=state.to_commit, to_rev=newest)
        return Plan(
            newest, spec if state.to_commit != newest else None, state.to_commit[:9], state, note
        )
    first = first_range(lst.start, now)
    from_label = _git(source).resolve(first.from_rev)[1][:9] if first.from_rev else None
    if ix is not None and first.from_rev is None:
        # a date range: the index finds the commit span holding it (make_digest narrows it),
        # so a first run does not parse the whole archive to find the last day's mail
        return Plan(newest, RangeSpec(since=first.since), from_label, None)
    spec = RangeSpec(from_rev=first.from_rev, to_rev=newest, since=first.since)
    return Plan(newest, spec, from_label, None)


def digest_range(
    plan: Plan, source: Source, options: DigestOptions, ix: Index | None
) -> Digest | None:
    """The digest of the planned range, ending at its newest commit; None when no message
    is new."""
    if plan.spec is None:
        return None
    try:
        digest = make_digest(source, plan.spec, options, ix)
    except EmptyRangeError:
        return None
    if digest.end_commit is None:
        digest = dataclasses.replace(digest, end_commit=plan.newest)
    return digest


def empty_digest(plan: Plan, source: Source, options: DigestOptions) -> Digest:
    """The "no traffic" digest of a range without messages (``send_empty``)."""
    got = Collected((), (), plan.from_label or plan.newest[:9], plan.newest[:9], plan.newest)
    return digest_of(got, source, options)


@dataclass(frozen=True)
class Letter:
    """What a run sends: the subject, and the mail when smtp delivers."""

    subject: str
    mail: EmailMessage | None


def compose(
    lst: ListConfig,
    digest: Digest,
    rendered: Mapping[str, str],
    plan: Plan,
    now: int,
    *,
    empty: bool = False,
) -> Letter:
    """The digest's subject, and its mail (text or Markdown, plus HTML) for smtp delivery."""
    from .delivery import smtp as _smtp

    subject = lst.subject.format_map(subject_fields(lst, digest, now))
    if empty:
        subject += " (no traffic)"
    if "smtp" not in lst.delivery:
        return Letter(subject, None)
    assert lst.sender is not None  # config requires a sender for smtp delivery
    state = plan.state
    mail = _smtp.build_message(
        subject=subject,
        sender=lst.sender,
        to=lst.to,
        text=rendered.get("text") or rendered["markdown"],
        html=rendered.get("html"),
        list_id=lst.list_id,
        list_name=lst.name,
        in_reply_to=state.thread_root if (lst.thread and state is not None) else None,
        date=now,
    )
    return Letter(subject, mail)


def subject_fields(lst: ListConfig, digest: Digest, now: int) -> dict[str, object]:
    """The values of a subject's placeholders (``config.SUBJECT_FIELDS``): the days are the
    UTC days of the first and last message received (today's for a digest without any)."""
    days = [c.label for c in digest.per_day] or [day(now)]
    return {
        "list": lst.name,
        "since": days[0],
        "until": days[-1],
        "count": digest.totals.messages,
        "from": digest.start,
        "to": digest.end,
    }


def deliver(
    lst: ListConfig,
    smtp: SmtpConfig,
    digest: Digest,
    rendered: Mapping[str, str],
    letter: Letter,
    *,
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
) -> tuple[str, ...]:
    """Files first, then the mail, then stdout; raises on the first failure (``DeliveryError``
    for the mail).  Returns the files written."""
    from .delivery import files as _files
    from .delivery import smtp as _smtp

    written: tuple[str, ...] = ()
    if "files" in lst.delivery:
        assert lst.output_dir is not None  # config requires it for files delivery
        written = tuple(
            _files.write_files(
                lst.output_dir, lst.key, digest.start or "", digest.end or "", dict(rendered)
            )
        )
    if letter.mail is not None:
        password = smtp.password(environ) if smtp.user else None
        _smtp.send(
            letter.mail,
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            user=smtp.user,
            password=password,
            timeout=smtp.timeout,
            context=tls_context,
            **({"connect": connect} if connect is not None else {}),
        )
    if "stdout" in lst.delivery and stdout is not None:
        for fmt in lst.formats:
            stdout.write(rendered[fmt])
        stdout.flush()
    return written


def record(
    state_dir: str,
    key: str,
    plan: Plan,
    digest: Digest,
    letter: Letter,
    last: LastMessage,
    now: int,
) -> None:
    """After a delivery: the next digest starts where this one ended."""
    from .store.state import State, write_state

    prev = plan.state
    msgid = letter.mail["Message-ID"] if letter.mail is not None else None
    write_state(
        state_dir,
        key,
        State(
            to_commit=digest.end_commit or plan.newest,
            from_commit=digest.start,
            message_id=msgid,
            thread_root=prev.thread_root if prev is not None and prev.thread_root else msgid,
            delivered_at=now,
            count=(prev.count if prev is not None else 0) + 1,
            last_blob=last.blob,
            last_msgid=last.msgid,
            last_received=last.received,
        ),
    )


def record_nothing(state_dir: str, key: str, plan: Plan, last: LastMessage) -> None:
    """Nothing to deliver: move the mark, so the next digest starts at today's newest."""
    from .store.state import State, write_state

    if plan.state is not None and plan.state.to_commit == plan.newest:
        return
    base = plan.state or State(to_commit=plan.newest)
    write_state(
        state_dir,
        key,
        dataclasses.replace(
            base,
            to_commit=plan.newest,
            last_blob=last.blob,
            last_msgid=last.msgid,
            last_received=last.received,
        ),
    )


def run_list(
    lst: ListConfig,
    smtp: SmtpConfig,
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
    """One list's run: plan the range, digest it, render, deliver, and only then record the
    new state.  Any failure leaves the state as it was."""
    import time

    from .store.state import locked, read_state

    now = int(time.time()) if now is None else now
    with locked(state_dir, lst.key):
        state = read_state(state_dir, lst.key)
        source = opener(lst.archive)
        if source.kind != "git":
            raise ConfigError(
                f"lists.{lst.key}.archive: run needs a git archive (public-inbox); {lst.archive} has no revisions"
            )
        newest = _newest_commit(source)
        options = digest_options(lst, index_path)
        # the index first: a first run's date range is read from its span, not by parsing
        # the whole archive to find the last day's mail
        with opened_index(source, index_path) as ix:
            plan = plan_range(lst, state, source, ix, newest, now)
            digest = digest_range(plan, source, options, ix)
            last = last_message(ix, (digest.end_commit if digest else None) or newest)
        if digest is None and not lst.send_empty:
            if not dry_run:
                record_nothing(state_dir, lst.key, plan, last)
            status = "dry-run" if dry_run else "empty"
            return Outcome(
                lst.key, status, plan.from_label, newest[:9], newest, 0, 0, note=plan.note
            )
        empty = digest is None
        if digest is None:
            digest = empty_digest(plan, source, options)
        link_base = lst.link_base or default_link_base(lst.archive, lst.key)
        rendered = render_formats(digest, lst.formats, link_base, lst.feed_url)
        letter = compose(lst, digest, rendered, plan, now, empty=empty)
        outcome = Outcome(
            key=lst.key,
            status="dry-run",
            start=digest.start,
            end=digest.end,
            end_commit=digest.end_commit,
            messages=digest.totals.messages,
            series=len(digest.series),
            subject=letter.subject,
            rendered=tuple(rendered.items()),
            mail=letter.mail,
            deliveries=lst.delivery,
            note=plan.note,
        )
        if dry_run:
            return outcome
        written = deliver(
            lst,
            smtp,
            digest,
            rendered,
            letter,
            environ=environ,
            stdout=stdout,
            connect=connect,
            tls_context=tls_context,
        )
        record(state_dir, lst.key, plan, digest, letter, last, now)
        return dataclasses.replace(outcome, status="delivered", written=written)


# -- listdigest config check ------------------------------------------------------------


def check_config(
    cfg: Config, *, environ: Mapping[str, str], opener: Callable[[str], Source] = open_source
) -> None:
    """What would make ``run`` fail, found now (``config check``): an archive path that is
    missing or no git archive, a ``start`` that is neither a date nor a revision of the
    archive, an SMTP password that cannot be had.  Raises ``ConfigFileError`` naming the key.
    An archive URL is mirrored at run time, so only its ``start`` as a date is checked."""
    from .timeparse import parse_when

    if cfg.smtp.user and any("smtp" in lst.delivery for lst in cfg.lists):
        cfg.smtp.password(environ)
    for lst in cfg.lists:
        where = f"lists.{lst.key}"
        if lst.maintainers is not None:
            try:
                find_sections(read_maintainers(lst.maintainers), lst.sections, where + ".sections")
            except ConfigError as exc:
                raise ConfigFileError(str(exc)) from None
        source = None
        if not is_url(lst.archive):
            try:
                source = opener(lst.archive)
            except SourceError as exc:
                raise ConfigFileError(f"{where}.archive: {exc}") from None
            if source.kind != "git":
                raise ConfigFileError(
                    f"{where}.archive: run needs a git archive (public-inbox); "
                    f"{lst.archive} has no revisions"
                )
        if lst.start is None:
            continue
        try:
            parse_when(lst.start)
            continue
        except RangeError:
            pass
        if source is None:
            raise ConfigFileError(
                f"{where}.start: {lst.start!r} is not a date (YYYY-MM-DD, ISO datetime, "
                "2d/12h/1w, yesterday); a revision needs a local archive to check"
            )
        try:
            _git(source).resolve(lst.start)
        except (RangeError, SourceError):
            raise ConfigFileError(
                f"{where}.start: {lst.start!r} is neither a date (YYYY-MM-DD, ISO datetime, "
                f"2d/12h/1w, yesterday) nor a revision of {lst.archive}"
            ) from None


# -- listdigest stats -------------------------------------------------------------------


def spec_of(a: str | None, b: str | None) -> RangeSpec:
    """A range from two bounds (a named release's, ``--compare A..B``): a bound is a date
    when it reads as one, else a revision."""
    from .timeparse import parse_when

    try:
        return RangeSpec(
            since=parse_when(a) if a else None,
            until=parse_when(b, end_of_day=True) if b else None,
        )
    except RangeError:
        return RangeSpec(from_rev=a, to_rev=b)


@dataclass(frozen=True)
class StatsRequest:
    """What ``stats`` computes: a range, and the one to compare it with."""

    spec: RangeSpec
    #: the range to compare with; None: the previous period of equal length (when the
    #: range is one of dates)
    previous: RangeSpec | None = None
    #: False: no comparison at all
    compare: bool = True
    list_name: str | None = None
    top: int = 10
    #: every bot pattern (the built-in ones included)
    bots: tuple[str, ...] = DEFAULT_BOTS
    affiliations: Affiliations | None = None
    index_path: str | None = None


def stats_of(
    path: str,
    req: StatsRequest,
    *,
    progress: Progress | None = None,
    opener: Callable[[str], Source] = open_source,
):
    """Release statistics of ``req.spec`` over the archive at ``path``, with movement
    against the previous period (README: "Release statistics"); a previous period without
    messages is no comparison, not an error."""
    from .analysis import stats_ranges as sr
    from .analysis.stats import compare as compare_stats
    from .analysis.stats import compute_stats

    source = opener(path)
    aff = req.affiliations or load_affiliations()
    with opened_index(source, req.index_path, progress) as ix:

        def one(sp: RangeSpec):
            got = collect(source, narrow(ix, sp) if ix is not None else sp, index=ix)
            return compute_stats(
                got.messages,
                list_name=req.list_name or source.name,
                start=got.start,
                end=got.end,
                since=sp.since,
                until=sp.until,
                lookup=ix,
                archive=ix,
                affiliations=aff,
                bots=req.bots,
                top=req.top,
            )

        current = one(req.spec)
        if not req.compare:
            return current
        prev_spec = req.previous
        if prev_spec is None and current.since and current.until:
            lo, hi = sr.previous_period(current.since, current.until)
            prev_spec = RangeSpec(since=lo, until=hi)
        try:
            previous = one(prev_spec) if prev_spec is not None else None
        except EmptyRangeError:
            previous = None
    return compare_stats(current, previous) if previous is not None else current
