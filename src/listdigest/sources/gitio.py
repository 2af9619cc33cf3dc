"""The one way listdigest talks to git: run a command, stream blobs, parse a log.

Owns the git subprocesses: ``run`` (every git command; a failure becomes a ``SourceError``
with one line, git's last), ``CatFile`` (one ``git cat-file --batch`` streaming many
blobs, fed by a writer thread so git never waits for us) and ``log`` (``git log --raw``
parsed into ``LogEntry`` as git writes it).  What the commands mean (epochs, revision
ranges, mirrors, the index) belongs to ``sources.git``, ``sources.sync`` and ``store``.
"""

from __future__ import annotations

import fcntl
import io
import re
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable

from ..errors import SourceError

#: git's empty blob: public-inbox-purge leaves it in place of an erased message
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"

#: lines of git's stderr ``run`` keeps when it streams them (the failure is told by the last)
TAIL = 20


def run(
    gitdir: str | None,
    *args: str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    on_stderr: Callable[[str], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``git [--git-dir GITDIR] ARGS``, its output captured.  With ``check``, a failure
    raises ``SourceError("GITDIR: git SUB failed: <git's last line>")``.

    With ``on_stderr``, stdout is discarded and each line git writes to stderr is handed
    over as it comes (progress updates end in ``\\r``, other lines in ``\\n``); the returned
    ``stderr`` then holds the last ``TAIL`` lines."""
    cmd = ["git", *(["--git-dir", gitdir] if gitdir else []), *args]
    env_ = dict(env) if env is not None else None
    if on_stderr is None:
        proc = subprocess.run(cmd, capture_output=True, env=env_)
    else:
        proc = _streamed(cmd, env_, on_stderr)
    if check and proc.returncode != 0:
        raise SourceError(f"{gitdir}: git {args[0]} failed: {last_line(proc)}")
    return proc


def last_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's last line on stderr (what it says went wrong), else its exit code."""
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return err[-1] if err else str(proc.returncode)


def _streamed(
    cmd: list[str], env: dict[str, str] | None, on_line: Callable[[str], None]
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stderr = proc.stderr
    assert isinstance(stderr, io.BufferedReader)
    tail: list[str] = []
    buf = b""
    while True:
        chunk = stderr.read1(4096)
        if not chunk:
            break
        buf += chunk
        # git ends progress updates with \r and other lines with \n
        parts = re.split(rb"[\r\n]", buf)
        buf = parts.pop()
        for p in parts:
            line = p.decode("utf-8", "replace").strip()
            if not line:
                continue
            tail = [*tail, line][-TAIL:]
            on_line(line)
    if buf.strip():
        tail.append(buf.decode("utf-8", "replace").strip())
    stderr.close()
    rc = proc.wait()
    return subprocess.CompletedProcess(cmd, rc, b"", "\n".join(tail).encode())


def feed(stdin, lines: Sequence[str]) -> threading.Thread:
    """Write ``lines`` to a git process's stdin from a thread, then close it, so that git
    never waits for us to read while we wait for it to read (a broken pipe ends it)."""

    def write() -> None:
        try:
            for i in range(0, len(lines), 512):
                stdin.write(("\n".join(lines[i : i + 512]) + "\n").encode())
            stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


class CatFile:
    """A persistent ``git cat-file --batch``; ``stream`` reads many blobs without round trips."""

    #: the pipe git writes into, and our reading buffer: a 64 KiB pipe (Linux's default)
    #: fills many times per message, each a switch between git and us (measured on
    #: linux-hyperv's first build: 0.2 s of CPU, about 3 %)
    PIPE = 1 << 20

    def __init__(self, gitdir: str) -> None:
        self.gitdir = gitdir

    def stream(self, oids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        """Yield ``(oid, data)`` for each oid in order; data is None for a missing object."""
        if not oids:
            return
        proc = subprocess.Popen(
            ["git", "--git-dir", self.gitdir, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=self.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        _widen(proc.stdout.fileno(), self.PIPE)
        writer = feed(proc.stdin, oids)
        # a buffered reader: its readline and read cut the stream in C (reading the pipe in
        # large pieces and slicing here costs more, measured)
        out = proc.stdout
        try:
            for oid in oids:
                header = out.readline()
                if not header:
                    raise SourceError(
                        f"{self.gitdir}: git cat-file ended early (corrupt repository?)"
                    )
                parts = header.split()
                if len(parts) == 2 and parts[1] == b"missing":
                    yield oid, None
                    continue
                if len(parts) != 3:
                    raise SourceError(f"{self.gitdir}: unexpected cat-file output {header[:80]!r}")
                size = int(parts[2])
                data = out.read(size)
                if len(data) != size or out.read(1) != b"\n":
                    raise SourceError(f"{self.gitdir}: short read of object {oid}")
                yield oid, data
        finally:
            try:
                proc.stdout.close()
            except OSError:
                pass
            proc.kill()
            proc.wait()
            writer.join(timeout=5)


def _widen(fd: int, size: int) -> None:
    """Let the pipe at ``fd`` hold ``size`` bytes where the system allows (Linux)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    try:
        fcntl.fcntl(fd, setsize, size)
    except OSError:
        pass  # above /proc/sys/fs/pipe-max-size, or not a pipe: the default size works


@dataclass(frozen=True)
class LogEntry:
    """One commit of an epoch's history, as ``git log --raw`` shows it."""

    commit: str
    time: int
    #: blob id of the message this commit stores, if it stores one
    blob: str | None
    #: blob id of a message this commit removes (a v2 ``d`` file; a deleted path in v1)
    gone: str | None = None

    def stores_message(self, deleted: set[str]) -> bool:
        """Whether this commit stores a message still in the archive: not a commit without
        one, not the empty ``m`` public-inbox-purge leaves, not a message a ``d`` removed."""
        return self.blob is not None and self.blob != EMPTY_BLOB and self.blob not in deleted


def log(
    gitdir: str,
    revspec: Sequence[str],
    *,
    v1: bool = False,
    newest_first: bool = False,
    paths: Sequence[str] = (),
    only_deletions: bool = False,
) -> Iterator[LogEntry]:
    """The commits of ``revspec`` (oldest first, or as git walks them with
    ``newest_first``), each with the message blob it stores and the one it removes, as git
    writes them: the first can be read while git lists the rest.

    In a v2 epoch a message is the file ``m`` and a removal the file ``d``; in a v1 inbox
    every added or changed file is a message and a deleted one its removal.  ``paths``
    and ``only_deletions`` narrow the walk to the commits that touch those paths or delete
    a file."""
    order = [] if newest_first else ["--reverse"]
    proc = subprocess.Popen(
        [
            "git",
            "--git-dir",
            gitdir,
            "log",
            *order,
            "--root",
            "--no-renames",
            "--format=C %H %ct",
            "--raw",
            "--no-abbrev",
            *(["--diff-filter=D"] if only_deletions else []),
            *revspec,
            "--",
            *paths,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1 << 16,
    )
    assert proc.stdout is not None and proc.stderr is not None
    commit = None
    ctime = 0
    blob = gone = None
    try:
        for line in proc.stdout:
            if line.startswith(b"C "):
                if commit is not None:
                    yield LogEntry(commit, ctime, blob, gone)
                _, c, t = line.split(b" ")
                commit, ctime, blob, gone = c.decode(), int(t), None, None
            elif line.startswith(b":"):
                # ":100644 100644 <old blob> <new blob> M\tpath"
                meta, _, path = line.rstrip(b"\n").partition(b"\t")
                fields = meta.split(b" ")
                status = fields[4][:1]
                if v1:
                    if status in (b"A", b"M") and path != b"d":
                        blob = fields[3].decode()
                    elif status == b"D":
                        gone = fields[2].decode()
                elif status in (b"A", b"M"):
                    if path == b"m":
                        blob = fields[3].decode()
                    elif path == b"d":
                        gone = fields[3].decode()
        err = proc.stderr.read()
        if proc.wait() != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise SourceError(
                f"{gitdir}: git log failed: {lines[-1] if lines else proc.returncode}"
            )
        if commit is not None:
            yield LogEntry(commit, ctime, blob, gone)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
