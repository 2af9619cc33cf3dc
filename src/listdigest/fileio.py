"""Atomic file writing, shared by the files delivery, ``report -o`` and the run state.

This module owns one thing: putting text at a path so that a reader sees the old file or the
new one, never half of either (temporary file in the same directory, ``fsync``,
``os.replace``, ``fsync`` of the directory).  What to write, and where, is the callers'
business.

Permissions: a new file gets the user's umask (``0666 & ~umask``, as ``open()`` would give
it), so a digest or a feed under a web server's root can be served; a file that already
exists keeps its mode.  ``private=True`` makes a new file ``0600`` whatever the umask: the
run state uses it, because it is the user's own bookkeeping (under ``$XDG_STATE_HOME``) that
no one else needs to read.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


class MissingDirectoryError(FileNotFoundError):
    """The directory to write into does not exist (and the caller asked not to create it)."""


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # no /proc: os.umask can only be read by setting it; put it back at once
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str, text: str, *, make_dirs: bool = True, private: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that readers never see a half-written file.

    Only a regular file (or a new one) is replaced: ``os.replace`` onto ``/dev/null`` once
    turned the machine's /dev/null into a regular 0600 file, and every ``2>/dev/null`` after
    it wrote into that file while every reader of /dev/null (git repack feeds it to
    pack-objects as its revision list) read other programs' output.  So a device, FIFO or
    socket (``-o /dev/null``, ``-o /dev/stdout``) is written in place, and a symlink is
    followed (the target is replaced, the link stays).

    ``make_dirs`` creates missing parent directories; without it a missing directory raises
    ``MissingDirectoryError`` naming that directory (not a temporary file)."""
    path = os.path.realpath(path)
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    d = os.path.dirname(path)
    if make_dirs:
        os.makedirs(d, exist_ok=True)
    elif not os.path.isdir(d):
        raise MissingDirectoryError(2, "No such directory", d)
    if mode is not None:
        perm = stat.S_IMODE(mode)
    else:
        perm = 0o600 if private else 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".listdigest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), perm)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(d)


def _fsync_dir(d: str) -> None:
    """Make the rename itself durable (a crash right after must not bring the old file back)."""
    try:
        dfd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a directory
            os.fsync(dfd)
    finally:
        os.close(dfd)
