"""``listdigest stats`` end to end on a real archive: a named release range compared with
the release before it, in each format."""

import json

import pytest
from click.testing import CliRunner

from listdigest.cli import main


@pytest.mark.real
def test_stats_release_vs_previous(kvmppc_epoch, real_index, tmp_path):
    ranges = tmp_path / "releases"
    ranges.write_text("# name FROM TO\n5.11 2020-12-13 2021-02-13\n5.12 2021-02-14 2021-04-25\n")
    ix = real_index("kvmppc_epoch")
    args = ["stats", kvmppc_epoch, "--index", ix, "--ranges", str(ranges), "--release", "5.12"]
    text = CliRunner().invoke(main, args, catch_exceptions=False).output
    assert "development statistics, 2021-02-14..2021-04-25" in text
    assert "Top reviewers (change sets):" in text and "Top scores (negative):" in text
    assert "Previous period:" in text and ("( new)" in text or "(  +" in text)
    got = CliRunner().invoke(main, [*args, "--format", "json"], catch_exceptions=False).output
    data = json.loads(got)
    assert data["schema_version"] == 2 and data["totals"]["messages"] > 150
    assert data["previous"] is not None and len(data["change"]) == 4
    html = CliRunner().invoke(main, [*args, "--format", "html"], catch_exceptions=False).output
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html


def test_stats_unknown_release_is_one_error_line(tmp_path):
    ranges = tmp_path / "releases"
    ranges.write_text("6.12 v6.11 v6.12\n")
    r = CliRunner().invoke(
        main, ["stats", str(tmp_path), "--ranges", str(ranges), "--release", "6.13"]
    )
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1] == (
        f"Error: {ranges}: no range named '6.13' (known: 6.12)"
    )
