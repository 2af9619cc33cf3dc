"""Parsing in worker processes gives the very index a single process gives."""

import sqlite3

import pytest

from listdigest.sources.git import open_git_source
from listdigest.store.index import Index


def dump(path):
    db = sqlite3.connect(path)
    out = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("messages", "refs", "links", "facts", "skipped")}
    db.close()
    return out


@pytest.mark.real
def test_parallel_index_equals_single_process(kvmppc_epoch, tmp_path):
    source = open_git_source(kvmppc_epoch)
    for workers in (1, 2):
        with Index(str(tmp_path / f"{workers}.sqlite"), workers=workers) as ix:
            stats = ix.update(source)
        assert stats.read > 5900
    one, two = dump(str(tmp_path / "1.sqlite")), dump(str(tmp_path / "2.sqlite"))
    assert len(one["messages"]) > 5900 and len(one["facts"]) > 500
    assert one == two
