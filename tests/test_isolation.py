"""The suite's own hygiene: it writes only under its temporary directories."""

import os
from pathlib import Path


def test_home_and_xdg_dirs_point_into_the_session_tmp(tmp_path_factory):
    base = Path(tmp_path_factory.getbasetemp()).resolve()
    for var in ("HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        assert base in Path(os.environ[var]).resolve().parents, var
    assert Path(os.path.expanduser("~")).resolve().parent == base


def test_default_index_path_lands_in_the_isolated_data_dir(tmp_path):
    from listdigest.cli import default_index_path

    assert default_index_path(str(tmp_path)).startswith(os.environ["XDG_DATA_HOME"])
