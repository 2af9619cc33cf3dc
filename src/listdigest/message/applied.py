"""Notices that a patch or series was applied: b4 thank-you mails, patchwork-bot, plain replies.

Owns reading one decoded body (and its sender/subject) into an ``AppliedNotice``: which
tree/branch, which patches (``[n/m] subject``) and commit ids, and whether only a subset
was taken.  Which series the notice belongs to (its parent message) is the model's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

# patchwork-bot: "This series was applied to riscv/linux.git (fixes)" / "This patch was applied
# to netdev/net-next.git (main)"; the branch in parentheses is optional
_PWBOT_RE = re.compile(r"^This (?:series|patch|patch series) was applied to (\S+)(?: \(([^)]*)\))?", re.M)

# patchwork-bot names who applied it on the next line: "by Borislav Petkov (AMD) <bp@alien8.de>:"
_PWBOT_BY_RE = re.compile(r"^by (.+?):?\s*$", re.M)

# patchwork-bot's summary lines: "  - [v5,05/21] paravirt: Remove ..." then an indented commit link
_PWBOT_ITEM_RE = re.compile(r"^\s+- \[([^\]]*)\] (.*)$")

# a commit link or "commit: <sha>" line under a patch entry (b4 ty and patchwork-bot)
_COMMIT_RE = re.compile(r"(?:^\s+commit:\s*([0-9a-f]{7,40})\b|/c/([0-9a-f]{7,40})\b|[?&;]id=([0-9a-f]{7,40})\b)")

# b4 ty entries: "[1/3] KVM: x86: fix foo" at the start of a line
_B4_ITEM_RE = re.compile(r"^\[(\d+/\d+)\] (.*)$")

# a maintainer's plain notice, first word of an unquoted line: "Applied to hyperv-next, thanks.",
# "Applied, thanks!", "Queued for 6.9", "Applied to x86/urgent".  The tree is what follows "to"
_PLAIN_RE = re.compile(
    r"^\s*(?:Now\s+)?(?:Applied|Queued|Picked up|Pushed)\b(?:\s+(?:it|this|them|the series|both|all|patches?\s*[\d,\s-]*))?"
    r"(?:\s+(?:to|into|in|on|for)\s+([\w./:+-]+))?[^\n]*$",
    re.I | re.M,
)

# b4's "Applied to ..., thanks!" names the tree the same way
_TO_RE = re.compile(r"\b(?:to|into|in|for)\s+([\w./:+-]+)", re.I)


@dataclass(frozen=True)
class AppliedItem:
    """One patch named in an applied notice."""

    label: str
    title: str
    commit: str = ""


@dataclass(frozen=True)
class AppliedNotice:
    #: "pwbot", "b4" or "plain"
    source: str
    tree: str
    branch: str
    by: str
    subset: bool
    items: Tuple[AppliedItem, ...] = ()


# an attribution line, "On Mon, 1 Jan 2024, A wrote:", is not the reply's own first words
_ON_WROTE_RE = re.compile(r"^On .* wrote:\s*$")


def _iter_unquoted(text: str) -> Iterator[str]:
    """The reply's own lines: quoted (``>``) ones skipped, none after a ``-- `` signature."""
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "-- ":
            return
        if not line.startswith(">"):
            yield line


def _unquoted(text: str) -> List[str]:
    return list(_iter_unquoted(text))


def _items(lines: List[str], item_re) -> Tuple[AppliedItem, ...]:
    items: List[AppliedItem] = []
    for i, line in enumerate(lines):
        m = item_re.match(line)
        if m is None:
            continue
        commit = ""
        for nxt in lines[i + 1 : i + 3]:
            if item_re.match(nxt):
                break
            c = _COMMIT_RE.search(nxt)
            if c is not None:
                commit = next(g for g in c.groups() if g)
                break
        items.append(AppliedItem(m.group(1), m.group(2).strip(), commit))
    return tuple(items)


def parse_applied(text: str, subject: str, sender: str, is_reply: bool) -> Optional[AppliedNotice]:
    """The applied notice ``text`` carries, or None.  ``sender`` is the header From as shown."""
    low = text[:4000].lower()
    if "applied" not in low and "queued" not in low and "picked up" not in low and "pushed" not in low:
        return None
    # the literal first: a ^-anchored (re.M) pattern is tried at every position of the text
    m = _PWBOT_RE.search(text) if "was applied to" in text else None
    if m is not None:
        lines = _unquoted(text)
        by = _PWBOT_BY_RE.search(text, m.end())
        tree = m.group(1)
        return AppliedNotice(
            "pwbot",
            tree,
            (m.group(2) or "").strip(),
            by.group(1).strip() if by is not None and by.start() - m.end() < 3 else sender,
            "(subset)" in subject.lower(),
            _items(lines, _PWBOT_ITEM_RE),
        )
    if not is_reply:
        return None
    # only the first few unquoted, non-empty lines may say it: a plain notice is a short reply
    # (read without walking the rest of a reply that quotes a whole patch)
    head = []
    for line in _iter_unquoted(text):
        if not line.strip() or _ON_WROTE_RE.match(line):
            continue
        head.append(line)
        if len(head) == 6:
            break
    for line in head:
        p = _PLAIN_RE.match(line)
        if p is None:
            continue
        tree = (p.group(1) or "").rstrip(".,:;!")
        if tree.lower() in ("thanks", "thank", "the", "this", "my", "a", "your"):
            tree = ""
        branch = ""
        b4_items = _items(_unquoted(text), _B4_ITEM_RE)
        return AppliedNotice(
            "b4" if b4_items else "plain",
            tree,
            branch,
            sender,
            "(subset)" in subject.lower(),
            b4_items,
        )
    return None
