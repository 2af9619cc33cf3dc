"""Reading public-inbox git archives: v2 inboxes (``git/N.git`` epochs), single epochs, v1.

Owns what an archive's git repositories mean: finding the epochs, resolving revisions in
every epoch (so a range ``A..B`` may start in one epoch and end in another), listing a
range's messages (one ``git log --raw`` per epoch names the blobs to read and the
deletions, public-inbox ``d`` commits) and reading them (one ``git cat-file --batch`` per
read job).  Running git is ``gitio``'s: this module never starts a process itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import RangeError, SourceError
from . import RawMessage, Selection
from .gitio import EMPTY_BLOB, CatFile, LogEntry, log, run

__all__ = [
    "EMPTY_BLOB",
    "CatFile",
    "Epoch",
    "GitSource",
    "LogEntry",
    "ReadItem",
    "ReadJob",
    "open_git_source",
    "read_job",
]

_EPOCH_RE = re.compile(r"^(\d+)\.git$")
# a revision a user may name: no option-like or whitespace-bearing strings reach git
_REV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@{}^~:+-]*$")


def _is_git_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(
        os.path.join(path, "objects")
    )


@dataclass(frozen=True)
class Epoch:
    number: int
    gitdir: str


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
            proc = run(epoch.gitdir, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
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
            proc = run(
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
        return head is not None and self.is_ancestor(self.epochs[i], full, head)

    def is_ancestor(self, epoch: Epoch, old: str, new: str) -> bool:
        """Whether commit ``old`` is an ancestor of (or is) ``new`` in ``epoch``."""
        return (
            run(epoch.gitdir, "merge-base", "--is-ancestor", old, new, check=False).returncode == 0
        )

    def count_commits(self, epoch: Epoch, rev: str) -> int:
        """Commits reachable from ``rev`` in ``epoch`` (0 when git cannot say)."""
        proc = run(epoch.gitdir, "rev-list", "--count", rev, check=False)
        return int(proc.stdout or 0) if proc.returncode == 0 else 0

    def commit_times(self, epoch: Epoch, commits: Sequence[str]) -> list[int]:
        """The committer time of each commit, in order (one git call for them all)."""
        if not commits:
            return []
        out = run(epoch.gitdir, "show", "-s", "--format=%ct", *commits).stdout
        return [int(t) for t in out.split()]

    def log(
        self, epoch: Epoch, revspec: Sequence[str], newest_first: bool = False
    ) -> Iterator[LogEntry]:
        """The commits of ``revspec`` in ``epoch``, oldest first (or newest first, as git
        walks them, when ``newest_first``), with the message blob each stores and removes,
        as git writes them: the first can be read while git lists the rest."""
        return log(epoch.gitdir, revspec, v1=self.v1, newest_first=newest_first)

    def deleted_blobs(self, epoch: Epoch) -> set[str]:
        """Blob ids of messages removed from the inbox (v2 ``d`` files, v1 deleted paths)."""
        if self.head(epoch) is None:
            return set()
        if self.v1:
            entries = log(epoch.gitdir, ["HEAD"], v1=True, newest_first=True, only_deletions=True)
        else:
            entries = log(epoch.gitdir, ["HEAD"], newest_first=True, paths=["d"])
        return {e.gone for e in entries if e.gone}

    # -- selection -------------------------------------------------------
    def plan(self, from_rev: str | None, to_rev: str | None) -> list[tuple[Epoch, list[str]]]:
        """Per-epoch revspecs that together make ``from_rev..to_rev`` across epochs."""
        live = [i for i, ep in enumerate(self.epochs) if self.head(ep) is not None]
        if not live:
            raise RangeError(f"{self.path}: the archive holds no messages")
        lo_i: int | None = None
        lo_c = ""
        if from_rev:
            lo_i, lo_c = self.resolve(from_rev)
        hi_c: str | None
        if to_rev:
            hi_i, hi_c = self.resolve(to_rev)
        else:
            hi_i = live[-1]
            hi_c = self.head(self.epochs[hi_i])
        assert hi_c is not None  # a live epoch has a head
        if lo_i is not None and lo_i > hi_i:
            raise RangeError(f"--from {from_rev} comes after --to {to_rev or 'HEAD'}")
        if lo_i is not None and lo_i == hi_i:
            if not self.is_ancestor(self.epochs[hi_i], lo_c, hi_c):
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
        logs = [(ep, list(self.log(ep, spec))) for ep, spec in plans]
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
                if e.blob is None or not e.stores_message(gone):
                    continue
                items.append(ReadItem(seq, e.blob, e.commit, e.time))
                seq += 1
            jobs.append(ReadJob(ep.gitdir, ep.number, tuple(items)))
        return tuple(jobs)

    def _read(self, jobs: tuple[ReadJob, ...]) -> Iterator[RawMessage]:
        for job in jobs:
            yield from read_job(job)


class ReadItem(NamedTuple):
    """One message blob to read, and where it stands."""

    #: position in archive order
    seq: int
    blob: str
    #: the commit storing it
    commit: str
    #: that commit's time (a message without Date was received then)
    time: int


@dataclass(frozen=True)
class ReadJob:
    """Message blobs of one epoch to read, in order."""

    gitdir: str
    epoch: int
    items: tuple[ReadItem, ...]

    def split(self, size: int) -> list[ReadJob]:
        return [
            ReadJob(self.gitdir, self.epoch, self.items[i : i + size])
            for i in range(0, len(self.items), size)
        ]


def read_job(job: ReadJob) -> Iterator[RawMessage]:
    """The raw messages of a job, through one ``git cat-file --batch``."""
    for (_oid, data), (seq, _blob, commit, ctime) in zip(
        CatFile(job.gitdir).stream([i.blob for i in job.items]), job.items
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


def _looks_v1(gitdir: str, path: str | None = None) -> bool:
    """A v1 inbox stores each message at ``xx/yyyy…`` (the Message-ID's sha1); v2 stores ``m``.

    Raises SourceError for a repository whose newest tree is neither: a code repository
    has no messages to digest, which "empty range" would hide."""
    proc = run(gitdir, "ls-tree", "--name-only", "HEAD", check=False)
    if proc.returncode != 0:
        return False
    names = proc.stdout.decode("utf-8", "replace").split()
    v1 = all(re.fullmatch(r"[0-9a-f]{2}", n) for n in names)
    if names and not v1 and not set(names) & {"m", "d"}:
        raise SourceError(
            f"{path or gitdir}: a git repository, but not a public-inbox archive"
            " (its files are not messages: no m, d or xx/ paths)"
        )
    return bool(names) and "m" not in names and "d" not in names and v1


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
    return GitSource(path, [Epoch(0, gitdir)], v1=_looks_v1(gitdir, path))
