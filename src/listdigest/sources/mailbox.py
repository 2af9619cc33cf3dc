"""mbox (plain or gzip-compressed, mboxo/mboxrd) and Maildir sources.

This module owns splitting an mbox stream into messages (``From `` separator lines,
``>From`` unescaping) and listing a Maildir's ``cur/`` and ``new/`` in date order.  It
reads only the ``Date:`` header itself (to order a Maildir and to label the range); all
other header parsing is left to the ``message`` stage.  Mailboxes have no revisions, so
``select`` refuses ``--from``/``--to``; date filtering happens later in the pipeline.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import os
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import RangeError, SourceError
from ..timeparse import parse_mail_date
from . import RawMessage, Selection

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
# mboxrd escapes body lines "From " / ">From " by adding one ">"; undo exactly one level
_UNESCAPE_RE = re.compile(rb"^>(>*From )", re.MULTILINE)
# the Date header and its folded continuation lines, inside a header block
_DATE_RE = re.compile(rb"^Date:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.MULTILINE | re.IGNORECASE)
# the end of the header block (first empty line, LF or CRLF)
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_SUFFIXES = (".gz", ".mbox", ".mboxrd", ".mboxo", ".mbx")
_NO_RANGE = "--from/--to need a git archive; use --since/--until for an mbox or Maildir"
_NOT_MBOX = "not an mbox file, Maildir or public-inbox archive"


def is_maildir(path: str) -> bool:
    return all(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new"))


def _strip_suffixes(base: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if base.lower().endswith(suffix) and len(base) > len(suffix):
                base = base[: -len(suffix)]
                changed = True
    return base


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def header_date(data: bytes) -> _dt.datetime | None:
    """The ``Date:`` of a raw message (header block only) as an aware UTC datetime, or None."""
    end = _HEADER_END_RE.search(data)
    head = data[: end.start() + 1] if end else data
    if head.startswith((b"\n", b"\r\n")):
        return None  # no headers at all
    m = _DATE_RE.search(head)
    if not m:
        return None
    value = re.sub(rb"\r?\n[ \t]+", b" ", m.group(1)).strip().decode("ascii", "replace")
    ts = parse_mail_date(value)
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc) if ts is not None else None


def _day(when: _dt.datetime | None) -> str | None:
    return when.strftime("%Y-%m-%d") if when else None


class MboxSource:
    """An mbox file (mboxo or mboxrd), plain or gzip-compressed, read as a stream."""

    kind = "mailbox"

    def __init__(self, path: str, *, spool: BinaryIO | None = None) -> None:
        self.path = path
        self.name = _strip_suffixes(os.path.basename(os.path.normpath(path))) or "list"
        self.compressed = False
        #: the bytes of a stream (``from_stream``), kept in an unnamed temporary file
        self._spool = spool
        with self._open() as fh:
            first = self._first_line(fh)
        if first is None:
            raise SourceError(f"{path}: empty file")
        if not first.startswith(b"From "):
            raise SourceError(f"{path}: {_NOT_MBOX}")

    @classmethod
    def from_stream(cls, stream: BinaryIO, name: str = "<stdin>") -> MboxSource:
        """An mbox read from ``stream`` (standard input: ``lei q … -o - | listdigest
        report -``), kept in an unnamed temporary file so it can be read more than once;
        ``close()`` frees it."""
        import shutil
        import tempfile

        spool = tempfile.TemporaryFile(prefix="listdigest-stdin-")  # noqa: SIM115 -- close()
        try:
            shutil.copyfileobj(stream, spool, _CHUNK)
            spool.flush()
            src = cls(name, spool=spool)  # type: ignore[arg-type]
        except OSError as exc:
            spool.close()
            raise SourceError(f"{name}: cannot read: {_os_reason(exc)}") from None
        except BaseException:
            spool.close()
            raise
        src.name = "stdin"
        return src

    def close(self) -> None:
        """Free the temporary copy of a stream (nothing to do for a file)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def _open(self) -> BinaryIO:
        if self._spool is not None:
            # a reader of its own over the spool (its own offset), closed by the caller
            fh = os.fdopen(os.dup(self._spool.fileno()), "rb")
            fh.seek(0)
            if fh.read(2) == _GZIP_MAGIC:
                self.compressed = True
                fh.seek(0)
                gz = gzip.GzipFile(fileobj=fh, mode="rb")
                gz.myfileobj = fh  # type: ignore[assignment]  # GzipFile closes it
                return gz  # type: ignore[return-value]
            fh.seek(0)
            return fh
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 -- the caller closes it
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {_os_reason(exc)}") from None
        try:
            magic = fh.read(2)
            fh.seek(0)
        except OSError as exc:
            fh.close()
            raise SourceError(f"{self.path}: cannot read: {_os_reason(exc)}") from None
        if magic == _GZIP_MAGIC:
            self.compressed = True
            # GzipFile does not close a file object it was given: it opens its own
            fh.close()
            try:
                return gzip.open(self.path, "rb")  # type: ignore[return-value]
            except OSError as exc:
                raise SourceError(f"{self.path}: cannot read: {_os_reason(exc)}") from None
        return fh

    def _first_line(self, fh: BinaryIO) -> bytes | None:
        """The first non-blank line, or None when the file holds nothing but blanks."""
        try:
            while True:
                line = fh.readline(1 << 16)
                if not line:
                    return None
                if line.strip():
                    return line
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.path}: cannot read: {_os_reason(exc)}") from None

    def _chunks(self) -> Iterator[tuple[int, bytes]]:
        """``(offset, chunk)`` of the mbox as raw records, each starting at its ``From `` line.

        The offset is in the uncompressed stream.  A record still carries its ``From `` line,
        escapes and the blank line that separates it from the next one.
        """
        with self._open() as fh:
            try:
                buf = b""
                base = 0  # stream offset of buf[0]
                start = -1  # index in buf of the current record's From line; -1 before the first
                scan = 0  # where to resume looking for "\nFrom " in buf
                eof = False
                while not eof:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        eof = True
                    else:
                        if start > 0:
                            buf, base, scan = buf[start:], base + start, max(0, scan - start)
                            start = 0
                        buf += chunk
                    if start < 0:
                        # skip blank lines before the first separator
                        stripped = buf.lstrip(b"\r\n\t ")
                        if not stripped:
                            buf, base, scan = b"", base + len(buf), 0
                            continue
                        lead = len(buf) - len(stripped)
                        if not stripped.startswith(b"From ") and (len(stripped) >= 5 or eof):
                            raise SourceError(f"{self.path}: {_NOT_MBOX}")
                        if len(stripped) < 5:
                            continue
                        start = lead
                        scan = start + 1
                    while True:
                        i = buf.find(b"\nFrom ", scan)
                        if i < 0:
                            scan = max(start + 1, len(buf) - 5)
                            break
                        yield base + start, buf[start : i + 1]
                        start = i + 1
                        scan = start + 1
                if start >= 0 and start < len(buf):
                    yield base + start, buf[start:]
            except (OSError, EOFError, zlib.error) as exc:
                raise SourceError(f"{self.path}: cannot read: {_os_reason(exc)}") from None

    @staticmethod
    def _unwrap(record: bytes) -> bytes:
        """The message of one mbox record: no ``From `` line, escapes undone, separator dropped."""
        nl = record.find(b"\n")
        body = record[nl + 1 :] if nl >= 0 else b""
        if body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n\n"):
            body = body[:-1]
        return _UNESCAPE_RE.sub(rb"\1", body)

    def messages(self) -> Iterator[RawMessage]:
        """Every message in file order."""
        for seq, (offset, record) in enumerate(self._chunks()):
            yield RawMessage(data=self._unwrap(record), seq=seq, where=f"mbox offset {offset}")

    def date_span(self) -> tuple[_dt.datetime | None, _dt.datetime | None]:
        """Earliest and latest ``Date:`` in the file (one streaming pass over the headers)."""
        lo = hi = None
        for _, record in self._chunks():
            nl = record.find(b"\n")
            when = header_date(record[nl + 1 :])
            if when is None:
                continue
            lo = when if lo is None or when < lo else lo
            hi = when if hi is None or when > hi else hi
        return lo, hi

    def select(self, from_rev: str | None = None, to_rev: str | None = None) -> Selection:
        if from_rev is not None or to_rev is not None:
            raise RangeError(_NO_RANGE)
        lo, hi = self.date_span()
        return Selection(messages=self.messages(), start=_day(lo), end=_day(hi), end_commit=None)


class MaildirSource:
    """A Maildir: the files of ``cur/`` and ``new/``, ordered by their Date header."""

    kind = "mailbox"

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = os.path.basename(os.path.normpath(path)) or "list"
        if not is_maildir(path):
            raise SourceError(f"{path}: {_NOT_MBOX}")

    def files(self) -> list[str]:
        """Relative paths (``cur/NAME``, ``new/NAME``) of the messages; dotfiles skipped."""
        found = []
        for sub in ("cur", "new"):
            folder = os.path.join(self.path, sub)
            try:
                names = os.listdir(folder)
            except OSError as exc:
                raise SourceError(f"{folder}: cannot read: {_os_reason(exc)}") from None
            for name in names:
                if name.startswith(".") or not os.path.isfile(os.path.join(folder, name)):
                    continue
                found.append(f"{sub}/{name}")
        return found

    def _read_head(self, rel: str) -> bytes:
        """The start of a file, enough to hold its header block."""
        full = os.path.join(self.path, rel)
        try:
            with open(full, "rb") as fh:
                head = fh.read(8192)
                while not _HEADER_END_RE.search(head):
                    more = fh.read(65536)
                    if not more:
                        break
                    head += more
                return head
        except OSError as exc:
            raise SourceError(f"{full}: cannot read: {_os_reason(exc)}") from None

    def ordered(self) -> list[tuple[_dt.datetime | None, str]]:
        """``(date, relative path)`` in archive order: by Date (undated last), then file name."""
        dated = [(header_date(self._read_head(rel)), rel) for rel in self.files()]
        dated.sort(
            key=lambda d: (
                d[0] is None,
                d[0].timestamp() if d[0] else 0.0,
                os.path.basename(d[1]),
                d[1],
            )
        )
        return dated

    def _messages(self, order: list[tuple[_dt.datetime | None, str]]) -> Iterator[RawMessage]:
        for seq, (_, rel) in enumerate(order):
            full = os.path.join(self.path, rel)
            try:
                with open(full, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise SourceError(f"{full}: cannot read: {_os_reason(exc)}") from None
            yield RawMessage(data=data, seq=seq, where=f"Maildir file {rel}")

    def select(self, from_rev: str | None = None, to_rev: str | None = None) -> Selection:
        if from_rev is not None or to_rev is not None:
            raise RangeError(_NO_RANGE)
        order = self.ordered()
        if not order:
            raise RangeError(f"{self.path}: the Maildir holds no messages")
        dates = [d for d, _ in order if d is not None]
        return Selection(
            messages=self._messages(order),
            start=_day(dates[0]) if dates else None,
            end=_day(dates[-1]) if dates else None,
            end_commit=None,
        )
