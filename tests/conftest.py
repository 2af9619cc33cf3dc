"""Shared fixtures: real archive epochs cloned from ../shared/data bundles, and small
genuine public-inbox inboxes built once per session with the helpers in ``pi.py``.

Session fixtures hand out archives that tests must only read; a test that changes an
inbox (deletes, purges, adds) builds its own with ``pi`` in ``tmp_path``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

import pi

REPO = Path(__file__).resolve().parent.parent

# git gc, run by public-inbox-purge inside the tests, reads revisions from an inherited fd 0:
# started from a shell whose stdin is a pipe carrying other output, it fails ("bad revision
# '<some text>'"). The tests read no input, so fd 0 is /dev/null for them and their children.
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
from pi import shared_data_dir  # noqa: E402
MESSAGES = Path(__file__).resolve().parent / "data" / "messages"


def _clone_bundle(factory: pytest.TempPathFactory, bundle_name: str, dest_name: str) -> str:
    bundle = shared_data_dir() / f"{bundle_name}.bundle"
    if not bundle.is_file():
        pytest.skip(f"{bundle} is absent")
    dest = factory.mktemp("epochs") / f"{dest_name}.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), str(dest)], check=True)
    return str(dest)


@pytest.fixture(scope="session")
def hv_epoch(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A bare mirror of the linux-hyperv epoch (real lore archive); read only."""
    return _clone_bundle(tmp_path_factory, "linux-hyperv", "linux-hyperv")


@pytest.fixture(scope="session")
def kvmppc_epoch(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A bare mirror of the kvm-ppc epoch (real lore archive); read only."""
    return _clone_bundle(tmp_path_factory, "kvm-ppc", "kvm-ppc")


def _need_pi_tools() -> None:
    if shutil.which("public-inbox-mda") is None:
        pytest.skip("public-inbox is not installed")


# Messages of the session's two-epoch inbox: A0..A2 in epoch 0, B0..B1 in epoch 1.
EPOCH0 = [
    pi.msg(f"[PATCH {i + 1}/3] epoch zero", msgid=f"a{i}@example.org", date=f"Mon, 01 Jan 2024 10:0{i}:00 +0000")
    for i in range(3)
]
EPOCH1 = [
    pi.msg(
        f"Re: [PATCH {i + 1}/3] epoch zero",
        from_="Bob Reviewer <bob@example.org>",
        msgid=f"b{i}@example.org",
        in_reply_to=f"a{i}@example.org",
        references=[f"a{i}@example.org"],
        date=f"Tue, 02 Jan 2024 10:0{i}:00 +0000",
    )
    for i in range(2)
]


@pytest.fixture(scope="session")
def two_epoch_inbox(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    """A v2 inbox with 3 messages in git/0.git and 2 in git/1.git; read only.

    Returns ``{"path", "epochs", "commits": [[epoch0 ids], [epoch1 ids]], "messages"}``.
    """
    _need_pi_tools()
    root = tmp_path_factory.mktemp("pi2")
    path = pi.make_v2_inbox(str(root), "twoep", EPOCH0)
    pi.add_epoch(path, EPOCH1)
    epochs = pi.epoch_dirs(path)
    return {
        "path": path,
        "epochs": epochs,
        "commits": [pi.commits(e) for e in epochs],
        "messages": EPOCH0 + EPOCH1,
    }


@pytest.fixture(scope="session")
def v1_inbox(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    """A v1 inbox with three messages; read only."""
    _need_pi_tools()
    root = tmp_path_factory.mktemp("pi1")
    messages = [pi.msg(f"v1 message {i}", msgid=f"v1-{i}@example.org", date=f"Wed, 03 Jan 2024 0{i}:00:00 +0000") for i in range(3)]
    path = pi.make_v1_inbox(str(root), "oldlist", messages)
    return {"path": path, "commits": pi.commits(path), "messages": messages}
