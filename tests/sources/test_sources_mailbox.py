"""MboxSource and MaildirSource on files written like mail tools and lore write them."""

from __future__ import annotations

import gzip
from pathlib import Path

import pi
import pytest

from listdigest.errors import RangeError
from listdigest.message.headers import parse_date
from listdigest.sources import open_source
from listdigest.sources.mailbox import MaildirSource, MboxSource, header_date

MESSAGES = Path(__file__).resolve().parent.parent / "data" / "messages"
NO_RANGE = "--from/--to need a git archive; use --since/--until for an mbox or Maildir"


def eml(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def three() -> list:
    # file order is deliberately not date order
    return [
        pi.msg("second", msgid="s@x", date="Tue, 02 Jan 2024 10:00:00 +0000"),
        pi.msg("first", msgid="f@x", date="Mon, 01 Jan 2024 23:30:00 -0500"),  # 2024-01-02 UTC
        pi.msg("third", msgid="t@x", date="Fri, 05 Jan 2024 10:00:00 +0000"),
    ]


# -- mbox -----------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_mbox_round_trip_in_file_order(tmp_path, gz):
    ms = three()
    path = pi.make_mbox(str(tmp_path / ("kvm.mbox.gz" if gz else "kvm.mbox")), ms, gz=gz)
    src = open_source(path)
    assert isinstance(src, MboxSource) and src.kind == "mailbox" and src.name == "kvm"
    sel = src.select()
    msgs = list(sel.messages)
    assert [m.data for m in msgs] == ms
    assert [m.seq for m in msgs] == [0, 1, 2]
    assert all(m.commit is None and m.epoch is None for m in msgs)
    assert msgs[0].where == "mbox offset 0"
    raw = pi.mbox_bytes(ms)
    assert msgs[1].where == f"mbox offset {raw.index(b'From ', 1)}"
    assert (sel.start, sel.end, sel.end_commit) == ("2024-01-02", "2024-01-05", None)


def test_gzip_detected_by_magic_not_extension(tmp_path):
    path = tmp_path / "archive.mbox"
    path.write_bytes(gzip.compress(pi.mbox_bytes(three())))
    assert [pi.message_id(m.data) for m in open_source(str(path)).select().messages] == [
        "s@x",
        "f@x",
        "t@x",
    ]


def test_gz_extension_on_plain_mbox(tmp_path):
    path = pi.make_mbox(str(tmp_path / "x.mbox.gz"), three(), gz=False)
    assert len(list(open_source(path).select().messages)) == 3


def test_mboxrd_from_lines_unescaped(tmp_path):
    raw = eml("from-lines.eml")
    path = pi.make_mbox(str(tmp_path / "l.mbox"), [raw, raw.replace(b"from-lines@", b"other@")])
    assert b"\n>>From an already" in pi.mbox_bytes([raw])
    msgs = list(open_source(path).select().messages)
    assert len(msgs) == 2
    assert msgs[0].data == raw


def test_mboxo_from_lines_unescaped(tmp_path):
    raw = pi.msg("mboxo", msgid="o@x", body="From the top.\nplain\n")
    path = pi.make_mbox(str(tmp_path / "o.mbox"), [raw, raw], mboxrd=False)
    assert [m.data for m in open_source(path).select().messages] == [raw, raw]


def test_crlf_mbox(tmp_path):
    raw = eml("crlf.eml")
    data = b"".join(
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\r\n"
        + raw.replace(b"\r\nFrom ", b"\r\n>From ")
        + b"\r\n"
        for _ in range(2)
    )
    path = tmp_path / "crlf.mbox"
    path.write_bytes(data)
    sel = open_source(str(path)).select()
    assert [m.data for m in sel.messages] == [raw, raw]
    assert sel.start == sel.end == "2024-01-11"


def test_leading_blank_lines_and_real_from_lines(tmp_path):
    ms = three()
    data = b"\n\n" + b"".join(
        b"From alice@example.org Mon Jan  1 10:00:00 2024\n" + m + b"\n" for m in ms
    )
    path = tmp_path / "x.mbox"
    path.write_bytes(data)
    assert [m.data for m in open_source(str(path)).select().messages] == ms


def test_large_mbox_is_split_across_read_chunks(tmp_path):
    # bodies bigger than the 1 MiB read size and separators on chunk boundaries
    ms = [
        pi.msg(f"big {i}", msgid=f"big{i}@x", body=("x" * 99 + "\n") * (3000 + 7919 * i))
        for i in range(6)
    ]
    ms += [pi.msg(f"small {i}", msgid=f"small{i}@x") for i in range(500)]
    path = pi.make_mbox(str(tmp_path / "big.mbox.gz"), ms, gz=True)
    got = list(open_source(path).select().messages)
    assert len(got) == len(ms)
    assert all(g.data == m for g, m in zip(got, ms))


def test_mbox_without_dates(tmp_path):
    path = pi.make_mbox(str(tmp_path / "n.mbox"), [eml("no-date.eml")])
    sel = open_source(path).select()
    assert (sel.start, sel.end) == (None, None)
    assert len(list(sel.messages)) == 1


def test_mbox_refuses_revisions(tmp_path):
    src = open_source(pi.make_mbox(str(tmp_path / "x.mbox"), three()))
    for args in (("abc", None), (None, "abc")):
        with pytest.raises(RangeError) as exc:
            src.select(*args)
        assert str(exc.value) == NO_RANGE


# -- Maildir --------------------------------------------------------------------------


def test_maildir_sorted_by_date_then_name(tmp_path):
    ms = three()
    path = pi.make_maildir(str(tmp_path / "inbox"), ms[:2], names=["b:2,S", "a:2,S"])
    pi.make_maildir(path, ms[2:], names=["c"], subdir="new")
    # same date as "second": ordered by file name after it
    pi.make_maildir(
        path,
        [pi.msg("tie", msgid="tie@x", date="Tue, 02 Jan 2024 10:00:00 +0000")],
        names=["a0"],
        subdir="new",
    )
    (Path(path) / "cur" / ".hidden").write_bytes(pi.msg("hidden", msgid="h@x"))
    (Path(path) / "tmp" / "partial").write_bytes(pi.msg("partial", msgid="p@x"))
    src = open_source(path)
    assert isinstance(src, MaildirSource) and src.kind == "mailbox" and src.name == "inbox"
    sel = src.select()
    msgs = list(sel.messages)
    # "first" is 2024-01-02 04:30 UTC, before "second" at 10:00
    assert [pi.message_id(m.data) for m in msgs] == ["f@x", "tie@x", "s@x", "t@x"]
    assert [m.where for m in msgs] == [
        "Maildir file cur/a:2,S",
        "Maildir file new/a0",
        "Maildir file cur/b:2,S",
        "Maildir file new/c",
    ]
    assert [m.seq for m in msgs] == [0, 1, 2, 3]
    assert (sel.start, sel.end, sel.end_commit) == ("2024-01-02", "2024-01-05", None)


def test_maildir_undated_messages_last(tmp_path):
    path = pi.make_maildir(
        str(tmp_path / "md"), [eml("no-date.eml"), eml("bogus-zone.eml"), eml("from-lines.eml")]
    )
    sel = open_source(path).select()
    assert [pi.message_id(m.data) for m in sel.messages] == [
        "from-lines@example.org",
        "bogus-zone@example.org",
        "no-date@example.org",
    ]
    # folded Date header; +1700 zone taken as written
    assert (sel.start, sel.end) == ("2024-01-10", "2024-01-12")


def test_empty_maildir(tmp_path):
    path = pi.make_maildir(str(tmp_path / "md"), [])
    with pytest.raises(RangeError) as exc:
        open_source(path).select()
    assert str(exc.value) == f"{path}: the Maildir holds no messages"


def test_maildir_refuses_revisions(tmp_path):
    src = open_source(pi.make_maildir(str(tmp_path / "md"), three()))
    with pytest.raises(RangeError) as exc:
        src.select("HEAD~1")
    assert str(exc.value) == NO_RANGE


# -- Date header reading --------------------------------------------------------------


@pytest.mark.parametrize(
    "header, day",
    [
        (b"Date: Mon, 01 Jan 2024 23:30:00 -0500", "2024-01-02"),
        (b"date:\n  Mon, 01 Jan 2024 10:00:00 +0000", "2024-01-01"),
        (b"Date: 1 Jan 2024 10:00 +0109", "2024-01-01"),
        (b"Date: Mon, 01 Jan 2024 10:00:00 -0000", "2024-01-01"),
        (b"Date: yesterday", None),
        # one rule with the message parser: a zone beyond a day is garbage, read as UTC
        (b"Date: Mon, 01 Jan 2024 10:00:00 +9999", "2024-01-01"),
        (b"Date: Mon, 01 Jan 1901 10:00:00 +0000", None),  # before 1970: bogus in mail
        (b"X-Date: Mon, 01 Jan 2024 10:00:00 +0000", None),
    ],
    ids=[
        "zone",
        "folded",
        "odd-zone",
        "unknown-zone",
        "garbage",
        "zone-out-of-range",
        "before-1970",
        "not-date",
    ],
)
def test_header_date(header, day):
    """The mbox reader dates a message as the message parser does: one Date parser."""
    when = header_date(
        b"From: a@b\n" + header + b"\nSubject: s\n\nDate: Tue, 02 Jan 2024 00:00:00 +0000\n"
    )
    assert (when.strftime("%Y-%m-%d") if when else None) == day
    value = header.split(b":", 1)[1].decode() if header.lower().startswith(b"date") else None
    ts = parse_date(value.replace("\n", " ")) if value else None
    assert (when.timestamp() if when else None) == ts


def test_mbox_from_a_stream_reads_like_the_file(tmp_path):
    """``report -``: the stream is kept in an unnamed temporary file, read more than once,
    gzip or not, and freed by close()."""
    import gzip
    import io

    from pi import make_mbox, msg

    from listdigest.sources.mailbox import MboxSource

    path = make_mbox(
        str(tmp_path / "a.mbox"), [msg(f"m{i}", msgid=f"m{i}@example.org") for i in range(3)]
    )
    with open(path, "rb") as f:
        data = f.read()
    want = [r.data for r in MboxSource(path).messages()]
    for blob in (data, gzip.compress(data)):
        src = MboxSource.from_stream(io.BytesIO(blob))
        try:
            assert (src.path, src.name) == ("<stdin>", "stdin")
            assert [r.data for r in src.messages()] == want
            assert [r.data for r in src.select().messages] == want  # a second read
        finally:
            src.close()
