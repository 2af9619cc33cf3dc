"""Subject lines of list mail: reply markers, bracketed prefixes, version, counter, title.

(Interim parser; see tests/message/test_subject.py for the cases it must hold.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

# reply/forward markers before the real subject: Re:, RE:, Aw:, Antw:, Fwd:, FW:, 回复:
_REPLY_RE = re.compile(r"^\s*(?:(?:re|aw|antw|fwd?|sv|vs|wg|tr|r|回复|答复|转发)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)
_BRACKET_RE = re.compile(r"^\s*\[([^\]]*)\]")
_COUNTER_RE = re.compile(r"^(\d+)/(\d+|n)$", re.I)


@dataclass(frozen=True)
class Subject:
    """A parsed subject.  ``title`` is what identifies the change across versions."""

    raw: str
    title: str
    reply: bool = False
    patch: bool = False
    rfc: bool = False
    resend: bool = False
    pull: bool = False
    version: int = 1
    revision: str = "1"
    counter: Optional[int] = None
    total: Optional[int] = None
    prefixes: Tuple[str, ...] = ()

    @property
    def is_cover(self) -> bool:
        return self.counter == 0


def parse_subject(subject: str) -> Subject:
    s = subject.strip()
    reply = False
    m = _REPLY_RE.match(s)
    if m:
        reply = True
        s = s[m.end():]
    patch = rfc = resend = pull = False
    version, revision, counter, total = 1, "1", None, None
    prefixes = []
    while True:
        m = _BRACKET_RE.match(s)
        if not m:
            break
        s = s[m.end():]
        for tok in re.split(r"[\s,]+", m.group(1).strip()):
            low = tok.lower()
            if not tok:
                continue
            cm = _COUNTER_RE.match(tok)
            if low.startswith("patch"):
                patch = True
                rest = low[5:]
                if rest.startswith("v") and rest[1:2].isdigit():
                    revision = rest[1:]
                    version = int(float(revision))
            elif low == "rfc":
                rfc = True
            elif low == "resend":
                resend = True
            elif low == "pull" or low == "git":
                pull = pull or low == "pull"
            elif re.fullmatch(r"v\d+(\.\d+)?", low):
                revision = low[1:]
                version = int(float(revision))
            elif cm:
                counter = int(cm.group(1))
                total = int(cm.group(2)) if cm.group(2).isdigit() else None
                patch = True
            else:
                prefixes.append(tok)
    return Subject(raw=subject, title=s.strip(), reply=reply, patch=patch, rfc=rfc, resend=resend,
                   pull=pull, version=version, revision=revision, counter=counter, total=total,
                   prefixes=tuple(prefixes))
