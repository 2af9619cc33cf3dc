"""Test helpers for the daily-run tests: a plain-git public-inbox v2 epoch one can append
messages to (git plumbing, as public-inbox stores them: one commit per message, file ``m``),
and a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import socket
import subprocess
import threading
from email.utils import formatdate

import pi

T0 = 1767600000  # 2026-01-05 08:00 UTC


def git(gitdir: str, *args: str, data: bytes | None = None, env=None) -> str:
    return (
        subprocess.run(
            ["git", "--git-dir", gitdir, *args],
            input=data,
            check=True,
            capture_output=True,
            env=env,
        )
        .stdout.decode()
        .strip()
    )


def mail(
    n: int,
    subject: str,
    frm: str = "Ada Lovelace <ada@example.com>",
    body: str = "Body.\n",
    *,
    irt: str | None = None,
) -> bytes:
    lines = [
        f"Received: from smtp.example.org by lists.example.org; {formatdate(T0 + n * 3600 + 30)}",
        f"From: {frm}",
        "To: demo@lists.example.org",
        f"Subject: {subject}",
        f"Date: {formatdate(T0 + n * 3600)}",
        f"Message-ID: <m{n}@example.org>",
    ]
    if irt:
        lines += [f"In-Reply-To: <{irt}>", f"References: <{irt}>"]
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    return ("\n".join(lines) + "\n").encode()


def patch(n: int, subject: str, frm: str = "Ada Lovelace <ada@example.com>") -> bytes:
    body = (
        "Make it better.\n\nSigned-off-by: Ada Lovelace <ada@example.com>\n---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
        "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"
    )
    return mail(n, subject, frm, body)


class Epoch:
    """A bare v2 epoch at ``<inbox>/git/0.git``; ``add`` appends one message commit."""

    def __init__(self, inbox: str) -> None:
        self.inbox = inbox
        self.gitdir = os.path.join(inbox, "git", "0.git")
        os.makedirs(os.path.dirname(self.gitdir), exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", self.gitdir], check=True)
        git(self.gitdir, "symbolic-ref", "HEAD", "refs/heads/master")
        self.head: str | None = None
        self.n = 0

    def add(self, raw: bytes) -> str:
        """One message commit at a fixed clock (a minute apart from T0): commit ids and so
        the renderers' golden files never depend on the day the test runs."""
        self.n += 1
        n = self.n
        head = pi.import_messages(
            self.gitdir,
            [raw],
            "t <t@example.org>",
            author="t <t@example.org>",
            when=lambda i, _raw: (T0 + n * 60, "+0000"),
            message=lambda i, _raw: f"message {n}\n",
        )
        assert head is not None
        self.head = head
        return head


#: sockets bound and never listened on (``closed_port``), kept open until the process ends
_CLOSED: list[socket.socket] = []


def closed_port() -> int:
    """A port of 127.0.0.1 that refuses connections ("the server is not there") for the rest
    of this process: bound here and never listened on, so no other test or pytest-xdist
    worker can start a server on it meanwhile (a port found free and let go could be)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _CLOSED.append(s)
    return s.getsockname()[1]


def smtp_controller(handler, **options):
    """aiosmtpd's Controller for ``handler`` on 127.0.0.1, serving a socket bound before it
    starts (a port found free and let go could be taken by a parallel test first);
    ``options`` go to Controller.  Not started; its ``port`` is the socket's."""
    from aiosmtpd.controller import Controller

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))

    class OnBoundSocket(Controller):
        def _create_server(self):
            return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)

    return OnBoundSocket(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **options)


class Inbox:
    """aiosmtpd handler that keeps every accepted message, parsed; ``refuse`` makes it answer 5xx."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(
                envelope.original_content.replace(b"\r\n", b"\n"), policy=email.policy.default
            )
        )
        return "250 OK"


class BadServer:
    """A plain socket server on 127.0.0.1 that greets and then closes, or greets and stalls."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            if self.mode == "drop":
                c.sendall(b"220 bad.example ESMTP\r\n")
                c.recv(1024)  # EHLO
                c.close()
            elif self.mode == "stall":
                c.sendall(b"220 slow.example ESMTP\r\n")  # then never answers EHLO

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sock.close()


@contextlib.contextmanager
def running_smtp(handler, **controller_options):
    """A real aiosmtpd server on 127.0.0.1 (a free port) around ``handler``; handler.port is set.
    ``controller_options`` go to aiosmtpd's Controller (an authenticator, say)."""
    ctl = smtp_controller(handler, **controller_options)
    ctl.start()
    handler.port = ctl.port
    try:
        yield handler
    finally:
        ctl.stop()


def write_config(
    path, inbox, port, *, extra_list="", extra_smtp="", timeout=5, formats=("text", "html")
) -> str:
    """A configuration with one list "demo" on ``inbox``, mailed through 127.0.0.1:``port``."""
    with open(path, "w") as f:
        f.write(f"""
[smtp]
host = "127.0.0.1"
port = {port}
timeout = {timeout}
{extra_smtp}

[lists.demo]
name = "Demo"
archive = "{inbox}"
to = ["readers@example.org"]
from = "Demo digest <digest@example.org>"
formats = {json.dumps(list(formats))}
link_base = "https://lore.example.org/demo/"
start = "2020-01-01"
{extra_list}
""")
    return str(path)
