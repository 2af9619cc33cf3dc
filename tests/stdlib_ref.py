"""The independent reference the real-archive tests compare with: every message read by
the stdlib ``email`` package (policy.default), and the counting rule written again from its
wording (not a reply; a PATCH tag or n/m counter in the leading brackets, or a diff; the
author is the in-body ``From:`` line when there is one)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import subprocess
from collections.abc import Iterator

REPLY = re.compile(r"^\s*((re|aw|antw|fwd?|回复)\s*:\s*)", re.I)
TAG = re.compile(r"^\s*(\[[^\]]*\]\s*)*\[[^\]]*(patch|\b\d+/\d+\b)[^\]]*\]", re.I)
DIFF = re.compile(r"^(diff --git |--- \S.*\n\+\+\+ \S.*\n@@ )", re.M)


def rev_list(gitdir: str) -> list[str]:
    """Every commit of the epoch, newest first."""
    return subprocess.run(
        ["git", "--git-dir", gitdir, "rev-list", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.split()


def cat_file(gitdir: str, revs: list[str]) -> Iterator[bytes]:
    """The ``m`` blob of each commit, through one ``git cat-file --batch`` (a commit whose
    blob is missing, or that stores none, yields nothing)."""
    out = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"],
        input="".join(f"{r}:m\n" for r in revs).encode(),
        capture_output=True,
        check=True,
    ).stdout
    pos = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        head = out[pos:nl].split()
        if head[-1] == b"missing":
            pos = nl + 1
            continue
        size = int(head[2])
        yield out[nl + 1 : nl + 1 + size]
        pos = nl + 2 + size


def patch_postings(
    gitdir: str, since: int, until: int
) -> list[tuple[email.message.EmailMessage, str]]:
    """(message, author address) of each patch posting received in [since, until]."""
    # a message is committed when the archive stores it, never before it was received (bulk
    # imports commit months later): read every commit from `since` on, filter exactly below
    log = (
        subprocess.run(
            ["git", "--git-dir", gitdir, "log", "--format=%H %ct", "HEAD"],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\n")
    )
    wanted = [c for c, t in (l.split() for l in log if l) if since - 2 * 86400 <= int(t)]
    got, seen = [], set()
    for raw in cat_file(gitdir, wanted):
        m = email.message_from_bytes(raw, policy=email.policy.default)
        when = None
        for r in m.get_all("Received") or []:
            try:
                when = email.utils.parsedate_to_datetime(
                    str(r).rsplit(";", 1)[1].strip()
                ).timestamp()
                break
            except (IndexError, ValueError, TypeError):
                continue
        if when is None or not (since <= when <= until):
            continue
        mid = str(m["Message-ID"] or "").strip()
        if mid in seen:
            continue
        seen.add(mid)
        subject = " ".join(str(m["Subject"] or "").split())
        part = m.get_body(("plain",))
        body = part.get_content() if part is not None else ""
        if REPLY.match(subject) or not (TAG.match(subject) or DIFF.search(body)):
            continue
        first = body.lstrip("\n").split("\n", 1)[0]
        line = first[5:].strip() if first.startswith("From:") and "@" in first else str(m["From"])
        got.append((m, email.utils.parseaddr(line)[1].lower()))
    return got
