"""The index keeps each patch posting's touched paths: a range rebuilt from it has the
paths a fresh parse gives; config check looks a list's sections up in its MAINTAINERS."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import main
from listdigest.message import read_messages
from listdigest.sources import open_source
from listdigest.sources.git import read_job
from listdigest.store.index import Index

EXCERPT = str(Path(__file__).resolve().parent.parent / "data" / "MAINTAINERS.excerpt")


@pytest.mark.real
def test_rebuilt_messages_keep_their_paths(kvmppc_epoch, tmp_path):
    src = open_source(kvmppc_epoch)
    with Index(str(tmp_path / "ix.sqlite")) as ix:
        ix.update(src)
        job = next(iter(ix.selection(src, None, None).jobs)).split(2000)[0]
        stored = ix.messages_of(job)
    parsed = {
        m.msgid: m.paths for _, m, _ in read_messages(read_job(job), paths=True) if m is not None
    }
    rebuilt = {m.msgid: m.paths for m in stored if m is not None and not isinstance(m, str)}
    assert rebuilt == parsed
    assert sum(1 for p in rebuilt.values() if p) > 100


def test_config_check_looks_sections_up(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[lists.spi]\narchive = "{tmp_path}"\nmaintainers = "{EXCERPT}"\n'
        'sections = ["SPI SUBSYSTEM", "SPI SUBSYSTEMS"]\n'
    )
    r = CliRunner().invoke(main, ["config", "check", "--config", str(cfg)])
    assert r.exit_code == 3
    assert r.output == (
        "Error: lists.spi.sections: no section 'SPI SUBSYSTEMS' (did you mean 'SPI SUBSYSTEM'?)\n"
    )
    cfg.write_text(f'[lists.spi]\narchive = "{tmp_path}"\nsections = ["SPI SUBSYSTEM"]\n')
    r = CliRunner().invoke(main, ["config", "check", "--config", str(cfg)])
    assert r.exit_code == 3
    assert "lists.spi.sections: needs `maintainers`" in r.output
