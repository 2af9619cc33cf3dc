"""Test helpers that build GENUINE public-inbox archives, mboxes and Maildirs.

Inboxes are made by Debian's public-inbox tools (``public-inbox-init``, ``-mda``,
``-learn``, ``-purge``, ``-index``), each inbox with its own private PI_CONFIG and HOME in
a sibling directory ``.pi-<name>`` of the inbox, so the real ``~/.public-inbox`` is never
touched and tests may run in parallel.  Nothing here is global: every helper takes the
paths it works on.

Things learnt from public-inbox 1.9 (what the tests rely on):
- ``public-inbox-init -V2`` creates ``git/0.git`` at once, with an unborn HEAD.
- ``-mda`` commits author = From, author and committer time = the Date header.
- ``-learn rm`` writes a commit adding ``d`` (the stored blob) and deleting ``m``, in the
  *newest* epoch, even when the message lives in an older one.
- ``-purge`` rewrites history: the message's commit keeps an *empty* ``m`` blob and the
  subject ``purged <blob>``; later commits get new ids.
- public-inbox rotates epochs only at ~1 GB, so ``add_epoch`` creates ``git/N.git`` with
  public-inbox's own ``MultiGit::add_epoch`` (``-mda`` then writes into the newest epoch),
  or entirely by hand with ``by_hand=True``.
- ``-purge`` ends with ``git gc --prune=all``, whose ``pack-objects`` reads revisions from
  /dev/null (git opens it itself; no fd or variable of ours reaches it).  If /dev/null is
  ever a regular file, purges fail at random with ``bad revision '<other output>'``;
  conftest.py refuses to run then.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import email.utils
import fcntl
import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Union

ADDRESS = "list@example.org"
DEFAULT_DATE = "Mon, 01 Jan 2024 00:00:00 +0000"

# --------------------------------------------------------------------------- messages

DateLike = Union[str, int, float, _dt.datetime, None]


def format_date(when: DateLike) -> str:
    """An RFC 5322 date from a string (kept as is), a unix time or a datetime."""
    if when is None:
        return DEFAULT_DATE
    if isinstance(when, str):
        return when
    if isinstance(when, (int, float)):
        return email.utils.formatdate(when, localtime=False)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return email.utils.format_datetime(when)


def _angle(mid: str) -> str:
    mid = mid.strip()
    return mid if mid.startswith("<") else f"<{mid}>"


def msg(
    subject: str = "Test message",
    *,
    from_: str = "Alice Example <alice@example.org>",
    to: str = ADDRESS,
    msgid: str | None = None,
    in_reply_to: str | None = None,
    references: str | Sequence[str] | None = None,
    date: DateLike = None,
    body: str | bytes = "Hello.\n",
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    cc: str | None = None,
    newline: str = "\n",
) -> bytes:
    """Craft an RFC 5322 message as bytes.

    ``msgid``/``in_reply_to``/``references`` take ids with or without angle brackets;
    without ``msgid`` a stable id is derived from the content.  ``headers`` are extra
    headers, written verbatim (a sequence keeps duplicates and order).  Header values are
    taken as they are: fold or RFC 2047-encode them yourself when a test needs that.
    """
    lines: list[tuple[str, str]] = [
        ("From", from_),
        ("To", to),
    ]
    if cc:
        lines.append(("Cc", cc))
    lines.append(("Subject", subject))
    lines.append(("Date", format_date(date)))
    body_b = body.encode("utf-8") if isinstance(body, str) else body
    if msgid is None:
        digest = hashlib.sha1(
            f"{subject}\0{from_}\0{date}\0{in_reply_to}".encode() + body_b
        ).hexdigest()[:20]
        msgid = f"{digest}@example.org"
    lines.append(("Message-ID", _angle(msgid)))
    if in_reply_to:
        lines.append(("In-Reply-To", _angle(in_reply_to)))
    if references:
        refs = [references] if isinstance(references, str) else list(references)
        lines.append(("References", " ".join(_angle(r) for r in refs)))
    if headers:
        items = headers.items() if isinstance(headers, Mapping) else headers
        lines.extend(items)
    if not any(k.lower() == "mime-version" for k, _ in lines) and not body_b.isascii():
        lines.append(("MIME-Version", "1.0"))
        lines.append(("Content-Type", "text/plain; charset=utf-8"))
        lines.append(("Content-Transfer-Encoding", "8bit"))
    head = "".join(f"{k}: {v}{newline}" for k, v in lines).encode("utf-8")
    if newline != "\n":
        body_b = re.sub(rb"(?<!\r)\n", newline.encode(), body_b)
    return head + newline.encode() + body_b


def message_id(raw: bytes) -> str | None:
    """The Message-ID of a raw message (without angle brackets), for assertions."""
    m = re.search(rb"^Message-ID:\s*<([^>]*)>", raw, re.MULTILINE | re.IGNORECASE)
    return m.group(1).decode() if m else None


def subject_of(raw: bytes) -> str | None:
    m = re.search(rb"^Subject:[ \t]*(.*)", raw, re.MULTILINE | re.IGNORECASE)
    return m.group(1).decode("utf-8", "replace").strip() if m else None


# --------------------------------------------------------------------------- running tools


def _pi_home(inbox: str) -> str:
    inbox = os.path.abspath(inbox)
    return os.path.join(os.path.dirname(inbox), ".pi-" + os.path.basename(inbox))


def pi_env(inbox: str) -> dict[str, str]:
    """Environment for running public-inbox tools on ``inbox`` (private HOME and config)."""
    home = _pi_home(inbox)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PI_", "GIT_", "ORIGINAL_RECIPIENT"))
    }
    env.update(
        HOME=home,
        PI_CONFIG=os.path.join(home, "config"),
        PI_DIR=os.path.join(home, "pi"),
        PI_EMERGENCY=os.path.join(home, "emergency"),
        GIT_CONFIG_NOSYSTEM="1",
        TZ="UTC",
        LC_ALL="C",
    )
    return env


def _run(
    cmd: Sequence[str], env: Mapping[str, str], stdin: bytes | None = None, cwd: str | None = None
) -> str:
    if cmd[0].startswith("public-inbox") and shutil.which(cmd[0]) is None:
        # README's promise: without Debian's public-inbox, the tests that need it skip
        import pytest

        pytest.skip(f"{cmd[0]} is not installed (Debian package public-inbox)")
    proc = subprocess.run(list(cmd), input=stdin, env=dict(env), cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout.decode("utf-8", "replace")


def git(
    gitdir: str, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Run git on a repository with a clean environment; returns stdout."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    base.update(GIT_CONFIG_NOSYSTEM="1", TZ="UTC")
    if env:
        base.update(env)
    return _run(["git", "--git-dir", gitdir, *args], base, stdin=stdin)


def _init(tmpdir: str, name: str, version: int, index: bool, address: str) -> str:
    tmpdir = os.fspath(tmpdir)
    path = os.path.join(os.path.abspath(tmpdir), name)
    home = _pi_home(path)
    os.makedirs(home, exist_ok=True)
    env = pi_env(path)
    cmd = ["public-inbox-init", f"-V{version}", "-L", "full" if index else "basic"]
    if version == 2:
        cmd += ["-j", "1"]
    _run([*cmd, name, path, f"http://example/{name}", address], env)
    # spam checking needs SpamAssassin; these fixtures deliver everything
    _run(["git", "config", "-f", env["PI_CONFIG"], "publicinboxmda.spamcheck", "none"], env)
    return path


def _address(inbox: str) -> str:
    env = pi_env(inbox)
    out = _run(
        ["git", "config", "-f", env["PI_CONFIG"], "--get-regexp", r"publicinbox\..*\.address"], env
    )
    return out.split()[1]


def add_messages(path: str, messages: Iterable[bytes]) -> None:
    """Deliver each message with ``public-inbox-mda --no-precheck`` (into the newest epoch)."""
    env = pi_env(path)
    env["ORIGINAL_RECIPIENT"] = _address(path)
    for raw in messages:
        _run(["public-inbox-mda", "--no-precheck"], env, stdin=raw)


def make_v2_inbox(
    tmpdir: str, name: str, messages: Sequence[bytes] = (), index: bool = False
) -> str:
    """A v2 inbox ``tmpdir/name`` holding ``messages`` (delivered in order); returns its path.

    ``index=False`` uses public-inbox's ``basic`` index level (fast, no Xapian);
    ``index=True`` uses ``full`` and runs ``public-inbox-index`` at the end.
    """
    path = _init(tmpdir, name, 2, index, ADDRESS)
    add_messages(path, messages)
    if index:
        reindex(path)
    return path


def make_v1_inbox(
    tmpdir: str, name: str, messages: Sequence[bytes] = (), index: bool = False
) -> str:
    """A v1 inbox (one bare repository, ``xx/sha1`` paths) at ``tmpdir/name``; returns its path."""
    path = _init(tmpdir, name, 1, index, ADDRESS)
    add_messages(path, messages)
    if index:
        reindex(path)
    return path


def copy_inbox(path: str, tmpdir: str) -> str:
    """A copy of the inbox at ``path`` (any version, its index included) as
    ``tmpdir/<name>``, with a private public-inbox config of its own pointing at the copy
    (the one place an inbox's absolute path is kept), so public-inbox's tools change the
    copy alone; returns its path.  A fraction of a second, where building one anew with
    the tools takes seconds."""
    name = os.path.basename(os.path.abspath(path))
    dest = os.path.join(os.path.abspath(os.fspath(tmpdir)), name)
    shutil.copytree(path, dest, symlinks=True)
    shutil.copytree(_pi_home(path), _pi_home(dest), symlinks=True)
    env = pi_env(dest)
    _run(["git", "config", "-f", env["PI_CONFIG"], f"publicinbox.{name}.inboxdir", dest], env)
    return dest


def reindex(path: str) -> None:
    """Run ``public-inbox-index`` on the inbox."""
    _run(["public-inbox-index", path], pi_env(path))


def delete_message(path: str, raw: bytes) -> None:
    """Remove a message with ``public-inbox-learn rm`` (v2: a commit adding ``d``)."""
    _run(["public-inbox-learn", "rm"], pi_env(path), stdin=raw)


def purge_message(path: str, raw: bytes) -> None:
    """Erase a message with ``public-inbox-purge`` (rewrites the history of the epoch)."""
    _run(["public-inbox-purge", path], pi_env(path), stdin=raw)


def epoch_dirs(path: str) -> list[str]:
    """The epoch repositories ``git/N.git`` of a v2 inbox, in epoch order."""
    root = os.path.join(path, "git")
    names = [n for n in os.listdir(root) if re.fullmatch(r"\d+\.git", n)]
    return [os.path.join(root, n) for n in sorted(names, key=lambda n: int(n[:-4]))]


def head(gitdir: str) -> str | None:
    """HEAD's commit id, or None while HEAD is unborn."""
    proc = subprocess.run(
        ["git", "--git-dir", gitdir, "rev-parse", "--verify", "-q", "HEAD^{commit}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def commits(gitdir: str) -> list[str]:
    """Commit ids of HEAD, oldest first."""
    if head(gitdir) is None:
        return []
    return git(gitdir, "rev-list", "--reverse", "HEAD").split()


def add_epoch(path: str, messages: Sequence[bytes] = (), by_hand: bool = False) -> str:
    """Start the next epoch ``git/N.git`` of a v2 inbox and put ``messages`` in it.

    By default the epoch is created by public-inbox's own ``MultiGit::add_epoch`` (what
    rotation does at ~1 GB) and the messages go in with ``public-inbox-mda``.  With
    ``by_hand=True`` the epoch is a bare repository built with git fast-import in
    public-inbox's layout (one file ``m`` per commit; author = From; times = Date).
    Returns the epoch's git dir.
    """
    number = len(epoch_dirs(path))
    if not by_hand:
        env = pi_env(path)
        _run(
            [
                "perl",
                "-MPublicInbox::MultiGit",
                "-e",
                'PublicInbox::MultiGit->new($ARGV[0], "all.git", "git")->add_epoch($ARGV[1])',
                path,
                str(number),
            ],
            env,
        )
        add_messages(path, messages)
        return os.path.join(path, "git", f"{number}.git")
    gitdir = os.path.join(path, "git", f"{number}.git")
    _run(["git", "init", "-q", "--bare", gitdir], pi_env(path))
    import_messages(gitdir, messages, committer=f"{os.path.basename(path)} <{ADDRESS}>")
    alternates = os.path.join(path, "all.git", "objects", "info", "alternates")
    if os.path.isdir(os.path.dirname(alternates)):
        with open(alternates, "a") as fh:
            fh.write(f"../../git/{number}.git/objects\n")
    return gitdir


def _ident(raw: bytes) -> tuple[str, str]:
    m = re.search(rb"^From:[ \t]*(.*)", raw, re.MULTILINE | re.IGNORECASE)
    name, addr = email.utils.parseaddr(m.group(1).decode("utf-8", "replace") if m else "")
    return (name or addr.split("@")[0] or "unknown"), (addr or "unknown@example.org")


def _unix_date(raw: bytes) -> tuple[int, str]:
    m = re.search(rb"^Date:[ \t]*(.*)", raw, re.MULTILINE | re.IGNORECASE)
    try:
        when = email.utils.parsedate_to_datetime(m.group(1).decode()) if m else None
    except (TypeError, ValueError):
        when = None
    if when is None:
        return 0, "+0000"
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return int(when.timestamp()), when.strftime("%z") or "+0000"


def import_messages(
    gitdir: str,
    messages: Sequence[bytes],
    committer: str = f"list <{ADDRESS}>",
    branch: str = "refs/heads/master",
    *,
    author: str | None = None,
    when: Callable[[int, bytes], tuple[int, str]] | None = None,
    message: Callable[[int, bytes], str] | None = None,
) -> str | None:
    """Append ``messages`` to a bare repository in v2 layout with git fast-import (by hand),
    the one way the tests build an epoch without public-inbox: any bytes at all can be
    stored.  By default author = From, times = Date, commit message = Subject, as
    public-inbox writes them; ``author``, ``when(i, raw)`` -> (unix time, zone) and
    ``message(i, raw)`` replace them (hostile bytes, fixed clocks).  Returns the new head."""
    parent = head(gitdir)
    stream = bytearray()
    for i, raw in enumerate(messages):
        if author is None:
            name, addr = _ident(raw)
            who = f"{name} <{addr}>"
        else:
            who = author
        at, zone = when(i, raw) if when is not None else _unix_date(raw)
        text = (message(i, raw) if message is not None else (subject_of(raw) or "")).encode()
        stream += f"commit {branch}\nmark :{i + 1}\n".encode()
        stream += f"author {who} {at} {zone}\n".encode()
        stream += f"committer {committer} {at} {zone}\n".encode()
        stream += b"data %d\n%s\n" % (len(text), text)
        if i == 0 and parent:
            stream += f"from {parent}\n".encode()
        stream += b"M 100644 inline m\ndata %d\n%s\n" % (len(raw), raw)
    if stream:
        git(gitdir, "fast-import", "--quiet", "--date-format=raw", stdin=bytes(stream))
    return head(gitdir)


# --------------------------------------------------------------------------- mailboxes


def mbox_bytes(
    messages: Sequence[bytes],
    mboxrd: bool = True,
    from_line: str = "From mboxrd@z Thu Jan  1 00:00:00 1970",
) -> bytes:
    """Messages as an mbox: mboxrd quotes ``>*From `` lines, mboxo only ``From `` lines."""
    # mboxrd adds one ">" to every ">*From " line; mboxo only to bare "From " lines
    pattern = re.compile(rb"^(>*From )" if mboxrd else rb"^(From )", re.MULTILINE)
    out = bytearray()
    for raw in messages:
        out += from_line.encode() + b"\n"
        body = pattern.sub(rb">\1", raw)
        if not body.endswith(b"\n"):
            body += b"\n"
        out += body + b"\n"
    return bytes(out)


def make_mbox(path: str, messages: Sequence[bytes], gz: bool = False, mboxrd: bool = True) -> str:
    """Write ``messages`` to an mbox file at ``path`` (gzip-compressed when ``gz``); returns path."""
    path = os.fspath(path)
    data = mbox_bytes(messages, mboxrd=mboxrd)
    if gz:
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def make_maildir(
    path: str, messages: Sequence[bytes], names: Sequence[str] | None = None, subdir: str = "cur"
) -> str:
    """A Maildir at ``path`` (cur/ new/ tmp/) with one file per message in ``subdir``.

    ``names`` gives the file names (default ``1700000000.N.host:2,S`` in cur/, without
    flags in new/).  Returns the path.
    """
    path = os.fspath(path)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    for i, raw in enumerate(messages):
        name = (
            names[i]
            if names
            else f"1700000000.M{i:04d}P1.example" + (":2,S" if subdir == "cur" else "")
        )
        with open(os.path.join(path, subdir, name), "wb") as fh:
            fh.write(raw)
    return path


def shared_data_dir() -> Path:
    """Where the real archive bundles live: $LISTDIGEST_SHARED(/data) or <repo>/../shared/data."""
    env = os.environ.get("LISTDIGEST_SHARED")
    if env:
        base = Path(env)
        return base / "data" if (base / "data").is_dir() else base
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


_EPOCHS: dict[str, str] = {}

#: conftest.py names here, for a test run and each of its pytest-xdist workers, the one
#: directory the run's clones and shared indexes live in (it removes it when the run ends)
SCRATCH_ENV = "LISTDIGEST_TEST_SCRATCH"


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created), held across processes: the xdist
    workers of a run clone an archive or build its index once, one waiting for the other."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def shared_epoch(name: str) -> str | None:
    """A bare mirror of ``<shared>/NAME.bundle``, cloned once per test run (every fixture,
    helper and xdist worker asks here, so each archive is cloned once) into the run's
    scratch directory (``$LISTDIGEST_TEST_SCRATCH``, which conftest.py removes at the end),
    or outside pytest into a temporary directory removed at exit; None when the bundle is
    absent.  Read only: a test that moves refs clones this one locally (hard links, a
    fraction of a second)."""
    if name not in _EPOCHS:
        bundle = shared_data_dir() / f"{name}.bundle"
        if not bundle.is_file():
            return None
        scratch = os.environ.get(SCRATCH_ENV)
        if scratch:
            dest = os.path.join(scratch, f"{name}.git")
            with _locked(dest + ".lock"):
                if not os.path.isdir(dest):
                    # cloned aside and renamed: a clone cut short is never taken for one
                    part = f"{dest}.{os.getpid()}.part"
                    shutil.rmtree(part, True)
                    subprocess.run(
                        ["git", "clone", "-q", "--mirror", str(bundle), part], check=True
                    )
                    os.rename(part, dest)
        else:
            root = tempfile.mkdtemp(prefix=f"listdigest-{name}-")
            atexit.register(shutil.rmtree, root, True)
            dest = os.path.join(root, f"{name}.git")
            subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), dest], check=True)
        _EPOCHS[name] = dest
    return _EPOCHS[name]


def shared_index(name: str) -> str | None:
    """The whole-archive listdigest index of ``shared_epoch(name)``, built once per test run
    (``listdigest index``'s own code, under a lock the xdist workers share) beside the
    clone; None when the bundle is absent.  READ ONLY: a report given it only finds it up to
    date; a test that adds trees to an index, or builds, interrupts or rebuilds one, works
    on a copy (``copy_index``) or its own.  The index is keyed by commit and blob ids, not
    by the clone's path, so it answers for any clone of the bundle."""
    epoch = shared_epoch(name)
    if epoch is None:
        return None
    path = os.path.join(os.path.dirname(epoch), f"{name}.sqlite")
    done = path + ".done"
    with _locked(path + ".lock"):
        if not os.path.exists(done):
            for leftover in (path, path + "-wal", path + "-shm"):
                if os.path.exists(leftover):
                    os.remove(leftover)  # a build cut short: start again
            from listdigest.store.index import index_archive

            index_archive(epoch, path)
            with open(done, "w"):
                pass
    return path


def copy_index(path: str, dest: str) -> str:
    """A private copy of the index at ``path`` (SQLite's backup: consistent whatever other
    processes are reading), for a test that writes into it; returns ``dest``."""
    src = sqlite3.connect(path)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return dest
