"""Bad trees on the command line (``--tree PATH[:REF]``): each is one ``Error:`` line and
exit 2, before any archive is read — a path that is not a repository, a missing
directory, a REF that does not exist, a shallow clone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pi import make_mbox, msg

EXE = os.path.join(os.path.dirname(sys.executable), "listdigest")


def git(*args: str, cwd: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="A",
        GIT_AUTHOR_EMAIL="a@example.org",
        GIT_COMMITTER_NAME="A",
        GIT_COMMITTER_EMAIL="a@example.org",
    )
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    base = tmp_path_factory.mktemp("trees")
    mbox = make_mbox(str(base / "list.mbox"), [msg("[PATCH] foo: bar")])
    repo = base / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "master", ".", cwd=str(repo))
    for i in range(3):
        git("commit", "-q", "--allow-empty", "-m", f"commit {i}", cwd=str(repo))
    shallow = base / "shallow"
    git("clone", "-q", "--depth", "1", f"file://{repo}", str(shallow), cwd=str(base))
    plain = base / "plain"
    plain.mkdir()
    return {
        "mbox": mbox,
        "repo": str(repo),
        "shallow": str(shallow),
        "plain": str(plain),
        "missing": str(base / "missing"),
        "index": str(base / "ix.sqlite"),
    }


def report(places, tree: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EXE, "report", places["mbox"], "--tree", tree, "--no-index"],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "tree, message",
    [
        pytest.param("plain", "tree {plain}: not a git repository", id="not-a-repository"),
        pytest.param("missing", "tree {missing}: no such directory", id="missing-directory"),
        pytest.param("repo:nosuch", "tree {repo}: unknown ref nosuch", id="unknown-ref"),
        pytest.param(
            "shallow",
            "tree {shallow}: a shallow clone (history cut short); fetch it with --unshallow",
            id="shallow-clone",
        ),
    ],
)
def test_bad_tree_is_one_error_line(places, tree, message):
    name, _, ref = tree.partition(":")
    got = report(places, places[name] + (f":{ref}" if ref else ""))
    assert got.returncode == 2, got.stderr
    assert got.stderr == f"Error: {message.format(**places)}\n"
    assert got.stdout == ""


def test_good_tree_and_ref_pass(places):
    got = report(places, places["repo"] + ":master")
    assert got.returncode == 0, got.stderr
    assert got.stderr == ""
