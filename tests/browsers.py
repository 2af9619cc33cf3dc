"""Headless Chromium for the HTML tests: one way to find it and run it (a profile under the
test's temporary directory, nothing fetched, nothing synced)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def chrome(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with ``args`` (``--dump-dom URI``, ``--screenshot=...``, and
    ``--hide-scrollbars`` for a page measured at a fixed width: a scrollbar takes columns)."""
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True)
