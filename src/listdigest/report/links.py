"""Archive links and escaping helpers the markup renderers (Markdown, HTML, Atom) share."""

from __future__ import annotations

import re
from urllib.parse import quote

from ..message import DUPLICATE_MARK


def message_link(link_base: str, msgid: str) -> str:
    """``link_base`` + Message-ID (without <>) + ``/``, as lore.kernel.org addresses a message."""
    if not link_base:
        return ""
    msgid = msgid.split(DUPLICATE_MARK, 1)[0]  # a reused id: lore lists both mails under it
    # lore percent-encodes '/', '?', '#' and spaces in a Message-ID; '@' and most punctuation stay
    msgid = msgid.strip("<>")
    if _URL_SAFE_RE.fullmatch(msgid) is None:  # nearly every id is safe as it is
        msgid = quote(msgid, safe=_URL_SAFE)
    return link_base + msgid + "/"


#: what a Message-ID keeps unencoded in a link (``quote`` adds ASCII letters and digits)
_URL_SAFE = "@!$&'()*+,;=:~._-"
_URL_SAFE_RE = re.compile(r"[A-Za-z0-9@!$&'()*+,;=:~._-]*")


# Markdown's inline syntax characters: escaped so a subject never turns into markup or a link
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL_RE.sub(r"\\\1", str(text)).replace("&", "&amp;")


def md_fence(text: str) -> str:
    """A fence longer than any backtick run inside ``text``, so a body cannot close it early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)  # runs of backticks
    return "`" * max(3, longest + 1)
