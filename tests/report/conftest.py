"""Fixtures the renderer tests share: one archive index per real archive for the session
(built by the first report that uses it, brought up to date, never rebuilt, by the next)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("report-index")
