"""open_source and select errors: typed, one line, naming the path."""

from __future__ import annotations

import gzip
import os

import pi
import pytest

from listdigest.errors import RangeError, SourceError
from listdigest.sources import open_source

NOT_MBOX = "not an mbox file, Maildir or public-inbox archive"


def error_of(exc_type, fn, *args) -> str:
    with pytest.raises(exc_type) as exc:
        fn(*args)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_path(tmp_path):
    path = str(tmp_path / "nope")
    assert error_of(SourceError, open_source, path) == f"{path}: no such file or directory"


def test_plain_directory(tmp_path):
    path = str(tmp_path)
    assert (
        error_of(SourceError, open_source, path)
        == f"{path}: not a public-inbox archive, git repository, mbox or Maildir"
    )


def test_git_dir_without_epochs(tmp_path):
    (tmp_path / "git").mkdir()
    path = str(tmp_path)
    assert (
        error_of(SourceError, open_source, path)
        == f"{path}: not a public-inbox archive (git/ holds no N.git epochs)"
    )


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "list.mbox"
    path.write_bytes(content)
    assert error_of(SourceError, open_source, str(path)) == f"{path}: empty file"


def test_empty_gzip_file(tmp_path):
    path = tmp_path / "list.mbox.gz"
    path.write_bytes(gzip.compress(b""))
    assert error_of(SourceError, open_source, str(path)) == f"{path}: empty file"


@pytest.mark.parametrize(
    "content",
    [b"Subject: hello\n\nnot an mbox\n", b"\x89PNG\r\n\x1a\n\0\0", b"  From indented@x\n"],
    ids=["a-message", "binary", "indented-from"],
)
def test_not_an_mbox(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    assert error_of(SourceError, open_source, str(path)) == f"{path}: {NOT_MBOX}"


def test_gzip_of_something_else(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"hello world\n"))
    assert error_of(SourceError, open_source, str(path)) == f"{path}: {NOT_MBOX}"


def test_corrupt_gzip(tmp_path):
    data = gzip.compress(pi.mbox_bytes([pi.msg("m", body="y" * 100000)]))
    path = tmp_path / "x.mbox.gz"
    path.write_bytes(data[: len(data) // 2])
    src = open_source(str(path))  # the start decompresses fine
    message = error_of(SourceError, lambda: list(src.select().messages))
    assert message.startswith(f"{path}: cannot read: ")


def test_truncated_gzip_header(tmp_path):
    path = tmp_path / "x.mbox.gz"
    path.write_bytes(b"\x1f\x8b\x08")
    assert error_of(SourceError, open_source, str(path)).startswith(f"{path}: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "x.mbox"
    path.write_bytes(pi.mbox_bytes([pi.msg("m")]))
    path.chmod(0)
    assert (
        error_of(SourceError, open_source, str(path)) == f"{path}: cannot read: permission denied"
    )


def test_directory_named_like_a_file_inside_maildir(tmp_path):
    path = pi.make_maildir(str(tmp_path / "md"), [pi.msg("m", msgid="m@x")])
    os.mkdir(os.path.join(path, "cur", "subdir"))
    assert [m.where for m in open_source(path).select().messages] == [
        "Maildir file cur/1700000000.M0000P1.example:2,S"
    ]


def test_empty_v2_inbox(tmp_path):
    path = pi.make_v2_inbox(str(tmp_path), "fresh", [])
    assert (
        error_of(RangeError, open_source(path).select) == f"{path}: the archive holds no messages"
    )


def test_empty_v1_inbox(tmp_path):
    path = pi.make_v1_inbox(str(tmp_path), "fresh1", [])
    assert (
        error_of(RangeError, open_source(path).select) == f"{path}: the archive holds no messages"
    )
