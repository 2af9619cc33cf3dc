"""One digest: ``DigestOptions`` -> ``make_digest`` (the one path ``report`` and ``run``
take), the index opened and updated once, the formats rendered, the link base chosen."""

from __future__ import annotations

import contextlib
import dataclasses
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Callable, TypedDict

from ..analysis.digest import Digest, build_digest, range_histories
from ..analysis.employers import Affiliations, load_affiliations
from ..analysis.history import DEFAULT_BOTS, SeriesHistory
from ..errors import (
    ConfigError,
    EmptyRangeError,
    SourceError,
)
from ..message import Message
from ..settings import default
from ..sources import MISSING_BLOB, RawMessage, Source, open_source
from ..timeparse import day
from ..workers import Forked, can_fork
from .ranges import Collected, RangeSpec, _git, _newest_commit, collect, is_url, narrow

if TYPE_CHECKING:
    from ..analysis.paths import PathFilter
    from ..config import ListConfig
    from ..model.series import Series
    from ..store.index import Index

Progress = Callable[[int, int], None]


class Shaping(TypedDict):
    """``build_digest``'s arguments that come from ``DigestOptions`` (``shaping``)."""

    top: int
    hot: int
    waiting_days: int
    bots: tuple[str, ...]
    affiliations: Affiliations
    infer: bool
    keep: Callable[[Series, frozenset[str]], bool] | None
    keep_label: str


@dataclass(frozen=True)
class DigestOptions:
    """Everything that shapes a digest besides its range, for ``report`` and ``run`` alike.

    Defaults are the configuration table's (``settings.LIST_SETTINGS``)."""

    #: the name the digest shows (None: the archive's own, e.g. its directory name)
    list_name: str | None = None
    top: int = default("top")
    hot: int = default("hot")
    waiting_days: int = default("waiting_days")
    #: extra bot address patterns (lower case), beside the built-in ``DEFAULT_BOTS``
    bots: tuple[str, ...] = ()
    #: employer maps, mailmaps and aliases, read once (None: the shipped employer map alone)
    affiliations: Affiliations | None = None
    #: after the maps, infer employers from the range's own mail (``--no-infer``: maps only)
    infer: bool = True
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

    @property
    def keeps(self) -> Callable[[Series, frozenset[str]], bool] | None:
        """The path filter's test of a series (None: every series is kept)."""
        return self.path_filter.keeps if self.path_filter is not None else None

    @property
    def wants_paths(self) -> bool:
        """Whether patch postings must carry their touched paths (a digest filtered by path)."""
        return self.path_filter is not None

    def shaping(self) -> Shaping:
        """What these options give ``analysis.digest.build_digest`` besides the messages and
        their range: the one place a single-list and a several-list digest take it from."""
        return Shaping(
            top=self.top,
            hot=self.hot,
            waiting_days=self.waiting_days,
            bots=self.all_bots,
            # the maps first; what the range's own mail says about an address they leave
            # (Unknown) after them (analysis.employers.infer_affiliations), unless asked not to
            affiliations=self.affiliations or load_affiliations(),
            infer=self.infer,
            keep=self.keeps,
            keep_label=self.path_filter.label if self.path_filter is not None else "",
        )


def _options(options: DigestOptions | None, overrides: Mapping[str, object]) -> DigestOptions:
    """``options`` (or the defaults) with some fields replaced: ``report(path, spec, top=5)``."""
    base = options or DigestOptions()
    return dataclasses.replace(base, **overrides) if overrides else base  # type: ignore[arg-type]


@contextlib.contextmanager
def opened_index(
    source: Source, index_path: str | None, progress: Progress | None = None
) -> Iterator[Index | None]:
    """The archive index at ``index_path``, brought up to date with ``source`` first; None
    without a path or for a source without commits (mbox, Maildir, a server's answer)."""
    if index_path is None or source.kind != "git":
        yield None
        return
    from ..store.index import Index

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
    narrowed = narrow(ix, spec) if ix is not None else spec
    early = _early_histories(source, spec, narrowed, options, ix) if ix is not None else None
    try:
        got = collect(source, narrowed, index=ix, paths=options.wants_paths)
        digest = digest_of(got, source, options, index=ix, early=early.result if early else None)
    finally:
        if early is not None:
            early.cancel()  # not asked for (an empty range, an error): stopped
    if options.trees and got.messages:
        digest = landed_digest(digest, got, source, options, ix)
    return digest


#: a range of at least this many messages has its series' histories looked up by a child
#: process started before the range is read (``_early_histories``)
EARLY_MIN = 4000


def _early_histories(
    source: Source, spec: RangeSpec, narrowed: RangeSpec, options: DigestOptions, ix: Index
) -> Forked[None, dict[str, SeriesHistory]] | None:
    """A large range's history lookups (``analysis.digest.range_histories``), started in a
    forked child before this process reads the range: the child reads it too, from the
    index on a connection of its own, on the other core.  Forked once the range is read
    (as ``build_digest`` would), the child would share the range's hundred megabytes of
    objects, and each process would copy every page it touched (both write the objects'
    reference counts): 0.07 s of a whole-archive report on linux-hyperv.  None for a
    small range (``build_digest`` looks the histories up itself), a range of revisions
    (its size is not known before it is read), or one core."""
    if spec.from_rev or spec.to_rev or ix.count_received(spec.since, spec.until) < EARLY_MIN:
        return None
    if not can_fork():
        return None
    path = ix.path

    def child(_: Sequence[None], in_child: bool) -> list[dict[str, SeriesHistory]]:
        from ..store.index import Index

        with Index(path) as own:
            got = collect(source, narrowed, workers=1, index=own, paths=options.wants_paths)
            return [
                range_histories(
                    got.messages,
                    lookup=own,
                    range_start=_range_start(own, got),
                    waiting_days=options.waiting_days,
                    bots=options.all_bots,
                    keep=options.keeps,
                )
            ]

    return Forked(child, [None], 1)


def check_trees(trees: Iterable[str]) -> None:
    """Open each ``PATH[:REF]``: a bad one fails now (one line), before anything is read."""
    if not trees:
        return  # and the tree reader is not imported (3 ms of a report's start)
    from ..sources.tree import open_tree, parse_tree_spec

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
    from ..analysis.landed import with_landed
    from ..sources.tree import parse_tree_spec
    from ..store.trees import open_db, open_trees

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
    from ..message import parse_message
    from ..message.body import split_body, strip_inbody

    want = {p.msgid: p for p in patches}
    raws: list[RawMessage] = []
    if source.kind == "git":
        from ..sources.gitio import CatFile, run

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
    early: Callable[[], list[dict[str, SeriesHistory]]] | None = None,
    **overrides: object,
) -> Digest:
    """The digest of collected messages; with an index, history sections too.  ``early``:
    what ``_early_histories`` started (its answer is a list of one mapping)."""
    options = _options(options, overrides)
    range_start = _range_start(index, got) if index is not None else None
    return build_digest(
        got.messages,
        list_name=options.list_name or source.name,
        start=got.start,
        end=got.end,
        skipped=got.skipped,
        end_commit=got.end_commit,
        lookup=index,
        range_start=range_start,
        early=(lambda: early()[0]) if early is not None else None,
        **options.shaping(),
    )


def _range_start(index: Index, got: Collected) -> tuple[int, int] | None:
    """The position of the range's first message in the index (its waiting window ends
    there): the same in the process that reads the range and in an early child."""
    first = next((m.commit for m in got.messages if m.commit), None)
    return index.position_of_commit(first) if first else None


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
        from ..sources.mailbox import MboxSource

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
        from ..sources.lore import open_lore

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
    from ..sources.origin import mirror_origin

    if is_url(archive):
        from ..sources.sync import split_list_url

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
    from ..report import ReportOptions, render

    options = ReportOptions(link_base=link_base, feed_url=feed_url or "", cache_dir=cache_dir)
    return {fmt: render(digest, fmt, options) for fmt in formats}


def mirrored(lst: ListConfig, mirror_dir: str, *, env: Mapping[str, str]) -> ListConfig:
    """A list whose ``archive`` is an http(s) URL, mirrored into ``mirror_dir`` now
    (``sources.sync``), with the mirror as its archive; a local archive is left as it is."""
    if not is_url(lst.archive):
        return lst
    from ..sources.sync import sync

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
        infer=not lst.no_infer,
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
    if not paths and not maintainers:
        return None
    # imported here: only a filtered digest needs the MAINTAINERS reader
    from ..analysis.paths import PathFilter, find_sections, read_maintainers

    found = find_sections(read_maintainers(maintainers), sections, where) if maintainers else ()
    if not paths and not found:
        return None
    return PathFilter.of(paths, found)
