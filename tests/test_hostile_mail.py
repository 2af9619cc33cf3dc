"""A corpus of crafted hostile messages (built by code in hostile_kit, no files committed):
each is either read or skipped with a reason -- never a traceback -- in bounded time and
memory, one by one and all together in a real v2 inbox through ``listdigest report``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import tracemalloc

import hostile_kit
import pytest

from listdigest.message import parse_message, read_messages
from listdigest.message.body import digest_text, split_body
from listdigest.message.trailers import parse_trailers
from listdigest.sources import RawMessage

CORPUS = hostile_kit.hostile_messages()
#: messages the parser must refuse (with a reason); everything else must be read
REFUSED = {
    "empty-message",
    "only-newlines",
    "mbox-from-line-only",
    "headerless-body",
    "no-colon-garbage",
    "binary-garbage",
    "binary-garbage-2",
    "deep-nesting-1000",
}


def test_corpus_is_large_and_covers_the_issue():
    names = {n for n, _ in CORPUS}
    assert len(CORPUS) >= 50
    for must in (
        "broken-boundary",
        "wrong-charset",
        "unknown-charset",
        "truncated-base64",
        "truncated-qp",
        "nul-bytes",
        "body-10mb",
        "references-5000",
        "crlf-injection-subject",
        "msgid-100k",
        "date-year-0",
        "date-year-9999",
        "deep-nesting-1000",
        "html-only-script",
        "empty-message",
        "only-headers",
        "binary-garbage",
    ):
        assert must in names


@pytest.mark.parametrize("name, raw", CORPUS, ids=[n for n, _ in CORPUS])
def test_hostile_message_read_or_skipped_in_bounded_time_and_memory(name, raw):
    big = len(raw) > (1 << 20)
    if not big:
        tracemalloc.start()
    t = time.process_time()
    [(_, msg, reason)] = list(read_messages([RawMessage(data=raw, where=name)]))
    if msg is not None:
        digest_text(msg.body)
        split_body(msg.body)
        parse_trailers(msg.body)
        msg.kind, msg.ancestors  # noqa: B018
    spent = time.process_time() - t
    if not big:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 64 * len(raw) + (8 << 20), (
            f"{name}: {peak} bytes for a {len(raw)}-byte message"
        )
    assert spent < (3.0 if big else 1.0), f"{name}: {spent:.2f}s"
    if name in REFUSED:
        assert msg is None and reason
    else:
        assert msg is not None, f"{name} skipped: {reason}"
        for s in (msg.subject, msg.msgid, msg.from_name, msg.author_name, msg.author_addr):
            assert "\n" not in s and "\r" not in s and "\x00" not in s


def test_crlf_in_encoded_subject_cannot_make_a_header():
    raw = dict(CORPUS)["crlf-injection-subject"]
    m = parse_message(RawMessage(data=raw))
    assert m.subject == "x Bcc: evil@x"


def test_dates_out_of_range_fall_back():
    for name in ("date-year-0", "date-year-9999", "date-garbage"):
        m = parse_message(RawMessage(data=dict(CORPUS)[name], commit_time=1704067200))
        assert m.date is None and m.received == 1704067200, name


def test_html_only_mail_loses_its_scripts():
    m = parse_message(RawMessage(data=dict(CORPUS)["html-only-script"]))
    assert "alert" not in m.body and "Hello list" in m.body.replace("\n", " ")
    m = parse_message(RawMessage(data=dict(CORPUS)["html-multipart-script"]))
    assert "evil()" not in m.body


def _limit_memory():  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.mark.slow
def test_report_on_inbox_of_hostile_mail(tmp_path):
    """All of them in one genuine-layout v2 inbox: ``listdigest report`` exits 0 and names the
    skipped ones in its last line, under a 3 GB address-space limit."""
    raws = [raw for _, raw in CORPUS]
    inbox = hostile_kit.build_v2_inbox(str(tmp_path), raws)
    commits = hostile_kit.commits(os.path.join(inbox, "git", "0.git"))
    out = tmp_path / "digest.txt"
    t = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "listdigest.cli", "report", inbox, "-o", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
    )
    elapsed = time.monotonic() - t
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    text = out.read_text()
    # the closing "Skipped ..." line, wrapped at 80 columns like every composed line: its words
    last = " ".join(text[text.rindex("\nSkipped ") + 1 :].split())
    # an empty blob is what public-inbox-purge leaves: no message at all, so not "skipped"
    refused = REFUSED - {"empty-message"}
    assert last.startswith(f"Skipped {len(refused)} unreadable messages: "), last
    by_name = {name: c for (name, _), c in zip(CORPUS, commits)}
    for name in refused:
        assert f"commit {by_name[name][:12]} (" in last, name
    assert "nested MIME" in last and "no headers" in last
    assert "\x00" not in text and "\x1b" not in text
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    # the 10 MB bodies are in the digest only as far as it prints bodies (the time is printed,
    # not limited: a slow machine is no defect)
    print(f"hostile inbox: {len(raws)} messages, {len(refused)} skipped, report in {elapsed:.1f}s")


def test_absurd_zone_is_ignored_not_applied():
    # "+999999" used to shift the date by 417 days; now the zone is dropped (time read as UTC)
    m = parse_message(RawMessage(data=dict(CORPUS)["date-huge-zone"]))
    assert m.date == 1704103200  # Mon, 01 Jan 2024 10:00:00 UTC
