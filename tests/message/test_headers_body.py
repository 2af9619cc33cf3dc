"""Header unfolding and RFC 2047, in-body author and relays, MIME bodies, body splitting;
and the hand-written header parser held equal to the stdlib on real mail."""

import base64
import email
import email.policy
import email.utils
import quopri
import subprocess

import pytest
from pi import msg

from listdigest.message import parse_message
from listdigest.message.body import body_head, digest_text, has_diff, split_body
from listdigest.message.headers import decode_rfc2047, parse_date, parse_header_block, split_message
from listdigest.sources import RawMessage

PATCH = (
    "Fix it.\n\nSigned-off-by: A <a@x.org>\n---\nv2: rebased\n\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
    "diff --git a/a.c b/a.c\nindex 1..2 100644\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n"
)


def parse(raw):
    return parse_message(RawMessage(raw))


def test_folded_subject_unfolded():
    m = parse(msg("[PATCH v2 01/15] dma-mapping: add\n __dma_from_device_group_begin()/end()"))
    assert m.subject == "[PATCH v2 01/15] dma-mapping: add __dma_from_device_group_begin()/end()"


def test_rfc2047_words_joined_across_folds():
    raw = msg("=?utf-8?q?=5BPATCH=5D_gr=C3=BC=C3=9Fe=3A?=\n =?utf-8?b?IMO8YmVy?= helper")
    assert parse(raw).subject == "[PATCH] grüße: über helper"


def test_rfc2047_unknown_charset_and_latin1():
    assert decode_rfc2047("=?x-unknown-cs?q?caf=C3=A9?=") == "café"
    assert decode_rfc2047("=?iso-8859-1?q?caf=E9?=") == "café"
    assert decode_rfc2047("=?utf-8*en?q?hi?=") == "hi"


def test_crlf_in_decoded_subject_is_flattened():
    m = parse(msg("=?utf-8?q?x=0D=0ABcc:_evil@x?="))
    assert "\n" not in m.subject and "\r" not in m.subject and m.subject == "x Bcc: evil@x"


def test_crlf_line_endings():
    raw = msg("[PATCH] crlf\n folded", body=PATCH, newline="\r\n")
    m = parse(raw)
    assert m.subject == "[PATCH] crlf folded" and m.has_diff


def test_inbody_from_is_the_author():
    m = parse(
        msg(
            "[PATCH] x", from_="Sender <s@x.org>", body="From: Real Author <real@y.org>\n\n" + PATCH
        )
    )
    assert (m.author_name, m.author_addr) == ("Real Author", "real@y.org")
    assert (m.from_name, m.from_addr) == ("Sender", "s@x.org")
    assert digest_text(m.body).startswith("Fix it.")


def test_inbody_from_rfc2047_encoded():
    m = parse(
        msg(
            "[PATCH] x",
            body="From: =?utf-8?q?J=C3=B6rg?= <j@y.org>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n"
            + PATCH,
        )
    )
    assert m.author_name == "Jörg"


def test_b4_relay_without_inbody_from_uses_x_original_from():
    m = parse(
        msg(
            "[PATCH] x",
            from_="Ada via B4 Relay <devnull+ada.example.com@kernel.org>",
            headers={"X-Original-From": "Ada <ada@example.com>", "Reply-To": "ada@example.com"},
            body=PATCH,
        )
    )
    assert (m.author_name, m.author_addr) == ("Ada", "ada@example.com")


def test_via_list_rewrite_uses_reply_to():
    m = parse(
        msg(
            "[PATCH] x",
            from_="'Bob' via kasan-dev <kasan-dev@googlegroups.com>",
            headers={"Reply-To": "Bob <bob@b.org>"},
            body=PATCH,
        )
    )
    assert m.author_addr == "bob@b.org"


def test_prose_starting_with_from_is_not_inbody_header():
    m = parse(
        msg(
            "[PATCH] x",
            from_="A <a@x.org>",
            body="From: the top of the stack\nwe walk down.\n" + PATCH,
        )
    )
    assert m.author_addr == "a@x.org"


def test_quoted_printable_and_base64_bodies():
    qp = quopri.encodestring(PATCH.replace("Fix it.", "Fix it — now.").encode()).decode()
    m = parse(
        msg(
            "[PATCH] x",
            body=qp,
            headers={
                "MIME-Version": "1.0",
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Transfer-Encoding": "quoted-printable",
            },
        )
    )
    assert m.has_diff and "Fix it — now." in digest_text(m.body)
    b64 = base64.encodebytes(PATCH.encode()).decode()
    m = parse(
        msg(
            "[PATCH] x",
            body=b64,
            headers={
                "MIME-Version": "1.0",
                "Content-Type": "text/plain",
                "Content-Transfer-Encoding": "base64",
            },
        )
    )
    assert m.has_diff


def test_undeclared_8bit_latin1_body():
    m = parse(msg("x", body="caf\xe9\n".encode("latin-1")))
    assert "café" in m.body


def test_patch_as_attachment():
    body = (
        '--b\nContent-Type: text/plain; charset=utf-8\n\nSee attached.\n--b\nContent-Type: text/x-patch; name="a.patch"\n'
        'Content-Disposition: attachment; filename="a.patch"\nContent-Transfer-Encoding: base64\n\n'
        + base64.encodebytes(PATCH.encode()).decode()
        + "--b--\n"
    )
    m = parse(
        msg(
            "[PATCH] x",
            body=body,
            headers={"MIME-Version": "1.0", "Content-Type": 'multipart/mixed; boundary="b"'},
        )
    )
    assert m.has_diff and "See attached." in m.body


def test_html_only_mail_is_text_without_script():
    m = parse(
        msg(
            "hello",
            body="<html><script>alert(1)</script><p>Hi <b>there</b></p></html>",
            headers={"Content-Type": "text/html"},
        )
    )
    assert "alert" not in m.body and "Hi there" in m.body


def test_missing_message_id_date_from():
    m = parse(b"Subject: lonely\n\nbody\n")
    assert (
        m.msgid_synthetic
        and m.msgid.startswith("listdigest-")
        and m.date is None
        and m.author_addr == ""
    )


def test_several_message_ids_take_first_and_irt_without_refs():
    m = parse(
        msg("Re: x", headers={"Message-ID": "<second@x>"}, msgid="first@x", in_reply_to="p@x")
    )
    assert m.msgid == "first@x" and m.parent == "p@x" and m.kind == "reply"


def test_bogus_zones_and_out_of_range_years():
    assert parse_date("Mon, 1 Jan 2024 00:00:00 +0109") == 1704067200 - 3600 - 540
    assert parse_date("Mon, 1 Jan 0000 00:00:00 +0000") is None
    assert parse_date("Fri, 31 Dec 9999 23:59:59 +0000") is None
    assert parse_date("garbage") is None


def test_digest_text_stops_at_diffstat_and_drops_signature_and_base_commit():
    cover = "Cover.\n\nA (2):\n  x\n  y\n\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\nbase-commit: abc\n-- \n2.43.0\n"
    assert digest_text(cover).endswith(" 1 file changed, 1 insertion(+), 1 deletion(-)")
    t = digest_text(PATCH)
    assert t.endswith("1 deletion(-)") and "v2: rebased" in t and "diff --git" not in t


def test_body_without_triple_dash_and_cvs_diff():
    body = "Fix.\nIndex: a.c\n===================================================================\n--- a.c\n+++ a.c\n@@ -1 +1 @@\n-a\n+b\n"
    assert has_diff(body) and digest_text(body) == "Fix."
    parts = split_body(PATCH)
    assert parts.message.startswith("Fix it.") and "v2: rebased" in parts.notes
    assert (
        parts.diffstat.endswith("1 deletion(-)")
        and parts.diff.startswith("diff --git")
        and parts.signature.startswith("-- ")
    )


def test_quoted_diff_in_reply_is_not_a_diff():
    quoted = "\n".join("> " + l for l in PATCH.split("\n"))
    assert not has_diff(quoted)


def _stdlib(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


@pytest.mark.real
def test_headers_equal_stdlib_on_real_mail(hv_epoch):
    """Message-ID, From and Subject by the hand-written parser equal the stdlib's reading
    on 3,000 real messages (stdlib header decoding as the reference)."""
    from email.header import decode_header, make_header

    revs = (
        subprocess.run(
            ["git", "--git-dir", hv_epoch, "rev-list", "-n", "3000", "HEAD"],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split()
    )
    out = subprocess.run(
        ["git", "--git-dir", hv_epoch, "cat-file", "--batch"],
        input="".join(f"{r}:m\n" for r in revs).encode(),
        capture_output=True,
        check=True,
    ).stdout
    pos = checked = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        size = int(out[pos:nl].split()[2])
        raw = out[nl + 1 : nl + 1 + size]
        pos = nl + 2 + size
        ours = parse(raw)
        ref = _stdlib(raw)
        subj = " ".join(str(make_header(decode_header(ref["Subject"] or ""))).split())
        assert ours.subject == subj, (ours.subject, subj)
        name, addr = email.utils.parseaddr(str(make_header(decode_header(ref["From"] or ""))))
        if " via " not in name:
            assert ours.from_addr == addr
        assert ours.msgid == (ref["Message-ID"] or "").strip().strip("<>").split(">")[0]
        checked += 1
    assert checked == 3000


def test_wanted_fields_any_case_space_before_colon_and_crlf_folds():
    from listdigest.message.headers import DIGEST_FIELDS

    head = (
        b"X-Junk: a\r\nSUBJECT : [PATCH] one\r\n two\r\n\tthree\r\nmessage-Id:\r\n <a@b>\r\n"
        b"Received: 1\r\nReceived: 2\r\nReceived: 3\r\nReceived: 4\r\nX-Subject: no"
    )
    h = parse_header_block(head, DIGEST_FIELDS)
    assert h["subject"] == ["[PATCH] one two\tthree"]
    assert h["message-id"] == ["<a@b>"]
    assert h["received"] == ["1", "2", "3"]  # only the topmost hops
    assert "x-subject" not in h and "x-junk" not in h


def test_wanted_fields_one_latin1_value_among_utf8_ones():
    # the block is not UTF-8 as a whole: each value is decoded on its own, as before
    from listdigest.message.headers import DIGEST_FIELDS

    head = "Subject: Grüße\nFrom: ".encode() + "Jörg <j@x.org>".encode("latin-1") + b"\nDate: x"
    h = parse_header_block(head, DIGEST_FIELDS)
    assert h["subject"] == ["Grüße"] and h["from"] == ["Jörg <j@x.org>"] and h["date"] == ["x"]


def test_wanted_fields_keep_nbsp_and_strip_only_ascii_space():
    from listdigest.message.headers import DIGEST_FIELDS

    h = parse_header_block("Subject: \u00a0x\u00a0 \t\nFrom: a".encode(), DIGEST_FIELDS)
    assert h["subject"] == ["\u00a0x\u00a0"]


def test_split_message_crlf_blank_line_after_an_lf_one_is_body():
    head, body = split_message(b"Subject: a\n\nbody\r\n\r\nmore")
    assert head == b"Subject: a" and body == b"body\r\n\r\nmore"
    head, body = split_message(b"Subject: a\r\n\r\nbody\n\nmore")
    assert head == b"Subject: a" and body == b"body\n\nmore"


@pytest.mark.real
def test_body_head_reads_as_the_whole_body_on_real_patches(kvmppc_epoch):
    """Every patch posting of kvm-ppc: what the digest and its history read of a body
    (digest text, notes, changelogs, change-id, links before the diff) is the same from
    ``body_head`` as from the whole body, and the head is much smaller."""
    from listdigest.analysis.history import changelog
    from listdigest.message.body import body_head, strip_inbody
    from listdigest.model.versions import change_id, lore_links

    revs = (
        subprocess.run(
            ["git", "--git-dir", kvmppc_epoch, "rev-list", "HEAD"], capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    out = subprocess.run(
        ["git", "--git-dir", kvmppc_epoch, "cat-file", "--batch"],
        input="".join(f"{r}:m\n" for r in revs).encode(),
        capture_output=True,
        check=True,
    ).stdout
    pos = patches = whole = kept = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        f = out[pos:nl].split()
        if len(f) != 3:
            pos = nl + 1
            continue
        size = int(f[2])
        m = parse(out[nl + 1 : nl + 1 + size])
        pos = nl + 2 + size
        if not m.is_patch:
            continue
        body, head = m.body, body_head(m.body)
        assert body.startswith(head)
        assert digest_text(head) == digest_text(body)
        sb, sh = split_body(strip_inbody(body)), split_body(strip_inbody(head))
        assert (sh.message, sh.notes, sh.diffstat) == (sb.message, sb.notes, sb.diffstat)
        for v in (2, 3, 5):
            assert changelog(strip_inbody(head), v) == changelog(strip_inbody(body), v)
            assert changelog(sh.notes, v) == changelog(sb.notes, v)
        assert change_id(head) == change_id(body)
        before_diff = body[: len(body) - len(sb.diff)] if sb.diff else body
        assert lore_links(head) == lore_links(before_diff)
        patches += 1
        whole += len(body)
        kept += len(head)
    assert patches > 2500 and kept < whole / 3, (patches, kept, whole)


def test_body_head_keeps_a_two_line_diff_start():
    body = "msg\n---\n a | 1 +\n 1 file changed\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    head = body_head(body)
    assert head == "msg\n---\n a | 1 +\n 1 file changed\n\n--- a/x\n+++ b/x"
    assert split_body(head).diffstat == split_body(body).diffstat
    assert body_head("no diff at all\n") == "no diff at all\n"


# -- read_head: the one-pass header scan parse_message uses --------------------------------


def _general(raw):
    """split_message and the general (every field) header parser, cut to what the digest
    reads: an independent reading for read_head to equal."""
    from listdigest.message.headers import DIGEST_FIELDS

    head, body = split_message(raw)
    h = {k: v for k, v in parse_header_block(head).items() if k in DIGEST_FIELDS}
    if "received" in h:
        h["received"] = h["received"][:3]
    return h, body


@pytest.mark.real
def test_read_head_equals_the_general_parser_on_every_real_message(kvmppc_epoch):
    """Every kvm-ppc message (5,965): the same fields, values and body as splitting first
    and parsing every field."""
    from listdigest.message.headers import DIGEST_FIELDS, read_head

    revs = (
        subprocess.run(
            ["git", "--git-dir", kvmppc_epoch, "rev-list", "HEAD"], capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    out = subprocess.run(
        ["git", "--git-dir", kvmppc_epoch, "cat-file", "--batch"],
        input="".join(f"{r}:m\n" for r in revs).encode(),
        capture_output=True,
    ).stdout
    pos = checked = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        parts = out[pos:nl].split()
        if len(parts) != 3:  # a commit without m (a d commit)
            pos = nl + 1
            continue
        raw = out[nl + 1 : nl + 1 + int(parts[2])]
        pos = nl + 2 + int(parts[2])
        assert read_head(raw, DIGEST_FIELDS) == _general(raw), raw[:300]
        checked += 1
    assert checked == 5965


@pytest.mark.parametrize(
    "raw",
    [
        b"Received: from a; Mon, 1 Jan 2024 00:00:00 +0000\nSubject: s\n\nbody",  # first line wanted
        b"From someone Mon Jan  1 00:00:00 2024\nSubject: s\nFrom: A <a@x>\n\nbody",  # mbox From_ line
        b"subject: no body, no blank line",
        b"\nSubject: looks like a field but is body",
        b"\r\nSubject: same, CRLF",
        b"Subject: a\r\n b\r\nFrom: x\r\n\r\nbody\r\n",
        b"Subject: a\r\n\nbody",  # mixed endings
        b"X-A: 1\nSubject:\n\tfolded only\nFROM  :  A <a@x>\n\n",
        b"Subject: a\nReceived: 1\nReceived: 2\nReceived: 3\nReceived: 4\n\nReceived: body",
        b"",
    ],
)
def test_read_head_edge_blocks(raw):
    from listdigest.message.headers import DIGEST_FIELDS, read_head

    assert read_head(raw, DIGEST_FIELDS) == _general(raw)


def test_read_head_ends_the_block_at_a_crlf_blank_line_after_lf_lines():
    # "…\n\r\n": a blank line (CRLF) after an LF-ended one; the stdlib parser ends the
    # block there too, so the Subject-looking line after it is body
    from listdigest.message.headers import DIGEST_FIELDS, read_head

    raw = b"Subject: real\nFrom: A <a@x>\n\r\nSubject: in the body\n"
    h, body = read_head(raw, DIGEST_FIELDS)
    assert h["subject"] == ["real"] and body == b"Subject: in the body\n"
    assert email.message_from_bytes(raw, policy=email.policy.compat32).get_all("Subject") == [
        "real"
    ]


def test_read_head_field_names_in_any_case_are_not_cached_without_bound():
    from listdigest.message import headers as H

    spellings = set()
    for i in range(600):  # 600 spellings of one name (of 1,024)
        bits = iter(range(10))  # one bit per letter of "ontent" and "type"
        spelled = "".join(
            c.upper() if c.isalpha() and i >> next(bits) & 1 else c for c in "ontent-type"
        )
        spellings.add(spelled)
        h, _ = H.read_head(
            b"X: 1\nC" + spelled.encode() + b": text/plain; x=%d\n\n" % i, H.DIGEST_FIELDS
        )
        assert h["content-type"] == [f"text/plain; x={i}"]
    assert len(spellings) == 600 and len(H._KEYS) <= 256
