"""One message: from raw bytes to a ``Message`` with decoded headers, author, subject, body.

Owns the rules that decide who wrote a message (the in-body ``From:`` rule, relays) and
what kind of message it is (patch posting, reply, other).  Threads and series are the
``model`` stage's business.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Tuple

from ..sources import RawMessage
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
from .applied import AppliedNotice, parse_applied
from .subject import Subject, parse_subject
from .trailers import Trailer, parse_trailers

# a header From rewritten by a relay: "Name via B4 Relay <devnull+…@kernel.org>",
# "'Name' via listname <list@googlegroups.com>"
_VIA_RE = re.compile(r"^(.*?)\s+via\s+\S.*$", re.I)

PATCH = "patch"
REPLY = "reply"
OTHER = "other"


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
    date: Optional[int]
    received: Optional[int]
    in_reply_to: Optional[str]
    references: Tuple[str, ...]
    body: str = field(repr=False, default="")
    has_diff: bool = False
    commit: Optional[str] = None
    epoch: Optional[int] = None
    seq: int = 0
    msgid_synthetic: bool = False
    #: set by ``slim()``: the trailers and applied notice read from the body it dropped
    facts: Optional[Tuple[Tuple[Trailer, ...], Optional[AppliedNotice]]] = field(default=None, repr=False)

    def trailers(self) -> Tuple[Trailer, ...]:
        """The trailers this message gives (Reviewed-by: …), from its body."""
        if self.facts is not None:
            return self.facts[0]
        if "-by:" in self.body or "-By:" in self.body:
            return tuple(parse_trailers(self.body))
        return ()

    def applied(self) -> Optional[AppliedNotice]:
        """The "applied" notice this message is, if it is one (b4, patchwork-bot, maintainer)."""
        if self.facts is not None:
            return self.facts[1]
        sender = self.from_name and f"{self.from_name} <{self.from_addr}>" or self.from_addr
        return parse_applied(self.body, self.subject, sender, self.kind != PATCH and self.parent is not None)

    @property
    def kind(self) -> str:
        """``patch`` (a cover letter or patch posting), ``reply``, or ``other``."""
        if self.parsed.reply:
            return REPLY
        if self.parsed.patch or self.has_diff:
            return PATCH
        if self.in_reply_to or self.references:
            return REPLY
        return OTHER

    @property
    def is_patch(self) -> bool:
        return self.kind == PATCH

    @property
    def parent(self) -> Optional[str]:
        """The message this one replies to: In-Reply-To, else the last References entry."""
        if self.in_reply_to:
            return self.in_reply_to
        return self.references[-1] if self.references else None

    @property
    def ancestors(self) -> Tuple[str, ...]:
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


def _resolve_relay(headers, name: str, addr: str) -> Tuple[str, str]:
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


def parse_message(raw: RawMessage) -> Message:
    """Parse a stored message.  Raises ``MessageError`` when it has no header at all or a
    body we refuse to decode (MIME nested beyond ``body.MAX_MIME_BOUNDARIES``)."""
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
    irt = first_msgid(get("in-reply-to"))
    refs = tuple(r for v in headers.get("references", ()) for r in msgids(v))
    date = parse_date(get("date"))
    received = received_time(headers.get("received"))
    if received is None:
        received = date if date is not None else raw.commit_time
    if irt == msgid:
        irt = None
    refs = tuple(r for r in refs if r != msgid)
    return Message(
        msgid=msgid,
        subject=subject,
        parsed=parse_subject(subject),
        from_name=from_name,
        from_addr=from_addr,
        author_name=author_name,
        author_addr=author_addr,
        date=date,
        received=received,
        in_reply_to=irt,
        references=refs,
        body=text,
        has_diff=has_diff(text),
        commit=raw.commit,
        epoch=raw.epoch,
        seq=raw.seq,
        msgid_synthetic=synthetic,
    )


def read_messages(raws: Iterable[RawMessage]) -> Iterator[Tuple[RawMessage, Optional[Message], Optional[str]]]:
    """Parse each raw message; yields (raw, message or None, the reason it could not be read)."""
    for raw in raws:
        try:
            yield raw, parse_message(raw), None
        except MessageError as exc:
            yield raw, None, str(exc)
        except (ValueError, LookupError, UnicodeError, AssertionError, IndexError, TypeError, RecursionError) as exc:
            yield raw, None, f"{type(exc).__name__}: {str(exc)[:80]}"
