"""Threads: which messages of a range belong to one discussion.

Owns finding each message's thread root: the first References entry (the root as the
sender's client knew it), else In-Reply-To followed through the messages at hand (and, when
given, the archive lookup's parents), else the message itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..message import Message
from .versions import VersionLookup


@dataclass(frozen=True)
class Thread:
    root: str
    subject: str
    messages: tuple[Message, ...]
    participants: int
    first_seq: int


def thread_root(
    m: Message, by_id: dict[str, Message], lookup: VersionLookup | None = None, depth: int = 0
) -> str:
    if m.references:
        return m.references[0]
    if m.in_reply_to:
        parent = by_id.get(m.in_reply_to)
        if parent is not None and depth < 100:
            return thread_root(parent, by_id, lookup, depth + 1)
        if lookup is not None:
            cur = m.in_reply_to
            for _ in range(100):
                ps = lookup.parents_of(cur)
                if not ps:
                    break
                cur = ps[-1]
            return cur
        return m.in_reply_to
    return m.msgid


def group_threads(messages: Sequence[Message], lookup: VersionLookup | None = None) -> list[Thread]:
    by_id = {m.msgid: m for m in messages}
    groups: dict[str, list[Message]] = {}
    for m in messages:
        groups.setdefault(thread_root(m, by_id, lookup), []).append(m)
    out = []
    for root, ms in groups.items():
        head = by_id.get(root, ms[0])
        out.append(
            Thread(
                root,
                head.subject,
                tuple(ms),
                len({x.from_addr.lower() for x in ms}),
                min(x.seq for x in ms),
            )
        )
    return out
