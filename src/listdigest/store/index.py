"""The archive index: one SQLite file holding what history needs about every message.

This module is the index's public face: ``Index`` opens a file, brings it up to date with
a git archive and answers the history analysis (``analysis.history.HistoryLookup``), the
pipeline (a range rebuilt without reading a blob) and ``run`` (finding its place again);
``index_archive`` is what ``listdigest index`` calls.  It holds every message as
``message.slim`` leaves it (a reply's trailers and applied notice, a patch posting's body
head), so a range of any size is rebuilt from it without reading a blob.

The work is done elsewhere in ``store``: ``schema`` (tables, version, row codec),
``ingest`` (building and updating, worker processes, progress), ``lookup`` (the
queries) and ``rebuild`` (a range's messages from the rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..errors import SourceError
from ..message import Message
from ..sources import Selection
from ..sources.git import GitSource, ReadJob
from ..workers import default_workers
from . import rebuild
from .ingest import Progress, UpdateStats, update
from .lookup import Lookup
from .schema import SCHEMA_VERSION, connect

__all__ = ["SCHEMA_VERSION", "Index", "Progress", "UpdateStats", "index_archive"]


class Index(Lookup):
    """An open index file.  Use as a context manager, or call ``close()``."""

    def __init__(self, path: str, workers: int | None = None) -> None:
        self.path = path
        #: processes that parse messages in a large update (one per core, at most 4)
        self.workers = workers if workers is not None else default_workers()
        super().__init__(connect(path))

    def reopened(self) -> Index:
        """The same index on a connection of its own (for a forked process: a connection
        must not cross a fork)."""
        return Index(self.path, self.workers)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def update(self, source: GitSource, progress: Progress | None = None) -> UpdateStats:
        """Bring the index up to date with every epoch of ``source`` (see ``ingest``);
        ``progress(done, total)`` is called after each batch of messages read."""
        try:
            return update(self.db, self.path, source, self.workers, progress)
        finally:
            self.clear()

    # -- a range's messages, rebuilt (see ``rebuild``) ---------------------------
    def selection(
        self, source: GitSource, from_rev: str | None = None, to_rev: str | None = None
    ) -> Selection | None:
        """``source.select(from_rev, to_rev)`` made from the index alone; None when the
        index cannot answer (an epoch not up to date, a range end storing no message)."""
        return rebuild.selection(self.db, source, from_rev, to_rev)

    def messages_of(self, job: ReadJob) -> list[Message | str | None]:
        """Each item of a read job as the index holds it: the message, the reason it is
        unreadable (str), or None when the index does not hold it."""
        return rebuild.messages_of(self.db, job)

    def messages_before(self, pos: tuple[int, int], since: int) -> list[Message]:
        """The messages received since ``since`` and stored before position ``pos``."""
        return rebuild.messages_before(self.db, pos, since)


def index_archive(
    path: str,
    index_path: str,
    progress: Progress | None = None,
    opener: Callable[[str], object] | None = None,
) -> UpdateStats:
    """Build or update the index of the git archive at ``path``; returns the update's stats.
    (Here rather than in ``pipeline``, so that ``listdigest index`` starts without importing
    the analysis and report stages: 44 ms of its start-up.)"""
    from ..sources import open_source

    source = (opener or open_source)(path)
    if not isinstance(source, GitSource):
        raise SourceError(
            f"{path}: only public-inbox git archives can be indexed (mbox/Maildir are read whole each time)"
        )
    with Index(index_path) as ix:
        return ix.update(source, progress)


if TYPE_CHECKING:
    from ..analysis.history import HistoryLookup
    from ..analysis.stats_archive import ArchiveFacts

    def _implements(ix: Index) -> HistoryLookup:
        # mypy checks here that Index answers every question the analysis asks
        return ix

    def _answers_stats(ix: Index) -> ArchiveFacts:
        # and every question the release statistics ask of the whole archive
        return ix
