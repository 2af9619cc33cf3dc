"""Worker processes for the CPU-bound part (parsing mail): an ordered map over tasks.

Owns only the pool mechanics; what a task does belongs to its caller.  Small jobs run in
the calling process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

#: messages a worker process reads and parses per task
BATCH = 1500

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One process per core this process may run on (``taskset``, a container's cpuset),
    at most 4 (parsing is the only part that scales)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity call (macOS)
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _ignore_interrupt() -> None:
    """Workers leave Ctrl-C to the main process, which stops them: a terminal's SIGINT
    reaches the whole process group, and each worker printed a KeyboardInterrupt traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ordered_map(
    fn: Callable[[T], R], tasks: Iterable[T], workers: int | None = None, ordered: bool = True
) -> Iterator[R]:
    """``fn`` over ``tasks``, results in task order (with ``ordered=False``: as each is
    done, in worker processes); in worker processes when there is more than one worker and
    (for a sized ``tasks``) two tasks or more.  ``tasks`` may be a generator: the pool takes
    tasks as it makes them, so work starts before the last is known."""
    n = default_workers() if workers is None else workers
    sized = isinstance(tasks, Sized)
    if n <= 1 or (sized and len(tasks) < 2):  # type: ignore[arg-type]
        for t in tasks:
            yield fn(t)
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(min(n, len(tasks)) if sized else n, initializer=_ignore_interrupt) as pool:  # type: ignore[arg-type]
        yield from (pool.imap if ordered else pool.imap_unordered)(fn, tasks)


#: what the child of a ``Forked`` computes: (fn, items), inherited through the fork
_FORKED: tuple | None = None


def _run_forked() -> list:
    assert _FORKED is not None
    fn, items = _FORKED
    return fn(items, True)


def can_fork(workers: int | None = None) -> bool:
    """Whether a ``Forked`` child would start: more than one worker, and ``fork`` here."""
    import multiprocessing

    n = default_workers() if workers is None else workers
    return n > 1 and "fork" in multiprocessing.get_all_start_methods()


class Forked(Generic[T, R]):
    """``fn(items, in_child)`` started in a forked child now; ``result()`` waits for it.
    ``fn`` is told whether it runs in the child (where resources such as database
    connections must be opened anew).  Where forking cannot help (few items, one core, no
    fork) nothing starts and ``result()`` computes here."""

    def __init__(
        self,
        fn: Callable[[Sequence[T], bool], list[R]],
        items: Sequence[T],
        min_items: int,
        workers: int | None = None,
    ) -> None:
        global _FORKED
        import multiprocessing

        self._fn, self._items = fn, items
        self._pool: Pool | None = None
        self._async: AsyncResult[list[R]] | None = None
        if len(items) < min_items or not can_fork(workers):
            return
        _FORKED = (fn, items)
        try:
            self._pool = multiprocessing.get_context("fork").Pool(
                1, initializer=_ignore_interrupt
            )  # the child inherits _FORKED
        finally:
            _FORKED = None
        self._async = self._pool.apply_async(_run_forked)

    def result(self) -> list[R]:
        if self._pool is None or self._async is None:
            return self._fn(self._items, False)
        try:
            return self._async.get()
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child, if one runs (its answer is not wanted after all)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
