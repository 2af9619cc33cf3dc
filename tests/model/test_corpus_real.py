"""A labelled corpus of real threads (tests/data/corpus/series.toml), one named test per case.

The labels were written by reading the mail in the linux-spi, linux-hyperv and kvm-ppc
archives (``git cat-file`` of the messages), not by running listdigest: they are the
independent truth the series model is held to.  Each case names the pattern it covers
(``pattern``, plus ``also`` for patterns it covers on the side); ``test_every_pattern_is_covered``
checks that every pattern of the corpus has a real case, or is listed in
``[meta] no_real_instance`` (those need synthetic tests).

Each case runs ``listdigest report --format json`` on its archive for ``since``..``until``
(``--until`` includes that whole day; states are judged as of the range end) and checks the
series whose key is ``series_key``:

- ``members``: the exact set of Message-IDs of that series' cover and patches in range;
- ``version``; ``previous``: the head Message-ID of the nearest earlier version (``""``: none);
- ``state``: ``series[].state.state``;
- ``not_patch``: Message-IDs that must be in no series.

``cover_missing = true`` marks a series whose cover never reached the list: its key is the
cover's Message-ID the patches reply to, which is then no member.

Reports are cached per (archive, range) for the session, with the run's shared index of
each archive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomllib

pytestmark = [pytest.mark.real, pytest.mark.slow]

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus" / "series.toml"
LISTDIGEST = Path(sys.executable).parent / "listdigest"

with CORPUS.open("rb") as _f:
    DATA = tomllib.load(_f)
CASES: list[dict[str, Any]] = DATA["case"]
META: dict[str, Any] = DATA["meta"]
PATTERNS: dict[str, str] = META["patterns"]
EPOCH_FIXTURE = {"spi": "spi_epoch", "hv": "hv_epoch", "kvmppc": "kvmppc_epoch"}


@pytest.fixture(scope="session")
def corpus_report(request, real_index, tmp_path_factory):
    """``get(archive, since, until)`` -> the JSON report, run once per range in the session."""
    work = tmp_path_factory.mktemp("corpus")
    home = work / "home"
    home.mkdir()
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
    )
    cache: dict[tuple[str, str, str], dict[str, Any]] = {}

    def get(archive: str, since: str, until: str) -> dict[str, Any]:
        key = (archive, since, until)
        if key not in cache:
            epoch = request.getfixturevalue(EPOCH_FIXTURE[archive])
            cmd = [
                str(LISTDIGEST),
                "report",
                epoch,
                "--since",
                since,
                "--until",
                until,
                "--format",
                "json",
                "--index",
                real_index(EPOCH_FIXTURE[archive]),
            ]
            run = subprocess.run(cmd, env=env, capture_output=True, text=True)
            assert run.returncode == 0, f"{' '.join(cmd)} failed:\n{run.stderr[-3000:]}"
            cache[key] = json.loads(run.stdout)
        return cache[key]

    return get


def _series_line(s: dict[str, Any]) -> str:
    state = s.get("state")
    if isinstance(state, dict):
        state = state.get("state")
    return (
        f"key={s.get('key')} v{s.get('version')} state={state} "
        f"subject={s.get('subject', '')[:70]!r} members={[m['msgid'] for m in s.get('messages', [])]}"
    )


def _describe(report: dict[str, Any], msgids: list[str]) -> str:
    """Where listdigest put these messages: the series holding any of them."""
    wanted = set(msgids)
    lines = [
        _series_line(s)
        for s in report["series"]
        if wanted & {m["msgid"] for m in s.get("messages", [])}
    ]
    return "\n  ".join(lines) or "(in no series)"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case, corpus_report):
    report = corpus_report(case["archive"], case["since"], case["until"])
    problems: list[str] = []

    by_member = {m["msgid"]: s for s in report["series"] for m in s.get("messages", [])}
    for msgid in case.get("not_patch", []):
        if msgid in by_member:
            problems.append(f"not a patch posting, yet in series: {_series_line(by_member[msgid])}")

    key = case.get("series_key")
    if key:
        members = case["members"]
        series = next((s for s in report["series"] if s["key"] == key), None)
        if series is None:
            problems.append(
                f"no series keyed {key}; its messages went to:\n  {_describe(report, members)}"
            )
        else:
            got = {m["msgid"] for m in series.get("messages", [])}
            want = set(members)
            if got != want:
                problems.append(
                    f"members differ: missing {sorted(want - got)}, extra {sorted(got - want)}; "
                    f"the missing ones went to:\n  {_describe(report, sorted(want - got))}"
                )
            if "version" in case and series.get("version") != case["version"]:
                problems.append(f"version {series.get('version')} != {case['version']}")
            if "previous" in case:
                versions = series.get("versions") or []
                got_prev = versions[0].get("msgid", "") if versions else ""
                if got_prev != case["previous"]:
                    problems.append(
                        f"nearest earlier version {got_prev!r} != {case['previous']!r} "
                        f"(versions: {[(v.get('version'), v.get('msgid'), v.get('date')) for v in versions]})"
                    )
            if "state" in case:
                state = series.get("state")
                got_state = state.get("state") if isinstance(state, dict) else state
                if got_state != case["state"]:
                    problems.append(f"state {got_state!r} != {case['state']!r} ({state!r})")

    assert not problems, (
        f"{case['name']} ({case['pattern']}): {case.get('note', '')}\n" + "\n".join(problems)
    )


def test_every_pattern_is_covered():
    """Every pattern has a real case, or is named as having no real instance (synthetic only)."""
    covered = {c["pattern"] for c in CASES} | {p for c in CASES for p in c.get("also", [])}
    unknown = covered - set(PATTERNS)
    assert not unknown, f"cases name patterns not in [meta.patterns]: {sorted(unknown)}"
    absent = set(META.get("no_real_instance", []))
    assert not (absent & covered), (
        f"patterns listed as absent but covered: {sorted(absent & covered)}"
    )
    missing = set(PATTERNS) - covered - absent
    assert not missing, f"patterns with no case: {sorted(missing)}"


def test_corpus_is_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in CASES:
        assert c["archive"] in EPOCH_FIXTURE, c["name"]
        assert c.get("series_key") or c.get("not_patch"), f"{c['name']}: nothing to check"
        if c.get("series_key") and not c.get("cover_missing"):
            assert c["series_key"] in c["members"], f"{c['name']}: the head is one of the members"
        if "state" in c:
            assert c["state"] in META["states"], c["name"]
