"""Writing digests to files: ``<dir>/<list>/<from>..<to>.<ext>`` per format, and the list's
Atom feed ``<dir>/<list>/feed.atom`` which gains one entry per delivered digest.

Every file is written atomically (temporary file + ``os.replace``).  Rendering is the
``report`` stage's business; this module only places the bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Dict, List

from ..report import EXTENSIONS, formats
from ..report.atom import merge_feed

FEED_NAME = "feed.atom"
#: entries the feed keeps (newest first)
FEED_KEEP = 50


def atomic_write(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".listdigest-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_files(out_dir: str, key: str, start: str, end: str, rendered: Dict[str, str]) -> List[str]:
    """Write each rendered format; the ``atom`` one is merged into the list's feed.

    Returns the paths written."""
    formats()  # registers the renderers, and with them their file extensions
    base = os.path.join(out_dir, key)
    written = []
    for fmt, text in rendered.items():
        if fmt == "atom":
            feed = os.path.join(base, FEED_NAME)
            old = None
            try:
                with open(feed, encoding="utf-8") as f:
                    old = f.read()
            except FileNotFoundError:
                pass
            atomic_write(feed, merge_feed(old, text, keep=FEED_KEEP))
            written.append(feed)
            continue
        path = os.path.join(base, f"{start}..{end}.{EXTENSIONS.get(fmt, fmt)}")
        atomic_write(path, text)
        written.append(path)
    return written
