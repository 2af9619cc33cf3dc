"""Run state per list: where the last delivered digest ended, and a lock per list.

Owns the state file ``<state_dir>/<list>.json`` (written atomically by ``fileio.atomic_write``,
private to the user: mode 0600 whatever the umask) and the lock file ``<state_dir>/<list>.lock`` held
with ``fcntl.flock`` for the whole run, so two runs of one list never overlap.  It knows
nothing of archives or mail: callers say what to record.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import StateError
from ..fileio import atomic_write

STATE_VERSION = 1


@dataclass(frozen=True)
class State:
    #: full commit id where the last delivered digest ended (the next one starts after it)
    to_commit: str
    #: full commit id (or label) where that digest started
    from_commit: str | None = None
    #: Message-ID of that digest's mail, and of the list's first one (thread root)
    message_id: str | None = None
    thread_root: str | None = None
    #: unix time of the delivery
    delivered_at: int | None = None
    #: how many digests were delivered for this list
    count: int = 0
    #: the last message that digest held: its blob, Message-ID and received time, by which a
    #: run finds its place again after a history rewrite (public-inbox-purge/edit) made
    #: ``to_commit`` unknown (a rewrite keeps the blobs of the messages it does not remove)
    last_blob: str | None = None
    last_msgid: str | None = None
    last_received: int | None = None


def state_path(state_dir: str, key: str) -> str:
    return os.path.join(state_dir, f"{key}.json")


def read_state(state_dir: str, key: str) -> State | None:
    """The list's state, or None before its first delivery."""
    path = state_path(state_dir, key)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: unreadable state file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("to_commit"), str):
        raise StateError(f"{path}: state file has no to_commit")
    known = {f.name for f in fields(State)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    for k, v in values.items():
        if v is not None and not isinstance(v, _TYPES[k]):
            raise StateError(f"{path}: bad state file ({k} is {type(v).__name__})")
    return State(**values)


#: what each field of a state file may hold (besides null)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "to_commit": str,
    "from_commit": str,
    "message_id": str,
    "thread_root": str,
    "delivered_at": int,
    "count": int,
    "last_blob": str,
    "last_msgid": str,
    "last_received": int,
}


def write_state(state_dir: str, key: str, state: State) -> None:
    """Replace the list's state atomically: a crash leaves the old file or the new, never half."""
    data = dict(asdict(state), version=STATE_VERSION)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write(state_path(state_dir, key), text, private=True)


@contextlib.contextmanager
def locked(state_dir: str, key: str) -> Iterator[None]:
    """Hold the list's lock for the block; raises StateError at once if another run holds it."""
    os.makedirs(state_dir, exist_ok=True)
    path = os.path.join(state_dir, f"{key}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(f"another run holds {path}") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


# -- a digest of several lists: one state per archive, in one file ------------------------


def digest_state_dir(state_dir: str) -> str:
    """Where digests of several lists keep their state and lock: ``<state_dir>/digests``
    (apart from the lists', so a digest and a list may share a name)."""
    return os.path.join(state_dir, "digests")


def read_digest_states(state_dir: str, key: str) -> dict[str, State]:
    """Each archive's state of the digest ``key`` (by archive key); empty before its first
    delivery, and an archive added since has none."""
    path = state_path(digest_state_dir(state_dir), key)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: unreadable state file ({exc})") from None
    archives = data.get("archives") if isinstance(data, dict) else None
    if not isinstance(archives, dict):
        raise StateError(f"{path}: state file has no archives")
    out = {}
    for name, one in archives.items():
        if not isinstance(one, dict) or not isinstance(one.get("to_commit"), str):
            raise StateError(f"{path}: archive {name} has no to_commit")
        values: dict[str, Any] = {k: v for k, v in one.items() if k in _TYPES}
        for k, v in values.items():
            if v is not None and not isinstance(v, _TYPES[k]):
                raise StateError(f"{path}: bad state file ({name}.{k} is {type(v).__name__})")
        out[name] = State(**values)
    return out


def write_digest_states(state_dir: str, key: str, states: dict[str, State]) -> None:
    """Replace every archive's state of the digest at once (one atomic file): a digest
    delivered moves all its lists' marks, a crash moves none."""
    data = {
        "version": STATE_VERSION,
        "archives": {k: asdict(s) for k, s in sorted(states.items())},
    }
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write(state_path(digest_state_dir(state_dir), key), text, private=True)
