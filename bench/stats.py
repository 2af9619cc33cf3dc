"""Bench row for ``listdigest stats`` (issue 16), run standalone:

    .venv/bin/python -m bench.stats [--repeat 3] [--archive linux-hyperv]

Prints two rows in the main table's layout: stats over the whole archive and over a
release-sized range (the 6.18 cycle, with the previous period), whole process, warm index, each the best of
``--repeat`` runs, beside the floor (``git rev-list --all | sed 's/$/:m/' | git cat-file
--batch >/dev/null``) measured in the same rounds.  To join the main table, call ``rows()``
from ``bench/__main__.py`` and append what it returns.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench.__main__ import BIN, epoch

#: a release-sized range of linux-hyperv (the 6.18 cycle), compared with the 63 days before
RELEASE = ("--since", "2025-09-28", "--until", "2025-11-30")


def _timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def rows(name: str = "linux-hyperv", repeat: int = 3) -> list[tuple[str, float, float]]:
    """(what, seconds, seconds / floor) for the whole archive and a 63-day range."""
    inbox = epoch(name)
    gitdir = os.path.join(inbox, "git", "0.git")
    with tempfile.TemporaryDirectory() as tmp:
        ix = os.path.join(tmp, "ix.sqlite")
        subprocess.run([BIN, "index", inbox, "--index", ix], check=True, capture_output=True)
        floor = whole = release = float("inf")
        for _ in range(repeat):
            floor = min(
                floor,
                _timed(
                    [
                        "sh",
                        "-c",
                        "git rev-list --all | sed 's/$/:m/' | git cat-file --batch >/dev/null",
                    ],
                    cwd=gitdir,
                ),
            )
            whole = min(whole, _timed([BIN, "stats", inbox, "--index", ix]))
            release = min(release, _timed([BIN, "stats", inbox, "--index", ix, *RELEASE]))
    return [
        ("floor: git cat-file --batch, nothing parsed", floor, 1.0),
        ("listdigest stats, whole archive (index warm)", whole, whole / floor),
        (
            "listdigest stats, 6.18 cycle + the 63 days before (whole process)",
            release,
            release / floor,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--archive", default="linux-hyperv")
    a = ap.parse_args()
    print("| what | seconds | time vs floor |\n|---|---:|---:|")
    for what, secs, ratio in rows(a.archive, a.repeat):
        print(f"| {what} | {secs:.2f} | {ratio:.2f}x |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
