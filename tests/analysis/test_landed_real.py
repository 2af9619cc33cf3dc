"""Where did it land, held to real trees built from real patches (tests/treebuild.py).

Patches of linux-spi are committed into a fresh repository: unchanged, with a Link:
trailer (lore and patch.msgid.link forms), edited on apply (one added line changed), with
a reworded subject, and some on a second branch; others are left out.  The matching must
find every unchanged one by patch-id, every edited one marked modified, and nothing else.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from listdigest.analysis.landed import LINK, PATCH_ID, SUBJECT
from listdigest.message import PATCH, read_messages
from listdigest.sources import open_source
from listdigest.sources.tree import TreeSpec, open_tree
from listdigest.store.trees import TreeLander, TreeTable, ensure_tables

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pi import copy_index
from treebuild import TreeBuilder, diff_of

pytestmark = [pytest.mark.real, pytest.mark.slow]

#: the archive's newest messages read for patches
SPAN = 2500


@pytest.fixture(scope="module")
def built(spi_epoch, tmp_path_factory):
    src = open_source(spi_epoch)
    sel = src.select(f"HEAD~{SPAN}", None)
    msgs = [m for _r, m, _e in read_messages(sel.messages) if m is not None]
    seen = set()
    patches = []
    for m in msgs:
        if m.kind == PATCH and m.has_diff and m.msgid not in seen and diff_of(m):
            seen.add(m.msgid)
            patches.append(m)
    repo = str(tmp_path_factory.mktemp("tree") / "spi")
    b = TreeBuilder(repo)
    built = []
    left = []
    kinds = ["plain", "lore", "edited", "edited-link", "reworded", "plain", "skip"]
    for i, m in enumerate(patches):
        kind = kinds[i % len(kinds)]
        if len(built) >= 260 or kind == "skip":
            left.append(m)
            continue
        if len(built) == 200 and b.branch == "master":
            b.switch("next")
        got = b.add(
            m,
            edited=kind.startswith("edited"),
            reworded=kind in ("reworded", "edited-link"),
            link={"lore": "lore", "edited-link": "msgid"}.get(kind, ""),
        )
        if got is None:
            left.append(m)
        else:
            built.append(got)
    return {"repo": repo, "built": built, "left": left, "patches": patches, "archive": spi_epoch}


def _find(built, ref):
    db = sqlite3.connect(":memory:")
    ensure_tables(db)
    table = TreeTable(db, open_tree(TreeSpec(built["repo"], ref)))
    table.update()
    diffs = {m.msgid: diff_of(m) for m in built["patches"]}
    lander = TreeLander(db, [table], lambda ps: {p.msgid: diffs[p.msgid] for p in ps})
    return lander.find(built["patches"])[0]


def test_every_built_patch_found_and_nothing_else(built):
    assert len(built["built"]) >= 250
    found = _find(built, "next")
    by_msgid = {x.msgid: x for x in built["built"]}
    wrong = []
    for mid, landing in found.items():
        b = by_msgid.get(mid)
        if b is None or b.commit != landing.commit:
            wrong.append((mid, landing.commit))
    assert wrong == []  # no false match
    for b in built["built"]:
        got = found.get(b.msgid)
        if b.edited and b.reworded and not b.link:
            continue  # nothing left to find it by: never a case built
        assert got is not None, b
        if b.edited:
            assert got.modified and got.how == (LINK if b.link else SUBJECT), b
        elif not b.faithful:
            assert got.modified and got.how in (LINK, SUBJECT), b  # git showed it otherwise
        else:
            assert not got.modified and got.how == PATCH_ID, b
    unchanged = [b for b in built["built"] if not b.edited and b.faithful]
    edited = [b for b in built["built"] if b.edited or not b.faithful]
    print(
        f"\nlanded: {len(built['built'])} built of {len(built['patches'])} patches;"
        f" {len(unchanged)} unchanged found by patch-id, {len(edited)} edited found modified,"
        f" {len(found)} matched, 0 false"
    )


def test_the_second_branch_is_not_in_master(built):
    found = _find(built, "master")
    on_next = {b.msgid for b in built["built"] if b.branch == "next"}
    assert on_next and not on_next & set(found)
    assert {b.msgid for b in built["built"] if b.branch == "master"} == set(found)


def test_report_json_carries_commits_per_patch(built, real_index, tmp_path):
    first = built["built"][0]
    m = next(p for p in built["patches"] if p.msgid == first.msgid)
    day = subprocess.run(
        ["date", "-u", "-d", f"@{m.received}", "+%Y-%m-%d"], capture_output=True, text=True
    ).stdout.strip()
    listdigest = os.path.join(os.path.dirname(sys.executable), "listdigest")
    out = subprocess.run(
        [
            listdigest,
            "report",
            built["archive"],
            "--since",
            day,
            "--until",
            day,
            "--tree",
            built["repo"] + ":next",
            "--index",
            # the report adds the tree's tables to its index: a copy of the shared one
            copy_index(real_index("spi_epoch"), str(tmp_path / "ix.sqlite")),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    landings = {
        c["msgid"]: c["commit"] for s in d["series"] for sl in s["landed"] for c in sl["commits"]
    }
    assert landings.get(first.msgid) == first.commit
    assert d["landed"]["trees"] == ["spi:next"]
