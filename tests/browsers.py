"""Headless Chromium for the HTML tests: one way to find it and run it (a profile under the
test's temporary directory, nothing fetched, nothing synced)."""

from __future__ import annotations

import html
import json
import os
import re
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


# Headless Chromium will not make a window narrower than 500 px, so a page is laid out in
# an iframe of the width wanted (a viewport of its own: the same layout, the same media
# queries); a srcdoc frame shares the host page's origin, so the host's script can measure
# it.  The prelude measures what every layout test asks (the frame's width, its scroll width,
# the elements that pass its right edge outside a sideways-scrolling wrapper); a test's
# script adds fields to ``measured``, which goes into <pre id="measured"> as JSON.
_PRELUDE = """document.getElementById("f").addEventListener("load", function () {
  var doc = this.contentDocument, win = this.contentWindow;
  var vw = doc.documentElement.clientWidth;
  function cs(el) { return win.getComputedStyle(el); }
  function scrolls(el) {  // inside a wrapper that scrolls sideways
    for (var p = el; p && p !== doc.body; p = p.parentElement) {
      var o = cs(p).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  }
  var over = [];
  Array.prototype.forEach.call(doc.body.querySelectorAll("*"), function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 0.5 && !scrolls(el))
      over.push(el.tagName + " " + (el.textContent || "").slice(0, 40));
  });
  var measured = {vw: vw, scrollWidth: doc.documentElement.scrollWidth, over: over};
"""
_CODA = """  document.getElementById("measured").textContent = JSON.stringify(measured);
});
"""


def framed(tmp_path, page: str, width: int, name: str, script: str = "", height: int = 2400) -> str:
    """The URI of a host page showing ``page`` in a frame ``width`` px wide, measured by the
    prelude and ``script`` (JavaScript that adds fields to ``measured``)."""
    path = tmp_path / f"{name}-{width}.html"
    path.write_text(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body style="margin:0">\n'
        f'<iframe id="f" style="border:0;display:block;width:{width}px;height:{height}px"\n'
        f' srcdoc="{html.escape(page, quote=True)}"></iframe>\n'
        '<pre id="measured"></pre>\n<script>\n'
        + _PRELUDE
        + script
        + _CODA
        + "</script>\n</body></html>\n",
        encoding="utf-8",
    )
    return path.as_uri()


def measure(tmp_path, page: str, width: int, name: str, script: str = "") -> dict:
    """What the frame's script measured of ``page`` at ``width``, in CSS pixels."""
    uri = framed(tmp_path, page, width, name, script)
    r = chrome(
        tmp_path, "--hide-scrollbars", f"--window-size={max(width, 500)},1000", "--dump-dom", uri
    )
    assert r.returncode == 0, r.stderr[-500:]
    m = re.search(r'<pre id="measured">(.*?)</pre>', r.stdout, re.S)
    assert m and m.group(1), r.stdout[-500:]
    return json.loads(html.unescape(m.group(1)))


def screenshot(tmp_path, page: str, width: int, name: str) -> str:
    """A picture of ``page`` at ``width`` (the frame's first 2400 px), copied to
    $LISTDIGEST_SCREENSHOT_DIR when that is set (to look at it)."""
    shot = tmp_path / f"{name}-{width}.png"
    uri = framed(tmp_path, page, width, name)
    r = chrome(
        tmp_path,
        "--hide-scrollbars",
        f"--screenshot={shot}",
        f"--window-size={max(width, 500)},2400",
        uri,
    )
    assert r.returncode == 0 and shot.stat().st_size > 10_000, r.stderr[-500:]
    out = os.environ.get("LISTDIGEST_SCREENSHOT_DIR")
    if out:
        shutil.copy(shot, os.path.join(out, shot.name))
    return str(shot)
