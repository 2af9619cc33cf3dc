"""What ``listdigest stats`` needs to know about the archive beyond a range.

Owns two look-ups the release statistics make against the whole archive: who posted a
thread's root when the root came before the range (so a patch author answering review of a
series posted last month is still its author, not a reviewer), and when each address wrote
first (tenure, first-time authors).  ``IndexFacts`` answers them from the archive index's
SQLite connection, handed in (this stage never imports the store); ``ArchiveFacts`` is the
protocol the statistics ask, so a test can answer from a dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

#: SQLite's limit on ``?`` parameters in one statement, with margin
_CHUNK = 900


class ArchiveFacts(Protocol):
    def senders(self, msgids: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        """(name, address) of the author (the in-body rule) and of the sender of the first
        message stored under each id."""

    def first_seen(self, addrs: Iterable[str]) -> dict[str, int]:
        """Each address's (lower case) first receive time in the whole archive, as sender
        or author."""


class IndexFacts:
    """``ArchiveFacts`` from an open archive index (``store.index.Index.db``)."""

    def __init__(self, db) -> None:
        self.db = db

    def senders(self, msgids: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        ids = sorted(set(msgids))
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            rows = self.db.execute(
                "SELECT msgid, author_name, author_addr, from_name, from_addr FROM messages "
                f"WHERE msgid IN ({','.join('?' * len(part))}) ORDER BY epoch DESC, seq DESC",
                part,
            ).fetchall()
            # newest first, so the first stored message under an id is written last and wins
            for mid, name, addr, from_name, from_addr in rows:
                out[mid] = ((name or "", addr or ""), (from_name or "", from_addr or ""))
        return out

    def first_seen(self, addrs: Iterable[str]) -> dict[str, int]:
        wanted = {a.lower() for a in addrs if a}
        best: dict[str, int] = {}
        if not wanted:
            return best
        for col in ("author_addr", "from_addr"):
            if len(wanted) <= 300:
                rows = []
                for a in wanted:
                    r = self.db.execute(
                        f"SELECT MIN(received) FROM messages WHERE {col}=?", (a,)
                    ).fetchone()
                    rows.append((a, r[0] if r else None))
            else:
                # many addresses: one pass over the table beats one look-up each
                rows = self.db.execute(
                    f"SELECT {col}, MIN(received) FROM messages GROUP BY {col}"
                ).fetchall()
            for addr, when in rows:
                if when is not None and addr in wanted and (addr not in best or when < best[addr]):
                    best[addr] = when
        return best
