"""Where a local mirror came from: ``sync`` clones each epoch with ``git clone --mirror
<list URL>/git/N.git``, which records that URL as the epoch's ``remote.origin.url``, so a
digest of the mirror can link to the list it mirrors.

Kept apart from the lore and sync modules (HTTP, search) so that a report of a local
archive, which asks this every time, imports nothing of them.
"""

from __future__ import annotations

import os
import re
import urllib.parse

# an epoch's clone URL as sync (and lore's own mirroring instructions) use it: the list's
# URL, then /git/N.git
_EPOCH_URL_RE = re.compile(r"^(?P<list>https?://[^\s]+?)/git/\d+\.git/?$")
# an epoch directory of a v2 inbox: git/N.git
_EPOCH_DIR_RE = re.compile(r"^(\d+)\.git$")
# a section header of a git config file, and a key = value line (git-config(1))
_CONFIG_SECTION_RE = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]')
_CONFIG_VALUE_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*?)\s*$")


def _origin_url(config: str) -> str | None:
    """``remote.origin.url`` of a repository's config file, read as git-config(1) writes it
    (a clone's plain ``url = ...`` line; a quoted value unquoted), without starting git:
    every report asks this of a local archive, and a git process costs more than the read."""
    try:
        with open(config, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    section = None
    for line in text.splitlines():
        h = _CONFIG_SECTION_RE.match(line)
        if h:
            section = (h.group(1).lower(), h.group(2))
            continue
        v = _CONFIG_VALUE_RE.match(line)
        if v and section == ("remote", "origin") and v.group(1).lower() == "url":
            value = v.group(2)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def mirror_origin(path: str) -> str | None:
    """The list URL (ending in ``/``) the archive at ``path`` was mirrored from by ``sync``
    or ``git clone --mirror <list>/git/N.git``; None for any other archive.  ``path`` is a
    v2 inbox (its epochs are asked, lowest first) or one epoch repository."""
    gitdirs = [path]
    gitroot = os.path.join(path, "git")
    if os.path.isdir(gitroot):
        numbered = [m for m in map(_EPOCH_DIR_RE.match, os.listdir(gitroot)) if m]
        gitdirs = [
            os.path.join(gitroot, m.group(0)) for m in sorted(numbered, key=lambda m: int(m[1]))
        ]
    for gitdir in gitdirs:
        config = os.path.join(gitdir, "config")
        if not os.path.isfile(config):
            continue
        url = _origin_url(config)
        m = _EPOCH_URL_RE.match(url) if url else None
        if m:
            # never publish credentials a clone URL may carry (https://user:token@host/...)
            parts = urllib.parse.urlsplit(m.group("list"))
            host = parts.netloc.rpartition("@")[2]
            return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")) + "/"
    return None
