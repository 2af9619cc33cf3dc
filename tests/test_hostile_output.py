"""Output safety (issue 8): message-derived strings are escaped in HTML, Markdown and Atom;
a subject with CR/LF cannot add a mail header; the SMTP password never appears in any
output or error.  Hostile messages are crafted by code and stored in a real v2 inbox."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import hostile_kit
import pytest
from daily_helpers import Epoch, closed_port, patch

# a CLI process per hostile case: the full suite, not the fast tier
pytestmark = pytest.mark.slow

LINK_BASE = "https://lore.example.org/hostile/"
BODY = (
    b"Hi <iframe src=x></iframe> [x](javascript:alert(1)) `code` ``` fence\n<script>alert(2)</script>\n"
    b"---\n a.c | 1 +\n 1 file changed, 1 insertion(+)\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1,2 @@\n x\n+y\n"
)
HOSTILE = [
    hostile_kit.mail(
        [
            ("From", '"<img src=x onerror=alert(3)>" <evil@example.org>'),
            (
                "Subject",
                "[PATCH] <script>alert(1)</script> [a](javascript:alert(4)) | *x* _y_ &amp; </pre>",
            ),
            ("Date", "Mon, 01 Jan 2024 10:00:00 +0000"),
            ("Message-ID", "<x)[click](javascript:alert(5))\"onmouseover=alert(6)&'@x>"),
        ],
        BODY,
    ),
    hostile_kit.mail(
        [
            ("From", "=?utf-8?q?=3Cscript=3Ealert=287=29=3C/script=3E?= <a@b.org>"),
            (
                "Subject",
                "[PATCH 1/1] =?utf-8?q?=3Cimg_src=3Dx_onerror=3Dalert=288=29=3E=0D=0ABcc:_x@y?=",
            ),
            ("Date", "Mon, 01 Jan 2024 11:00:00 +0000"),
            ("Message-ID", "<y@x>"),
        ],
        BODY,
    ),
    hostile_kit.mail(
        [
            ("From", "Ｍallory ]]></content><script>alert(9)</script> <m@x.org>"),
            ("Subject", "[PATCH] ]]> <![CDATA[ x"),
            ("Date", "Mon, 01 Jan 2024 12:00:00 +0000"),
            ("Message-ID", "<z@x>"),
        ],
        BODY,
    ),
]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return hostile_kit.build_v2_inbox(str(tmp_path_factory.mktemp("esc")), HOSTILE)


def render(inbox, fmt):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "listdigest.cli",
            "report",
            inbox,
            "--format",
            fmt,
            "--no-index",
            "--link-base",
            LINK_BASE,
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]


def test_html_has_no_injected_tags_attributes_or_links(inbox):
    out = render(inbox, "html")
    p = _Tags()
    p.feed(out)
    assert not {"script", "iframe", "img"} & set(p.tags)
    assert not [a for a in p.attrs if a[1].startswith("on")]
    hrefs = [v for t, k, v in p.attrs if k == "href"]
    assert hrefs and all(v.startswith((LINK_BASE, "#")) for v in hrefs), hrefs
    assert "alert(1)" in out  # the text is there, as text


def _outside_fences(md: str) -> str:
    out, fence = [], None
    for line in md.splitlines():
        m = re.match(r"^(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if (
                line.startswith(fence)
                and set(line.strip()) == {"`"}
                and len(line.strip()) >= len(fence)
            ):
                fence = None
            continue
        out.append(line)
    assert fence is None, "a body closed or left open a code fence"
    return "\n".join(out)


def test_markdown_escapes_everything_outside_code_fences(inbox):
    md = _outside_fences(render(inbox, "markdown"))
    # no raw HTML and no link but ours: every "<" and "[" that is not escaped is our own markup
    assert not re.search(r"(?<!\\)<(?!https://lore\.example\.org/)", md), md
    destinations = re.findall(r"\]\((<[^>]*>|[^)]*)\)", md)
    assert destinations and all(d.startswith("<" + LINK_BASE) for d in destinations), destinations
    # "javascript:" may appear inside our own URL's path (it is the Message-ID), never as a scheme
    assert all(d.count("<") == 1 and d.endswith(">") and " " not in d for d in destinations)
    for line in md.splitlines():
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 3, line  # no extra table cells


def test_atom_is_well_formed_and_holds_the_strings_as_text(inbox):
    out = render(inbox, "atom")
    root = ET.fromstring(out.encode())
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    # entry content is HTML (type="html"): once the XML is parsed, still escaped HTML
    html = "".join(root.itertext())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    p = _Tags()
    p.feed(html)
    assert not {"script", "iframe", "img"} & set(p.tags)
    assert not [a for a in p.attrs if a[1].startswith("on")]


def test_text_output_has_no_control_characters(inbox):
    out = render(inbox, "text")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out)
    assert not any(ln.startswith("Bcc:") for ln in out.splitlines())


# --------------------------------------------------------------------------- mail headers


def test_subject_with_crlf_cannot_add_a_header():
    from listdigest.delivery.smtp import build_message

    with pytest.raises(ValueError):
        build_message(
            subject="digest\r\nBcc: evil@example.org",
            sender="d@example.org",
            to=["r@example.org"],
            text="x",
        )
    with pytest.raises(ValueError):
        build_message(
            subject="digest",
            sender="d@example.org\nBcc: evil@example.org",
            to=["r@example.org"],
            text="x",
        )


def _config(tmp_path, inbox, port, smtp_extra=""):
    from daily_helpers import write_config

    return write_config(tmp_path / "c.toml", inbox, port, extra_smtp=smtp_extra)


def test_delivered_digest_of_hostile_mail_has_only_our_headers(tmp_path):
    from daily_helpers import Inbox, running_smtp

    ep = Epoch(str(tmp_path / "inbox"))
    for raw in HOSTILE:
        ep.add(raw)
    with running_smtp(Inbox()) as handler:
        cfg = _config(tmp_path, ep.inbox, handler.port)
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "listdigest.cli",
                "run",
                "--config",
                cfg,
                "--state-dir",
                str(tmp_path / "s"),
            ],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
        )
    assert p.returncode == 0, p.stderr
    [msg] = handler.messages
    assert handler.envelopes == [("digest@example.org", ["readers@example.org"])]
    names = {k.lower() for k in msg}
    assert names <= {
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        "list-id",
        "auto-submitted",
        "x-auto-response-suppress",
        "content-type",
        "mime-version",
        "in-reply-to",
        "references",
        "x-peer",
        "x-mailfrom",
        "x-rcptto",
    }, names
    assert "bcc" not in names
    assert msg["Subject"].startswith("[Demo] digest ") and "\n" not in msg["Subject"]


# --------------------------------------------------------------------------- passwords

SECRET = "s3cr3t-Pa55w0rd-QX7"


def _env(tmp_path, **extra):
    import os

    env = dict(
        os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_STATE_HOME=str(tmp_path / "st"), **extra
    )
    return env


class _RefusingAuth:
    """aiosmtpd authenticator that refuses everyone (and would see the password)."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        return AuthResult(success=False, handled=False)


@pytest.mark.parametrize("server", ["no-auth", "auth-refused", "closed-port"])
@pytest.mark.parametrize("source", ["env", "file"])
def test_smtp_password_never_shown(tmp_path, server, source):
    import contextlib

    from daily_helpers import Inbox, running_smtp

    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] demo: one"))
    pwfile = tmp_path / "pw"
    pwfile.write_text(SECRET + "\n")
    how = 'password_env = "LD_TEST_PW"' if source == "env" else f'password_file = "{pwfile}"'
    with contextlib.ExitStack() as stack:
        if server == "closed-port":
            port = closed_port()
        else:
            kw = (
                {"authenticator": _RefusingAuth(), "auth_require_tls": False}
                if server == "auth-refused"
                else {}
            )
            port = stack.enter_context(running_smtp(Inbox(), **kw)).port
        cfg = _config(tmp_path, ep.inbox, port, smtp_extra=f'user = "digest"\n{how}')
        args = [
            sys.executable,
            "-m",
            "listdigest.cli",
            "run",
            "--config",
            cfg,
            "--state-dir",
            str(tmp_path / "s"),
        ]
        p = subprocess.run(
            args, capture_output=True, text=True, env=_env(tmp_path, LD_TEST_PW=SECRET)
        )
        dry = subprocess.run(
            [*args, "--dry-run"],
            capture_output=True,
            text=True,
            env=_env(tmp_path, LD_TEST_PW=SECRET),
        )
        check = subprocess.run(
            [sys.executable, "-m", "listdigest.cli", "config", "check", "--config", cfg],
            capture_output=True,
            text=True,
            env=_env(tmp_path, LD_TEST_PW=SECRET),
        )
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.startswith("Error: ") and "Traceback" not in p.stderr
    for out in (p.stdout, p.stderr, dry.stdout, dry.stderr, check.stdout, check.stderr):
        assert SECRET not in out
        import base64

        assert base64.b64encode(SECRET.encode()).decode()[:12] not in out
    assert not (tmp_path / "s" / "demo.json").exists()
