"""Header parsing on raw bytes: split head from body, unfold, RFC 2047-decode, addresses, dates.

Hand-written for speed (the stdlib ``email`` package parses ~700 msg/s with policy.default);
``tests/message/test_headers.py`` holds it equal to the stdlib on real mail.  Body decoding
lives in ``body.py``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import quopri
import re
from dataclasses import dataclass

from ..timeparse import parse_mail_date as parse_date

# a new header field starts at a line that does not begin with white space (RFC 5322 folding)
_FIELD_SPLIT_RE = re.compile(rb"\r?\n(?![ \t])")
# a field name: printable ASCII other than ':'
_NAME_RE = re.compile(rb"^[!-9;-~]+$")
# a fold: the line break before continuation white space, removed on unfolding
_FOLD_RE = re.compile(rb"\r?\n(?=[ \t])")
# RFC 2047 encoded word: =?charset?B|Q?text?=  (charset may carry an RFC 2231 *lang suffix)
_EWORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# whitespace between two encoded words is dropped on decoding (RFC 2047 section 6.2)
_EWORD_GAP_RE = re.compile(
    r"(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)[ \t\r\n]+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)"
)
# a Message-ID token: anything between angle brackets, no whitespace, control characters
# (a NUL or ESC inside an id would reach links and output) or nested brackets
_MSGID_RE = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")
_WS_RE = re.compile(r"\s+")
# the common address forms, `Name <a@b>`, `"Name, Jr." <a@b>`, `<a@b>`; anything else
# (comments, groups, several addresses) goes to the stdlib parser; an address holding a
# control character (NUL, ESC) is not simple either: the slow path cleans it
_SIMPLE_ADDR_RE = re.compile(
    r'^[ \t]*(?:"((?:[^"\\\r\n]|\\.)*)"|([^"<>,;:()\\@\r\n]*?))[ \t]*<([^<>\s"(),;:@\x00-\x1f\x7f]+@[^<>\s"(),;:@\x00-\x1f\x7f]+)>[ \t]*$'
)
# CR/LF and other control characters never survive into a decoded header value
_CTRL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _block_start(raw: bytes) -> tuple[int, int | None]:
    """Where the header block starts (after a leading mbox ``From `` line, which is
    dropped) and, when there is no block (a blank line first, or nothing after the
    ``From `` line), where the body starts; else None."""
    start = 0
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        if nl < 0:
            return len(raw), len(raw)
        start = nl + 1
    if raw.startswith(b"\n", start):
        return start, start + 1
    if raw.startswith(b"\r\n", start):
        return start, start + 2
    return start, None


def split_message(raw: bytes) -> tuple[bytes, bytes]:
    """Split raw mail into (header block, body).  A leading mbox ``From `` line is dropped."""
    start, body = _block_start(raw)
    if body is not None:
        return b"", raw[body:]
    raw = raw[start:]
    lf = raw.find(b"\n\n")
    # a CRLF blank line matters only before the first LF one, and only when a CR is there
    # at all (a one-byte memchr): never scan a long body twice
    end = lf + 3 if lf >= 0 else len(raw)
    crlf = raw.find(b"\r\n\r\n", 0, end) if raw.find(b"\r", 0, end) >= 0 else -1
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return raw[:crlf], raw[crlf + 4 :]
    if lf >= 0:
        # "\r\n\n" (mixed endings) ends the block as well
        return raw[:lf].rstrip(b"\r"), raw[lf + 2 :]
    return raw, b""


def to_text(data: bytes, charset: str | None = None) -> str:
    """Decode bytes as ``charset``, else UTF-8, else Windows-1252 (undeclared 8-bit mail)."""
    if charset:
        try:
            codec = lookup_charset(charset)
        except LookupError:
            codec = None
        if codec is not None:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                # a wrong declaration (latin-1 bytes labelled utf-8): fall through to guessing,
                # unless the declared charset is a multi-byte one we cannot guess
                if codec not in ("utf-8", "ascii", "cp1252"):
                    try:
                        return data.decode(codec, "replace")
                    except UnicodeError:
                        pass  # a codec such as idna that refuses "replace"
            except (UnicodeError, LookupError):
                # idna and friends raise plain UnicodeError; rot13, base64, uu, zlib and the
                # like are codecs but no text encodings (LookupError on decode)
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


@functools.lru_cache(maxsize=256)
def lookup_charset(charset: str) -> str:
    """Normalise a MIME charset name to a codec name; raises LookupError for unknown ones."""
    cs = charset.strip().strip('"').split("*", 1)[0].lower()
    if cs in ("us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "8bit", "default"):
        return "utf-8"
    if cs in ("iso-8859-1", "latin1", "latin-1"):
        return "cp1252"  # what mail clients really mean by it
    if cs == "gb2312":
        return "gb18030"
    try:
        return codecs.lookup(cs).name
    except (ValueError, UnicodeError) as exc:
        # codecs.lookup raises ValueError on a NUL and UnicodeError on unencodable names
        raise LookupError(f"unknown encoding: {cs!r}") from exc


#: the header fields the digest reads; parse_header_block skips the rest (DKIM, ARC, …)
DIGEST_FIELDS = frozenset(
    {
        "message-id",
        "subject",
        "from",
        "date",
        "in-reply-to",
        "references",
        "received",
        "content-type",
        "content-transfer-encoding",
        "x-original-from",
        "reply-to",
    }
)


#: a header's value with its continuation lines (those starting with white space)
_VALUE = rb"[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)"
#: Received: fields wanted, topmost first (later hops say nothing of when the archive got it)
_RECEIVED_KEPT = 3


@dataclass(frozen=True)
class _HeadScan:
    #: a wanted field (not Received) after a line break, or the blank line ending the block
    fields: re.Pattern[bytes]
    #: a wanted field (Received too) on the block's first line
    first: re.Pattern[bytes]
    received: re.Pattern[bytes] | None


def _names(names) -> bytes:
    # each name as two alternatives, its first letter in either case, the rest ignoring case:
    # a branch that starts with a plain literal is skipped by one byte compare, where a
    # case-ignoring one is tried in full (measured: 11.6 against 16.4 us per message)
    alts = []
    for n in sorted(names):
        rest = re.escape(n[1:]).encode("ascii")
        for c in sorted({n[0].upper(), n[0].lower()}):
            alts.append(re.escape(c).encode("ascii") + b"(?i:" + rest + b")")
    return b"|".join(alts) or b"(?!)"


@functools.lru_cache(maxsize=16)
def _head_scan(wanted: frozenset) -> _HeadScan:
    # One C-level scan of the raw bytes finds the wanted fields and the end of the block:
    # no search for the blank line first, no lower-cased or decoded copy of the block.  The
    # literal "\n" in front lets the regex engine jump from line to line instead of trying
    # every position; the blank line is the last alternative.  Received (a dozen per
    # message, three wanted) gets its own scan that stops.
    fields = re.compile(rb"\n(?:(" + _names(wanted - {"received"}) + rb")" + _VALUE + rb"|\r?\n)")
    first = re.compile(rb"(" + _names(wanted) + rb")" + _VALUE)
    received = (
        re.compile(rb"\n(?:" + _names({"received"}) + rb")" + _VALUE)
        if "received" in wanted
        else None
    )
    return _HeadScan(fields, first, received)


# what bytes.strip() removes: ASCII white space only (str.strip() would also eat NBSP & co.)
_ASCII_WS = b" \t\n\r\x0b\x0c"


def _value(raw: bytes) -> str:
    """A field's value unfolded (every line break inside it is a fold) and decoded."""
    if b"\n" in raw:
        raw = raw.replace(b"\r\n", b"").replace(b"\n", b"")
    raw = raw.strip(_ASCII_WS)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return to_text(raw)


#: field names as written, to the lower-case key they are filed under
_KEYS: dict[bytes, str] = {}


def _scan_head(raw: bytes, start: int, wanted: frozenset) -> tuple[dict[str, list[str]], int, int]:
    """The wanted fields of the header block at ``raw[start:]``, where the block ends (its
    blank line, else the end of ``raw``) and where the body starts."""
    scan = _head_scan(wanted)
    headers: dict[str, list[str]] = {}
    received: list[str] = []
    m = scan.first.match(raw, start)
    if m is not None:
        name = m.group(1).lower().decode("ascii")
        (received if name == "received" else headers.setdefault(name, [])).append(
            _value(m.group(2))
        )
    end = body = len(raw)
    keys = _KEYS
    for m in scan.fields.finditer(raw, start):
        name_b = m.group(1)
        if name_b is None:
            end, body = m.start(), m.end()
            break
        name = keys.get(name_b)
        if name is None:
            name = name_b.lower().decode("ascii")
            if len(keys) < 256:  # hostile mail could spell a name in a million cases
                keys[name_b] = name
        values = headers.get(name)
        if values is None:
            headers[name] = [_value(m.group(2))]
        else:
            values.append(_value(m.group(2)))
    if scan.received is not None:
        if len(received) < _RECEIVED_KEPT:
            for m in scan.received.finditer(raw, start, end):
                received.append(_value(m.group(1)))
                if len(received) == _RECEIVED_KEPT:
                    break
        if received:
            headers["received"] = received
    return headers, end, body


def read_head(raw: bytes, wanted: frozenset) -> tuple[dict[str, list[str]], bytes]:
    """``split_message`` and ``parse_header_block(head, wanted)`` in one pass over the
    header block: (the wanted fields, the body).  The block ends at the first blank line,
    whatever its line ending (``\\n\\n``, ``\\r\\n\\r\\n``, or mixed)."""
    start, body = _block_start(raw)
    if body is None:
        headers, _, body = _scan_head(raw, start, wanted)
        return headers, raw[body:]
    return {}, raw[body:]


def parse_header_block(head: bytes, wanted: frozenset | None = None) -> dict[str, list[str]]:
    """Unfold the header block into ``{lower-case name: [raw values in order]}``.

    Values are undecoded text (RFC 2047 words intact); folding CRLF+WSP becomes the WSP.
    With ``wanted``, other fields are skipped without being looked at.
    """
    if wanted is not None:
        return _scan_head(head, 0, wanted)[0]
    headers: dict[str, list[str]] = {}
    for field in _FIELD_SPLIT_RE.split(head):
        colon = field.find(b":")
        if colon <= 0:
            continue  # garbage line (or an mbox From_ line inside): skip it
        name_b = field[:colon].rstrip(b" \t")
        if not _NAME_RE.match(name_b):
            continue
        value = field[colon + 1 :]
        if b"\n" in value:
            value = _FOLD_RE.sub(b"", value)
        headers.setdefault(name_b.decode("ascii").lower(), []).append(to_text(value.strip()))
    return headers


def _decode_word(charset: str, enc: str, text: str) -> bytes:
    if enc in "bB":
        text = text + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=False)


def decode_rfc2047(value: str) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset are joined before decoding."""
    if "=?" not in value:
        return value
    value = _EWORD_GAP_RE.sub(r"\1", value)
    out: list[str] = []
    pos = 0
    pending: list[bytes] = []
    pending_cs = None

    def flush_pending() -> None:
        nonlocal pending, pending_cs
        if pending:
            out.append(to_text(b"".join(pending), pending_cs))
        pending, pending_cs = [], None

    for m in _EWORD_RE.finditer(value):
        if m.start() > pos:
            flush_pending()
            out.append(value[pos : m.start()])
        cs = m.group(1)
        if pending and cs.lower() != (pending_cs or "").lower():
            flush_pending()
        pending_cs = cs
        pending.append(_decode_word(cs, m.group(2), m.group(3)))
        pos = m.end()
    flush_pending()
    out.append(value[pos:])
    return "".join(out)


def clean_text(value: str) -> str:
    """A decoded header value on one line: no control characters, whitespace collapsed."""
    if value.isprintable() and "  " not in value:
        # nothing to replace: printable text holds no white space but " " and no controls
        return value.strip()
    return _WS_RE.sub(" ", _CTRL_RE.sub(" ", value)).strip()


def decoded(value: str | None) -> str:
    """RFC 2047-decode and clean one header value (e.g. Subject)."""
    if value is None:
        return ""
    return clean_text(decode_rfc2047(value))


def parse_address(value: str | None) -> tuple[str, str]:
    """(display name, address) of a single-address header; the name is RFC 2047-decoded."""
    if not value:
        return "", ""
    # cached: a list hears from the same people again and again (linux-hyperv: 1,238
    # distinct From values in 26,430 messages); long odd values are not kept
    return _parse_address_cached(value) if len(value) <= 256 else _parse_address(value)


def _parse_address(value: str) -> tuple[str, str]:
    m = _SIMPLE_ADDR_RE.match(value)
    if m is not None:
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(1) is not None:
            name = name.replace('\\"', '"').replace("\\\\", "\\")
        return decoded(name), m.group(3)
    from email.utils import parseaddr  # only here, the slow path: email.utils costs start-up

    try:
        name, addr = parseaddr(clean_text(value))
    except RecursionError:
        # the stdlib recurses once per ':' group; hostile "a: b: c: …" values exhaust the stack
        return decoded(value), ""
    if not addr and "@" not in value:
        return decoded(value), ""
    name = decoded(name)
    addr = clean_text(addr)
    if not name and not addr:
        return decoded(value), ""
    return name, addr


_parse_address_cached = functools.lru_cache(maxsize=4096)(_parse_address)


def parse_addresses(values: list[str]) -> list[tuple[str, str]]:
    """All (name, address) pairs of address-list headers such as To and Cc."""
    from email.utils import getaddresses

    try:
        pairs = getaddresses([clean_text(v) for v in values])
    except RecursionError:  # see parse_address
        return []
    return [(decoded(n), a) for n, a in pairs if a]


def msgids(value: str | None) -> list[str]:
    """Every ``<id>`` token of a header value, in order, without the brackets."""
    if not value:
        return []
    return _MSGID_RE.findall(value)


def first_msgid(value: str | None) -> str | None:
    """The first Message-ID in a header; a bare id without brackets is accepted too."""
    if not value:
        return None
    ids = msgids(value)
    if ids:
        return ids[0]
    bare = value.strip().split()
    if len(bare) == 1 and "@" in bare[0] and not _CTRL_RE.search(bare[0]):
        return bare[0].strip("<>")
    return None


def received_time(values: list[str] | None) -> int | None:
    """When the archive received the message: the date of the topmost readable Received line."""
    for value in values or ():
        _, sep, when = value.rpartition(";")
        if sep:
            ts = parse_date(when)
            if ts is not None:
                return ts
    return None
