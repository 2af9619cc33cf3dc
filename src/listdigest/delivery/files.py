"""Writing digests to files: ``<dir>/<list>/<from>..<to>.<ext>`` per format, and the list's
Atom feed ``<dir>/<list>/feed.atom`` which gains one entry per delivered digest.  A digest
of the same start (a run retrying after its delivery failed) replaces the files and the
feed entry of the attempt before, so nothing overlapping stays published.

Every file is written by ``fileio.atomic_write`` (temporary file + ``os.replace``, with the
user's umask, so a web server can serve the directory).  Rendering is the ``report``
stage's business; this module only places the bytes.
"""

from __future__ import annotations

import contextlib
import os

from ..fileio import atomic_write
from ..report import EXTENSIONS, formats
from ..report.atom import merge_feed

FEED_NAME = "feed.atom"
#: entries the feed keeps (newest first)
FEED_KEEP = 50


def write_files(
    out_dir: str, key: str, start: str, end: str, rendered: dict[str, str]
) -> list[str]:
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
        ext = EXTENSIONS.get(fmt, fmt)
        path = os.path.join(base, f"{start}..{end}.{ext}")
        atomic_write(path, text)
        written.append(path)
        _drop_earlier_attempts(base, start, ext, path)
    return written


def _drop_earlier_attempts(base: str, start: str, ext: str, keep: str) -> None:
    """Remove ``<start>..<other end>.<ext>``: a digest of the same start written by a run
    whose delivery then failed (its state stayed, so this run covers that range again)."""
    prefix, suffix = f"{start}..", f".{ext}"
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if (
            name.startswith(prefix)
            and name.endswith(suffix)
            and path != keep
            and ".." not in name[len(prefix) : -len(suffix)]
        ):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
