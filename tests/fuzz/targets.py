"""What the fuzzer feeds: each target turns one byte string into calls of the library's
parsers and says which exceptions are the documented way of refusing input.  Anything
else raised is a crash.  Invariants checked on the way: decoded header strings carry no
CR, LF or NUL (the header-injection guarantee).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

from listdigest.errors import RangeError, SourceError
from listdigest.message import MessageError, parse_message
from listdigest.message import body as B
from listdigest.message import headers as H
from listdigest.message.subject import parse_subject
from listdigest.sources import RawMessage
from listdigest.sources.mailbox import MaildirSource, MboxSource, header_date

try:  # issue 3's trailer parser, when present
    from listdigest.message import trailers as T  # type: ignore
except ImportError:  # pragma: no cover
    T = None

_BAD = ("\r", "\n", "\x00")


class InvariantError(AssertionError):
    pass


def _clean(label: str, value: str) -> None:
    if any(c in value for c in _BAD):
        raise InvariantError(f"{label} keeps a control character: {value[:80]!r}")


def _text(data: bytes) -> str:
    return (
        data.decode("utf-8", "surrogateescape") if data[:1] != b"\xfe" else data.decode("latin-1")
    )


def fuzz_message(data: bytes) -> None:
    m = parse_message(RawMessage(data=data, commit_time=0))
    for label in ("msgid", "subject", "from_name", "from_addr", "author_name", "author_addr"):
        _clean(label, getattr(m, label))
    for r in m.references:
        _clean("reference", r)
    m.kind, m.ancestors, m.parent  # noqa: B018 -- properties must not raise
    B.digest_text(m.body)
    B.split_body(m.body)
    parse_subject(m.subject)
    if T is not None:
        _trailers(m.body)


def fuzz_subject(data: bytes) -> None:
    s = parse_subject(_text(data))
    parse_subject(H.decoded(_text(data)))
    for v in vars(s).values() if hasattr(s, "__dict__") else ():
        del v


def fuzz_body(data: bytes) -> None:
    text = H.to_text(data)
    B.parse_inbody(text)
    B.strip_inbody(text)
    B.has_diff(text)
    B.split_body(text)
    B.digest_text(text)
    # the first bytes choose how decode_body is asked to read the rest
    k = data[:1][0] if data else 0
    ctypes = (
        None,
        "text/plain; charset=utf-8",
        "text/html",
        "multipart/mixed; boundary=b",
        "text/plain; charset=x-bogus",
        "message/rfc822",
        'text/plain; charset="utf-16"',
    )
    ctes = (None, "base64", "quoted-printable", "8bit", "x-uuencode")
    _head, body = H.split_message(data)
    B.decode_body(data, body, ctypes[k % len(ctypes)], ctes[(k // 8) % len(ctes)])
    if T is not None:
        _trailers(text)


def _trailers(text: str) -> None:
    for name in ("parse_trailers", "trailers", "find_trailers"):
        fn = getattr(T, name, None)
        if callable(fn):
            fn(text)
            return


def fuzz_headers(data: bytes) -> None:
    head, _ = H.split_message(data)
    headers = H.parse_header_block(head)
    # each header through the functions the message stage applies to it (as parse_message
    # does), the first 64 of a name only: a 20,000-header message is not what we measure
    for name, values in list(headers.items())[:64]:
        for v in values[:64]:
            _clean("decoded " + name, H.decoded(v))
            if name in ("from", "reply-to", "x-original-from", "sender"):
                n, a = H.parse_address(v)
                _clean("address name", n)
                _clean("address", a)
            elif name in ("to", "cc"):
                H.parse_addresses([v])
            elif name in ("message-id", "in-reply-to", "references"):
                for i in H.msgids(v):
                    _clean("msgid", i)
                H.first_msgid(v)
            elif name == "date":
                H.parse_date(v)
        if name == "received":
            H.received_time(values)
    text = _text(data[:4096])
    H.decode_rfc2047(text)
    H.parse_date(text)
    H.received_time([text])
    H.parse_address(text[:256])
    header_date(data)


class _FileTarget:
    """mbox and Maildir readers need files: one scratch directory, rewritten per input."""

    def __init__(self) -> None:
        # /dev/shm when there is one: opening files on the root overlay cost 0.7 ms each
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="ld-fuzz-", dir=shm)
        self.n = 0

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)

    def mbox(self, data: bytes) -> None:
        self.n += 1
        path = os.path.join(self.dir, "box.mbox")
        with open(path, "wb") as f:
            f.write(gzip.compress(data, 1) if self.n % 7 == 0 else data)
        src = MboxSource(path)
        sel = src.select()
        for raw in sel.messages:
            try:
                parse_message(raw)
            except MessageError:
                pass

    def maildir(self, data: bytes) -> None:
        self.n += 1
        root = os.path.join(self.dir, f"md{self.n % 2}")
        for sub in ("cur", "new", "tmp"):
            d = os.path.join(root, sub)
            os.makedirs(d, exist_ok=True)
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))
        parts = data.split(b"\n\x01\x01\n")[:8]
        for i, part in enumerate(parts):
            sub = "cur" if i % 2 == 0 else "new"
            with open(os.path.join(root, sub, f"{i}.host:2,S"), "wb") as f:
                f.write(part)
        for raw in MaildirSource(root).select().messages:
            try:
                parse_message(raw)
            except MessageError:
                pass


@dataclass(frozen=True)
class Target:
    name: str
    fn: Callable[[bytes], object]
    allowed: tuple[type[BaseException], ...]
    #: inputs in the CI run
    ci_inputs: int
    #: inputs are cut to this many bytes (keeps the CI run's inputs cheap)
    max_input: int = 1 << 14


def targets() -> dict[str, Target]:
    files = _FileTarget()
    found = [
        Target("message", fuzz_message, (MessageError,), 25000, 1 << 13),
        Target("subject", fuzz_subject, (), 40000, 1 << 10),
        Target("body", fuzz_body, (B.BodyError,), 15000, 1 << 13),
        Target("headers", fuzz_headers, (), 15000, 1 << 12),
        Target("mbox", files.mbox, (SourceError, RangeError), 3000, 1 << 14),
        Target("maildir", files.maildir, (SourceError, RangeError), 2000, 1 << 14),
    ]
    return {t.name: t for t in found}


def seeds_for(name: str, messages: Sequence[bytes]) -> list[bytes]:
    """Seeds of one target derived from real (or crafted) messages."""
    msgs = [m[: 1 << 15] for m in messages]
    if name == "subject":
        subs = []
        for m in msgs:
            head, _ = H.split_message(m)
            subs += [
                v.encode("utf-8", "surrogateescape")
                for v in H.parse_header_block(head).get("subject", [])
            ]
        subs += [s.encode() for s in CRAFTED_SUBJECTS]
        return subs
    if name == "body":
        return [H.split_message(m)[1] for m in msgs]
    if name == "headers":
        return [H.split_message(m)[0] for m in msgs]
    if name == "mbox":
        boxes = []
        for i in range(0, len(msgs), 3):
            box = b""
            for m in msgs[i : i + 3]:
                esc = b"\n".join(
                    b">" + ln if ln.lstrip(b">").startswith(b"From ") else ln
                    for ln in m.split(b"\n")
                )
                box += b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + esc + b"\n\n"
            boxes.append(box)
        return boxes
    if name == "maildir":
        return [b"\n\x01\x01\n".join(msgs[i : i + 3]) for i in range(0, len(msgs), 3)]
    return msgs


#: subject shapes from docs/tricky-cases.md
CRAFTED_SUBJECTS = (
    "[PATCH v6,19/24] x",
    "[PATCH net,v2, 1/3] y",
    "[PATCHv3 04/10] z",
    "[patch V2] a",
    "[PATCH v5.1 10/12] b",
    "[PATCH 1 of 3] c",
    "[PATCH1/8] d",
    "[PATCH 01/17] e",
    "[PATCH 6/5] f",
    "[PATCH 3/n] g",
    "[PATCH 1/2 V3 net-next] h",
    "[RFC][PATCH] i",
    "[PATCH] [v2] j",
    "[PATCH][next] k",
    "[PATCH] x (v2)",
    "[PATCH AUTOSEL 6.1 3/5] l",
    "[PATCH 5.10 1/3] m",
    "[PATCH 6.1.y] n",
    "RE: [EXTERNAL] [PATCH] o",
    "[Intel-wired-lan] [PATCH] p",
    "Re: Re: q",
    "Aw: Re: r",
    "Antw: s",
    "回复: t",
    "FW: u",
    "Fwd: v",
    "[GIT PULL] w",
    "=?utf-8?q?=5BPATCH=5D_x?=",
    "[was Re: [PATCH 1/2] y]",
    "[ [ [ ] ] ]",
    "",
)
