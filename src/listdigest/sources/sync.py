"""Mirroring a public-inbox list over HTTP into a local v2 inbox layout (``DEST/git/N.git``).

This module owns talking to a public-inbox server for mirroring: reading its
``manifest.js.gz`` (per list, else site-wide filtered by the list's path, else probing
``git/N.git``), ``git clone --mirror`` of new epochs and ``git fetch --prune`` of known ones
(run through ``gitio``), and noticing forced updates (the server rewrote an epoch's history, e.g. to purge a message).
It hands back a frozen ``SyncResult``; it prints nothing; progress goes to a callback.

Crash safety: a new epoch is cloned into ``git/.N.git.partial`` and renamed to ``N.git``
only when complete, so an interrupted sync never leaves a half epoch that ``report`` would
read; the next sync removes the leftover and clones again.  Known epochs are updated by
``git fetch``, which only moves refs once the objects are in place.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Callable

from ..errors import SourceError
from ..words import plural
from . import gitio

#: how long one HTTP request (not a whole clone) may wait for the server
HTTP_TIMEOUT = 60
USER_AGENT = "listdigest-sync"
# an epoch's path as a manifest names it: "<list path>/git/<N>.git"
_MANIFEST_EPOCH_RE = re.compile(r"^(?P<list>.*)/git/(?P<n>\d+)\.git$")
# git's own words when a write failed for lack of space (any locale-independent part)
_ENOSPC_RE = re.compile(r"No space left on device|ENOSPC", re.IGNORECASE)
_PARTIAL = ".partial"
_LOCK = ".listdigest-sync.lock"

Progress = Callable[[str], None]


class SyncError(SourceError):
    """Mirroring failed; the message says why in one line."""


class HostUnreachableError(SyncError):
    """The server could not be reached (refused, unknown host, timeout)."""


class ListNotFoundError(SyncError):
    """The server answers, but has no such list (HTTP 404)."""


class NotPublicInboxError(SyncError):
    """The URL is served, but is not a public-inbox archive (no manifest, no git/0.git)."""


class DiskFullError(SyncError):
    """Writing the mirror failed: no space left on the device."""


@dataclass(frozen=True)
class EpochResult:
    """What one sync did to one epoch."""

    epoch: int
    #: "cloned", "updated" or "unchanged"
    action: str
    old_tip: str | None
    new_tip: str | None
    #: commits reachable from the new tip that were not there before
    new_commits: int
    #: the server rewrote history: the old tip is not an ancestor of the new one
    forced: bool = False
    #: old commits no longer reachable (``git rev-list old ^new --count``)
    dropped: int = 0


@dataclass(frozen=True)
class SyncResult:
    url: str
    dest: str
    epochs: tuple[EpochResult, ...]

    @property
    def cloned(self) -> tuple[int, ...]:
        return tuple(e.epoch for e in self.epochs if e.action == "cloned")

    @property
    def forced(self) -> tuple[int, ...]:
        return tuple(e.epoch for e in self.epochs if e.forced)

    @property
    def new_commits(self) -> int:
        return sum(e.new_commits for e in self.epochs)

    @property
    def dropped(self) -> int:
        return sum(e.dropped for e in self.epochs)

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- HTTP


def split_list_url(url: str) -> tuple[str, str, str]:
    """``(site, list path, list url)``: ``http://h:1/kvm/`` → ``http://h:1``, ``/kvm``, ``http://h:1/kvm``."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SyncError(f"{url}: not an http(s) URL")
    if any(c <= " " or c == "\x7f" for c in url.strip()):
        # http.client refuses these with an InvalidURL traceback; say it once, here
        raise SyncError(f"{url.strip()!r}: not an http(s) URL (white space or control characters)")
    path = parts.path.rstrip("/")
    site = f"{parts.scheme}://{parts.netloc}"
    return site, path, site + path


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def http_get(url: str, *, data: bytes | None = None, timeout: float = HTTP_TIMEOUT) -> bytes | None:
    """The body of ``url`` (POST when ``data`` is given); None on HTTP 404.

    Other HTTP errors and connection failures raise ``SyncError`` subclasses.
    """
    req = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise SyncError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = getattr(reason, "strerror", None) or str(reason)
        raise HostUnreachableError(f"cannot reach {_host(url)}: {str(text).lower()}") from None
    except (TimeoutError, OSError) as exc:
        raise HostUnreachableError(f"cannot reach {_host(url)}: {exc.strerror or exc}") from None


def _parse_manifest(blob: bytes, where: str) -> dict[str, dict]:
    try:
        text = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        data = json.loads(text.decode("utf-8"))
    except (OSError, EOFError, zlib.error, ValueError, UnicodeError):
        raise NotPublicInboxError(f"{where}: not a public-inbox manifest") from None
    if not isinstance(data, dict):
        raise NotPublicInboxError(f"{where}: not a public-inbox manifest")
    return data


def discover_epochs(url: str) -> dict[int, str]:
    """Epoch number → clone URL, from the list's manifest, the site's, or by probing."""
    site, path, list_url = split_list_url(url)
    own = http_get(list_url + "/manifest.js.gz")
    site_manifest: dict[str, dict] | None = None
    if own is not None:
        entries = _parse_manifest(own, list_url + "/manifest.js.gz")
    else:
        blob = http_get(site + "/manifest.js.gz")
        if blob is not None:
            site_manifest = _parse_manifest(blob, site + "/manifest.js.gz")
        entries = site_manifest or {}
    epochs: dict[int, str] = {}
    for key in entries:
        m = _MANIFEST_EPOCH_RE.match(key)
        if m and m.group("list").rstrip("/") == path:
            epochs[int(m.group("n"))] = site + key
    if epochs:
        return epochs
    # no manifest naming this list: public-inbox still serves git/N.git over smart HTTP
    n = 0
    while http_get(f"{list_url}/git/{n}.git/info/refs") is not None:
        epochs[n] = f"{list_url}/git/{n}.git"
        n += 1
    if epochs:
        return epochs
    if own is not None or site_manifest is not None:
        raise ListNotFoundError(f"{list_url}: HTTP 404, no such list on {_host(list_url)}")
    raise NotPublicInboxError(
        f"{list_url}: not a public-inbox archive (no manifest.js.gz, no git/0.git)"
    )


# --------------------------------------------------------------------------- git


def git_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment for git, from the caller's (``cli.py`` passes the process environment).

    No GIT_* leaks in (a GIT_DIR would redirect every command), git never prompts for a
    password, and its messages stay in English so "No space left on device" is recognised.
    """
    env = {k: v for k, v in base.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def _git_net(
    sub: str,
    args: list[str],
    where: str,
    progress: Progress | None,
    env: Mapping[str, str],
    gitdir: str | None = None,
) -> None:
    """Run a network git command (clone, fetch); stream its progress lines to ``progress``;
    raise on failure, telling a full disk and an unreachable host from other failures."""
    proc = gitio.run(
        gitdir,
        sub,
        "--progress" if progress is not None else "--quiet",
        *args,
        check=False,
        env=env,
        on_stderr=progress if progress is not None else _ignore,
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").splitlines()
        text = "\n".join(tail)
        if _ENOSPC_RE.search(text):
            raise DiskFullError(f"{where}: no space left on device")
        errs = [t for t in tail if t.startswith(("fatal:", "error:"))] or tail
        last = errs[-1] if errs else f"exit code {proc.returncode}"
        if (
            "Could not resolve host" in text
            or "Failed to connect" in text
            or "Connection refused" in text
        ):
            raise HostUnreachableError(f"cannot reach {where}: {last}")
        raise SyncError(f"{where}: git {sub} failed: {last}")


def _ignore(line: str) -> None:
    pass


def _git_out(env: Mapping[str, str], gitdir: str, *args: str) -> tuple[int, str]:
    proc = gitio.run(gitdir, *args, check=False, env=env)
    return proc.returncode, proc.stdout.decode("utf-8", "replace").strip()


def _refs(env: Mapping[str, str], gitdir: str) -> dict[str, str]:
    _rc, out = _git_out(env, gitdir, "for-each-ref", "--format=%(objectname) %(refname)")
    refs = {}
    for line in out.splitlines():
        oid, _, name = line.partition(" ")
        refs[name] = oid
    return refs


def _tip(refs: dict[str, str]) -> str | None:
    """The epoch's main branch (public-inbox writes ``refs/heads/master``)."""
    for name in ("refs/heads/master", "refs/heads/main"):
        if name in refs:
            return refs[name]
    heads = sorted(n for n in refs if n.startswith("refs/heads/"))
    return refs[heads[0]] if heads else None


def _count(env: Mapping[str, str], gitdir: str, *revs: str) -> int:
    rc, out = _git_out(env, gitdir, "rev-list", "--count", *revs)
    return int(out) if rc == 0 and out.isdigit() else 0


# --------------------------------------------------------------------------- sync


def _is_epoch(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(
        os.path.join(path, "objects")
    )


def _clone(
    url: str, gitroot: str, n: int, progress: Progress | None, env: Mapping[str, str]
) -> EpochResult:
    final = os.path.join(gitroot, f"{n}.git")
    tmp = os.path.join(gitroot, f".{n}.git{_PARTIAL}")
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    if progress:
        progress(f"epoch {n}: cloning {url}")
    try:
        _git_net("clone", ["--mirror", url, tmp], url, progress, env)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.rename(tmp, final)
    tip = _tip(_refs(env, final))
    count = _count(env, final, tip) if tip else 0
    return EpochResult(n, "cloned", None, tip, count)


def _update(
    url: str, gitdir: str, n: int, progress: Progress | None, env: Mapping[str, str]
) -> EpochResult:
    before = _refs(env, gitdir)
    old = _tip(before)
    if progress:
        progress(f"epoch {n}: fetching {url}")
    _git_net(
        "fetch", ["--prune", "--no-tags", url, "+refs/*:refs/*"], url, progress, env, gitdir=gitdir
    )
    new = _tip(_refs(env, gitdir))
    if old == new:
        return EpochResult(n, "unchanged", old, new, 0)
    if old is None or new is None:
        return EpochResult(
            n,
            "updated",
            old,
            new,
            _count(env, gitdir, new) if new else 0,
            forced=new is None and old is not None,
        )
    forced = (
        gitio.run(gitdir, "merge-base", "--is-ancestor", old, new, check=False, env=env).returncode
        != 0
    )
    dropped = _count(env, gitdir, old, "^" + new) if forced else 0
    added = _count(env, gitdir, new, "^" + old)
    if forced:
        # the server purged something: do not keep it around in the mirror either
        gitio.run(gitdir, "gc", "--quiet", "--prune=now", check=False, env=env)
    return EpochResult(n, "updated", old, new, added, forced=forced, dropped=dropped)


def sync(
    url: str, dest: str, *, progress: Progress | None = None, env: Mapping[str, str] | None = None
) -> SyncResult:
    """Mirror the public-inbox list at ``url`` into ``dest`` (created if needed).

    Idempotent and resumable: run it again to continue or to pick up new messages and
    epochs.  ``progress`` (when given) receives human-readable lines as work proceeds.
    ``env`` is the environment git runs in (see ``git_environment``); by default a
    minimal one with the standard PATH.
    """
    env = git_environment(env if env is not None else {"PATH": os.defpath})
    epochs = discover_epochs(url)
    gitroot = os.path.join(dest, "git")
    try:
        os.makedirs(gitroot, exist_ok=True)
        lock = open(os.path.join(dest, _LOCK), "w")  # noqa: SIM115 -- held until sync ends
    except OSError as exc:
        raise _os_error(dest, exc) from None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SyncError(f"{dest}: another sync is running") from None
        results: list[EpochResult] = []
        try:
            for n in sorted(epochs):
                gitdir = os.path.join(gitroot, f"{n}.git")
                if _is_epoch(gitdir):
                    results.append(_update(epochs[n], gitdir, n, progress, env))
                else:
                    results.append(_clone(epochs[n], gitroot, n, progress, env))
                if progress:
                    progress(describe_epoch(results[-1]))
        except OSError as exc:
            raise _os_error(dest, exc) from None
    return SyncResult(split_list_url(url)[2], dest, tuple(results))


def _os_error(dest: str, exc: OSError) -> SyncError:
    if exc.errno == errno.ENOSPC:
        return DiskFullError(f"{dest}: no space left on device")
    return SyncError(f"{exc.filename or dest}: {exc.strerror or exc}")


def describe_epoch(e: EpochResult) -> str:
    """One line about what happened to an epoch, for progress and summaries."""
    if e.action == "cloned":
        return f"epoch {e.epoch}: cloned, {plural(e.new_commits, 'commit')}"
    if e.action == "unchanged":
        return f"epoch {e.epoch}: up to date"
    text = f"epoch {e.epoch}: {plural(e.new_commits, 'new commit')}"
    if e.forced:
        text += (
            "; history rewritten upstream (forced update),"
            f" {plural(e.dropped, 'old commit')} dropped"
        )
    return text


def summary(result: SyncResult) -> str:
    """One line for the whole sync."""
    parts = [plural(len(result.epochs), "epoch"), plural(result.new_commits, "new commit")]
    if result.cloned:
        parts.append("cloned " + ", ".join(str(n) for n in result.cloned))
    if result.forced:
        parts.append(
            f"forced update of epoch {', '.join(str(n) for n in result.forced)} ({plural(result.dropped, 'commit')} dropped)"
        )
    return f"{result.url} -> {result.dest}: " + "; ".join(parts)
