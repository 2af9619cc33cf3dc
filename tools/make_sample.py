#!/usr/bin/env python3
"""Build the sample inbox that README's first command digests: a public-inbox v2 layout
(``git/0.git``, ``git/1.git``; one message per commit in file ``m``) written with plain git,
so it needs nothing but python3 and git.  The messages are made up for the project and
exercise what the digest shows: a cover letter with patches, a v2 of that series, an
in-body author, a folded RFC 2047 subject, a reply with trailers, a reply-only thread.

Usage: python3 tools/make_sample.py [DEST]   (default: sample/inbox)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from email.utils import formatdate

T0 = 1767600000  # 2026-01-05 08:00 UTC


def mail(n, subject, frm, body, *, irt=None, refs=(), extra=()):
    date = formatdate(T0 + n * 600, localtime=False)
    lines = [
        f"Received: from smtp.example.org by lists.example.org; {formatdate(T0 + n * 600 + 30)}",
        f"From: {frm}",
        "To: demo@lists.example.org",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <sample-{n}@example.org>",
    ]
    if irt:
        lines.append(f"In-Reply-To: <{irt}>")
        lines.append("References: " + " ".join(f"<{r}>" for r in (list(refs) or [irt])))
    lines += list(extra)
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    return ("\n".join(lines) + "\n").encode()


def patch_body(msg, files, *, inbody=None, notes=""):
    stat = "\n".join(f" {f} | 4 ++--" for f in files)
    diff = "\n".join(
        f"diff --git a/{f} b/{f}\nindex 1111111..2222222 100644\n--- a/{f}\n+++ b/{f}\n@@ -1,2 +1,2 @@\n-old\n+new\n"
        for f in files
    )
    head = f"From: {inbody}\n\n" if inbody else ""
    return (
        f"{head}{msg}\n\nSigned-off-by: Ada Lovelace <ada@example.com>\n---\n{notes}"
        f"{stat}\n {len(files)} file{'s' if len(files) > 1 else ''} changed, {len(files) * 2} insertions(+), {len(files) * 2} deletions(-)\n\n{diff}-- \n2.47.0\n"
    )


def messages():
    ada = "Ada Lovelace <ada@example.com>"
    bob = '"Bob Q. Builder" <bob@corp.example>'
    yield mail(
        1,
        "[PATCH 0/2] demo: make the widget faster",
        ada,
        "The widget is slow. These two patches make it fast.\n\nAda Lovelace (2):\n  demo: cache the widget\n  demo: drop the slow path\n\n"
        " demo/widget.c | 8 ++++----\n 1 file changed, 4 insertions(+), 4 deletions(-)\n\nbase-commit: 0123456789abcdef\n-- \n2.47.0\n",
    )
    yield mail(
        2,
        "[PATCH 1/2] demo: cache the widget",
        ada,
        patch_body("Cache it.", ["demo/widget.c"]),
        irt="sample-1@example.org",
    )
    yield mail(
        3,
        "[PATCH 2/2] demo: drop the slow path",
        ada,
        patch_body("Drop it.", ["demo/widget.c"]),
        irt="sample-1@example.org",
    )
    yield mail(
        4,
        "Re: [PATCH 1/2] demo: cache the widget",
        bob,
        "> Cache it.\n\nLooks good.\n\nReviewed-by: Bob Q. Builder <bob@corp.example>\n",
        irt="sample-2@example.org",
        refs=("sample-1@example.org", "sample-2@example.org"),
    )
    yield mail(
        5,
        "[PATCH v2 0/2] demo: make the widget faster",
        ada,
        "The widget is slow. These two patches make it fast.\n\nChanges in v2:\n- keep the cache small (Bob)\n\n"
        "Ada Lovelace (2):\n  demo: cache the widget\n  demo: drop the slow path\n\n"
        " demo/widget.c | 8 ++++----\n 1 file changed, 4 insertions(+), 4 deletions(-)\n-- \n2.47.0\n",
    )
    yield mail(
        6,
        "[PATCH v2 1/2] demo: cache the widget",
        ada,
        patch_body("Cache it, small.", ["demo/widget.c"]),
        irt="sample-5@example.org",
    )
    yield mail(
        7,
        "[PATCH v2 2/2] demo: drop the slow path",
        ada,
        patch_body("Drop it.", ["demo/widget.c"]),
        irt="sample-5@example.org",
    )
    # sent by Bob for Carol: the in-body From names the author; the subject is folded and encoded
    yield mail(
        8,
        "[PATCH] =?utf-8?q?gr=C3=BC=C3=9Fe=3A_add?=\n =?utf-8?q?_the_=C3=BCber_helper_and_its_long_documentation?=",
        bob,
        patch_body(
            "Add the helper.",
            ["demo/helper.c", "Documentation/helper.rst"],
            inbody="Carol =?utf-8?q?M=C3=BCller?= <carol@example.net>",
        ),
    )
    yield mail(
        9,
        "Re: [PATCH] grüße: add the über helper",
        ada,
        "Applied, thanks!\n",
        irt="sample-8@example.org",
    )
    yield mail(
        10,
        "build failure on main",
        "Dan <dan@example.org>",
        "The build fails on main since Monday.\n",
    )
    yield mail(11, "Re: build failure on main", bob, "Works for me.\n", irt="sample-10@example.org")


def git(gitdir, *args, data=None, env=None):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], input=data, check=True, capture_output=True, env=env
    ).stdout


def write_epoch(gitdir, msgs, start_n):
    subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True)
    parent = None
    for i, raw in enumerate(msgs):
        blob = git(gitdir, "hash-object", "-w", "--stdin", data=raw).decode().strip()
        tree = git(gitdir, "mktree", data=f"100644 blob {blob}\tm\n".encode()).decode().strip()
        when = f"{T0 + (start_n + i) * 600 + 30} +0000"
        env = dict(
            os.environ,
            GIT_AUTHOR_NAME="sample",
            GIT_AUTHOR_EMAIL="sample@example.org",
            GIT_AUTHOR_DATE=when,
            GIT_COMMITTER_NAME="demo",
            GIT_COMMITTER_EMAIL="demo@lists.example.org",
            GIT_COMMITTER_DATE=when,
        )
        subject = raw.split(b"\nSubject: ", 1)[1].split(b"\n", 1)[0]
        args = ["commit-tree", tree, "-m", subject.decode()]
        if parent:
            args += ["-p", parent]
        parent = git(gitdir, *args, env=env).decode().strip()
    git(gitdir, "update-ref", "refs/heads/master", parent)
    git(gitdir, "symbolic-ref", "HEAD", "refs/heads/master")


def main(argv):
    dest = argv[1] if len(argv) > 1 else os.path.join("sample", "inbox")
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(os.path.join(dest, "git"))
    msgs = list(messages())
    # two epochs, as lore's large lists have: the second starts with the v2 series
    write_epoch(os.path.join(dest, "git", "0.git"), msgs[:4], 1)
    write_epoch(os.path.join(dest, "git", "1.git"), msgs[4:], 5)
    print(f"sample inbox with {len(msgs)} messages in 2 epochs: {dest}")


if __name__ == "__main__":
    main(sys.argv)
