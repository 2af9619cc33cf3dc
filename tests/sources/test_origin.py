"""A mirror's origin is read from its config file as git itself reads it."""

from __future__ import annotations

import subprocess

import pytest

from listdigest.sources.origin import _origin_url, mirror_origin


def _git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize(
    "url",
    [
        "https://lore.kernel.org/linux-spi/git/0.git",
        "http://127.0.0.1:8080/kvm/git/1.git",
        "https://user:token@example.org/list/git/0.git",
        "/srv/mirrors/list.bundle",
        "https://example.org/a b/git/0.git",  # a space: git writes the value quoted
    ],
)
def test_origin_url_agrees_with_git_config(tmp_path, url):
    gitdir = str(tmp_path / "e.git")
    subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True)
    _git(gitdir, "remote", "add", "upstream", "https://elsewhere.example/x/git/0.git")
    _git(gitdir, "config", "remote.origin.url", url)
    _git(gitdir, "config", "remote.origin.fetch", "+refs/*:refs/*")
    assert _origin_url(gitdir + "/config") == _git(gitdir, "config", "remote.origin.url")


def test_no_origin_is_none_and_a_mirror_names_its_list(tmp_path):
    gitdir = str(tmp_path / "inbox" / "git" / "0.git")
    subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True)
    assert _origin_url(gitdir + "/config") is None
    assert mirror_origin(str(tmp_path / "inbox")) is None
    _git(gitdir, "config", "remote.origin.url", "https://user:pw@lore.example/kvm/git/0.git")
    assert mirror_origin(str(tmp_path / "inbox")) == "https://lore.example/kvm/"
    assert _origin_url(str(tmp_path / "missing")) is None
