"""Reading a code tree (a maintainer tree, linux-next, mainline): commits and patch-ids.

Owns what ``--tree PATH[:REF]`` names and how its git repository is read: opening and
checking it (a repository, a REF that resolves, not a shallow clone), listing commits with
what matching needs (author, dates, subject, ``Link:``/``Message-ID:`` trailers naming a
mail), the patch-ids of many commits in one ``git log -p | git patch-id --stable`` pass, and
the patch-ids of many mailed diffs in one ``git patch-id`` process.  Keeping them is
``store.trees``'s; matching them to mail is ``analysis.landed``'s.  Simple commands go
through ``gitio.run``; the two pipes here are the only processes this module starts itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import SourceError
from .gitio import feed, run

# a ref a user may name: no option-like or whitespace-bearing strings reach git
_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@{}^~+-]*$")
# a message-id in a trailer's value: ``<id@host>``, or the last path segment holding an "@"
# of an archive link (lore's /r/ID and /LIST/ID/, patch.msgid.link/ID, msgid.link/r/ID)
_MSGID_RE = re.compile(r"^\s*<([^<>\s]+@[^<>\s]+)>")
_LINK_RE = re.compile(
    r"https?://(?:lore\.kernel\.org|lkml\.kernel\.org|patch\.msgid\.link|msgid\.link)"
    r"/(?:[^/\s]+/)*?([^/\s]+(?:@|%40)[^/\s]+?)/?(?:[\s>]|$)"
)


@dataclass(frozen=True)
class TreeSpec:
    """A tree as the user named it: ``PATH[:REF]``, and the label the digest shows."""

    path: str
    ref: str | None = None

    @property
    def label(self) -> str:
        base = os.path.basename(os.path.normpath(self.path)) or self.path
        if base.endswith(".git") and len(base) > 4:
            base = base[:-4]
        return f"{base}:{self.ref}" if self.ref else base


def parse_tree_spec(text: str) -> TreeSpec:
    """``PATH`` or ``PATH:REF``; a path that exists as written is a path, colon and all."""
    if os.path.exists(text) or ":" not in text:
        return TreeSpec(text)
    path, _, ref = text.rpartition(":")
    if not path or not ref:
        return TreeSpec(text)
    return TreeSpec(path, ref)


@dataclass(frozen=True)
class Tree:
    """An opened tree: its git directory (absolute), the ref read and the commit it names."""

    spec: TreeSpec
    gitdir: str
    ref: str
    tip: str

    @property
    def label(self) -> str:
        return self.spec.label


def open_tree(spec: TreeSpec) -> Tree:
    """Check and open a tree.  Raises ``SourceError`` (one line) for a path that is not a
    git repository, a REF that does not resolve to a commit, and a shallow clone (its
    history is cut: commits past the cut would never be found)."""
    if not os.path.isdir(spec.path):
        raise SourceError(f"tree {spec.path}: no such directory")
    proc = run(None, "-C", spec.path, "rev-parse", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        raise SourceError(f"tree {spec.path}: not a git repository")
    gitdir = proc.stdout.decode().strip()
    ref = spec.ref or "HEAD"
    if not _REF_RE.match(ref):
        raise SourceError(f"tree {spec.path}: unknown ref {ref!r}")
    proc = run(
        gitdir, "rev-parse", "--verify", "-q", "--end-of-options", ref + "^{commit}", check=False
    )
    if proc.returncode != 0:
        raise SourceError(f"tree {spec.path}: unknown ref {ref}")
    tip = proc.stdout.decode().strip()
    shallow = run(gitdir, "rev-parse", "--is-shallow-repository", check=False)
    if shallow.stdout.decode().strip() == "true":
        raise SourceError(
            f"tree {spec.path}: a shallow clone (history cut short); fetch it with --unshallow"
        )
    return Tree(spec, gitdir, ref, tip)


def has_commit(gitdir: str, commit: str) -> bool:
    return (
        run(
            gitdir, "cat-file", "-e", "--end-of-options", commit + "^{commit}", check=False
        ).returncode
        == 0
    )


def is_ancestor(gitdir: str, old: str, new: str) -> bool:
    return run(gitdir, "merge-base", "--is-ancestor", old, new, check=False).returncode == 0


def rev_list(gitdir: str, revs: Sequence[str]) -> list[str]:
    """The non-merge commits ``revs`` select (``git rev-list``)."""
    out = run(gitdir, "rev-list", "--no-merges", *revs, "--").stdout.decode()
    return out.split()


@dataclass(frozen=True)
class TreeCommit:
    """One non-merge commit of a tree, with what matching a mail to it reads."""

    commit: str
    author_name: str
    author_addr: str
    #: author date (``git am`` keeps the mail's Date:) and commit date, unix seconds
    author_time: int
    commit_time: int
    subject: str
    #: message-ids its ``Link:`` and ``Message-ID:`` trailers name
    msgids: tuple[str, ...] = ()


def trailer_msgids(values: Iterable[str]) -> tuple[str, ...]:
    """The message-ids that ``Link:``/``Message-ID:`` trailer values name, in order."""
    out: list[str] = []
    for v in values:
        m = _MSGID_RE.match(v)
        if m is not None:
            mid = m.group(1)
        else:
            lm = _LINK_RE.search(v)
            if lm is None:
                continue
            mid = urllib.parse.unquote(lm.group(1))
        if mid not in out:
            out.append(mid)
    return tuple(out)


# one record per commit: fields split by US, records ended by RS; the trailers git parses
# itself (``%(trailers)``) so a body's prose is never read
_FORMAT = (
    "%H%x1f%an%x1f%ae%x1f%at%x1f%ct%x1f%s%x1f"
    "%(trailers:key=Link,key=Message-ID,valueonly,separator=%x1d)%x1e"
)


def log_commits(gitdir: str, revs: Sequence[str]) -> Iterator[TreeCommit]:
    """The non-merge commits ``revs`` select, newest first, as git lists them."""
    proc = subprocess.Popen(
        ["git", "--git-dir", gitdir, "log", "--no-merges", f"--format={_FORMAT}", *revs, "--"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1 << 16,
    )
    assert proc.stdout is not None and proc.stderr is not None
    buf = b""
    try:
        while True:
            chunk = proc.stdout.read(1 << 16)
            if not chunk:
                break
            buf += chunk
            *records, buf = buf.split(b"\x1e")
            for rec in records:
                c = _record(rec)
                if c is not None:
                    yield c
        err = proc.stderr.read()
        if proc.wait() != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise SourceError(
                f"{gitdir}: git log failed: {lines[-1] if lines else proc.returncode}"
            )
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _record(rec: bytes) -> TreeCommit | None:
    f = rec.decode("utf-8", "replace").lstrip("\n").split("\x1f")
    if len(f) != 7:
        return None
    trailers = [v.strip() for v in f[6].split("\x1d") if v.strip()]
    return TreeCommit(
        commit=f[0],
        author_name=f[1],
        author_addr=f[2],
        author_time=int(f[3] or 0),
        commit_time=int(f[4] or 0),
        subject=f[5],
        msgids=trailer_msgids(trailers),
    )


#: how ``git log -p`` shows a commit for patch-id: the diff a mail's diff is compared with
#: (renames found as format-patch finds them, no textconv, external diff or colour, the
#: standard a/ b/ prefixes whatever the user's configuration says)
_DIFF_OPTS = (
    "-p",
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--format=commit %H",
)


def commit_patch_ids(gitdir: str, commits: Sequence[str]) -> Iterator[tuple[str, str]]:
    """``(commit, patch-id)`` for each of ``commits`` that has a diff, as they come out of
    one ``git log -p --no-walk --stdin | git patch-id --stable`` pipe (a commit without a
    diff yields nothing)."""
    if not commits:
        return
    log = subprocess.Popen(
        ["git", "--git-dir", gitdir, "log", "--no-walk=unsorted", "--stdin", *_DIFF_OPTS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1 << 16,
    )
    assert log.stdin is not None and log.stdout is not None and log.stderr is not None
    pid = subprocess.Popen(
        ["git", "patch-id", "--stable"],
        stdin=log.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=gitdir,
    )
    log.stdout.close()  # patch-id holds it now
    assert pid.stdout is not None
    feeder = feed(log.stdin, commits)
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(log.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    try:
        for line in pid.stdout:
            parts = line.split()
            if len(parts) == 2:
                yield parts[1].decode(), parts[0].decode()
        rc = log.wait()
        drain.join()
        if rc != 0:
            lines = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
            raise SourceError(f"{gitdir}: git log failed: {lines[-1] if lines else rc}")
    finally:
        for p in (pid, log):
            if p.poll() is None:
                p.kill()
            p.wait()
        pid.stdout.close()
        log.stderr.close()
        feeder.join(timeout=5)


# a hunk header: the counts of old and new lines that follow it
_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def _complete(diff: str) -> str:
    """A mailed diff with each hunk as long as its header says: mail loses a last context
    line that was blank (its one space trimmed, then the line), and ``git patch-id`` would
    read the next diff of the stream as the rest of the hunk.  The missing lines are blank
    context, which patch-id (blind to white space) counts as nothing."""
    out: list[str] = []
    old = new = 0
    for line in diff.rstrip("\n").split("\n"):
        if old > 0 or new > 0:
            if line.startswith("-"):
                old -= 1
            elif line.startswith("+"):
                new -= 1
            elif line.startswith(" ") or line == "":
                old, new = old - 1, new - 1
            elif not line.startswith("\\"):
                out.extend([" "] * max(old, new))  # the hunk ended short
                old = new = 0
            if old > 0 or new > 0 or not _HUNK_RE.match(line):
                out.append(line)
                continue
        m = _HUNK_RE.match(line)
        if m is not None:
            old, new = int(m.group(1) or 1), int(m.group(2) or 1)
        out.append(line)
    out.extend([" "] * max(old, new, 0))
    return "\n".join(out) + "\n"


def diff_patch_ids(diffs: Sequence[str]) -> list[str | None]:
    """The ``git patch-id --stable`` of each diff text (None: no patch-id, e.g. empty), all
    from one process: each diff goes in behind a ``commit <n>`` line naming its position."""
    if not diffs:
        return []
    data = "".join(f"commit {i + 1:040x}\n\n{_complete(d)}" for i, d in enumerate(diffs)).encode(
        "utf-8", "surrogateescape"
    )
    proc = subprocess.run(["git", "patch-id", "--stable"], input=data, capture_output=True, cwd="/")
    if proc.returncode != 0:
        raise SourceError(f"git patch-id failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    out: list[str | None] = [None] * len(diffs)
    for line in proc.stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[int(parts[1], 16) - 1] = parts[0]
    return out
