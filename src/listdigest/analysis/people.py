"""How a person is written in the digest: an RFC 5322 address, quoted only when needed."""

from __future__ import annotations

import re

# RFC 5322 "specials" (and the quote itself): a display name holding one must be quoted
_SPECIALS_RE = re.compile(r'[()<>\[\]:;@\\,."]')


def format_address(name: str, addr: str) -> str:
    """``"Michael S. Tsirkin" <mst@redhat.com>``, ``Chao Gao <chao.gao@intel.com>``, or the
    bare address when there is no name.  Non-ASCII names stay readable (no RFC 2047)."""
    if not name or name == addr:
        return f"<{addr}>" if addr else ""
    if _SPECIALS_RE.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>" if addr else name


def plain_address(name: str, addr: str) -> str:
    """``Name <addr>`` without quoting, as the digest's ``Author:`` lines print it."""
    if not name or name == addr:
        return f"<{addr}>" if addr else ""
    return f"{name} <{addr}>" if addr else name


def domain_of(addr: str) -> str:
    """The part after ``@``, lower-cased ('(none)' for an address without one)."""
    _, at, dom = addr.rpartition("@")
    return dom.lower().strip(">") if at and dom else "(none)"
