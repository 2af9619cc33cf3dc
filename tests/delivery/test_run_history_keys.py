"""``listdigest run`` feeds a list's employer_maps, bots, waiting_days and hot into its digest:
a real git inbox, the real CLI, the digest printed by the stdout delivery."""

from __future__ import annotations

import json

from daily_helpers import Epoch, mail, patch
from test_run import run


def test_run_uses_the_lists_history_and_employer_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the run's index lives here
    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] demo: first"))
    ep.add(patch(2, "[PATCH] demo: second", "Cy Corp <cy@corp.example>"))
    ep.add(
        mail(3, "Re: [PATCH] demo: first", "CI Runner <runner@ci.example>", irt="m1@example.org")
    )
    ep.add(mail(4, "Re: [PATCH] demo: first", "Bob <bob@corp.example>", irt="m1@example.org"))
    ep.add(
        mail(5, "Re: [PATCH] demo: second", "Bob <bob@corp.example>", irt="m2@example.org")
    )  # a second, smaller thread
    (tmp_path / "emap").write_text("example.com Ada Works\ncorp.example Corp Inc\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[lists.demo]
archive = "{ep.inbox}"
delivery = "stdout"
formats = ["text", "json"]
start = "2020-01-01"
link_base = "https://lore.example.org/demo/"
employer_maps = ["emap"]
no_default_map = true
bots = ["runner@ci"]
waiting_days = 30
hot = 1
""")
    r = run("run", "--config", str(cfg), "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "Top 15 employers (Based on Email Body)\n\n      1 Corp Inc\n      1 Ada Works\n" in out
    assert "Bots: CI Runner (1)" in out
    assert "Waiting for review (posted in the last 30 days, no review yet)" in out
    j = json.loads(out[out.index("\n{") + 1 : out.rindex("}") + 1])
    assert j["history"]["waiting_days"] == 30
    assert [t["root"] for t in j["history"]["hot_threads"]] == ["m1@example.org"]  # hot = 1 row
    assert [b["label"] for b in j["history"]["bots"]] == ["CI Runner"]
    assert {c["label"] for c in j["employers"]} == {"Corp Inc", "Ada Works"}
