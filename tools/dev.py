#!/usr/bin/env python3
"""Set up the checkout and run something: ``demo`` (digest of the sample inbox) or ``test``.

Needs only python3 and git.  Creates ``.venv`` with listdigest installed (editable), and for
``test`` the test extras; when run as root on Debian it also installs the system packages
the real-part tests use (public-inbox, chromium), else those tests skip with a reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
PY = os.path.join(VENV, "bin", "python")
DEBIAN_PACKAGES = {"public-inbox": "public-inbox-init", "chromium": "chromium", "w3m": "w3m"}


def run(*cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def setup(extras: str = "") -> None:
    if not os.path.exists(PY):
        run(sys.executable, "-m", "venv", VENV, check=True)
    target = "." + (f"[{extras}]" if extras else "")
    run(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target, check=True)


def system_packages() -> None:
    missing = [p for p, exe in DEBIAN_PACKAGES.items() if not shutil.which(exe)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: {', '.join(missing)} not installed; tests needing them will skip", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env, check=True)


def lint() -> int:
    """ruff (lint and format) and mypy on src/: the shape the project keeps, checked."""
    bin_ = os.path.join(VENV, "bin")
    for cmd in (
        (os.path.join(bin_, "ruff"), "check", "--quiet", "."),
        (os.path.join(bin_, "ruff"), "format", "--check", "--quiet", "."),
        (os.path.join(bin_, "mypy"), "--no-error-summary"),
    ):
        rc = run(*cmd).returncode
        if rc:
            return rc
    return 0


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def says_how_to_run(args) -> bool:
    """``args`` choose parallelism themselves: ``-n N``, ``--dist``, ``-p no:xdist``, or a
    debugger, which wants the tests in this process."""
    for i, a in enumerate(args):
        if a.startswith(("-n", "--numprocesses", "--dist", "--pdb", "--trace")):
            return True
        if a == "-pno:xdist" or (a == "-p" and args[i + 1 : i + 2] == ["no:xdist"]):
            return True
    return False


def parallel(args) -> list:
    """pytest-xdist's options for this machine: a worker per core, each test file run whole
    by one worker (``--dist loadfile``: a module's fixtures are built once), the files handed
    out in the order collected (tests/conftest.py puts the longest first); none on one core,
    without xdist, or when ``args`` say how to run."""
    if says_how_to_run(args) or cores() < 2:
        return []
    if subprocess.run([PY, "-c", "import xdist"], capture_output=True).returncode:
        print("note: pytest-xdist is not installed; the tests run in one process", flush=True)
        return []
    return ["-n", str(cores()), "--dist", "loadfile", "--no-loadscope-reorder"]


def main(argv) -> int:
    what = argv[1] if len(argv) > 1 else "demo"
    if what == "demo":
        setup()
        run(
            PY, os.path.join("tools", "make_sample.py"), os.path.join("sample", "inbox"), check=True
        )
        return run(
            os.path.join(VENV, "bin", "listdigest"),
            "report",
            os.path.join("sample", "inbox"),
            "--list-name",
            "Sample",
        ).returncode
    if what == "test":
        setup("test")
        system_packages()
        args = argv[2:]
        if "--fast" in args:
            # the fast tier: no real-archive, fuzz or server-per-test runs (the full suite has them)
            args = [a for a in args if a != "--fast"] + ["-m", "not slow and not real"]
        else:
            rc = lint()  # the full run (and CI) also holds the code to ruff and mypy
            if rc:
                return rc
        return run(PY, "-m", "pytest", *parallel(args), *args).returncode
    if what == "lint":
        setup("test")
        return lint()
    if what == "setup":
        setup("test")
        return 0
    print(f"usage: {argv[0]} demo|test [--fast] [pytest args]|lint|setup", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
