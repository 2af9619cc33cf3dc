#!/usr/bin/env python3
"""An independent count of "applied" notices in a public-inbox epoch, compared with listdigest's.

    tools/applied_check.py ARCHIVE_GITDIR [--since YYYY-MM-DD] [--show N] [--list]

The reference reads every message with the stdlib ``email`` package only (none of
listdigest's parsing), takes the replies (In-Reply-To or References set), keeps the
writer's own text (no ``>`` quotes, no attribution line, nothing after a ``-- `` signature
or an Outlook ``-----Original Message-----`` / ``From:``+``Sent:`` block) and flags a
notice with a few plain rules:

* patchwork-bot: a line ``This series|patch|pull request was applied to TREE (BRANCH)``;
* a sentence that starts (after a greeting, ``Thanks,``, ``LGTM,``, ``OK,``, a subject such
  as ``I've``, ``Now``, ``Both``, ``Patches 1-3``, ``The series``) with a past-tense verb:
  applied, queued, picked up, pushed, merged, taken, or ``has/have been applied/queued``;
* unless the sentence is a question, a conditional, future or modal (``will``, ``can``,
  ``if``), a negation, or a tester's report (``locally``, ``tested``, ``cleanly``,
  ``on top of``…), or says it was ``already`` applied (a pointer to an earlier notice);
* messages that carry a diff of their own (a patch posting) are no notices.

It also notes whether the notice names a tree: the words after ``to``/``into``/``in``/``on``/
``for`` in the notice sentence (or the first non-empty line after a bare ``Applied to``) when
they look like a tree or branch (a ``/``, ``-``, ``.git``, a URL, next/fixes/master…).

Then every message goes through listdigest (``parse_message`` + ``Message.applied()``) and
the script prints recall, precision, the share of tree-naming notices whose tree listdigest
names (and whether the name matches), the cost of ``parse_applied`` per message, and the
disagreements (``--list``; ``--show N`` prints the own text of the first N of each kind).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))


# ---------------------------------------------------------------------------------------
# reading the archive (git only)


def iter_blobs(gitdir: str) -> Iterator[tuple[str, bytes]]:
    """(commit, raw message) for every commit of the epoch that has an ``m`` file, newest first."""
    commits = subprocess.run(
        ["git", "--git-dir", gitdir, "log", "--format=%H"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    proc = subprocess.Popen(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for c in commits:
            proc.stdin.write(f"{c}:m\n".encode())
            proc.stdin.flush()
            head = proc.stdout.readline().split()
            if len(head) < 3 or head[1] == b"missing":
                continue
            data = proc.stdout.read(int(head[2]))
            proc.stdout.read(1)
            yield c, data
    finally:
        proc.stdin.close()
        proc.wait()


# ---------------------------------------------------------------------------------------
# the independent reference (stdlib email only)


def ref_body(msg) -> str:
    """The first text/plain part (not an attachment), else an HTML part with its tags removed."""
    html_text = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if part.get_content_disposition() == "attachment":
            continue
        try:
            payload = part.get_content()
        except Exception:
            raw = part.get_payload(decode=True) or b""
            payload = raw.decode("utf-8", "replace")
        if not isinstance(payload, str):
            continue
        if ctype == "text/plain":
            return payload
        if ctype == "text/html" and html_text is None:
            html_text = html.unescape(
                re.sub(r"<[^>]+>", "", re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", payload))
            )
    return html_text or ""


_OUTLOOK_CUT = re.compile(r"^\s*(-----\s*Original Message\s*-----|_{20,}\s*$)", re.I)
_OUTLOOK_FROM = re.compile(r"^From: ")
_WROTE = re.compile(r"\bwrote:\s*$|^On .*\d.*(,|at)\s*$|\ba écrit\s*:\s*$|\bschrieb\b.*:\s*$", re.I)


def own_text(body: str) -> list[str]:
    """The writer's own lines: quotes, attribution lines, signature and Outlook blocks dropped.

    An Outlook ``From: … Sent: …`` header block near the top is an attribution (the
    quotes that follow carry ``>``); further down it starts a copy of the original mail."""
    lines = body.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    skip_hdr = False
    for i, line in enumerate(lines):
        if line == "-- " or (line == "--" and len("\n".join(lines[i:])) < 300):
            break
        if _OUTLOOK_CUT.match(line):
            break
        if _OUTLOOK_FROM.match(line) and re.search(
            r"\bSent: |^Sent: ", "\n".join(lines[i : i + 3]), re.M
        ):
            if any(x.strip() for x in out):
                break
            skip_hdr = True
            continue
        if skip_hdr:
            if re.match(r"^(Sent|To|Cc|Subject|Date): ", line) or (
                line.strip() and not line.startswith(">") and ":" not in line and i < 6
            ):
                continue
            skip_hdr = False
        if line.lstrip().startswith(">") or line.lstrip().startswith("|>"):
            continue
        st = line.strip()
        if _WROTE.search(st) and (
            st.startswith("On ") or st.endswith("wrote:") or "schrieb" in st or "écrit" in st
        ):
            continue
        out.append(line)
    return out


def sentences(lines: list[str]) -> list[str]:
    """Paragraphs split into sentences, whitespace normalised; a list entry starts a new one."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = re.sub(r"\s+", " ", " ".join(para)).strip()
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\[(\"'#])", text):
                if s:
                    out.append(s)
            para.clear()

    for line in lines:
        st = line.strip()
        if not st:
            flush()
            continue
        if re.match(r"^(\[\d+/\d+\]|[-*•] |\d+[.)] )", st):
            flush()
        para.append(st)
    flush()
    return out


# what is applied: a pronoun, "the series", "patches 1-3", "both", "the first five" ...
_OBJ = (
    r"(?:it|this|that|them|these|those|both|all|everything|the rest|rest|"
    r"(?:the |this |that |these |your |all |both )?(?:whole |entire |full |complete |other |remaining |first |last |new |updated |fixed |\w+ )?"
    r"(?:series|set|patch(?:es|set)?|fix(?:es)?|ones?|version|two|three|four|five|six)|"
    r"patch(?:es)? #?\d[\d, &#-]*(?:and #?\d+)?|#?\d[\d, &#-]*(?:and #?\d+)?|v\d+)"
)
_VERB = (
    r"(?:applied|queued|merged|pushed|picked"
    r"|taken(?=\s*(?:[,.!;:]|$|thanks|\b" + _OBJ + r"\b)))"
)
_LEAD = r"(?:(?:hi|hello|hey|thanks|thank you|thx|lgtm|ok|okay|great|nice|cool|good|sure|ack|done|yes|fine|so|dear)\b[^.!?]{0,30}?[,.!:;-]+\s*|and\s+)*"
_SUBJ = (
    r"(?:(?:and |so |now,? |ok,? )?"
    r"(?:(?:i|we)(?:'ve| have)? (?:\w+ly )?(?:\w+ed|took|made|did)\b[^.!?]{0,60}? and|i(?:'ve| have)?|we(?:'ve| have)?|they|now|also|both|all|the rest|(?:the )?rest of (?:the |this |your )?(?:series|patches|set)|rest|series|patch(?:es)?(?: #?[\d, &-]+(?:and #?\d+)?)?|\d+ patch(?:es)?|patch(?:es)? \d+ (?:to|through|thru) \d+|"
    r"#?\d[\d, &-]*(?:and #?\d+)?|this(?: one| patch| series| version| v\d+)?|these(?: \w+)?|"
    r"the (?:whole |entire |full |first |last |\w+ )?(?:series|patch(?:es)?|set|two|three|fix|ones?)|"
    r"whole series|entire series|(?:first|last) (?:two|three|four|\d+|patch(?:es)?)(?: patch(?:es)?)?|v\d+)\s+"
    r"(?:(?:has|have) (?:now )?been |are |is |now |also |just |both |all |finally |(?:i(?:'ve| have)? ))*)?"
)
_NOTICE = re.compile(
    r"^" + _LEAD + _SUBJ + r"(?:(?:now|also|just|finally|all|both) )*" + _VERB + r"\b", re.I
)
# after the verb: the end of the sentence, a preposition, an object, "up"/"out", "thanks" ...
_AFTER = re.compile(
    r"^(?:\s*$|\s*[,.!;:()]|\s+(?:up|out|now|too|also|as well|here|thanks|thank|with|and|but|except|along|"
    r"to|into|in|on|onto|for|via|through|at|as|after|before|over|separately|together|manually)\b|\s+"
    + _OBJ
    + r"\b)",
    re.I,
)
# the clause of the verb may not be modal, future, conditional or negated
_NEG = re.compile(
    r"(?<![-/\w])(?:if|unless|once|whether|will|would|should|could|can|can't|cannot|may|might|must|need|needs|"
    r"not|haven't|hasn't|isn't|wasn't|weren't|didn't|locally|cleanly|already|to be|going to|hopefully|"
    r"wrong|mainline|recently|keyserver|latest)\b",
    re.I,
)
# the sentence reports a test, not an application
_TESTER = re.compile(
    r"(?<![-/\w])(?<!as )(?<!to )(?:tested|testing|test|tests|booted|boots|built|builds|checked|verified|works|worked|"
    r"fixes the|fixed the|prevents|no (?:issues|problems)|the issue|regression|reproduce|tried|"
    r"for ci|fail|fails|failed|confirmed|to all your|single line|on head|on (?:top of )?(?:v?\d|next-\d|linux-next|mainline|master|head)|dropped (?:it|them|this))\b",
    re.I,
)
_PWBOT = re.compile(
    r"^This (?:series|patch|patch series|pull request) was applied to (\S+)(?: \(([^)]*)\))?", re.M
)
# Mark Brown's script before b4: "The patch\n\n   TITLE\n\nhas been applied to the spi tree at\n\n   URL BRANCH"
_SCRIPT = re.compile(r"^has been applied to the \S+ tree at\s*\n\s*\n\s*(\S+(?:[ \t]+\S+)?)", re.M)
_DIFF = re.compile(r"^(?:diff --git |\+\+\+ b/|Index: )", re.M)
_TESTED_BY = re.compile(r"^\s*Tested-by:", re.I | re.M)

# what a tree/branch looks like, anywhere after the verb: a URL (and the branch after it), a
# word with "/", "-" or ".git" (not "1-3", "v5.6", "e-mail"), else the word before "tree"/"branch"
_URLWORD = re.compile(
    r"(?:(?:https?|git)://|git@[\w.-]+:)(?!\S*(?:/c/|/commit/|lore\.|patchwork))\S+(?:\s+[\w./+-]+)?"
)
_SLASHWORD = re.compile(r"(?<![\w/.-])([A-Za-z0-9][\w.+]*(?:[-/][\w.+]+)+|[\w.-]+\.git)\b")
_NAMEDWORD = re.compile(r"\b((?:[\w.+-]+\s+)?[\w.+-]+)\s+(?:git\s+)?(?:tree|branch|repo)\b", re.I)
_NOT_TREE = {
    "e-mail",
    "follow-up",
    "re-send",
    "git",
    "the",
    "my",
    "our",
    "your",
    "this",
    "that",
    "same",
    "his",
    "her",
    "their",
    "immutable",
    "topic",
    "a",
    "an",
    "its",
    "own",
    "separate",
    "next",
    "stable",
    "mainline",
    "to",
    "into",
    "in",
    "on",
    "for",
    "at",
    "of",
    "through",
    "via",
    "local",
    "below",
    "above",
}


def ref_tree(after: str) -> str:
    u = _URLWORD.search(after)
    if u is not None:
        return u.group(0)
    n = _NAMEDWORD.search(after)
    if n is not None:
        words = [w for w in n.group(1).split() if w.lower() not in _NOT_TREE]
        if words:
            return " ".join(words)
    for w in _SLASHWORD.finditer(after):
        word = w.group(1)
        if re.fullmatch(
            r"[\d.,/&#-]+|v?\d[\d.]*(?:-rc\d+)?|\d+-\w+|[\w]+-by|.*\.(?:c|h|rst|yaml|txt)",
            word,
            re.I,
        ):
            continue
        if word.lower() in _NOT_TREE or re.fullmatch(
            r"(?:re|pre|non|co|sub|in|well|so|one|two|three|short|long)-\w+|\w+-(?:like|based|specific|related|up|in|out|off|only)",
            word,
            re.I,
        ):
            continue
        return word
    return ""


def ref_notice(raw: bytes) -> tuple[str | None, str | None, str]:
    """(msgid, the notice sentence or None, the tree word the notice names or "")."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    msgid = (str(msg.get("Message-ID", "") or "").strip().strip("<>")) or None
    subject = str(msg.get("Subject", "") or "")
    body = ref_body(msg)
    lines = own_text(body)
    own = "\n".join(lines)
    s = _SCRIPT.search(own)
    if s is not None:  # a notice whether it replies or not (a few of them do not)
        return msgid, "script: " + s.group(0)[:60], s.group(1)
    if not (msg.get("In-Reply-To") or msg.get("References")):
        return msgid, None, ""
    p = _PWBOT.search(own)
    if p is not None:
        return msgid, p.group(0), p.group(1)
    if _DIFF.search(own) and not re.match(r"^\s*(?:re|aw|antw|sv)\s*:", subject, re.I):
        return msgid, None, ""  # a patch posting
    if _TESTED_BY.search(own):
        return msgid, None, ""  # a tester's report
    sents = sentences(lines)
    for k, s in enumerate(sents):
        m = _NOTICE.match(s)
        if m is None or not _AFTER.match(s[m.end() :]):
            continue
        if s.rstrip().endswith("?"):
            continue
        clause = s[: m.end()] + re.split(r"[,;:(]| but | and | though", s[m.end() :])[0]
        if _NEG.search(clause) or _TESTER.search(s):
            continue
        tree = ref_tree(s[m.end() :])
        if not tree and re.search(r"\b(?:to|into)\s*[:,]?\s*$", s) and k + 1 < len(sents):
            tree = ref_tree(sents[k + 1])
        return msgid, s, tree
    return msgid, None, ""


# ---------------------------------------------------------------------------------------
# listdigest's view


def ld_notice(raw: bytes):
    from listdigest.message import parse_message
    from listdigest.message.applied import parse_applied
    from listdigest.sources import RawMessage

    m = parse_message(RawMessage(raw))
    sender = (m.from_name and f"{m.from_name} <{m.from_addr}>") or m.from_addr
    args = (m.body, m.subject, sender, m.kind != "patch" and m.parent is not None)
    t = time.perf_counter()
    a = parse_applied(*args)
    dt = time.perf_counter() - t
    return m, a, dt


def _norm(x: str) -> str:
    """A tree word as both sides can agree on it: no scheme, host or kernel.org path prefix."""
    x = x.strip().rstrip(".,:;!]").lower()
    x = re.sub(r"^(?:https?|git)://[^/]+/", "", x)
    x = re.sub(r"^(?:pub/scm/)?(?:linux/kernel/git/)?", "", x)
    return x


def tree_matches(ref_tree: str, tree: str, branch: str) -> bool:
    """Whether listdigest's tree (and branch) are what the reference read: each non-empty
    part appears in the reference's words, or the reference's word in listdigest's."""
    want = _norm(ref_tree)
    got = [_norm(x) for x in (tree, branch) if x]
    if not want or not got:
        return False
    return all(g in want for g in got) or any(want.split()[0] in g for g in got)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gitdir")
    ap.add_argument("--since", help="only messages dated on or after YYYY-MM-DD")
    ap.add_argument("--list", action="store_true", help="list every disagreement")
    ap.add_argument(
        "--show",
        type=int,
        default=0,
        help="print the own text of the first N disagreements of each kind",
    )
    args = ap.parse_args(argv)
    since = (
        datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        if args.since
        else None
    )

    n = tp = fp = fn = 0
    named = named_ok = named_match = 0
    cost = 0.0
    missed: list[tuple[str, str, str]] = []
    extra: list[tuple[str, str, str]] = []
    wrong_tree: list[tuple[str, str, str]] = []
    for _commit, raw in iter_blobs(args.gitdir):
        if since is not None:
            hdr = email.message_from_bytes(
                raw.split(b"\n\n", 1)[0] + b"\n\n", policy=email.policy.compat32
            )
            try:
                d = email.utils.parsedate_to_datetime(hdr.get("Date", ""))
                if d.tzinfo is None:
                    d = d.replace(tzinfo=timezone.utc)
            except Exception:
                d = None
            if d is None or d < since:
                continue
        n += 1
        msgid, ref, ref_tree = ref_notice(raw)
        m, got, dt = ld_notice(raw)
        cost += dt
        if ref and got:
            tp += 1
            if ref_tree:
                named += 1
                if got.tree:
                    named_ok += 1
                if tree_matches(ref_tree, got.tree, got.branch):
                    named_match += 1
                else:
                    wrong_tree.append(
                        (msgid or "?", f"ref={ref_tree!r} got={got.tree!r}/{got.branch!r}", m.body)
                    )
        elif ref:
            fn += 1
            missed.append((msgid or "?", ref[:100], m.body))
        elif got:
            fp += 1
            extra.append(
                (
                    msgid or "?",
                    f"{got.source} tree={got.tree!r} branch={got.branch!r} | {m.subject[:60]}",
                    m.body,
                )
            )

    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"archive   {args.gitdir}")
    print(f"messages  {n}   reference notices {tp + fn}   listdigest notices {tp + fp}")
    print(f"recall    {recall:.1%}  ({tp}/{tp + fn})")
    print(f"precision {precision:.1%}  ({tp}/{tp + fp})")
    if named:
        print(f"tree named   {named_ok / named:.1%}  ({named_ok}/{named} notices that name a tree)")
        print(f"tree matches {named_match / named:.1%}  ({named_match}/{named})")
    print(f"cost      {cost / max(n, 1) * 1e6:.2f} us per message (parse_applied alone)")
    for title, rows in (
        ("missed (reference says notice)", missed),
        ("extra (listdigest says notice)", extra),
        ("tree differs", wrong_tree),
    ):
        if not rows:
            continue
        print(f"\n{title}: {len(rows)}")
        if args.list or args.show:
            for i, (mid, what, body) in enumerate(rows):
                print(f"  <{mid}>  {what}")
                if i < args.show:
                    own = "\n".join(own_text(body))
                    print("    | " + "\n    | ".join(own.strip().split("\n")[:25]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
