"""``listdigest stats``: a range and the one before it, read once each, through the
same collection and index as a digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..analysis.employers import Affiliations, load_affiliations
from ..analysis.history import DEFAULT_BOTS
from ..errors import (
    EmptyRangeError,
    RangeError,
)
from ..sources import Source, open_source
from .digest import opened_index
from .ranges import RangeSpec, collect, narrow

if TYPE_CHECKING:
    pass

Progress = Callable[[int, int], None]


def spec_of(a: str | None, b: str | None) -> RangeSpec:
    """A range from two bounds (a named release's, ``--compare A..B``): a bound is a date
    when it reads as one, else a revision."""
    from ..timeparse import parse_when

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
    from ..analysis import stats_ranges as sr
    from ..analysis.stats import compare as compare_stats
    from ..analysis.stats import compute_stats

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
