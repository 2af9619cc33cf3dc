"""mbox (plain or .gz) and Maildir sources.  (Interim: being written.)"""

from __future__ import annotations

import os

from ..errors import SourceError


def is_maildir(path: str) -> bool:
    return all(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new"))


class MboxSource:
    kind = "mailbox"

    def __init__(self, path: str) -> None:
        raise SourceError(f"{path}: mbox reading is not available yet")


class MaildirSource:
    kind = "mailbox"

    def __init__(self, path: str) -> None:
        raise SourceError(f"{path}: Maildir reading is not available yet")
