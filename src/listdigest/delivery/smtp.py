"""Mailing a digest: building the message (``multipart/alternative`` text + HTML, proper
headers, optional threading) and sending it over SMTP (plain, STARTTLS or SSL, AUTH).

The connection comes from a factory passed in (``connect``), so tests use a real server on
127.0.0.1.  Every failure becomes a ``DeliveryError`` with one line that never holds the
password.  What to send and to whom is decided by the caller.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Callable

from ..errors import DeliveryError

# a body line starting with "From " (the mbox separator that generators quote as ">From ")
_FROM_LINE_RE = re.compile(r"^From ", re.MULTILINE)

Connect = Callable[..., smtplib.SMTP]


def build_message(
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    text: str,
    html: str | None = None,
    list_id: str | None = None,
    list_name: str = "",
    in_reply_to: str | None = None,
    date: float | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """The digest mail: text part, then the HTML alternative when given."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    # the sender's own zone, as a mail client writes it (not "-0000", "zone unknown")
    msg["Date"] = formatdate(date if date is not None else time.time(), localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = message_id or make_msgid("listdigest", domain=domain)
    if list_id:
        msg["List-Id"] = f"{list_name} digest <{list_id}>" if list_name else f"<{list_id}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for part in msg.walk():
        if not part.is_multipart():
            # smtplib's generator turns a line starting "From " into ">From " (mbox quoting), and
            # the digest's first line is "From X to Y": encode that F so the text arrives intact
            payload = part.get_payload()
            assert isinstance(payload, str)  # set_content with quoted-printable gives text
            part.set_payload(_FROM_LINE_RE.sub("=46rom ", payload))
    return msg


def default_connect(
    host: str, port: int, *, security: str, timeout: float, context: ssl.SSLContext | None
) -> smtplib.SMTP:
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    return smtplib.SMTP(host, port, timeout=timeout)


def send(
    msg: EmailMessage,
    *,
    host: str,
    port: int,
    security: str = "none",
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
    context: ssl.SSLContext | None = None,
    connect: Connect = default_connect,
) -> None:
    """Send ``msg`` to its To: recipients; raises DeliveryError unless every one was accepted."""
    where = f"SMTP {host}:{port}"
    if security in ("starttls", "ssl") and context is None:
        context = ssl.create_default_context()
    conn = None
    try:
        conn = connect(host, port, security=security, timeout=timeout, context=context)
        conn.ehlo_or_helo_if_needed()
        if security == "starttls":
            if not conn.has_extn("starttls"):
                raise DeliveryError(f"{where}: server does not offer STARTTLS")
            conn.starttls(context=context)
            conn.ehlo()
        if user is not None:
            if password is None:
                raise DeliveryError(f"{where}: smtp.user is set but no password is configured")
            conn.login(user, password)
        refused = conn.send_message(msg)
        if refused:
            bad = ", ".join(f"{r} ({c[0]})" for r, c in sorted(refused.items()))
            raise DeliveryError(f"{where}: recipients refused: {bad}")
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the message was accepted; a failed goodbye does not undo that
        conn = None
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{where}: authentication failed ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        bad = ", ".join(f"{r} ({c[0]})" for r, c in sorted(exc.recipients.items()))
        raise DeliveryError(f"{where}: recipients refused: {bad}") from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(f"{where}: server does not offer AUTH (smtp.user is set)") from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryError(
            f"{where}: server said {exc.smtp_code} {' '.join(text.split())[:200]}"
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):  # smtplib reports a read timeout as a disconnection
            raise DeliveryError(f"{where}: timed out after {timeout:g}s") from None
        raise DeliveryError(
            f"{where}: connection closed by the server ({exc or 'no reason given'})"
        ) from None
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"{where}: timed out after {timeout:g}s") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"{where}: TLS failed ({exc.reason or exc})") from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(
            f"{where}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    except OSError as exc:
        raise DeliveryError(f"{where}: {exc.strerror or exc}") from None
    finally:
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
