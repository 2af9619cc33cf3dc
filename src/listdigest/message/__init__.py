"""One message: from raw bytes to a ``Message`` with decoded headers, author, subject, body.

Owns the rules that decide who wrote a message (the in-body ``From:`` rule, relays) and
what kind of message it is (patch posting, reply, other).  Threads and series are the
``model`` stage's business.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..sources import MISSING_BLOB, RawMessage
from .applied import AppliedNotice, parse_applied
from .body import BodyError, body_head, decode_body, has_diff, parse_inbody
from .headers import (
    DIGEST_FIELDS,
    decoded,
    first_msgid,
    msgids,
    parse_address,
    parse_date,
    read_head,
    received_time,
)
from .paths import touched_paths
from .subject import Subject, parse_subject
from .trailers import Trailer, parse_trailers

# a header From rewritten by a relay: "Name via B4 Relay <devnull+…@kernel.org>",
# "'Name' via listname <list@googlegroups.com>"
_VIA_RE = re.compile(r"^(.*?)\s+via\s+\S.*$", re.I)

PATCH = "patch"
REPLY = "reply"
OTHER = "other"

#: what follows a Message-ID that a different mail reused: ``<id>#dup2`` names the second
#: mail of that id in a digest (lore shows both under the id itself)
DUPLICATE_MARK = "#dup"

# Senders whose mail is a report about patches, never a patch posting, whatever its subject
# says: the kernel test robot ("[tree:branch 2/2] file.c:12: warning: ..."), syzbot.  The
# analysis stage has the user's wider bot list; these are the ones that post patch-like
# subjects on every list.
_REPORTER_NAMES = ("kernel test robot",)
_REPORTER_ADDRS = ("lkp@intel.com", "syzbot", "syzkaller")
# subject tags of static-checker reports that quote a hunk (Dan Carpenter's smatch mails)
_REPORT_TAGS = frozenset({"bug report", "smatch", "syzbot", "coverity"})
# a build or static-checker report's title: "drivers/spi/spi.c:1134:12: error: ...",
# "kernel/kexec_core.c:801 kimage_load() error: ..." (a patch's title never starts so)
_FILE_LINE_RE = re.compile(r"[\w./+-]+\.[a-zA-Z]{1,4}:\d+\b")
# the first words of a reply's own text: a quote, or an attribution line ("On Mon, ... wrote:")
_QUOTED_START_RE = re.compile(
    r"\s*(?:>|[^\n]{0,200}\bwrote:\s*\n|[^\n]{0,200}\n[^\n]{0,200}\bwrote:\s*\n)"
)
#: the name under which a "pw-bot: <command>" line is kept among a message's trailers
PW_BOT = "Pw-bot"
# a patchwork bot command on a line of its own, unquoted: "pw-bot: cr", "pw-bot: changes-requested"
_PW_BOT_RE = re.compile(r"^pw-bot:[ \t]*([\w-]+)", re.M | re.I)
# Mark Brown's pre-b4 notice script: 'Applied "spi: foo" to the spi tree', the patch quoted
# whole below (a diff, an in-body From:): a notice, not the author's posting
_APPLIED_SUBJECT_RE = re.compile(r'Applied ".+" to the \S+ tree\s*$')
# a diffstat's summary line: a cover letter written without a PATCH tag still carries one
_DIFFSTAT_RE = re.compile(r"^ ?\d+ files? changed, \d+ (?:insertion|deletion)", re.M)


def classify(
    parsed: Subject, has_diff: bool, threaded: bool, from_name: str, from_addr: str, body: str
) -> str:
    """What kind of message this is: ``patch`` (a cover letter or patch posting), ``reply``
    or ``other``.

    - a reply marker makes a reply;
    - a report about patches (kernel test robot, syzbot, "[bug report]" static-checker mail)
      a pull request (``[GIT PULL]``, whose diff is a merge's) and a maintainer script's
      notice quoting the patch (``Applied "x" to the y tree``) are never patch postings;
    - a PATCH tag or a diff makes a patch posting, except a threaded mail without a diff whose
      text starts with a quote or an attribution: a review reply whose client dropped "Re:";
    - a thread root with a diffstat and no diff is a cover letter written without a tag
      (``add bvec initialization helpers v2``);
    - the rest is a reply when threaded, else other.
    """
    if parsed.reply:
        return REPLY
    reporter = (
        any(t.lower() in _REPORT_TAGS for t in parsed.prefixes)
        or (parsed.title[:1].isalnum() and _FILE_LINE_RE.match(parsed.title) is not None)
        or (from_name and from_name.lower() in _REPORTER_NAMES)
        or any(a in from_addr.lower() for a in _REPORTER_ADDRS)
    )
    if reporter or (parsed.pull and not parsed.patch) or _APPLIED_SUBJECT_RE.match(parsed.raw):
        return REPLY if threaded else OTHER
    if parsed.patch or has_diff:
        if threaded and not has_diff and _QUOTED_START_RE.match(body):
            return REPLY
        return PATCH
    if (
        not threaded
        and (" files changed, " in body or " file changed, " in body)
        and _DIFFSTAT_RE.search(body)
    ):
        return PATCH
    return REPLY if threaded else OTHER


_Frozen = TypeVar("_Frozen")


#: each ``restored`` class's field names, in order
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def restored(cls: type[_Frozen], *values: Any) -> _Frozen:
    """An instance of the frozen dataclass ``cls`` holding ``values``, every field in the
    class's order, made without ``__init__``: a frozen ``__init__`` sets each field through
    ``object.__setattr__`` (4 µs a ``Message``; a whole archive rebuilt from the index is
    26,000 of them, and this takes 1.3 µs, in 64 more bytes).  Only for values that were
    valid when stored (``store.rebuild``); ``tests/store/test_index.py`` holds the result
    to a parsed message, field by field."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    obj = object.__new__(cls)
    obj.__dict__.update(zip(names, values, strict=True))
    return obj


class MessageError(ValueError):
    """A message that cannot be read at all (no headers)."""


@dataclass(frozen=True)
class Message:
    """One parsed message.  Strings are decoded, unfolded, free of control characters."""

    msgid: str
    subject: str
    parsed: Subject
    #: header From after relay resolution
    from_name: str
    from_addr: str
    #: the author by the in-body rule: in-body From:, else the (relay-resolved) header From
    author_name: str
    author_addr: str
    date: int | None
    received: int | None
    in_reply_to: str | None
    references: tuple[str, ...]
    body: str = field(repr=False, default="")
    has_diff: bool = False
    commit: str | None = None
    epoch: int | None = None
    seq: int = 0
    msgid_synthetic: bool = False
    #: ``patch`` (a cover letter or patch posting), ``reply`` or ``other``: see ``classify``
    kind: str = OTHER
    #: set by ``slim()``: the trailers and applied notice read from the body it dropped
    facts: tuple[tuple[Trailer, ...], AppliedNotice | None] | None = field(default=None, repr=False)
    #: a patch posting's touched paths (``paths.touched_paths``: diff headers, else diffstat
    #: names, ``.../`` shortened ones as written); empty for other messages
    paths: tuple[str, ...] = ()

    def trailers(self) -> tuple[Trailer, ...]:
        """The trailers this message gives (Reviewed-by: …), from its body."""
        if self.facts is not None:
            return self.facts[0]
        out: tuple[Trailer, ...] = ()
        if "-by:" in self.body or "-By:" in self.body:
            out = tuple(parse_trailers(self.body))
        if "pw-bot:" in self.body:
            # netdev's patchwork commands ("pw-bot: cr" = changes requested), kept as a
            # trailer named Pw-bot whose value is the command
            out += tuple(
                Trailer(PW_BOT, c.group(1).lower(), "") for c in _PW_BOT_RE.finditer(self.body)
            )
        return out

    def applied(self) -> AppliedNotice | None:
        """The "applied" notice this message is, if it is one (b4, patchwork-bot, maintainer)."""
        if self.facts is not None:
            return self.facts[1]
        sender = (self.from_name and f"{self.from_name} <{self.from_addr}>") or self.from_addr
        return parse_applied(
            self.body, self.subject, sender, self.kind != PATCH and self.parent is not None
        )

    @property
    def is_patch(self) -> bool:
        return self.kind == PATCH

    @property
    def parent(self) -> str | None:
        """The message this one replies to: In-Reply-To, else the last References entry."""
        if self.in_reply_to:
            return self.in_reply_to
        return self.references[-1] if self.references else None

    @property
    def ancestors(self) -> tuple[str, ...]:
        """Known ancestors, nearest first (In-Reply-To, then References from the end)."""
        seen = []
        if self.in_reply_to:
            seen.append(self.in_reply_to)
        for r in reversed(self.references):
            if r not in seen:
                seen.append(r)
        return tuple(seen)


def slim(m: Message) -> Message:
    """A message as a digest over many messages holds it: a reply or other non-patch message
    without its body, keeping what the digest reads from it (trailers, applied notice); a
    patch posting with its body cut after the diff's first lines (``body_head``).  A
    whole-archive digest then holds little more than the text it prints."""
    if m.kind == PATCH:
        head = body_head(m.body)
        return m if len(head) == len(m.body) else dataclasses.replace(m, body=head)
    if m.facts is not None:
        return m
    return dataclasses.replace(m, body="", facts=(m.trailers(), m.applied()))


def _resolve_relay(headers, name: str, addr: str) -> tuple[str, str]:
    """Undo relay rewriting of the header From (B4 Relay, DMARC-mangling lists)."""
    m = _VIA_RE.match(name)
    relayed = m is not None or addr.startswith("devnull+")
    if not relayed:
        return name, addr
    for h in ("x-original-from", "reply-to"):
        vals = headers.get(h)
        if vals:
            n2, a2 = parse_address(vals[0])
            if a2 and "devnull" not in a2:
                return n2 or (m.group(1).strip(" '\"") if m else name), a2
    return (m.group(1).strip(" '\"") if m else name), addr


def _first_of(headers):
    """``get(name)``: the first value of a header field, or None."""

    def get(name: str, _none=(None,)):
        return headers.get(name, _none)[0]

    return get


def _unencoded(value: str | None) -> str | None:
    """A Message-ID field as sent: b4 (late 2022) RFC 2047-encoded In-Reply-To/References,
    which hid its thank-you mails' parents."""
    if value and "=?" in value:
        return decoded(value)
    return value


def parse_message(raw: RawMessage, paths: bool = False) -> Message:
    """Parse a stored message.  Raises ``MessageError`` when it has no header at all or a
    body we refuse to decode (MIME nested beyond ``body.MAX_MIME_BOUNDARIES``).  With
    ``paths``, a patch posting's touched paths are read too (for the index, and a digest
    filtered by path: the diff's headers cost ~6 % of a whole archive's parse)."""
    headers, body = read_head(raw.data, DIGEST_FIELDS)
    if not headers:
        raise MessageError("no headers")
    get = _first_of(headers)
    msgid = first_msgid(get("message-id"))
    synthetic = False
    if not msgid:
        synthetic = True
        msgid = "listdigest-" + hashlib.sha1(raw.data).hexdigest() + "@localhost"
    subject = decoded(get("subject"))
    from_name, from_addr = parse_address(get("from"))
    from_name, from_addr = _resolve_relay(headers, from_name, from_addr)
    try:
        text = decode_body(raw.data, body, get("content-type"), get("content-transfer-encoding"))
    except BodyError as exc:
        raise MessageError(str(exc)) from None
    inbody = parse_inbody(text)
    if inbody.from_addr:
        author_name, author_addr = inbody.from_name, inbody.from_addr
    else:
        author_name, author_addr = from_name, from_addr
    irt = first_msgid(_unencoded(get("in-reply-to")))
    refs = tuple(r for v in headers.get("references", ()) for r in msgids(_unencoded(v)))
    date = parse_date(get("date"))
    received = received_time(headers.get("received"))
    if received is None:
        received = date if date is not None else raw.commit_time
    if irt == msgid:
        irt = None
    refs = tuple(r for r in refs if r != msgid)
    parsed = parse_subject(subject)
    diff = has_diff(text)
    kind = classify(parsed, diff, bool(irt or refs), from_name, from_addr, text)
    return Message(
        msgid=msgid,
        subject=subject,
        parsed=parsed,
        from_name=from_name,
        from_addr=from_addr,
        author_name=author_name,
        author_addr=author_addr,
        date=date,
        received=received,
        in_reply_to=irt,
        references=refs,
        body=text,
        has_diff=diff,
        kind=kind,
        commit=raw.commit,
        epoch=raw.epoch,
        seq=raw.seq,
        msgid_synthetic=synthetic,
        paths=touched_paths(text) if paths and kind == PATCH else (),
    )


def read_messages(
    raws: Iterable[RawMessage], paths: bool = False
) -> Iterator[tuple[RawMessage, Message | None, str | None]]:
    """Parse each raw message; yields (raw, message or None, the reason it could not be read).
    Only malformed input (``MessageError``) is skipped: any other exception is a bug of the
    parser and goes up (the fuzz tests hold parse_message to raising nothing else)."""
    for raw in raws:
        if raw.missing:
            yield raw, None, MISSING_BLOB
            continue
        try:
            msg = parse_message(raw, paths)
        except MessageError as exc:
            yield raw, None, str(exc)
            continue
        yield raw, msg, None
