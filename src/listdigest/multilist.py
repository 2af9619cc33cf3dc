"""Several lists in one digest: ``report A B C`` and ``[digests.NAME]`` for ``run``.

Each list is read as ``pipeline`` reads one (its own range, its own index brought up to
date); the messages are then merged by the time each list received them.  A message
cross-posted to several lists (same Message-ID, same mail) is one message, carried by those
lists; a different mail under an id another list already holds is kept, under an id of its
own (``#dupN``), as within one archive.  History is asked of every list's index at once
(``store.merged``).  ``run`` keeps one state per archive per digest, in one file written
only after delivery.  Filters (``paths``, ``maintainers`` + ``sections``) are handed to the
digest options (``pipeline.path_filter``); ``build_digest`` keeps the series touching them,
across the lists.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, TextIO

from .analysis.digest import Digest, ListPart, Skipped, build_digest, with_lists
from .errors import ConfigError, ConfigFileError, EmptyRangeError, RangeError, SourceError
from .message import DUPLICATE_MARK, Message
from .pipeline import (
    Collected,
    DigestOptions,
    LastMessage,
    Letter,
    Outcome,
    Plan,
    Progress,
    RangeSpec,
    Report,
    _identity,
    _newest_commit,
    collect,
    compose,
    default_link_base,
    digest_options,
    is_url,
    last_message,
    narrow,
    path_filter,
    plan_range,
    render_formats,
    send,
)
from .sources import MISSING_BLOB, Source, open_source
from .timeparse import day

if TYPE_CHECKING:
    from .analysis.paths import PathFilter
    from .config import Config, DigestConfig, SmtpConfig
    from .store.index import Index
    from .store.merged import MergedLookup
    from .store.state import State


@dataclass(frozen=True)
class Got:
    """One list's share of a digest: its name and what was collected (None: nothing)."""

    name: str
    collected: Collected | None
    index: Index | None = None


@dataclass(frozen=True)
class Merged:
    """The lists' messages as one digest holds them."""

    #: in order of receipt, each once, numbered (``seq``) in that order
    messages: tuple[Message, ...]
    #: Message-ID -> the lists that carried it, in the lists' order
    carried: Mapping[str, tuple[str, ...]]
    parts: tuple[ListPart, ...]
    skipped: tuple[Skipped, ...] = ()


def merge(gots: Sequence[Got]) -> Merged:
    """The messages of several lists, a cross-posted mail once."""
    rows = []
    for i, g in enumerate(gots):
        for k, m in enumerate(g.collected.messages if g.collected else ()):
            when = m.received if m.received is not None else (m.date or 0)
            rows.append((when, i, k, m))
    rows.sort(key=lambda r: r[:3])
    variants: dict[str, list[tuple[tuple, str]]] = {}
    carriers: dict[str, set[int]] = {}
    out: list[Message] = []
    for _when, i, _k, m in rows:
        base = m.msgid.split(DUPLICATE_MARK, 1)[0]
        seen = variants.setdefault(base, [])
        ident = _identity(m)
        hit = next((fid for other, fid in seen if other == ident), None)
        if hit is not None:
            carriers[hit].add(i)
            continue
        fid = base if not seen else f"{base}{DUPLICATE_MARK}{len(seen) + 1}"
        seen.append((ident, fid))
        carriers[fid] = {i}
        out.append(dataclasses.replace(m, msgid=fid, seq=len(out)))
    carried = {fid: tuple(gots[i].name for i in sorted(ix)) for fid, ix in carriers.items()}
    parts = tuple(
        ListPart(
            g.name,
            g.collected.start if g.collected else None,
            g.collected.end if g.collected else None,
            len(g.collected.messages) if g.collected else 0,
        )
        for g in gots
    )
    skipped = tuple(
        Skipped(f"{g.name}: {k.where}", k.reason)
        for g in gots
        if g.collected
        for k in g.collected.skipped
    )
    return Merged(tuple(out), carried, parts, skipped)


def _lookup(gots: Sequence[Got], messages: Sequence[Message]) -> MergedLookup | None:
    """Every list's index as one lookup, each list's window ending where its range starts."""
    if not any(g.index is not None for g in gots):
        return None
    from .store.merged import MergedLookup

    with_ix = [g for g in gots if g.index is not None]
    starts = {}
    for i, g in enumerate(with_ix):
        first = g.collected.messages[0] if g.collected and g.collected.messages else None
        if first is not None and first.epoch is not None:
            starts[i] = (first.epoch, first.seq)
    return MergedLookup(
        [g.index for g in with_ix if g.index is not None],
        starts,
        (m.msgid for m in messages),
    )


def digest_of_lists(gots: Sequence[Got], options: DigestOptions, name: str) -> Digest:
    """The digest of several lists' collected ranges (``EmptyRangeError`` when none holds
    a message); with their indexes, history from all of them."""
    merged = merge(gots)
    if not merged.messages:
        raise EmptyRangeError("empty range: no messages selected")
    lookup = _lookup(gots, merged.messages)
    range_start = None
    if lookup is not None:
        # the merged position of the range's first message held by an index
        for g_i, g in enumerate(x for x in gots if x.index is not None):
            first = g.collected.messages[0] if g.collected and g.collected.messages else None
            if first is not None and first.epoch is not None:
                pos = lookup.merged(g_i, (first.epoch, first.seq))
                range_start = pos if range_start is None else min(range_start, pos)
    return _build(merged, options, name, lookup, range_start)


def _build(
    merged: Merged,
    options: DigestOptions,
    name: str,
    lookup: MergedLookup | None = None,
    range_start: tuple[int, int] | None = None,
    label: str | None = None,
) -> Digest:
    days = [m.received if m.received is not None else m.date for m in merged.messages]
    known = [d for d in days if d is not None]
    digest = build_digest(
        merged.messages,
        list_name=name,
        start=day(min(known)) if known else label,
        end=day(max(known)) if known else label,
        skipped=merged.skipped,
        end_commit=None,
        lookup=lookup,
        range_start=range_start,
        # the series touching the filter's paths, whichever lists carried them; employers
        # from the maps, then (unless --no-infer) what the lists' own mail says
        **options.shaping(),
    )
    return with_lists(digest, merged.carried, merged.parts)


# -- listdigest report A B C ----------------------------------------------------------------


@contextlib.contextmanager
def _opened(
    targets: Sequence[tuple[str, str, str | None]],
    opener: Callable[[str], Source],
    progress: Progress | None = None,
) -> Iterator[list[tuple[str, Source, Index | None]]]:
    """Each (name, path, index path) opened, its index brought up to date; closed after."""
    from .pipeline import opened_index

    with contextlib.ExitStack() as stack:
        out = []
        for name, path, index_path in targets:
            source = opener(path)
            close = getattr(source, "close", None)
            if close is not None:
                stack.callback(close)
            ix = stack.enter_context(opened_index(source, index_path, progress))
            out.append((name, source, ix))
        yield out


def _collect(source: Source, spec: RangeSpec, ix: Index | None, paths: bool) -> Collected | None:
    """One list's share of a range; None when it holds no message there.  ``paths``: the
    digest is filtered by path (``collect``)."""
    try:
        return collect(source, narrow(ix, spec) if ix is not None else spec, index=ix, paths=paths)
    except EmptyRangeError:
        return None


def names_of(paths: Sequence[str]) -> list[str]:
    """A name per archive, as ``report`` shows a list (its directory's name); two archives
    of one name are told apart by a number."""
    from .config import _archive_key

    out: list[str] = []
    for p in paths:
        name = _archive_key(p)
        if name in out:
            name = f"{name}-{sum(1 for x in out if x.split('-')[0] == name) + 1}"
        out.append(name)
    return out


def report_lists(
    paths: Sequence[str],
    spec: RangeSpec,
    options: DigestOptions,
    *,
    index_paths: Sequence[str | None] | None = None,
    link_base: str | None = None,
    opener: Callable[[str], Source] = open_source,
    progress: Progress | None = None,
) -> Report:
    """The ``report`` of several archives (``report A B C``): one digest of the range
    (by date, or whole) on every list.  A range without messages on any list is the short
    "no traffic" digest."""
    if spec.from_rev or spec.to_rev:
        raise RangeError("--from/--to name one archive's commits; use --since/--until with several")
    names = names_of(paths)
    ixs = list(index_paths) if index_paths is not None else [options.index_path] * len(paths)
    targets = [(n, p, i) for n, p, i in zip(names, paths, ixs)]
    title = options.list_name or " + ".join(names)
    empty = False
    with _opened(targets, opener, progress) as opened:
        gots = [Got(n, _collect(src, spec, ix, options.wants_paths), ix) for n, src, ix in opened]
        try:
            digest = digest_of_lists(gots, options, title)
        except EmptyRangeError:
            empty = True
            label = day(spec.since) if spec.since is not None else None
            digest = _build(merge(gots), options, title, label=label)
    warnings = tuple(
        f"{k.where}: {MISSING_BLOB}; skipped" for k in digest.skipped if k.reason == MISSING_BLOB
    )
    base = link_base or default_link_base(paths[0], names[0])
    return Report(digest, base, warnings, empty)


# -- listdigest run: [digests.NAME] ---------------------------------------------------------


def digest_filter(dg: DigestConfig) -> PathFilter | None:
    """The ``[digests.NAME]`` filter (``paths``, ``maintainers`` + ``sections``; the MAINTAINERS
    file read now), applied to the merged lists as ``--path`` is to one; None: whole lists."""
    return path_filter(dg.paths, dg.maintainers, dg.sections, f"digests.{dg.key}")


def run_digest(
    dg: DigestConfig,
    smtp: SmtpConfig,
    *,
    state_dir: str,
    environ: Mapping[str, str],
    archives: Mapping[str, str] | None = None,
    index_path_of: Callable[[str], str | None] = lambda _path: None,
    dry_run: bool = False,
    now: int | None = None,
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
    opener: Callable[[str], Source] = open_source,
) -> Outcome:
    """One digest of several lists: each archive from where its last delivered digest
    ended (its own state) to its newest commit, merged, delivered, and only then every
    archive's new mark recorded at once.  Any failure leaves every state as it was.
    ``archives`` replaces an archive key's path (a URL's local mirror)."""
    import time

    from .store.state import (
        State,
        digest_state_dir,
        locked,
        read_digest_states,
        write_digest_states,
    )

    lst = dg.delivery
    now = int(time.time()) if now is None else now
    paths = {a.key: (archives or {}).get(a.key, a.archive) for a in dg.archives}
    with locked(digest_state_dir(state_dir), dg.key):
        states = read_digest_states(state_dir, dg.key)
        targets = [(a.name, paths[a.key], index_path_of(paths[a.key])) for a in dg.archives]
        options = dataclasses.replace(digest_options(lst, None), path_filter=digest_filter(dg))
        with _opened(targets, opener) as opened:
            plans: list[Plan] = []
            gots: list[Got] = []
            for a, (name, source, ix) in zip(dg.archives, opened):
                if source.kind != "git":
                    raise ConfigError(
                        f"digests.{dg.key}.archives: run needs git archives (public-inbox); "
                        f"{paths[a.key]} has no revisions"
                    )
                newest = _newest_commit(source)
                plan = plan_range(lst, states.get(a.key), source, ix, newest, now)
                plans.append(plan)
                got = (
                    _collect(source, plan.spec, ix, options.wants_paths)
                    if plan.spec is not None
                    else None
                )
                gots.append(Got(name, got, ix))
            try:
                digest: Digest | None = digest_of_lists(gots, options, lst.name)
            except EmptyRangeError:
                digest = None
            ends = [
                (g.collected.end_commit if g.collected else None) or p.newest
                for g, p in zip(gots, plans)
            ]
            lasts = [last_message(ix, end) for (_n, _s, ix), end in zip(opened, ends)]
        notes = "; ".join(f"{a.key}: {p.note}" for a, p in zip(dg.archives, plans) if p.note)
        new_states = {
            a.key: _moved(states.get(a.key), p, end, last, got.collected)
            for a, p, end, last, got in zip(dg.archives, plans, ends, lasts, gots)
        }
        if digest is None and not lst.send_empty:
            if not dry_run and new_states != states:
                write_digest_states(state_dir, dg.key, new_states)
            status = "dry-run" if dry_run else "empty"
            return Outcome(dg.key, status, None, None, None, 0, 0, note=notes or None)
        empty = digest is None
        if digest is None:
            digest = _build(merge(gots), options, lst.name, label=day(now))
        link_base = lst.link_base or default_link_base(
            paths[dg.archives[0].key], dg.archives[0].name
        )
        rendered = render_formats(digest, lst.formats, link_base, lst.feed_url)
        root = next((s.thread_root for s in states.values() if s.thread_root), None)
        letter = compose(
            lst,
            digest,
            rendered,
            Plan("", None, None, State(to_commit="", thread_root=root) if root else None),
            now,
            empty=empty,
        )
        return send(
            dataclasses.replace(lst, key=dg.key),
            smtp,
            digest,
            rendered,
            letter,
            end_commit=None,
            note=notes or None,
            dry_run=dry_run,
            then=lambda sent: write_digest_states(
                state_dir, dg.key, _delivered(new_states, states, sent, now)
            ),
            environ=environ,
            stdout=stdout,
            connect=connect,
            tls_context=tls_context,
        )


def _moved(
    prev: State | None, plan: Plan, end: str, last: LastMessage, got: Collected | None
) -> State:
    """An archive's mark moved to the end of its share of this digest (its newest commit
    when it had nothing new)."""
    from .store.state import State

    base = plan.state or prev or State(to_commit=end)
    return dataclasses.replace(
        base,
        to_commit=end,
        from_commit=got.start if got is not None else base.from_commit,
        last_blob=last.blob or base.last_blob,
        last_msgid=last.msgid or base.last_msgid,
        last_received=last.received if last.received is not None else base.last_received,
    )


def _delivered(
    moved: Mapping[str, State], prev: Mapping[str, State], letter: Letter, now: int
) -> dict[str, State]:
    """Every archive's state after a delivery: the marks moved, the mail recorded."""
    msgid = letter.mail["Message-ID"] if letter.mail is not None else None
    root = next((s.thread_root for s in prev.values() if s.thread_root), None) or msgid
    count = max((s.count for s in prev.values()), default=0) + 1
    return {
        k: dataclasses.replace(s, message_id=msgid, thread_root=root, delivered_at=now, count=count)
        for k, s in moved.items()
    }


# -- listdigest config check ----------------------------------------------------------------


def check_digests(cfg: Config, *, opener: Callable[[str], Source] = open_source) -> None:
    """What would make a digest's ``run`` fail, found now: an archive path that is missing
    or no git archive (a URL is mirrored at run time), a ``start`` that is no date."""
    from .timeparse import parse_when

    for dg in cfg.digests:
        where = f"digests.{dg.key}"
        listed = {lst.key for lst in cfg.lists}
        for i, a in enumerate(dg.archives):
            if a.key in listed or is_url(a.archive):
                continue  # a list's archive is checked under its own key
            try:
                source = opener(a.archive)
            except SourceError as exc:
                raise ConfigFileError(f"{where}.archives[{i}]: {exc}") from None
            if source.kind != "git":
                raise ConfigFileError(
                    f"{where}.archives[{i}]: run needs a git archive (public-inbox); "
                    f"{a.archive} has no revisions"
                )
        try:
            digest_filter(dg)  # the MAINTAINERS file read, its section names looked up
        except ConfigError as exc:
            raise ConfigFileError(str(exc)) from None
        start = dg.delivery.start
        if start is not None:
            try:
                parse_when(start)
            except RangeError:
                raise ConfigFileError(
                    f"{where}.start: {start!r} is not a date (YYYY-MM-DD, ISO datetime, "
                    "2d/12h/1w, yesterday); a digest of several lists starts at a date"
                ) from None
