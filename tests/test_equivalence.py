"""The hand-written fast parser gives the same results as a slow reference built on the
stdlib ``email`` package (policy.default): ids, subject, author by the in-body rule,
thread links, diff detection, the digest's body text, and the series they make.  Over
every message of kvm-ppc and 5,000 of linux-hyperv (issue "Fast on whole archives")."""

import email
import email.policy
import email.utils
import re
import subprocess

import pytest
from stdlib_ref import cat_file

from listdigest.message import Message, classify, parse_message
from listdigest.message.body import digest_text, has_diff, parse_inbody, split_body
from listdigest.message.subject import parse_subject
from listdigest.model.series import group_series
from listdigest.sources import RawMessage

MSGID = re.compile(r"<([^<>\s]+)>")


def reference(raw: RawMessage) -> Message:
    """The slow path: everything read through the stdlib's email package."""
    m = email.message_from_bytes(raw.data, policy=email.policy.default)

    def h(name):
        v = m.get(name)
        return " ".join(str(v).split()) if v is not None else ""

    ids = MSGID.findall(str(m.get("Message-ID", "")))
    subject = " ".join(h("Subject").replace("\x00", " ").split())
    name, addr = email.utils.parseaddr(h("From"))
    for via in ("x-original-from", "reply-to"):
        if (" via " in name or addr.startswith("devnull+")) and m.get(via):
            n2, a2 = email.utils.parseaddr(h(via))
            if a2:
                name, addr = n2, a2
                break
    else:
        if " via " in name:
            name = name.split(" via ")[0].strip(" '\"")
    try:
        part = m.get_body(("plain",))
        body = part.get_content() if part is not None else ""
    except (LookupError, KeyError):
        body = "\ufffd"  # the stdlib cannot decode it (e.g. charset windows-874): no reference
    body = body.replace("\r\n", "\n")
    ib = parse_inbody(body)
    author = (ib.from_name, ib.from_addr) if ib.from_addr else (name, addr)
    irt = MSGID.findall(str(m.get("In-Reply-To", "")))
    refs = tuple(r for v in (m.get_all("References") or []) for r in MSGID.findall(str(v)))
    return Message(
        msgid=ids[0] if ids else "",
        subject=subject,
        parsed=parse_subject(subject),
        from_name=name,
        from_addr=addr,
        author_name=author[0],
        author_addr=author[1],
        date=_date(m),
        received=None,
        in_reply_to=irt[0] if irt else None,
        references=refs,
        body=body,
        has_diff=has_diff(body),
        seq=raw.seq,
        kind=classify(parse_subject(subject), has_diff(body), bool(irt or refs), name, addr, body),
    )


def _date(m):
    """The Date header as unix time, by the stdlib (unthreaded series are grouped by time)."""
    try:
        return int(email.utils.parsedate_to_datetime(str(m.get("Date"))).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def raws(gitdir, limit=None):
    revs = subprocess.run(
        ["git", "--git-dir", gitdir, "rev-list", "--reverse", "HEAD"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split()
    if limit:
        revs = revs[-limit:]
    for i, data in enumerate(cat_file(gitdir, revs)):
        yield RawMessage(data, seq=i)


def simple_mime(raw: bytes) -> bool:
    """Single-part text mail with a charset that decodes cleanly: where both readings must
    agree on the body to the letter (multipart goes through the stdlib in both)."""
    head = raw.split(b"\n\n", 1)[0].lower()
    return b"multipart/" not in head and b"text/html" not in head


def compare(gitdir, limit=None):
    fast_all, ref_all = [], []
    checked = 0
    for raw in raws(gitdir, limit):
        fast, ref = parse_message(raw), reference(raw)
        assert fast.msgid == ref.msgid or (not ref.msgid and fast.msgid_synthetic), raw.seq
        assert fast.subject == ref.subject, (fast.subject, ref.subject)
        assert fast.parsed == ref.parsed
        assert (fast.in_reply_to, fast.references) == (
            ref.in_reply_to,
            tuple(r for r in ref.references if r != fast.msgid),
        )
        if simple_mime(raw.data) and "\ufffd" not in ref.body:
            assert fast.author_addr.lower() == ref.author_addr.lower(), (
                fast.subject,
                fast.author_addr,
                ref.author_addr,
            )
            assert fast.has_diff == ref.has_diff, fast.subject
            assert digest_text(fast.body) == digest_text(ref.body), fast.subject
            assert split_body(fast.body) == split_body(ref.body)
            checked += 1
        fast_all.append(fast)
        ref_all.append(ref)
    key = lambda ss: sorted((s.key, tuple(m.msgid for m in s.messages)) for s in ss)
    assert key(group_series([m for m in fast_all if m.is_patch])) == key(
        group_series([m for m in ref_all if m.is_patch])
    )
    return len(fast_all), checked


@pytest.mark.real
@pytest.mark.slow
def test_fast_parser_equals_stdlib_on_all_of_kvm_ppc(kvmppc_epoch):
    n, checked = compare(kvmppc_epoch)
    assert n > 5900 and checked > 0.9 * n


@pytest.mark.real
@pytest.mark.slow
def test_fast_parser_equals_stdlib_on_5000_of_linux_hyperv(hv_epoch):
    n, checked = compare(hv_epoch, limit=5000)
    assert n == 5000 and checked > 0.9 * n
