"""The fast multipart reader gives the stdlib-based reader's text on every multipart
message of both real archives (and falls back to it for what it does not handle)."""

import subprocess

import pytest
from stdlib_ref import cat_file

from listdigest.message.body import _fast_mime_text, _mime_text
from listdigest.message.headers import parse_header_block, split_message


@pytest.mark.real
@pytest.mark.parametrize("fixture", ["hv_epoch", "kvmppc_epoch"])
def test_fast_multipart_equals_stdlib(fixture, request):
    gitdir = request.getfixturevalue(fixture)
    revs = subprocess.run(
        ["git", "--git-dir", gitdir, "rev-list", "HEAD"], capture_output=True, check=True, text=True
    ).stdout.split()
    fast = fell_back = 0
    for raw in cat_file(gitdir, revs):
        head, body = split_message(raw)
        ctype = (parse_header_block(head, frozenset({"content-type"})).get("content-type") or [""])[
            0
        ]
        if not ctype.lower().startswith("multipart/"):
            continue
        got = _fast_mime_text(body, ctype)
        if got is None:
            fell_back += 1
            continue
        assert got == _mime_text(raw)
        fast += 1
    assert fast > 10 * max(fell_back, 1) or fell_back == 0
    assert fast > 50
