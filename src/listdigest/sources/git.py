"""Reading public-inbox git archives: v2 inboxes (``git/N.git`` epochs), single epochs, v1.

One ``git log --raw`` per epoch lists the blobs to read and the deletions (public-inbox
``d`` commits); one persistent ``git cat-file --batch`` per epoch streams the blobs, fed by
a writer thread so git never waits for us.  Revisions are resolved in every epoch, so a
range ``A..B`` may start in one epoch and end in another.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..errors import RangeError, SourceError
from . import RawMessage, Selection

_EPOCH_RE = re.compile(r"^(\d+)\.git$")
# a revision a user may name: no option-like or whitespace-bearing strings reach git
_REV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@{}^~:+-]*$")


def _git(gitdir: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", "--git-dir", gitdir, *args],
        capture_output=True,
    )
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"{gitdir}: git {args[0]} failed: {err[-1] if err else proc.returncode}")
    return proc


def _is_git_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(
        os.path.join(path, "objects")
    )


@dataclass(frozen=True)
class Epoch:
    number: int
    gitdir: str


class CatFile:
    """A persistent ``git cat-file --batch``; ``stream`` reads many blobs without round trips."""

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
            bufsize=1 << 20,
        )
        assert proc.stdin is not None and proc.stdout is not None

        def feed() -> None:
            try:
                for i in range(0, len(oids), 512):
                    proc.stdin.write(("\n".join(oids[i : i + 512]) + "\n").encode())
                proc.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
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


class GitSource:
    """A public-inbox archive made of one or more git repositories (epochs)."""

    kind = "git"

    def __init__(self, path: str, epochs: list[Epoch], v1: bool = False) -> None:
        self.path = path
        self.epochs = epochs
        self.v1 = v1
        base = os.path.basename(os.path.normpath(path))
        if base.endswith(".git"):
            base = base[:-4]
        if (
            re.fullmatch(r"\d+", base)
            and os.path.basename(os.path.dirname(os.path.normpath(path))) == "git"
        ):
            base = os.path.basename(os.path.dirname(os.path.dirname(os.path.normpath(path))))
        self.name = base or "list"
        self._heads: dict[int, str | None] = {}

    # -- revisions -------------------------------------------------------
    def head(self, epoch: Epoch) -> str | None:
        if epoch.number not in self._heads:
            proc = _git(epoch.gitdir, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
            self._heads[epoch.number] = (
                proc.stdout.decode().strip() if proc.returncode == 0 else None
            )
        return self._heads[epoch.number]

    def resolve(self, rev: str) -> tuple[int, str]:
        """Find ``rev`` in the epochs; returns (epoch index in self.epochs, full commit id)."""
        if not _REV_RE.match(rev):
            raise RangeError(f"unknown revision: {rev!r}")
        found: list[tuple[int, str]] = []
        for i, ep in enumerate(self.epochs):
            proc = _git(
                ep.gitdir,
                "rev-parse",
                "--verify",
                "-q",
                "--end-of-options",
                rev + "^{commit}",
                check=False,
            )
            if proc.returncode == 0:
                found.append((i, proc.stdout.decode().strip()))
        if not found:
            raise RangeError(f"unknown revision: {rev}")
        if len({c for _, c in found}) > 1:
            # a symbolic name (HEAD, master) present in several epochs means each epoch's own
            # ref: the archive's is the newest epoch's
            return found[-1]
        return found[0]

    def in_history(self, commit: str) -> bool:
        """Whether ``commit`` is in the archive's history now: known, and an ancestor of its
        epoch's head (a purge or edit rewrites the ids of every later commit)."""
        try:
            i, full = self.resolve(commit)
        except RangeError:
            return False
        head = self.head(self.epochs[i])
        return (
            head is not None
            and _git(
                self.epochs[i].gitdir, "merge-base", "--is-ancestor", full, head, check=False
            ).returncode
            == 0
        )

    def _log(self, epoch: Epoch, revspec: list[str]) -> list[LogEntry]:
        """Commits of ``revspec`` in oldest-first order with the message blob each stores."""
        return list(self.iter_log(epoch, revspec))

    def iter_log(
        self, epoch: Epoch, revspec: list[str], newest_first: bool = False
    ) -> Iterator[LogEntry]:
        """``_log`` as git writes it: the first commits can be read while git lists the rest."""
        order = [] if newest_first else ["--reverse"]
        proc = subprocess.Popen(
            [
                "git",
                "--git-dir",
                epoch.gitdir,
                "log",
                *order,
                "--root",
                "--no-renames",
                "--format=C %H %ct",
                "--raw",
                "--no-abbrev",
                *revspec,
                "--",
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
                    meta, _, path = line.rstrip(b"\n").partition(b"\t")
                    fields = meta.split(b" ")
                    status = fields[4][:1]
                    if self.v1:
                        if status in (b"A", b"M") and path not in (b"d",):
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
                    f"{epoch.gitdir}: git log failed: {lines[-1] if lines else proc.returncode}"
                )
            if commit is not None:
                yield LogEntry(commit, ctime, blob, gone)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def deleted_blobs(self, epoch: Epoch) -> set[str]:
        """Blob ids of messages removed from the inbox (v2 ``d`` files, v1 deleted paths)."""
        if self.head(epoch) is None:
            return set()
        if self.v1:
            args = [
                "log",
                "--no-renames",
                "--format=",
                "--raw",
                "--no-abbrev",
                "--diff-filter=D",
                "HEAD",
                "--",
            ]
        else:
            args = ["log", "--no-renames", "--format=", "--raw", "--no-abbrev", "HEAD", "--", "d"]
        out = _git(epoch.gitdir, *args).stdout
        gone: set[str] = set()
        for line in out.split(b"\n"):
            if not line.startswith(b":"):
                continue
            meta, _, path = line.partition(b"\t")
            fields = meta.split(b" ")
            status = fields[4][:1]
            if self.v1 and status == b"D":
                gone.add(fields[2].decode())
            elif not self.v1 and path == b"d" and status in (b"A", b"M"):
                gone.add(fields[3].decode())
        return gone

    # -- selection -------------------------------------------------------
    def plan(self, from_rev: str | None, to_rev: str | None) -> list[tuple[Epoch, list[str]]]:
        """Per-epoch revspecs that together make ``from_rev..to_rev`` across epochs."""
        live = [i for i, ep in enumerate(self.epochs) if self.head(ep) is not None]
        if not live:
            raise RangeError(f"{self.path}: the archive holds no messages")
        lo_i, lo_c = (None, None)
        if from_rev:
            lo_i, lo_c = self.resolve(from_rev)
        if to_rev:
            hi_i, hi_c = self.resolve(to_rev)
        else:
            hi_i = live[-1]
            hi_c = self.head(self.epochs[hi_i])
        if lo_i is not None and lo_i > hi_i:
            raise RangeError(f"--from {from_rev} comes after --to {to_rev or 'HEAD'}")
        if lo_i is not None and lo_i == hi_i:
            proc = _git(
                self.epochs[hi_i].gitdir, "merge-base", "--is-ancestor", lo_c, hi_c, check=False
            )
            if proc.returncode != 0:
                raise RangeError(f"--from {from_rev} is not an ancestor of --to {to_rev or 'HEAD'}")
        plans: list[tuple[Epoch, list[str]]] = []
        start = 0 if lo_i is None else lo_i
        for i in range(start, hi_i + 1):
            ep = self.epochs[i]
            top = hi_c if i == hi_i else self.head(ep)
            if top is None:
                continue
            spec = [top] if (lo_i is None or i != lo_i) else [f"{lo_c}..{top}"]
            plans.append((ep, spec))
        return plans

    def select(self, from_rev: str | None = None, to_rev: str | None = None) -> Selection:
        plans = self.plan(from_rev, to_rev)
        logs = [(ep, self._log(ep, spec)) for ep, spec in plans]
        commits = [e for _, entries in logs for e in entries]
        if from_rev:
            start = self.resolve(from_rev)[1]
        elif commits:
            start = commits[0].commit
        else:
            start = None
        end = commits[-1].commit if commits else None
        if to_rev:
            end = self.resolve(to_rev)[1]
        jobs = self._jobs(logs)
        return Selection(
            messages=self._read(jobs),
            start=start[:9] if start else None,
            end=end[:9] if end else None,
            end_commit=end,
            jobs=jobs,
        )

    def _jobs(self, logs: list[tuple[Epoch, list[LogEntry]]]) -> tuple[ReadJob, ...]:
        """The blobs to read, per epoch, each with its position in the read."""
        # public-inbox-learn rm writes the ``d`` commit into the newest epoch, whichever
        # epoch holds the message, so deletions are gathered from every epoch
        gone: set[str] = set()
        for ep in self.epochs:
            gone |= self.deleted_blobs(ep)
        jobs = []
        seq = 0
        for ep, entries in logs:
            items = []
            for e in entries:
                if not e.stores_message(gone):
                    continue
                items.append((seq, e.blob, e.commit, e.time))
                seq += 1
            jobs.append(ReadJob(ep.gitdir, ep.number, tuple(items)))
        return tuple(jobs)

    def _read(self, jobs: tuple[ReadJob, ...]) -> Iterator[RawMessage]:
        for job in jobs:
            yield from read_job(job)


#: git's empty blob: public-inbox-purge leaves it in place of an erased message
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


@dataclass(frozen=True)
class ReadJob:
    """Message blobs of one epoch to read: (position, blob, commit, commit time) each."""

    gitdir: str
    epoch: int
    items: tuple[tuple[int, str, str, int], ...]

    def split(self, size: int) -> list[ReadJob]:
        return [
            ReadJob(self.gitdir, self.epoch, self.items[i : i + size])
            for i in range(0, len(self.items), size)
        ]


def read_job(job: ReadJob) -> Iterator[RawMessage]:
    """The raw messages of a job, through one ``git cat-file --batch``."""
    for (_oid, data), (seq, _blob, commit, ctime) in zip(
        CatFile(job.gitdir).stream([i[1] for i in job.items]), job.items
    ):
        where = f"commit {commit[:12]}"
        if data is None:
            # a mirror lacking one object (lore drops oversized spam blobs): that message is
            # skipped, not the whole archive
            yield RawMessage(
                b"",
                commit=commit,
                epoch=job.epoch,
                commit_time=ctime,
                seq=seq,
                where=where,
                missing=True,
            )
            continue
        if not data:
            continue
        yield RawMessage(
            data=data, commit=commit, epoch=job.epoch, commit_time=ctime, seq=seq, where=where
        )


def _epochs_of_v2(path: str) -> list[Epoch]:
    gitroot = os.path.join(path, "git")
    found = []
    for name in os.listdir(gitroot):
        m = _EPOCH_RE.match(name)
        if m and _is_git_dir(os.path.join(gitroot, name)):
            found.append(Epoch(int(m.group(1)), os.path.join(gitroot, name)))
    found.sort(key=lambda e: e.number)
    return found


def _looks_v1(gitdir: str) -> bool:
    """A v1 inbox stores each message at ``xx/yyyy…`` (the Message-ID's sha1); v2 stores ``m``."""
    proc = _git(gitdir, "ls-tree", "--name-only", "HEAD", check=False)
    if proc.returncode != 0:
        return False
    names = proc.stdout.decode("utf-8", "replace").split()
    return (
        bool(names)
        and "m" not in names
        and "d" not in names
        and all(re.fullmatch(r"[0-9a-f]{2}", n) for n in names)
    )


def open_git_source(path: str) -> GitSource:
    """Open a v2 inbox directory, a single epoch (bare or not), or a v1 inbox."""
    if os.path.isdir(os.path.join(path, "git")):
        epochs = _epochs_of_v2(path)
        if not epochs:
            raise SourceError(f"{path}: not a public-inbox archive (git/ holds no N.git epochs)")
        return GitSource(path, epochs)
    gitdir = None
    if _is_git_dir(path):
        gitdir = path
    elif _is_git_dir(os.path.join(path, ".git")):
        gitdir = os.path.join(path, ".git")
    if gitdir is None:
        raise SourceError(f"{path}: not a public-inbox archive, git repository, mbox or Maildir")
    return GitSource(path, [Epoch(0, gitdir)], v1=_looks_v1(gitdir))
