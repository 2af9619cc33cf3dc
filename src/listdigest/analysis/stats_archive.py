"""What ``listdigest stats`` needs to know about the archive beyond a range.

Owns two look-ups the release statistics make against the whole archive: who posted a
thread's root when the root came before the range (so a patch author answering review of a
series posted last month is still its author, not a reviewer), and when each address wrote
first (tenure, first-time authors).  ``ArchiveFacts`` is the protocol the statistics ask;
the store's ``Index`` answers it (this stage never imports the store), and a test can
answer from a dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class ArchiveFacts(Protocol):
    def senders(self, msgids: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """(name, address) of the author (the in-body rule) and of the sender of the first
        message stored under each id."""

    def first_seen(self, addrs: Iterable[str]) -> dict[str, int]:
        """Each address's (lower case) first receive time in the whole archive, as sender
        or author."""
