"""Ctrl-C (issue 14, fault 6): a terminal's SIGINT reaches the whole process group; the
workers used to print a KeyboardInterrupt traceback each.  Now one 'Error: interrupted'
line, exit code 130, and the next run completes the index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.real, pytest.mark.slow]


def _interrupt_when(ix: str, args, grown: int = 1 << 20) -> subprocess.CompletedProcess:
    p = subprocess.Popen(
        [sys.executable, "-m", "listdigest.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # as from a terminal: a test runner started in the background (a non-interactive
        # shell's `&`, a CI job) ignores SIGINT, and a child inherits that, so Python
        # would never raise KeyboardInterrupt there
        preexec_fn=_default_sigint,
        text=True,
    )
    # the signal comes once the workers are writing (the index has grown), not after a guess
    while p.poll() is None and not (os.path.exists(ix) and os.path.getsize(ix) + _wal(ix) > grown):
        time.sleep(0.01)
    assert p.poll() is None, "the build ended before it could be interrupted"
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate()
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wal(ix: str) -> int:
    return os.path.getsize(ix + "-wal") if os.path.exists(ix + "-wal") else 0


def test_ctrl_c_during_index_is_one_line_and_resumable(spi_epoch, tmp_path):
    ix = str(tmp_path / "ix.sqlite")
    p = _interrupt_when(ix, ["index", spi_epoch, "--index", ix])
    assert (p.returncode, p.stderr) == (130, "Error: interrupted\n")
    done = subprocess.run(
        [sys.executable, "-m", "listdigest.cli", "index", spi_epoch, "--index", ix],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "36671 in the index" in done.stderr, done.stderr
