"""A count with its label, and the one ranking every table of the digest uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Count:
    count: int
    label: str


def ranked(counter: Mapping[str, int], top: int) -> tuple[Count, ...]:
    """Count descending; ties reversed in byte order, as ``sort | uniq -c | sort -rn`` does
    (the seed digest's tables were made that way)."""
    items = sorted(counter.items(), key=lambda kv: (kv[1], kv[0].encode("utf-8")), reverse=True)
    return tuple(Count(c, label) for label, c in items[:top])
