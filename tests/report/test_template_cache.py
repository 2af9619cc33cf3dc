"""Compiled templates kept between runs: the same output, and no error where no cache can be."""

from __future__ import annotations

import os
import stat

import pytest
from daily_helpers import T0, Epoch, patch

from listdigest.pipeline import RangeSpec, render_formats, report


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    ep = Epoch(str(tmp_path_factory.mktemp("tc") / "inbox"))
    ep.add(patch(1, "[PATCH] lib: one fix"))
    return report(ep.inbox, RangeSpec(since=T0), index_path=str(ep.inbox) + ".sqlite")


def test_cached_templates_render_what_fresh_ones_do(digest, tmp_path):
    fresh = render_formats(digest, ["text", "markdown", "html"], "https://x.example/l/")
    cache = str(tmp_path / "cache" / "templates")
    first = render_formats(
        digest, ["text", "markdown", "html"], "https://x.example/l/", None, cache
    )
    assert first == fresh
    assert len(os.listdir(cache)) >= 3  # one compiled file per template used
    from listdigest.report import templating

    templating.environment.cache_clear()  # a new process: the cache is read back
    again = render_formats(
        digest, ["text", "markdown", "html"], "https://x.example/l/", None, cache
    )
    assert again == fresh


def test_an_unusable_cache_directory_is_no_error(digest, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    got = render_formats(digest, ["text"], "https://x.example/l/", None, str(blocker / "t"))
    assert got["text"].startswith("From ")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        got = render_formats(digest, ["text"], "https://x.example/l/", None, str(ro / "t"))
        assert got["text"].startswith("From ")
    finally:
        ro.chmod(stat.S_IRWXU)
