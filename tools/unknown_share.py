#!/usr/bin/env python3
"""The "(Unknown)" share of the employer table over the last year of an archive, and the
addresses and domains behind it, so a user (or the shipped map's maintainer) knows what to map.

    tools/unknown_share.py ARCHIVE... [--days 365] [--top 20] [--no-infer]
                           [--employer-map FILE]... [--mailmap FILE]... [--aliases FILE]...
                           [--no-default-map]

Counts patch postings (cover letters and patches, bots left out) by their in-body author,
as the digest's employer table does, received in the last DAYS days before the archive's
newest message.  The inference (``analysis.employers.infer_affiliations``) reads the whole
archive; ``--no-infer`` measures the maps alone.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from listdigest.analysis.employers import (
    Affiliations,
    infer_affiliations,
    load_affiliations,
    unknown_share,
)
from listdigest.analysis.history import DEFAULT_BOTS, is_bot
from listdigest.message import PATCH
from listdigest.pipeline import RangeSpec, collect
from listdigest.sources import open_source


def measure(path: str, aff: Affiliations, days: int, top: int, infer: bool) -> str:
    messages = collect(open_source(path), RangeSpec()).messages
    newest = max((m.received or 0) for m in messages)
    since = newest - days * 86400
    postings = [
        m
        for m in messages
        if m.kind == PATCH
        and (m.received or 0) >= since
        and not is_bot(m.author_addr, m.author_name, DEFAULT_BOTS)
    ]
    if infer:
        aff = infer_affiliations(messages, aff)
    got = unknown_share(postings, aff, top)
    inferred = len(aff.employers.inferred.entries) if infer else 0
    lines = [
        f"{os.path.basename(path.rstrip('/'))}: {got.unknown}/{got.postings} postings "
        f"(Unknown) = {100 * got.share:.1f} % in the last {days} days"
        + (f" ({inferred} addresses inferred)" if infer else " (maps alone)")
    ]
    lines.append("  top unmapped addresses:")
    lines += [f"    {n:5d}  {a}" for a, n in got.addresses]
    lines.append("  top unmapped domains:")
    lines += [f"    {n:5d}  {d}" for d, n in got.domains]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archives", nargs="+")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--no-infer", action="store_true")
    ap.add_argument("--employer-map", action="append", default=[])
    ap.add_argument("--mailmap", action="append", default=[])
    ap.add_argument("--aliases", action="append", default=[])
    ap.add_argument("--no-default-map", action="store_true")
    args = ap.parse_args(argv)
    aff = load_affiliations(
        args.employer_map, args.mailmap, args.aliases, default_map=not args.no_default_map
    )
    for path in args.archives:
        print(measure(path, aff, args.days, args.top, not args.no_infer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
