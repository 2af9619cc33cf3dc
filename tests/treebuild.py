"""Build a real git tree from real mailed patches, for the landed-matching tests.

For each patch: a base commit whose files hold each hunk's preimage (the `` `` and ``-``
lines, in order, at the hunk's line numbers; filler lines between), then the mail's diff
applied with ``git apply`` and committed with the mail's author, date and subject, as a
maintainer's ``git am`` would.  A patch can be committed edited (one added line changed),
with a reworded subject, with a ``Link:`` trailer, or on a second branch.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from listdigest.message import Message
from listdigest.message.body import split_body, strip_inbody
from listdigest.sources.tree import diff_patch_ids

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def diff_of(m: Message) -> str:
    return split_body(strip_inbody(m.body)).diff


def preimages(diff: str) -> dict[str, list[str]] | None:
    """Each file's content before the diff (None: a diff this builder does not handle)."""
    files: dict[str, list[str]] = {}
    path = None
    lines = diff.split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("diff --git "):
            path = None
        elif ln.startswith(
            ("GIT binary patch", "Binary files", "rename from", "copy from", "\\ No newline")
        ):
            return None
        elif ln.startswith("--- "):
            src = ln[4:].strip()
            path = None if src == "/dev/null" else src[2:] if src.startswith("a/") else None
            if src != "/dev/null" and path is None:
                return None
        elif ln.startswith("@@ "):
            m = _HUNK_RE.match(ln)
            if m is None:
                return None
            start, count = int(m.group(1)), int(m.group(2) or 1)
            pre: list[str] = []
            j = i + 1
            while j < len(lines) and len(pre) < count:
                body = lines[j]
                if body.startswith((" ", "-")):
                    pre.append(body[1:])
                elif body == "":
                    pre.append("")
                elif not body.startswith("+"):
                    return None
                j += 1
            if path is not None:
                content = files.setdefault(path, [])
                at = start - 1 if count else start
                while len(content) < at:
                    content.append(f"filler line {len(content) + 1}")
                content[at : at + len(pre)] = pre
            i = j - 1
        i += 1
    return files


@dataclass(frozen=True)
class Built:
    """One patch committed: how, and the commit."""

    msgid: str
    commit: str
    edited: bool
    reworded: bool
    link: str
    branch: str
    #: the commit's diff, as git shows it, has the mail's patch-id (git may align a diff of
    #: the filler-padded file differently from the real one: then the commit differs)
    faithful: bool = True


class TreeBuilder:
    def __init__(self, path: str) -> None:
        self.path = path
        self._git("init", "-q", "-b", "master", path, cwd="/")
        self._git("commit", "-q", "--allow-empty", "-m", "root")
        self.branch = "master"

    def _git(self, *args: str, cwd: str | None = None, env: dict | None = None, check=True):
        e = dict(os.environ, **(env or {}))
        e.setdefault("GIT_AUTHOR_NAME", "Tree Builder")
        e.setdefault("GIT_AUTHOR_EMAIL", "builder@example.org")
        e.setdefault("GIT_COMMITTER_NAME", "Tree Builder")
        e.setdefault("GIT_COMMITTER_EMAIL", "builder@example.org")
        return subprocess.run(
            ["git", *args], cwd=cwd or self.path, env=e, capture_output=True, check=check
        )

    def switch(self, branch: str) -> None:
        self._git("checkout", "-q", "-B", branch)
        self.branch = branch

    def add(self, m: Message, *, edited=False, reworded=False, link: str = "") -> Built | None:
        diff = diff_of(m)
        pre = preimages(diff)
        if not diff or pre is None or m.date is None:
            return None
        if edited:
            # one added line changed: what a maintainer's fix-up on apply looks like
            lines = diff.split("\n")
            k = next(
                (i for i, x in enumerate(lines) if x.startswith("+") and not x.startswith("+++")),
                None,
            )
            if k is None:
                return None
            lines[k] = lines[k] + " /* edited on apply */"
            diff = "\n".join(lines)
        self._git("rm", "-rq", "--ignore-unmatch", ".")
        for p, content in pre.items():
            full = os.path.join(self.path, p)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8", newline="\n") as f:
                f.write("".join(x + "\n" for x in content))
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", f"preimage of {m.msgid}")
        proc = subprocess.run(
            ["git", "apply", "--whitespace=nowarn"],
            cwd=self.path,
            input=(diff if diff.endswith("\n") else diff + "\n").encode("utf-8", "surrogateescape"),
            capture_output=True,
        )
        if proc.returncode != 0:
            self._git("checkout", "-q", "-f", "HEAD")
            self._git("clean", "-qfdx")
            return None
        self._git("add", "-A")
        title = m.parsed.title + (" (reworded)" if reworded else "")
        msg = f"{title}\n\nApplied by the tree builder.\n\n"
        msg += f"Signed-off-by: {m.author_name} <{m.author_addr}>\n"
        if link == "lore":
            msg += f"Link: https://lore.kernel.org/r/{m.msgid}\n"
        elif link == "msgid":
            msg += f"Link: https://patch.msgid.link/{m.msgid}\n"
        env = {
            "GIT_AUTHOR_NAME": m.author_name or m.author_addr,
            "GIT_AUTHOR_EMAIL": m.author_addr,
            "GIT_AUTHOR_DATE": f"@{m.date} +0000",
            "GIT_COMMITTER_DATE": f"@{m.date + 3600} +0000",
        }
        done = subprocess.run(
            ["git", "commit", "-q", "-F", "-"],
            cwd=self.path,
            input=msg.encode(),
            env=dict(
                os.environ,
                GIT_COMMITTER_NAME="Maintainer",
                GIT_COMMITTER_EMAIL="maint@example.org",
                **env,
            ),
            capture_output=True,
        )
        if done.returncode != 0:
            return None
        head = self._git("rev-parse", "HEAD").stdout.decode().strip()
        shown = self._git("show", "-M", "--format=", head).stdout.decode("utf-8", "replace")
        a, b = diff_patch_ids([diff_of(m), shown])
        return Built(m.msgid, head, edited, reworded, link, self.branch, a == b)


def synthetic_commits(
    path: str, n: int, *, start: int = 0, branch: str = "master", parent: str | None = None
) -> str:
    """``n`` commits on ``branch`` written with one ``git fast-import`` (a repository is
    made at ``path`` if missing): commit ``i`` appends two lines to one of 1,024 files, so
    each has its own diff and patch-id.  ``parent``: the commit to build on (default: the
    branch's tip, if any).  Returns the new tip."""
    if not os.path.isdir(os.path.join(path, ".git")) and not os.path.isfile(
        os.path.join(path, "HEAD")
    ):
        subprocess.run(["git", "init", "-q", "-b", "master", path], check=True, capture_output=True)
    have = subprocess.run(
        ["git", "-C", path, "rev-parse", "--verify", "-q", parent or f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    out: list[bytes] = []
    for k, i in enumerate(range(start, start + n)):
        name = f"drivers/d{i % 64:02d}/f{(i // 64) % 16:02d}.c"
        blob = f"/* file {name} */\n" + "".join(
            f"static int v{j} = {j * 7};\nint f{j}(void) {{ return v{j}; }}\n"
            for j in range(i % 1024, i + 1, 1024)
        )
        msg = f"d{i % 64:02d}: change number {i}\n\nSigned-off-by: Synth <synth@example.org>\n"
        when = 1_700_000_000 + i * 60
        out.append(
            f"commit refs/heads/{branch}\n"
            f"author Synth {i % 97} <synth{i % 97}@example.org> {when} +0000\n"
            f"committer Maintainer <maint@example.org> {when + 30} +0000\n".encode()
        )
        data = msg.encode()
        out.append(b"data %d\n%s" % (len(data), data))
        if k == 0 and have:
            out.append(f"from {have}\n".encode())
        body = blob.encode()
        out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(body), body))
    subprocess.run(
        ["git", "-C", path, "fast-import", "--quiet", "--force"],
        input=b"".join(out),
        check=True,
        capture_output=True,
    )
    return subprocess.run(
        ["git", "-C", path, "rev-parse", f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
