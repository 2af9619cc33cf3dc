"""Message bodies: MIME decoding to text, the in-body header block, and splitting a patch.

A patch mail body reads: [in-body From:/Date:/Subject: block] commit message, ``---``,
notes, diffstat (ending in ``N files changed``), the diff, ``-- `` signature.  Cover letters
read: text, shortlog, diffstat, ``base-commit:``, signature.  This module finds those parts;
it does not interpret trailers (``trailers.py``) or subjects (``subject.py``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import quopri
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from .headers import clean_text, decoded, parse_address, parse_header_block, split_message, to_text

# Content-Type parameters, e.g. `text/plain; charset="utf-8"`
_CHARSET_RE = re.compile(r"""charset\s*=\s*"?([^";\s]+)""", re.I)
# the first line of a diff: git, GNU diff -u/-ur, or CVS/SVN `Index:`
_DIFF_START_RE = re.compile(
    r"^(?:diff --git |diff -[a-zA-Z]|Index: \S|--- \S[^\n]*\n\+\+\+ \S)", re.M
)
# what each of its alternatives starts with: the search is for these, by substring, and
# a line holding one is then matched (a regex scan of every line start took longer)
_DIFF_START_NEEDLES = ("diff -", "Index: ", "--- ")
# a unified diff's file pair header; alone it says "this body carries a diff"
_HAS_DIFF_RE = re.compile(
    r"^(?:diff --git \S|--- \S[^\n]*\n\+\+\+ \S[^\n]*\n@@ |Index: \S[^\n]*\n={10,})", re.M
)
# landmarks of a body, searched over the whole text (re.M) so that a long body costs no
# Python loop per line: the diffstat summary line git writes (` 3 files changed, 10
# insertions(+), 2 deletions(-)`; `[^\S\n]` is white space short of a line break), the
# signature separator, b4/format-patch base info, and the `---` before version notes
_DIFFSTAT_END_M_RE = re.compile(
    r"^ ?\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*$", re.M
)
_SIG_M_RE = re.compile(r"^-- ?$", re.M)
_SIG_OR_BASE_M_RE = re.compile(
    r"^(?:-- ?$|(?:base-commit|prerequisite-patch-id|prerequisite-change-id|change-id): )", re.M
)
_SEP_M_RE = re.compile(r"^--- ?$", re.M)
# a MIME boundary parameter; counting them bounds the nesting the stdlib parser must walk
_BOUNDARY_RE = re.compile(rb"boundary\s*=", re.I)
#: more multipart boundaries than this and a message is refused: the stdlib parser recurses
#: once per level and took 15 s to hit RecursionError on 1,000 nested parts
MAX_MIME_BOUNDARIES = 100
# control characters a printed body must not carry: NUL, ESC (terminal escape sequences),
# CR and the rest of C0 except tab and newline, and DEL
_BODY_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# in-body pseudo-headers at the very top of a body (git send-email, b4)
_INBODY_RE = re.compile(r"^(From|Date|Subject|Message-Id|Reply-To)\s*:\s*(.*)$", re.I)


class BodyError(ValueError):
    """A body we refuse to decode (too deeply nested MIME); the message is skipped."""


@dataclass(frozen=True)
class InBody:
    """The in-body header block: who really wrote the patch, when, under which subject."""

    from_name: str = ""
    from_addr: str = ""
    date: str = ""
    subject: str = ""
    #: number of leading lines the block (with its trailing blank line) occupies
    lines: int = 0


@dataclass(frozen=True)
class BodyParts:
    """A body cut at its landmarks; the parts concatenate back to the body (minus headers)."""

    #: the commit message / cover text, up to the ``---`` line (or the diffstat or diff)
    message: str
    #: text between ``---`` and the diffstat: version notes
    notes: str
    #: diffstat lines, ending with the ``N files changed`` line
    diffstat: str
    #: the diff itself
    diff: str
    #: what follows ``-- `` (and base-commit lines)
    signature: str


class _HTMLText(HTMLParser):
    """HTML to plain text for HTML-only mail: text nodes only, scripts and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    p = _HTMLText()
    try:
        p.feed(markup)
        p.close()
    except Exception:  # noqa: BLE001 -- HTMLParser raises on pathological input; keep what it got
        pass
    text = "".join(p.out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _simple_payload(body: bytes, cte: str) -> bytes:
    cte = cte.strip().lower()
    if cte == "base64":
        try:
            return base64.b64decode(body + b"=" * (-len(body.strip()) % 4), validate=False)
        except (binascii.Error, ValueError):
            return body
    if cte == "quoted-printable":
        return quopri.decodestring(body)
    return body


#: content types of a patch sent as an attachment
_PATCH_TYPES = ("text/x-patch", "text/x-diff", "text/patch", "text/diff", "application/x-patch")


#: Content-Type/Disposition parameters the fast multipart reader understands
_PARAM_RE = re.compile(
    r"""(?:^|;)\s*([a-z0-9_.*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s"]*))""", re.I
)
_PART_FIELDS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})


def _params(value: str) -> dict | None:
    """Lower-cased parameter names to values; None for what the stdlib must read (RFC 2231
    ``name*=`` forms, non-ASCII)."""
    if "*" in value or not value.isascii():
        return None
    out: dict[str, str] = {}
    for m in _PARAM_RE.finditer(value.split(";", 1)[1] if ";" in value else ""):
        out.setdefault(
            m.group(1).lower(),
            m.group(2).replace('\\"', '"') if m.group(2) is not None else m.group(3),
        )
    return out


def _fast_leaves(body: bytes, boundary: bytes, leaves: list, depth: int) -> bool:
    """Split a multipart body at its boundary into leaf parts (type, params, disposition,
    payload), recursing into nested multiparts.  False for anything the stdlib should read:
    a missing close delimiter, message/* parts, odd encodings, deep nesting."""
    if depth > 8 or not boundary:
        return False
    delim = b"--" + boundary
    starts: list[tuple[int, int | None]] = []
    pos = 0 if body.startswith(delim) else body.find(b"\n" + delim)
    closed = False
    while pos >= 0:
        at = pos if (pos == 0 and body.startswith(delim)) else pos + 1
        eol = body.find(b"\n", at)
        line = body[at : eol if eol >= 0 else len(body)].rstrip(b"\r")
        rest = line[len(delim) :]
        if rest.startswith(b"--"):
            starts.append((at, None))
            closed = True
            break
        if not rest.strip(b" \t"):
            starts.append((at, eol + 1 if eol >= 0 else len(body)))
        pos = body.find(b"\n" + delim, at + 1)
    if not closed or len(starts) < 2:
        return False
    for (_, begin), (end_at, _) in zip(starts, starts[1:]):
        if begin is None:
            return False
        part = body[begin : end_at - 1] if end_at > begin else b""
        if part.endswith(b"\r"):
            part = part[:-1]
        if part.startswith((b"\n", b"\r\n")):
            head, content = b"", part[1:] if part[:1] == b"\n" else part[2:]
        else:
            head, content = split_message(part)
        h = parse_header_block(head, _PART_FIELDS)
        ctv = (h.get("content-type") or ["text/plain"])[0]
        ctype = ctv.split(";", 1)[0].strip().lower()
        if ctype.count("/") != 1:
            ctype = "text/plain"
        params = _params(ctv)
        disp = (h.get("content-disposition") or [""])[0]
        dparams = _params(disp)
        if params is None or dparams is None or ctype.startswith("message/"):
            return False
        if ctype.startswith("multipart/"):
            if not _fast_leaves(
                content,
                (params.get("boundary") or "").encode("ascii", "replace"),
                leaves,
                depth + 1,
            ):
                return False
            continue
        cte = (h.get("content-transfer-encoding") or [""])[0].strip().lower()
        if cte not in ("", "7bit", "8bit", "binary", "base64", "quoted-printable"):
            return False
        leaves.append((ctype, params, disp, dparams, _simple_payload(content, cte)))
        if len(leaves) > 150:
            return False
    return True


def _fast_mime_text(body: bytes, content_type: str) -> str | None:
    """``_mime_text`` for the multiparts list mail carries (text + HTML alternatives, patch
    attachments), without the stdlib's parser; None when the stdlib must read it."""
    params = _params(content_type)
    if (
        params is None
        or not content_type.lower().lstrip().startswith("multipart/")
        or "digest" in content_type.lower()
    ):
        return None
    leaves: list = []
    if not _fast_leaves(body, (params.get("boundary") or "").encode("ascii", "replace"), leaves, 0):
        return None
    return _leaves_text(
        (
            ctype,
            dp.get("filename") or p.get("name") or "",
            (p.get("charset") or "").lower() or None,
            disp,
            payload,
        )
        for ctype, p, disp, dp, payload in leaves
    )


def _leaves_text(leaves) -> str:
    """The text of a message's leaf parts, each (type, file name, charset, disposition,
    payload): its text/plain parts and patch attachments, else its HTML as text."""
    texts: list[str] = []
    htmls: list[str] = []
    for ctype, name, charset, disp, payload in leaves:
        patch = ctype in _PATCH_TYPES or (
            ctype in ("application/octet-stream", "text/plain")
            and name.endswith((".patch", ".diff"))
        )
        if ctype == "text/plain" or patch:
            if ctype == "text/plain" and disp.lower().startswith("attachment") and not patch:
                continue
            texts.append(to_text(payload, charset))
        elif ctype == "text/html":
            htmls.append(to_text(payload, charset))
    if texts:
        return "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)
    if htmls:
        return html_to_text("\n".join(htmls))
    return ""


def _mime_text(raw: bytes) -> str:
    """Text of a multipart (or otherwise complex) message via the stdlib parser."""
    boundaries = 0
    for _ in _BOUNDARY_RE.finditer(raw):
        boundaries += 1
        if boundaries > MAX_MIME_BOUNDARIES:
            raise BodyError(f"more than {MAX_MIME_BOUNDARIES} nested MIME multiparts")
    import email  # here, not at the top: start-up (the stdlib parser is the rare slow path)
    import email.policy

    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    leaves = []
    for n, part in enumerate(msg.walk()):
        if n >= 200:
            break
        if part.is_multipart():
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001 -- a broken part encoding: take it undecoded
            payload = str(part.get_payload()).encode("utf-8", "replace")
        # str(): compat32 hands back a Header object when the value holds 8-bit bytes
        disp = str(part.get("Content-Disposition") or "")
        try:
            name = part.get_filename() or ""
        except Exception:  # noqa: BLE001 -- a malformed RFC 2231 file name: no name
            name = ""
        leaves.append(
            (part.get_content_type(), str(name), part.get_content_charset(), disp, payload)
        )
    return _leaves_text(leaves)


@functools.lru_cache(maxsize=1024)
def _content_kind(ctype: str) -> tuple[str, str | None]:
    """What a Content-Type value says: its kind (multipart, message, html, text) and the
    charset parameter.  Cached: a list's mail carries a few hundred distinct values."""
    low = ctype.lower()
    m = _CHARSET_RE.search(ctype)
    charset = m.group(1) if m else None
    if low.startswith("multipart/"):
        return "multipart", charset
    if low.startswith("message/"):
        return "message", charset
    return ("html" if low.startswith("text/html") else "text"), charset


def decode_body(raw: bytes, body: bytes, content_type: str | None, cte: str | None) -> str:
    """The readable text of a message: text/plain parts and patch attachments, decoded.

    Single-part text mail (nearly all list mail) is decoded here directly; anything
    multipart goes through the stdlib parser.
    """
    ctype = (content_type or "text/plain").strip()
    kind, charset = _content_kind(ctype) if len(ctype) <= 200 else _content_kind.__wrapped__(ctype)
    if kind == "multipart":
        fast = _fast_mime_text(body, ctype)
        return fast if fast is not None else _mime_text(raw)
    if kind == "message":
        return _mime_text(raw)
    payload = _simple_payload(body, cte or "")
    text = to_text(payload, charset)
    if kind == "html":
        return html_to_text(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text


def parse_inbody(text: str) -> InBody:
    """Read the in-body header block (``From:``, ``Date:``, ``Subject:``) at the top of a body."""
    # most bodies have none: look at the first non-blank line (after at most three blank
    # ones) before splitting anything
    pos = 0
    for _ in range(4):
        nl = text.find("\n", pos)
        line = text[pos:] if nl < 0 else text[pos:nl]
        if line.strip() or nl < 0:
            break
        pos = nl + 1
    if not _INBODY_RE.match(line):
        return InBody()
    lines = text.split("\n", 12)
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i].strip() and i < 3:
        i += 1
    start = i
    while i < len(lines):
        m = _INBODY_RE.match(lines[i])
        if not m:
            break
        fields.setdefault(m.group(1).lower(), m.group(2))
        i += 1
    if i == start or ("from" not in fields and "subject" not in fields and "date" not in fields):
        return InBody()
    # the block must end with a blank line (or the end of the body), else it is prose
    if i < len(lines) and lines[i].strip():
        return InBody()
    name, addr = parse_address(fields.get("from", ""))
    if "from" in fields and "@" not in addr:
        name, addr = "", ""
    return InBody(
        from_name=name,
        from_addr=addr,
        date=clean_text(fields.get("date", "")),
        subject=decoded(fields.get("subject", "")),
        lines=i + (1 if i < len(lines) else 0),
    )


def strip_inbody(text: str) -> str:
    """The body without its in-body header block."""
    ib = parse_inbody(text)
    if not ib.lines:
        return text
    return "\n".join(text.split("\n")[ib.lines :])


def has_diff(text: str) -> bool:
    """Whether the body carries a diff at the start of a line (quoted ``>`` diffs do not count)."""
    if text.startswith("diff --git ") or "\ndiff --git " in text:
        return True
    if "\n+++ " not in text and "Index: " not in text:
        return False
    return _HAS_DIFF_RE.search(text) is not None


def _line_no(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _joined(lines: list[str], starts: list[int], text: str, a: int, b: int) -> str:
    """``"\n".join(lines[a:b])``, cut from ``text`` instead of joined again."""
    n = len(lines)
    a, b = max(0, min(a, n)), max(0, min(b, n))
    if b <= a:
        return ""
    return text[starts[a] : starts[b] - 1] if b < n else text[starts[a] :]


def _starts(lines: list[str]) -> list[int]:
    out = [0] * len(lines)
    pos = 0
    for i, line in enumerate(lines):
        out[i] = pos
        pos += len(line) + 1
    return out


def split_body(text: str) -> BodyParts:
    """Cut a (decoded, in-body headers stripped) body at ``---``, diffstat, diff and signature.

    Landmarks are found by whole-text searches (a hostile body of millions of lines costs
    C time, not a Python loop per line)."""
    lines = text.split("\n")
    n = len(lines)
    starts = _starts(lines)
    at = diff_start(text)
    diff_at = _line_no(text, at) if at >= 0 else None
    diff_off = at if at >= 0 else len(text)
    # the end of the useful text: the signature or base-commit line, whichever is first
    sm = _SIG_OR_BASE_M_RE.search(text, 0, diff_off)
    sig_at = _line_no(text, sm.start()) if sm is not None else n
    if diff_at is not None:
        # a signature after the diff
        am = _SIG_M_RE.search(text, diff_off)
        if am is not None:
            sig_at = _line_no(text, am.start())
        text_end = diff_at
    else:
        text_end = sig_at
    # the diffstat: the last `N files changed` line before text_end and the file lines above it
    stat_end = None
    last = _last_diffstat_end(text, starts[text_end] if text_end < n else len(text))
    if last is not None:
        stat_end = _line_no(text, last.start())
    stat_start = None
    if stat_end is not None:
        stat_start = stat_end
        while (
            stat_start > 0
            and "|" in lines[stat_start - 1]
            and lines[stat_start - 1].startswith(" ")
        ):
            stat_start -= 1
    # the --- separator between commit message and notes
    limit = stat_start if stat_start is not None else min(text_end, n)
    pm = _SEP_M_RE.search(text, 0, starts[limit] if limit < n else len(text))
    sep = _line_no(text, pm.start()) if pm is not None else None
    msg_end = sep if sep is not None else limit
    message = _joined(lines, starts, text, 0, msg_end)
    notes = _joined(lines, starts, text, sep + 1, limit) if sep is not None else ""
    diffstat = (
        _joined(lines, starts, text, stat_start, stat_end + 1)
        if stat_start is not None and stat_end is not None
        else ""
    )
    if diff_at is not None:
        diff = _joined(lines, starts, text, diff_at, sig_at if sig_at > diff_at else n)
    else:
        diff = ""
    signature = _joined(lines, starts, text, sig_at, n) if sig_at < n else ""
    return BodyParts(
        message=message, notes=notes, diffstat=diffstat, diff=diff, signature=signature
    )


def diff_start(text: str) -> int:
    """Where the body's diff begins (``split_body``'s diff with what follows it runs from
    here), or -1 without a diff: all a reader of the diff's file headers needs, found at the
    cost of one search."""
    last = _LAST_DIFF_START
    if last[0] is text:  # the index asks twice of each patch (its paths, then its head)
        return last[1]
    best = len(text)
    for needle in _DIFF_START_NEEDLES:
        at = 0 if text.startswith(needle) else _line_after(text.find("\n" + needle, 0, best))
        while 0 <= at < best:
            if _DIFF_START_RE.match(text, at) is not None:
                best = at
                break
            at = _line_after(text.find("\n" + needle, at, best))
    found = best if best < len(text) else -1
    _remember_diff_start(text, found)
    return found


#: the last body ``diff_start`` read and its answer (one tuple, replaced whole)
_LAST_DIFF_START: tuple[str | None, int] = (None, -1)


def _remember_diff_start(text: str, at: int) -> None:
    global _LAST_DIFF_START
    _LAST_DIFF_START = (text, at)


def _line_after(newline: int) -> int:
    """The start of the line after the line break at ``newline`` (-1: none found)."""
    return newline + 1 if newline >= 0 else -1


def patch_parts(text: str, diff_at: int | None = None) -> tuple[str, str]:
    """The diffstat and the diff of a body, cut exactly as ``split_body`` cuts them, from the
    same landmarks but without splitting the body into lines (the index reads every patch's
    touched paths from these two, so this costs C time only).  ``diff_at``: ``diff_start``'s
    answer, when the caller has it."""
    if diff_at is None:
        diff_at = diff_start(text)
    if diff_at >= 0:
        end = diff_at
        am = _SIG_M_RE.search(text, end)
        diff = text[end : am.start() - 1] if am is not None else text[end:]
    else:
        sm = _SIG_OR_BASE_M_RE.search(text)
        end = sm.start() if sm is not None else len(text)
        diff = ""
    last = _last_diffstat_end(text, end)
    if last is None:
        return "", diff
    start = last.start()
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        line = text[prev : start - 1]
        if "|" not in line or not line.startswith(" "):
            break
        start = prev
    return text[start : last.end()], diff


def _last_diffstat_end(text: str, end: int) -> re.Match[str] | None:
    """The last diffstat summary line before ``end``: its " changed" found from the end by
    substring search, each candidate's line then matched (a regex scan of every line start
    cost more than the rest of reading the paths)."""
    at = end
    while True:
        at = text.rfind(" changed", 0, at)
        if at < 0:
            return None
        start = text.rfind("\n", 0, at) + 1
        stop = text.find("\n", at)
        m = _DIFFSTAT_END_M_RE.match(text, start, stop if 0 <= stop <= end else end)
        if m is not None:
            return m
        at = start


def body_head(text: str) -> str:
    """What the digest ever reads of a patch posting's body: everything before its diff and
    the diff's first two lines (enough for every landmark search to find the diff where it
    is).  The digest text, notes, changelog, links and change-id are the same read from here
    as from the whole body; a whole-archive run then holds ~1/5 of the patch text."""
    at = diff_start(text)
    if at < 0:
        return text
    end = text.find("\n", at)
    if end >= 0:
        end = text.find("\n", end + 1)
    return text if end < 0 else text[:end]


def digest_text(text: str) -> str:
    """What the digest prints of a body: everything up to and including the diffstat's
    ``N files changed`` line; never the diff, the ``-- `` signature or ``base-commit:`` lines."""
    text = strip_inbody(text)
    end = len(text)
    at = diff_start(text)
    if at >= 0:
        end = at
    sm = _SIG_OR_BASE_M_RE.search(text, 0, end)
    if sm is not None:
        end = sm.start()
    last = _last_diffstat_end(text, end)
    if last is not None:
        end = last.end()
    chunk = text[:end]
    # drop trailing blank lines, keep the last line's own trailing blanks
    kept = chunk.rstrip()
    if not kept:
        return ""
    nl = chunk.find("\n", len(kept))
    return _BODY_CTRL_RE.sub("", chunk[: nl if nl >= 0 else len(chunk)])
