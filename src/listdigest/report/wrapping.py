"""Line wrapping for the lines the text and Markdown digests compose (list items, the
patch list, ``Versions:``, review lines).

Only white space is ever changed: a line is broken at a run of spaces, never inside a word,
so a subject or an address comes out whole, its continuation indented under the item.  A
word longer than the width (an archive link) stands alone on its line.  Quoted bodies and
changelogs are not passed through here: they are printed as their authors wrote them.
"""

from __future__ import annotations

import re

#: joins the words of a unit the wrapper must not break (a person's name and address): a
#: private-use character (not white space to ``re``, unlike the ASCII separators), made a
#: space again in the wrapped line
KEEP = "\ue000"

# a word and the run of spaces before it
_WORD_RE = re.compile(r"( *)(\S+)")

# Markdown: a continuation line starting with one of these would open a block (a list item,
# a thematic break or setext underline, a heading, a quote, a fence, a table row), so a
# line is never broken right before such a word
_MD_BLOCK_START_RE = re.compile(r"[-+*=_#>|~`]|\d{1,9}[.)]$")


# white space other than a space: a line holding any takes ``wrap``'s general loop
_OTHER_SPACE_RE = re.compile(r"[^\S ]")

# a list item's marker alone, with the indentation before it
_MARKER_RE = re.compile(r" *(?:[-+*]|\d{1,9}[.)])")

# a Markdown link's destination as the renderer writes it: "](<URL>)" (a URL has no ">")
_MD_DEST_RE = re.compile(r"\]\(<[^>]*>\)")


def wrap(line: str, width: int, indent: int | str = 4, markdown: bool = False) -> str:
    """``line`` broken at spaces so no piece passes ``width`` columns (0: not broken);
    continuation lines start with ``indent`` (a number of spaces, or the string itself).
    Trailing spaces (a Markdown hard break) stay at the end of the last piece.

    In Markdown a link's destination ``(<URL>)`` cannot be broken and is not counted: the
    text around it is wrapped as if it were not there, and a line ends after it, so a line
    holds at most one URL, at its end."""
    if width <= 0 or len(line) <= width or "\n" in line:
        return line.replace(KEEP, " ")
    pad = " " * indent if isinstance(indent, int) else indent
    body = line.rstrip(" ")
    trailing = line[len(body) :]
    if not markdown and _OTHER_SPACE_RE.search(body) is None:
        return _wrap_plain(body, width, pad).replace(KEEP, " ") + trailing
    return _wrap_words(body, width, pad, markdown).replace(KEEP, " ") + trailing


def _wrap_words(body: str, width: int, pad: str, markdown: bool) -> str:
    """``wrap``'s general loop, word by word (any white space, Markdown's rules)."""
    out: list[str] = []
    # the piece being filled: its parts, columns and words (one pass, no re-scanning of it:
    # a whole-archive digest wraps ~19,000 lines)
    parts: list[str] = []
    cols = words = 0
    after_url = False
    for m in _WORD_RE.finditer(body):
        sep, word = m.group(1), m.group(2)
        wide = len(_MD_DEST_RE.sub("]", word)) if markdown and "](<" in word else len(word)
        full = after_url or cols + len(sep) + wide > width
        # never right after a list item's marker: the item would be left empty
        may_break = words > 1 or (words == 1 and not _MARKER_RE.fullmatch("".join(parts)))
        if markdown and may_break and _MD_BLOCK_START_RE.match(word):
            may_break = False
        if full and may_break:
            out.append("".join(parts))
            parts, cols, words = [pad, word], len(pad) + wide, 1
        else:
            parts += (sep, word)
            cols += len(sep) + wide
            words += 1
        after_url = markdown and "](<" in word and _MD_DEST_RE.search(word) is not None
    out.append("".join(parts))
    return "\n".join(out)


def _wrap_plain(body: str, width: int, pad: str) -> str:
    """``wrap`` of a plain line whose only white space is spaces, piece by piece: each
    piece's last break is found by ``rfind`` (``wrap``'s loop visits every word; a
    whole-archive digest has ~7,000 lines to break).  The same pieces as that loop."""
    n = len(body)
    out: list[str] = []
    prefix, p = "", 0
    while True:
        limit = p + width - len(prefix)
        if n <= limit:
            out.append(prefix + body[p:])
            break
        # the words the piece takes whatever the width: its first (the first piece's with
        # the spaces before it), and the next one too when the first is a list marker (one
        # ends in one of "-+*.)": the pattern is tried only then)
        forced = _word_end(body, p)
        if body[forced - 1] in "-+*.)" and _MARKER_RE.fullmatch(prefix + body[p:forced]):
            forced = _word_end(body, forced)
        # the last word ending at or before the limit
        if body[limit] == " ":
            q = limit
        else:
            q = body.rfind(" ", p, limit)
            q = p if q < 0 else q
        while q > p and body[q - 1] == " ":
            q -= 1
        q = max(q, forced)
        out.append(prefix + body[p:q])
        # the next piece starts at the next word
        while q < n and body[q] == " ":
            q += 1
        if q >= n:
            break
        prefix, p = pad, q
    return "\n".join(out)


def _word_end(body: str, at: int) -> int:
    """Where the first word at or after ``at`` (past any spaces) ends."""
    n = len(body)
    while at < n and body[at] == " ":
        at += 1
    end = body.find(" ", at)
    return n if end < 0 else end


def keep(text: str) -> str:
    """``text`` as one unit for ``wrap``: never broken, moved whole to the next line."""
    return str(text).replace(" ", KEEP)
