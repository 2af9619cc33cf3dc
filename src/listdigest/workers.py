"""Worker processes for the CPU-bound part (parsing mail): an ordered map over tasks.

Owns only the pool mechanics; what a task does belongs to its caller.  Small jobs run in
the calling process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, Optional, Sequence, TypeVar

#: messages a worker process reads and parses per task
BATCH = 1500

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One process per core, at most 4 (parsing is the only part that scales)."""
    return min(os.cpu_count() or 1, 4)


def ordered_map(fn: Callable[[T], R], tasks: Sequence[T], workers: Optional[int] = None) -> Iterator[R]:
    """``fn`` over ``tasks``, results in task order; in worker processes when there are two
    tasks or more and more than one worker."""
    n = default_workers() if workers is None else workers
    if n <= 1 or len(tasks) < 2:
        for t in tasks:
            yield fn(t)
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(min(n, len(tasks))) as pool:
        yield from pool.imap(fn, tasks)
