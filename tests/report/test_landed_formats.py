"""Where did it land, in every format: a real week of linux-spi with a tree built from
some of its patches (tests/treebuild.py, some edited on apply).  The JSON matches the
schema and carries the commits per patch; Markdown and HTML (read in ``w3m -dump``) say
what the text digest says: "Landed in this period", "Applied but not in TREE after N
days", and each series' "landed in TREE as SHA"."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pi import copy_index
from test_html_readers import w3m_dump
from treebuild import TreeBuilder

from listdigest.message import PATCH, read_messages
from listdigest.sources import open_source
from listdigest.timeparse import day

pytestmark = [pytest.mark.real, pytest.mark.slow]

EXE = os.path.join(os.path.dirname(sys.executable), "listdigest")
SCHEMA = os.path.join(
    os.path.dirname(__file__), "..", "..", "src", "listdigest", "report", "schema.json"
)
#: the archive's newest messages read for the week's patches
SPAN = 800


@pytest.fixture(scope="module")
def week(spi_epoch, real_index, tmp_path_factory):
    src = open_source(spi_epoch)
    msgs = [m for _r, m, _e in read_messages(src.select(f"HEAD~{SPAN}", None).messages) if m]
    end = max(m.received for m in msgs if m.received is not None)
    start = end - 6 * 86400
    patches, seen = [], set()
    for m in msgs:
        if (
            m.kind == PATCH
            and m.has_diff
            and m.msgid not in seen
            and m.received is not None
            and start <= m.received <= end
            and m.date is not None
            and start <= m.date <= end - 3600
        ):
            seen.add(m.msgid)
            patches.append(m)
    base = tmp_path_factory.mktemp("landed-week")
    b = TreeBuilder(str(base / "spi"))
    built = []
    for i, m in enumerate(patches):
        got = b.add(m, edited=i % 4 == 3)
        if got is not None and got.faithful:
            built.append(got)
        if len(built) >= 12:
            break
    assert len(built) >= 6
    # the report adds the tree's tables to its index: a copy of the shared one
    index = copy_index(real_index("spi_epoch"), str(base / "ix.sqlite"))

    def run(fmt: str) -> str:
        out = subprocess.run(
            [
                *(EXE, "report", spi_epoch, "--since", day(start), "--until", day(end)),
                *("--tree", b.path + ":master", "--index", index, "--format", fmt),
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    return {"built": built, "run": run}


@pytest.fixture(scope="module")
def data(week):
    return json.loads(week["run"]("json"))


def test_json_report_with_a_tree_matches_the_schema(data):
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["landed"]["trees"] == ["spi:master"]
    assert data["landed"]["in_period"] and data["landed"]["not_landed"]


def test_json_carries_the_commit_of_each_built_patch(week, data):
    per_patch = {c["msgid"]: c for s in data["series"] for sl in s["landed"] for c in sl["commits"]}
    for b in week["built"]:
        got = per_patch.get(b.msgid)
        assert got is not None and got["commit"] == b.commit, b
        assert got["modified"] == b.edited, b
    states = [s["state"]["landed"] for s in data["series"] if s["landed"]]
    assert states and all(x[0]["tree"] == "spi:master" for x in states)


def test_markdown_says_what_the_text_says(week, data):
    md = week["run"]("markdown")
    flat = " ".join(md.split())
    assert "## Landed in this period (spi:master)" in md
    assert f"Applied but not in spi:master after {data['landed']['days']} days:" in md
    for e in data["landed"]["in_period"]:
        for c in e["landing"]["commits"]:
            assert f"`{c['commit'][:12]}`" in md
    first = next(s for s in data["series"] if s["landed"])
    assert f"landed in spi:master as {first['landed'][0]['commits'][0]['commit'][:12]}" in flat


def test_html_in_w3m_says_what_the_text_says(week, data):
    text = week["run"]("text")
    dump = w3m_dump(week["run"]("html"), cols=100)
    flat = " ".join(dump.split())
    for heading in (
        "Landed in this period (spi:master)",
        f"Applied but not in spi:master after {data['landed']['days']} days:",
    ):
        assert heading in text and heading in flat
    for e in data["landed"]["in_period"]:
        sl = e["landing"]
        line = f"{sl['tree']}, {sl['date']}: {sl['landed']} of {sl['of']} patch"
        assert line in flat
        for c in sl["commits"]:
            assert c["commit"][:12] in flat
    for x in data["landed"]["not_landed"]:
        assert f"{x['days']} days ago)" in flat
    first = next(s for s in data["series"] if s["landed"])
    sha = first["landed"][0]["commits"][0]["commit"][:12]
    assert f"landed in spi:master as {sha}" in flat
