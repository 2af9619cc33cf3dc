"""Where raw messages come from: public-inbox v2/v1 git archives, mbox files, Maildirs.

This stage owns finding the archive on disk, resolving revisions and reading the raw
bytes of each message in archive order.  It knows nothing of headers or series: it hands
``RawMessage`` objects to the ``message`` stage.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..errors import SourceError


@dataclass(frozen=True)
class RawMessage:
    """One stored message exactly as the archive holds it."""

    data: bytes
    #: the git commit that stored it (None for mbox/Maildir)
    commit: str | None = None
    #: the public-inbox epoch number (0 for v1 and single repositories)
    epoch: int | None = None
    #: committer time of that commit (unix seconds); untrusted, only a fallback
    commit_time: int | None = None
    #: position in archive order (0-based over the whole read)
    seq: int = 0
    #: a human-readable locator for error messages (commit id, mbox offset, file name)
    where: str = ""
    #: the commit names a message blob the repository lacks (a mirror missing an object):
    #: the message is skipped, and an index retries it at its next update
    missing: bool = False


#: why a message whose blob the repository lacks is skipped
MISSING_BLOB = "message blob missing from the repository; retried at the next index update"


@dataclass(frozen=True)
class Selection:
    """What a source hands over for a revision range."""

    messages: Iterator[RawMessage]
    #: label of the range start as the digest header prints it (9-char commit id)
    start: str | None
    #: label of the range end (9-char commit id), None when the range is empty
    end: str | None
    #: full commit id of the range end, for recording "where the last digest ended"
    end_commit: str | None = None
    #: git archives: the same messages as read jobs (``git.ReadJob``) that worker processes
    #: can read on their own; None for sources that can only be read in one stream
    jobs: tuple | None = None


class Source(Protocol):
    """Anything that can list an archive's messages."""

    #: a default list name (the inbox's directory name)
    name: str
    #: "git" (has commits and revisions) or "mailbox" (has neither)
    kind: str

    def select(self, from_rev: str | None = None, to_rev: str | None = None) -> Selection:
        """Messages of ``from_rev..to_rev`` in archive order (raises RangeError)."""
        ...


def open_source(path: str) -> Source:
    """Open whatever archive lies at ``path``: v2 inbox, epoch or v1 repository, mbox, Maildir."""
    from . import git as _git
    from . import mailbox as _mailbox

    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file or directory")
    if os.path.isdir(path):
        if _mailbox.is_maildir(path):
            return _mailbox.MaildirSource(path)
        return _git.open_git_source(path)
    return _mailbox.MboxSource(path)
