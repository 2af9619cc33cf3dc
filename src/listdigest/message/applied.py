"""Notices that a patch or series was applied: b4 thank-you mails, patchwork-bot, plain replies.

Owns reading one decoded body (and its sender/subject) into an ``AppliedNotice``: which
tree/branch, which patches (``[n/m] subject``) and commit ids, and whether only a subset
was taken.  Which series the notice belongs to (its parent message) is the model's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# patchwork-bot: "This series was applied to riscv/linux.git (fixes)" / "This patch was applied
# to netdev/net-next.git (main)"; the branch in parentheses is optional
_PWBOT_RE = re.compile(
    r"^This (?:series|patch|patch series|pull request) was applied to (\S+)(?: \(([^)]*)\))?", re.M
)

# patchwork-bot names who applied it on the next line: "by Borislav Petkov (AMD) <bp@alien8.de>:"
_PWBOT_BY_RE = re.compile(r"^by (.+?):?\s*$", re.M)

# patchwork-bot's summary lines: "  - [v5,05/21] paravirt: Remove ..." then an indented commit link
_PWBOT_ITEM_RE = re.compile(r"^\s+- \[([^\]]*)\] (.*)$")

# a commit link or "commit: <sha>" line under a patch entry (b4 ty and patchwork-bot)
_COMMIT_RE = re.compile(
    r"(?:^\s+commit:\s*([0-9a-f]{7,40})\b|/c/([0-9a-f]{7,40})\b|[?&;]id=([0-9a-f]{7,40})\b|/commit/([0-9a-f]{7,40})\b)"
)

# Mark Brown's pre-b4 script: Subject 'Applied "spi: foo" to the spi tree', body "The patch\n\n
#    spi: foo\n\nhas been applied to the spi tree at\n\n   https://…/broonie/spi.git for-5.5",
# then the commit itself ("From <sha> Mon Sep 17 00:00:00 2001"); a diff, so no reply by kind
_SCRIPT_RE = re.compile(
    r"^The patch\n\n[ \t]+(.+?)\n\nhas been applied to the (\S+) tree at\n\n[ \t]+(\S+)[ \t]*(\S*)",
    re.M,
)
_FROM_SHA_RE = re.compile(r"^From ([0-9a-f]{40}) ", re.M)

# b4 ty entries: "[1/3] KVM: x86: fix foo" at the start of a line
_B4_ITEM_RE = re.compile(r"^\[(\d+/\d+)\] (.*)$")

# The verbs of a notice, as literals looked for with str.find before any regex runs: the
# body of a reply that never says one of them is no notice (the cheap exit of every reply)
_VERB_LITERALS = ("pplied", "ueued", "ushed", "icked", "erged", "aken")
_RARE_VERB_SPAN = 8192

# What may stand before the verb in the notice's sentence: greetings and acks ("Hi X,",
# "Thanks,", "LGTM,", "Good catch,"), then who or what ("I've", "Now both", "Patches 1-3",
# "The following patches have been", "This one is").  Anything else makes the verb prose
# ("it can hardly be applied", "With your patch applied").
_LEAD_RE = re.compile(
    r"(?:(?:hi|hello|hey|dear)\b[^.!?,:;]{0,40}[,.!:;]+\s*)?"
    r"(?:(?:thanks|thank you|thx|ty|lgtm|ok|okay|great|nice|cool|good catch|looks good|sure|done|yes|"
    r"fine|alright|right|ack|all good|so|and|well|finally)\b(?:[^.!?,;:]{0,30}?[,.!;:-]+\s*|\s+))*"
    r"(?:(?:i|we)(?:'ve| have)? (?:\w+ly )?(?:\w+ed|took|made|did|gave)\b[^.!?]{0,60}? and\s+)?"
    r"(?:(?:i(?:'ve| have)?|we(?:'ve| have)?|they|now|also|both|all|all \w+|(?:the )?rest(?: of (?:the |this |your )?(?:series|patches|set))?|series|whole series|"
    r"\d+ patch(?:es)?|patch(?:es)? \d+ (?:to|through|thru) \d+|"
    r"patch(?:es|set)?(?: #?\d[\d, &#-]*(?:and #?\d+)?)?|#?\d[\d, &#-]*(?:and #?\d+)?|v\d+|"
    r"(?:this|that|these|those)(?: \w+)?|"
    r"the (?:whole |entire |full |first |last |following |other |remaining |\w+ )?(?:series|patch(?:es|set)?|set|two|three|four|fix(?:es)?|ones?)|"
    r"(?:first|last) (?:two|three|four|five|\d+)(?: patch(?:es)?)?)\s+"
    r"(?:(?:has|have) (?:now |also |just )?been |are |is |(?:i(?:'ve| have)?) )*)?"
    r"(?:(?:now|also|just|both|all|finally|then)\s+)*",
    re.I,
)

# "So what I do after the whole set is applied", "when this patch set is applied"
_SUBORD_RE = re.compile(
    r"\b(?:if|when|once|after|before|until|unless|whether|what|which|that)\b", re.I
)

# what a notice verb takes: an object ("it", "the series", "patches 1-3", "#7 and #24")
_OBJ = (
    r"(?:it|this|that|them|these|those|both|all|everything|the rest|"
    r"(?:the |this |that |these |your |all |both )?(?:whole |entire |full |complete |other |remaining |first |last |new |updated |fixed |\w+ )?"
    r"(?:series|set|patch(?:es|set)?|fix(?:es)?|ones?|version|two|three|four|five|six)|"
    r"patch(?:es)? #?\d[\d, &#-]*(?:and #?\d+)?|#?\d[\d, &#-]*(?:and #?\d+)?|v\d+)"
)
# what follows the verb: the end of the sentence, a preposition, an object, "up", "thanks"...
# (not "I pushed some updates to the script", "I have taken your suggestion")
_AFTER_RE = re.compile(
    r"(?:\s*$|\s*[,.!;:()\-]|\s+(?:up|out|now|too|also|as well|here|thanks|thank|with|and|but|except|along|"
    r"to|into|in|on|onto|for|via|through|at|as|after|before|over|separately|together|manually|"
    r"applied|queued)\b|\s+" + _OBJ + r"\b)",
    re.I,
)
_PICKED_RE = re.compile(r"\s+(?:up\b|" + _OBJ + r"\b)", re.I)

# The verb's clause (up to a comma or "but") must not be a question's, a condition's, future
# or modal, negated, a tester's, or a pointer to an earlier notice ("already applied")
_NEG_RE = re.compile(
    r"(?<![-/\w])(?:if|unless|once|whether|will|would|should|could|can|cannot|may|might|must|need|needs|"
    r"not|never|no|locally|cleanly|already|to be|going to|hopefully|wrong|mainline|recently|"
    r"to all your|by|keyserver|latest)\b|n't\b",
    re.I,
)
# the whole sentence reports a test or says something else was done
_TESTER_RE = re.compile(
    r"(?<![-/\w])(?<!as )(?<!to )(?:tested|testing|test|tests|booted|boots|built|builds|checked|verified|confirmed|works|worked|"
    r"fail|fails|failed|fixes the|fixed the|prevents|no (?:issues|problems)|the issue|regression|reproduce|tried|"
    r"for ci|on head|on (?:top of )?(?:v?\d|next-\d|linux-next|mainline|master|head)|dropped (?:it|them|this)|"
    r"single line|merged (?:in|into) (?:v\d|mainline|linus))\b",
    re.I,
)
# a Tested-by of the reply's own: a tester's report ("Applied on top of 6.8.4, it prevents ...")
_TESTED_BY_RE = re.compile(r"^[ \t]*Tested-by:", re.I | re.M)

# the tree and branch named after the verb
_URL_RE = re.compile(
    r"((?:(?:https?|git)://|git@[\w.-]+:)[^\s,()<>\]`]+?)[.,]?(?:[\s,]+\(?([\w][\w./+-]*[\w])\)?)?(?=[\s,;)\]]|[.!](?:\s|$)|$)"
)
# "the vfs-7.0.x branch of the vfs/vfs.git tree"
_BRANCH_OF_RE = re.compile(
    r"\b(?:to|into|in|on|onto)\s+(?:the\s+|my\s+)?([\w][\w./+-]*)\s+branch\s+(?:of|in)\s+(?:the\s+)?([\w][\w./+:-]*?)(?:\s+(?:git\s+)?(?:tree|repo(?:sitory)?))?[.,;!]?(?=\s|$)",
    re.I,
)
# "to tip's x86/sev", "to hyperv-next", "into drm-misc (drm-misc-next)", "to the pinctrl tree",
# "to kvm-x86 fixes", "to linux-kselftest kunit branch"
_TREE_RE = re.compile(
    r"\b(?:on top of|to|into|in|onto|on|for|through|via)\s+(?:the\s+|my\s+|our\s+)?"
    r"([\w][\w./+-]*?)(?:'s)?"
    r"(?:\s+\(([\w][\w./+-]*[\w])\)|\s+([\w][\w.+-]*/[\w./+-]*[\w])(?=[\s,.!;:]|$)|\s+([\w][\w./+-]*[\w])(?=\s+branch\b)|"
    r"\s+(?=(?:git\s+)?(?:tree|branch|repo)\b)|(?<=\w's)\s+([\w][\w./+-]*[\w])|"
    r"\s+(next|fixes|master|main|misc|urgent|queue|staging)(?=[\s,.!;:]|$))?"
    r"[.,;:!)]*(?=\s|$)",
    re.I,
)
# links that name no tree: commits, lore, patchwork
_NOT_TREE_URL_RE = re.compile(
    r"/c/[0-9a-f]|/commit/|[?&]id=|lore\.kernel\.org|patchwork|lkml\.org|marc\.info"
)
# "Pushed to branch `for_paolo/6.1` at: https://github.com/sean-jc/linux.git"
_NAMED_BRANCH_RE = re.compile(r"\bbranch\s+[`'\"]?([\w][\w./+-]*[\w])[`'\"]?")

# early b4: "Applied to\n\n   local tree spi/for-5.7"
_LOCAL_TREE_RE = re.compile(r"\blocal tree\s+([\w.+-]+)/([\w./+-]*[\w])")

# a bare word is a tree only when it looks like one or the sentence calls it one
_TREEISH_RE = re.compile(
    r"[-/.+_]|\d|^(?:next|fixes|master|main|linus|current|testing|devel|queue|staging|net|tip|mm)$",
    re.I,
)
_NOT_TREE = frozenset(
    [
        "thanks",
        "thank",
        "the",
        "this",
        "that",
        "it",
        "them",
        "my",
        "our",
        "your",
        "a",
        "an",
        "me",
        "us",
        "you",
        "all",
        "both",
        "top",
        "stable",
        "mainline",
        "linus's",
        "production",
        "many",
        "now",
        "here",
        "there",
        "later",
        "today",
        "tomorrow",
        "patch",
        "patches",
        "series",
        "git",
        "tree",
        "branch",
        "kernel",
        "place",
        "pr",
        "review",
        "ci",
        "testing",
        "same",
        "local",
    ]
)
_VERSION_RE = re.compile(r"^v?\d+(?:\.\d+)*(?:-rc\d+)?[.,]?$|^next-\d+$", re.I)


# small patterns of the sentence and URL helpers, compiled once
_STOP_SP_RE = re.compile(r"[.!?]\s")
_STOP_RE = re.compile(r"[.!?](?:\s+|$)")
_SENT_END_RE = re.compile(r"[.!?](?=\s|$)|\n[ \t]*\n")
_URL_HOST_RE = re.compile(r"^(?:https?|git)://[^/]+/")
_URL_PREFIX_RE = re.compile(r"^(?:pub/scm/|cgit/|git/|\?p=)")
_URL_KGIT_RE = re.compile(r"^linux/kernel/git/")
_URL_GH_RE = re.compile(r"([^/]+/[^/]+)/(?:tree|commits|log|shortlog/refs/heads)/(.+)$")
_URL_HEADS_RE = re.compile(r"(.+?)/(?:shortlog/refs/heads|log/\?h=|refs/heads)/?(.*)$")
_CALLED_RE = re.compile(r"\s+(?:git\s+)?(?:tree|branch|repo)\b")
_CLAUSE_END_RE = re.compile(r"[,;(]|\bbut\b|\band\b|\bthough\b")
_ENDS_TO_RE = re.compile(r"\b(?:to|into|at)\s*:?$")
_TAKEN_AFTER_RE = re.compile(
    r"(?:\s*$|\s*[,.!;:]|\s*(?:it|this|them|these|both|all|the rest|the series|patch(?:es)?)\b|\s*(?:to|through|via|into|for|now|thanks)\b)",
    re.I,
)


@dataclass(frozen=True)
class AppliedItem:
    """One patch named in an applied notice."""

    label: str
    title: str
    commit: str = ""


@dataclass(frozen=True)
class AppliedNotice:
    #: "pwbot", "b4", "plain", or "script" (Mark Brown's pre-b4 'Applied "x" to the y tree' mails)
    source: str
    tree: str
    branch: str
    by: str
    subset: bool
    items: tuple[AppliedItem, ...] = ()


def _own_end(text: str) -> int:
    """Where the reply's own text ends: its ``-- `` signature, or an Outlook copy of the
    mail it answers (an unquoted ``-----Original Message-----``)."""
    end = len(text)
    i = text.find("\n-- \n")
    if i != -1:
        end = i
    # a bare "--" line is a signature when little follows it (b4's "--\nhttps://…" footer),
    # else a snip mark between quoted parts
    i = text.find("\n--\n", 0, end)
    while i != -1:
        if len(text) - i < 300:
            end = i
            break
        i = text.find("\n--\n", i + 1, end)
    if text.endswith(("\n--", "\n-- ")):
        end = min(end, text.rfind("\n--"))
    i = text.find("-----Original Message-----", 0, end)
    while i != -1:
        if not text[_line_start(text, i) : i].strip():
            return i
        i = text.find("-----Original Message-----", i + 1, end)
    return end


def _iter_unquoted(text: str) -> Iterator[str]:
    """The reply's own lines: quoted (``>``) ones skipped, none after a ``-- `` signature."""
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "-- ":
            return
        if not line.startswith(">"):
            yield line


def _unquoted(text: str) -> list[str]:
    return list(_iter_unquoted(text))


def _items(lines: list[str], item_re) -> tuple[AppliedItem, ...]:
    items: list[AppliedItem] = []
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


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _quoted_or_meta(line: str) -> bool:
    """A quoted line, or an attribution ("On Mon, … wrote:")."""
    s = line.lstrip()
    return s.startswith((">", "|")) or s.endswith(("wrote:", "writes:"))


def _lead(text: str, ls: int, pos: int) -> str | None:
    """The words of the verb's sentence before the verb (over up to three lines of its
    paragraph), or None when the verb's line is quoted."""
    first = text[ls:pos]
    if first.lstrip().startswith(">"):
        return None
    parts = [first]
    start = ls
    for _ in range(3):
        if _STOP_SP_RE.search(" ".join(parts) + " ") or start == 0:
            break
        prev_start = _line_start(text, start - 1)
        prev = text[prev_start : start - 1].rstrip("\r")
        if not prev.strip() or _quoted_or_meta(prev):
            break
        parts.insert(0, prev)
        start = prev_start
    lead = " ".join(p.strip() for p in parts).strip()
    # the sentence starts after the last full stop, "!" or "?" (or "..."), not in "e.g."
    cut = 0
    for m in _STOP_RE.finditer(lead):
        cut = m.end()
    return lead[cut:]


def _sentence_rest(text: str, pos: int, end: int) -> tuple[str, int]:
    """The rest of the verb's sentence (to a full stop, a blank line or the end of own
    text), and where it stops."""
    stop = min(end, pos + 300)
    chunk = text[pos:stop]
    m = _SENT_END_RE.search(chunk)
    if m is not None:
        chunk = chunk[: m.start() + (1 if m.group(0) in ".!?" else 0)]
    return " ".join(chunk.split()), pos + len(chunk)


def _next_line(text: str, pos: int, end: int) -> str:
    """The first non-empty line after ``pos`` (a b4 "Applied to" names its tree there)."""
    i = text.find("\n", pos)
    while i != -1 and i < end:
        j = text.find("\n", i + 1)
        line = text[i + 1 : j if j != -1 else end].strip()
        if line:
            return "" if line.startswith(">") else line
        i = j
    return ""


def _short_url(url: str) -> tuple[str, str]:
    """``https://git.kernel.org/pub/scm/linux/kernel/git/broonie/spi.git`` -> broonie/spi.git;
    a GitHub ``…/owner/repo/tree/BRANCH`` or ``/commits/BRANCH`` gives the branch too."""
    u = _URL_HOST_RE.sub("", url.rstrip("/.,"))
    u = _URL_PREFIX_RE.sub("", u)
    u = _URL_KGIT_RE.sub("", u)
    gh = _URL_GH_RE.match(u)
    if gh is not None:
        return gh.group(1), gh.group(2)
    heads = _URL_HEADS_RE.match(u)
    if heads is not None:
        u, branch = heads.group(1), heads.group(2)
        return "/".join(u.split("/")[-2:]), branch
    parts = [p for p in u.split("/") if p]
    return "/".join(parts[-2:]), ""


def _tree_of(rest: str) -> tuple[str, str]:
    """(tree, branch) the sentence after the verb names, ("", "") when it names none."""
    for u in _URL_RE.finditer(rest):
        if _NOT_TREE_URL_RE.search(u.group(1)):
            continue  # a commit link, a lore or patchwork page: not where it was applied
        tree, branch = _short_url(u.group(1))
        named = _NAMED_BRANCH_RE.search(rest, 0, u.start())
        return tree, branch or (u.group(2) or "") or (named.group(1) if named is not None else "")
    lt = _LOCAL_TREE_RE.search(rest)
    if lt is not None:
        return lt.group(1), lt.group(2)
    b = _BRANCH_OF_RE.search(rest)
    if b is not None:
        return b.group(2), b.group(1)
    for t in _TREE_RE.finditer(rest):
        name = t.group(1).rstrip(".,:;!")
        low = name.lower()
        if low in _NOT_TREE or _VERSION_RE.match(name):
            continue
        branch = t.group(2) or t.group(3) or t.group(4) or t.group(5) or t.group(6) or ""
        called = _CALLED_RE.match(rest[t.end(1) :]) is not None
        if not (called or branch or _TREEISH_RE.search(name)):
            continue
        if name.endswith("'s"):
            name = name[:-2]
        return name, branch
    return "", ""


def _verbs(text: str, end: int) -> list[int]:
    """Where a notice verb (Applied, queued, pushed, picked, merged, taken) starts on an
    unquoted line before ``end``, in order (quoted hits are dropped here, before any regex)."""
    found = []
    for lit in _VERB_LITERALS:
        i = text.find(lit, 1, end)
        while i != -1:
            v = i - 1
            after = i + len(lit)
            if (v == 0 or not text[v - 1].isalnum()) and (
                after >= len(text) or not text[after].isalnum()
            ):
                ls = text.rfind("\n", 0, v) + 1
                if not text[ls : ls + 8].lstrip().startswith(">"):
                    found.append(v)
            i = text.find(lit, i + 1, end)
    found.sort()
    return found


def _plain(text: str, subject: str, sender: str) -> AppliedNotice | None:
    end = _own_end(text)
    tester = None
    for v in _verbs(text, end):
        ls = _line_start(text, v)
        lead = _lead(text, ls, v)
        if lead is None:
            continue
        if lead and (_SUBORD_RE.search(lead) or not _LEAD_RE.fullmatch(lead + " ")):
            continue
        verb = text[v : v + 12].split()[0] if text[v : v + 12].split() else ""
        vend = v + len(verb.rstrip(".,!:;)(?"))
        rest, rest_end = _sentence_rest(text, vend, end)
        low_verb = text[v:vend].lower()
        if low_verb == "picked":
            if not _PICKED_RE.match(" " + rest):
                continue
        elif low_verb not in (
            "applied",
            "queued",
            "pushed",
            "merged",
            "taken",
        ) or not _AFTER_RE.match(rest if rest[:1] in ",.!;:()-" or not rest else " " + rest):
            continue
        if low_verb == "taken" and not _TAKEN_AFTER_RE.match(rest):
            continue
        if rest.endswith("?"):
            continue
        clause = lead + " " + verb + " " + _CLAUSE_END_RE.split(rest, maxsplit=1)[0]
        if _NEG_RE.search(clause) or _TESTER_RE.search(lead + " " + rest):
            continue
        if tester is None:
            tester = "ested-by:" in text[:end] and _TESTED_BY_RE.search(text, 0, end) is not None
        if tester:
            return None
        tree, branch = _tree_of(rest)
        if not tree and _ENDS_TO_RE.search(rest):
            nxt = _next_line(text, rest_end, end)
            if nxt:
                tree, branch = _tree_of(rest + " " + nxt)
        tree = tree.rstrip(".,:;!")
        b4_items = _items(_unquoted(text[ls:end]), _B4_ITEM_RE) if "\n[" in text[ls:end] else ()
        return AppliedNotice(
            "b4" if b4_items else "plain",
            tree,
            branch,
            sender,
            "(subset)" in subject.lower(),
            b4_items,
        )
    return None


def parse_applied(text: str, subject: str, sender: str, is_reply: bool) -> AppliedNotice | None:
    """The applied notice ``text`` carries, or None.  ``sender`` is the header From as shown."""
    # literals first, no regex before them.  A message that is no reply (a patch posting: the
    # largest bodies) can only be a bot's or script's notice: one or two substring scans
    if not is_reply:
        notice = _pwbot(text, subject, sender) if "was applied to" in text else None
        if notice is None and subject.startswith('Applied "') and "has been applied to" in text:
            notice = _script(text, sender)
        return notice
    # a reply that never says applied/queued/pushed (anywhere) nor picked/merged/taken (in
    # its first 8 KB: those verbs are rare, and scanning whole quoted patches for them is
    # most of the cost) is no notice: a few substring scans at C speed
    for lit in _VERB_LITERALS[:3]:
        if lit in text:
            break
    else:
        for lit in _VERB_LITERALS[3:]:
            if text.find(lit, 0, _RARE_VERB_SPAN) != -1:
                break
        else:
            return None
    if "was applied to" in text:
        notice = _pwbot(text, subject, sender)
        if notice is not None:
            return notice
    if subject.startswith('Applied "') and "has been applied to" in text:
        notice = _script(text, sender)
        if notice is not None:
            return notice
    return _plain(text, subject, sender)


def _pwbot(text: str, subject: str, sender: str) -> AppliedNotice | None:
    # a ^-anchored (re.M) pattern is tried at every position of the text: only where its words are
    m = _PWBOT_RE.search(text)
    if m is None:
        return None
    by = _PWBOT_BY_RE.search(text, m.end())
    return AppliedNotice(
        "pwbot",
        m.group(1),
        (m.group(2) or "").strip(),
        by.group(1).strip() if by is not None and by.start() - m.end() < 3 else sender,
        "(subset)" in subject.lower(),
        _items(_unquoted(text), _PWBOT_ITEM_RE),
    )


def _script(text: str, sender: str) -> AppliedNotice | None:
    m = _SCRIPT_RE.search(text)
    if m is None:
        return None
    tree, branch = _short_url(m.group(3))
    sha = _FROM_SHA_RE.search(text, m.end())
    return AppliedNotice(
        "script",
        tree if "/" in tree else m.group(2),
        m.group(4) or branch,
        sender,
        False,
        (AppliedItem("", m.group(1).strip(), sha.group(1) if sha is not None else ""),),
    )
