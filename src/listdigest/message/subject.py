"""Subject lines of list mail: reply markers, bracketed prefixes, version, counter, title.

Owns turning one already-decoded subject string into a ``Subject``: whether it is a
reply, what the leading ``[...]`` groups say (PATCH, RFC, RESEND, GIT PULL, version,
``n/m`` counter, tree names and other tags) and the bare title that identifies a change
across versions of a series.  It leaves unfolding, RFC 2047 decoding and whitespace
collapsing to ``headers.py``, and grouping messages into series to ``model/``.

Decisions worth knowing (each has a test in tests/message/test_subject.py):

- Only markers *before* the subject proper make a reply.  ``[PATCH] Re: foo`` is a patch
  whose title happens to be ``Re: foo`` (as b4 sees it); but a reply marker after tags
  that say nothing about the message itself -- ``[EXTERNAL] Re: [PATCH] x``, where a mail
  gateway or list software put the tag in front -- still counts.
- Numbers are versions only with a ``v``: ``6.1`` in ``[PATCH AUTOSEL 6.1 3/5]`` and
  ``5.10`` in ``[PATCH 5.10 1/3]`` are stable trees and land in ``prefixes``; so is a
  ``v5.10``/``v6.12`` with a two-digit minor (a kernel release; ``v5.1`` is a revision).
- ``revision`` keeps a fractional version (``v5.1`` -> ``"5.1"``), ``version`` its major part.
- A counter above the total (``6/5``) is kept as given; ``3/n`` has no total.
- A bracket group with nothing we recognise (``[bug report]``, ``[tip: timers/core]``)
  becomes one prefix as written; inside a group we do recognise (``[PATCH AUTOSEL 6.1]``),
  each unknown token is its own prefix.
- Never raises: every ``str`` gives a ``Subject``.

Speed matters (every message of archives with millions of mails goes through here), so the
per-group work is memoised: the same few thousand ``[PATCH vN n/m]`` groups recur endlessly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

# Reply and forward markers as mail clients write them in several languages -- Re, Aw
# (German), Antw (Dutch), Sv/Vs (Nordic), Wg (German forward), Tr (French forward), Odp
# (Polish), Fw/Fwd, and the Chinese 回复/答复/转发 -- optionally counted ("Re[2]:"), with or
# without a space before the colon ("Re :") and with an ASCII or full-width colon.  Only
# whole known words: "mm:" or "net:" are kernel subsystems, not markers.  Repeated, so
# "Re: Re: Aw:" goes in one match.  No nested ambiguity, so no catastrophic backtracking.
_REPLY_RE = re.compile(
    r"(?:(?:re|aw|antw|sv|vs|wg|tr|odp|fwd?|回复|答复|转发)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)

# b4's catch-all for a marker in a language we do not list: two or three letters and a colon
# directly in front of a "[" (as in "REP: [PATCH]").  A subsystem prefix is never followed by
# a bracket, so this does not eat "mm:"; letters only, so "v2:" or "6.1:" are left alone.
_FOREIGN_REPLY_RE = re.compile(r"[^\W\d_]{2,3}\s*[:：]\s*(?=\[)")

# One leading bracket group.  "[^]]*" cannot run past the first "]", so a nested group such
# as "[was Re: [PATCH 1/2]" is caught whole and cut down to its innermost part afterwards;
# an unclosed "[" matches nothing and stays in the title.
_GROUP_RE = re.compile(r"\[([^\]]*)\]\s*")

# "1 / 3" and "1 of 3" are counters too; joining them into "1/3" before splitting on
# whitespace keeps the two numbers together.
_COUNTER_GLUE_RE = re.compile(r"\s*/\s*|(?<=\d)\s+of\s+(?=\d)", re.IGNORECASE)

# Inside a group, tokens are separated by whitespace and by the commas (sometimes
# semicolons) that git format-patch --subject-prefix users type: "[PATCH net,v2, 1/3]".
_TOKEN_SPLIT_RE = re.compile(r"[\s,;]+")

# A version needs its "v": "v3", "V3", "v5.1", and "v4A" for an alternative take on v4.
# A bare "6.1" is a stable tree, not a version.
_VERSION_RE = re.compile(r"v(\d{1,4})(?:\.(\d{1,4})|([a-z]))?", re.IGNORECASE)

# An "n/m" counter, or "n/n" when the sender did not know the total yet.  At most four digits
# on each side, so a date or a path in a tag cannot pose as a counter.
_COUNTER_RE = re.compile(r"(\d{1,4})/(\d{1,4}|n)", re.IGNORECASE)

# A version or RESEND put after the title instead of in the brackets: "x (v2)", "x [V3]",
# "x (RESEND)".  Anchored at the end, and only tried when the title ends in ")" or "]".
_TRAILING_RE = re.compile(
    r"\s*[(\[]\s*(?:v(\d{1,4})(?:\.(\d{1,4}))?|(resend))\s*[)\]]$", re.IGNORECASE
)

# A version at the very end of a title with no bracket tag at all: the cover letter
# "add bvec initialization helpers v2" (git send-email with a hand-written cover).  Only
# tried when no PATCH tag and no bracket version were given, so "[PATCH] spi: add QSPI v2
# support" or "... controller v2" under a PATCH tag keep their title.
_BARE_TRAILING_RE = re.compile(r"\s+v(\d{1,2})$", re.IGNORECASE)

# Words that name the message kind; kept out of ``prefixes``.
_PATCH_WORDS = frozenset({"patch", "patches", "patchset", "patchv"})
# Misspellings of PATCH seen in the hv archive often enough ("[PATHC v2]" ten times) that
# a v2 would otherwise not be matched to its v1.
_PATCH_TYPOS = frozenset({"pathc", "ppatch", "fatch", "patcch", "pacth"})
_PULL_WORDS = frozenset({"pull", "git", "request", "req"})
_RESEND_WORDS = frozenset({"resend", "repost"})

# Bits of a group's summary (see _parse_group).
_PATCH, _RFC, _RESEND, _PULL, _KNOWN = 1, 2, 4, 8, 16


@dataclass(frozen=True)
class Subject:
    """A parsed subject.  ``title`` is what identifies the change across versions."""

    raw: str
    title: str
    reply: bool = False
    patch: bool = False
    rfc: bool = False
    resend: bool = False
    pull: bool = False
    version: int = 1
    revision: str = "1"
    counter: int | None = None
    total: int | None = None
    prefixes: tuple[str, ...] = ()
    #: the subject states a version (``v2`` in brackets, or after the title); a patch that
    #: states none takes its cover letter's
    versioned: bool = False

    @property
    def is_cover(self) -> bool:
        return self.counter == 0


def _skip_reply(s: str, pos: int = 0) -> int:
    """Where the subject continues after any reply markers at ``pos`` (``pos`` if none)."""
    m = _REPLY_RE.match(s, pos) or _FOREIGN_REPLY_RE.match(s, pos)
    return pos if m is None else m.end()


GroupInfo = tuple[int, Optional[str], Optional[int], Optional[int], bool, tuple[str, ...]]


def _parse_group(text: str) -> GroupInfo:
    """What one bracket group says: (flags, revision, counter, total, has_counter, prefixes).

    The flags are the ``_PATCH`` ... ``_KNOWN`` bits, ``_KNOWN`` meaning the group held at
    least one token we understood.  Memoised for ordinary groups; an odd long one is parsed
    afresh so that garbage subjects cannot fill the cache with big strings.
    """
    if len(text) <= 64:
        return _parse_group_cached(text)
    return _parse_group_uncached(text)


def _parse_group_uncached(text: str) -> GroupInfo:
    if "[" in text:
        # "[was Re: [PATCH 1/2]": only the innermost group is about this message.
        text = text[text.rindex("[") + 1 :]
    if "/" in text or " of " in text.lower():
        text = _COUNTER_GLUE_RE.sub("/", text)
    flags = 0
    revision: str | None = None
    counter: int | None = None
    total: int | None = None
    has_counter = False
    unknown: list[str] = []
    for tok in _TOKEN_SPLIT_RE.split(text):
        if not tok:
            continue
        low = tok.lower()
        # Glued forms: "PATCHv3", "PATCH1/8", "RFCv2", "PATCH-next".
        if low.startswith("patch"):
            flags |= _PATCH | _KNOWN
            if low in _PATCH_WORDS:
                continue
            rest = low[5:].lstrip("-_:")
            if not rest:
                continue
            low, tok = rest, tok[len(tok) - len(rest) :]
        elif low.startswith("rfc") and len(low) > 3:
            rest = low[3:].lstrip("-_:")
            if _VERSION_RE.fullmatch(rest):
                flags |= _RFC | _KNOWN
                low, tok = rest, tok[len(tok) - len(rest) :]
        if low in _PATCH_TYPOS:
            flags |= _PATCH | _KNOWN
            continue
        if low == "rfc":
            flags |= _RFC | _KNOWN
            continue
        if low in _RESEND_WORDS:
            flags |= _RESEND | _KNOWN
            continue
        if low in _PULL_WORDS and (low == "pull" or "pull" in text.lower().split()):
            flags |= _PULL | _KNOWN
            continue
        m = _VERSION_RE.fullmatch(tok)
        if m is not None and m.group(2) and len(m.group(2)) >= 2 and 3 <= int(m.group(1)) <= 9:
            # "v5.10", "v6.12": a kernel release (a stable backport), not the fifth revision
            unknown.append(tok)
            continue
        if m is not None:
            flags |= _KNOWN
            if revision is None:
                revision = _revision(m.group(1), m.group(2) or m.group(3))
            continue
        m = _COUNTER_RE.fullmatch(low)
        if m is not None:
            flags |= _PATCH | _KNOWN
            if not has_counter:
                has_counter = True
                counter = int(m.group(1))
                total = None if m.group(2) in ("n", "N") else int(m.group(2))
            continue
        unknown.append(tok)
    if not flags & _KNOWN:
        # "[bug report]", "[tip: timers/core]": a tag as written, not a bag of words.
        whole = " ".join(text.split())
        return 0, None, None, None, False, (whole,) if whole else ()
    return flags, revision, counter, total, has_counter, tuple(unknown)


_parse_group_cached = lru_cache(maxsize=8192)(_parse_group_uncached)


def _revision(major: str, minor: str | None) -> str:
    """The revision as we report it: "v05" gives "5", "v5.1" gives "5.1", "v4A" gives "4A"."""
    if minor is None:
        return str(int(major))
    return f"{int(major)}{minor}" if minor.isalpha() else f"{int(major)}.{minor}"


def _major(revision: str) -> int:
    return int(
        revision.split(".", 1)[0].rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    )


@lru_cache(maxsize=8192)
def parse_subject(subject: str) -> Subject:
    """Parse one subject line; never raises.  Cached: a thread's replies share a subject
    (a Subject is immutable)."""
    s = subject.strip()
    pos = _skip_reply(s)
    reply = pos > 0
    if not s.startswith("[", pos):
        # The common fast path: "Re: hv_netvsc: fix foo", "hv_netvsc: fix foo".
        return _finish(subject, s[pos:], reply, 0, None, None, None, ())

    flags = 0
    revision: str | None = None
    counter: int | None = None
    total: int | None = None
    has_counter = False
    prefixes: list[str] = []
    while True:
        m = _GROUP_RE.match(s, pos)
        if m is None:
            if flags & _KNOWN == 0 and prefixes:
                # Only tags so far ("[EXTERNAL] Re: [PATCH] x"): a reply marker here is
                # still in front of the subject proper.
                after = _skip_reply(s, pos)
                if after > pos:
                    reply = True
                    pos = after
                    continue
            break
        pos = m.end()
        gflags, grev, gcounter, gtotal, ghas, gprefixes = _parse_group(m.group(1))
        flags |= gflags
        if grev is not None and revision is None:
            revision = grev
        if ghas and not has_counter:
            has_counter, counter, total = True, gcounter, gtotal
        prefixes.extend(gprefixes)
    return _finish(subject, s[pos:], reply, flags, revision, counter, total, tuple(prefixes))


def _finish(
    raw: str,
    title: str,
    reply: bool,
    flags: int,
    revision: str | None,
    counter: int | None,
    total: int | None,
    prefixes: tuple[str, ...],
) -> Subject:
    title = title.strip()
    resend = bool(flags & _RESEND)
    if title.endswith((")", "]")):
        m = _TRAILING_RE.search(title)
        if m is not None:
            if m.group(3):
                resend = True
            elif revision is None:
                revision = _revision(m.group(1), m.group(2))
            title = title[: m.start()].rstrip()
    if revision is None and not flags & _PATCH and not reply and title[-1:].isdigit():
        m = _BARE_TRAILING_RE.search(title)
        if m is not None and m.start() > 0:
            revision = str(int(m.group(1)))
            title = title[: m.start()].rstrip()
    versioned = revision is not None
    if revision is None:
        revision, version = "1", 1
    else:
        version = _major(revision)
    return Subject(
        raw=raw,
        title=title,
        reply=reply,
        patch=bool(flags & _PATCH),
        rfc=bool(flags & _RFC),
        resend=resend,
        pull=bool(flags & _PULL),
        version=version,
        revision=revision,
        counter=counter,
        total=total,
        prefixes=prefixes,
        versioned=versioned,
    )
