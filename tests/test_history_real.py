"""History on the real linux-hyperv archive (skipped when ../shared/data is absent)."""

import json

import pytest

from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render
from listdigest.timeparse import parse_when

pytestmark = [pytest.mark.real, pytest.mark.slow]

V5 = "20260105110520.21356-1-jgross@suse.com"


@pytest.fixture(scope="module")
def hv_index(real_index):
    return real_index("hv_epoch")


def _day(hv_epoch, hv_index, day):
    spec = RangeSpec(since=parse_when(day), until=parse_when(day, end_of_day=True))
    return report(hv_epoch, spec, index_path=hv_index, list_name="linux-hyperv")


def test_paravirt_v5_revises_v4_with_chain(hv_epoch, hv_index):
    d = _day(hv_epoch, hv_index, "2026-01-05")
    s = next(x for x in d.series if x.key == V5)
    assert s.label == "v5 (revises v4 of 2025-11-27)"
    j = json.loads(
        render(d, "json", ReportOptions(link_base="https://lore.kernel.org/linux-hyperv/"))
    )
    js = next(x for x in j["series"] if x["key"] == V5)
    assert [(v["version"], v["date"]) for v in js["versions"]] == [
        (4, "2025-11-27"),
        (3, "2025-10-06"),
        (2, "2025-09-17"),
        (1, "2025-09-11"),
    ]
    assert js["versions"][-1]["subject"] == "[PATCH 00/14] paravirt: cleanup and reorg"
    assert "Changes in V5:" in js["changelog"]
    text = render(d, "text", ReportOptions(link_base="https://lore.kernel.org/linux-hyperv/"))
    assert "v5 (revises v4 of 2025-11-27):  paravirt: cleanup and reorg" in text


def test_patchwork_bot_applied_notices_2026_02_20(hv_epoch, hv_index):
    d = _day(hv_epoch, hv_index, "2026-02-20")
    mine = [a for a in d.history.applied if a.series_key == V5]
    assert mine and all(
        a.source == "pwbot" and a.tree == "riscv/linux.git" and a.branch == "fixes" for a in mine
    )
    assert mine[0].by == "Borislav Petkov (AMD) <bp@alien8.de>"
    assert [i.commit for i in mine[0].items] == ["68b10fd40d49", "e6b2aa6d4004", "ee9ffcf99f07"]
    assert any(b.label.startswith("patchwork-bot") for b in d.history.bots)
    text = render(d, "text", ReportOptions(link_base="https://lore.kernel.org/linux-hyperv/"))
    assert (
        f"https://lore.kernel.org/linux-hyperv/{V5}/\n    applied to riscv/linux.git (fixes) by Borislav Petkov (AMD) <bp@alien8.de>"
        in text
    )


def test_histories_on_two_cores_equal_one_core(hv_epoch, hv_index, monkeypatch):
    """A whole quarter's series histories looked up by this process and a forked child equal
    those looked up here alone."""
    from listdigest.analysis import history

    spec = RangeSpec(
        since=parse_when("2025-10-01"), until=parse_when("2025-12-31", end_of_day=True)
    )
    monkeypatch.setattr(history, "PARALLEL_SERIES", 10)
    two = report(hv_epoch, spec, index_path=hv_index, list_name="linux-hyperv")
    monkeypatch.setattr(history, "PARALLEL_SERIES", 10**9)
    one = report(hv_epoch, spec, index_path=hv_index, list_name="linux-hyperv")
    assert len(two.series) > 100
    assert sum(1 for s in two.series if s.versions) > 20
    assert two == one


@pytest.mark.parametrize("fixture", ["kvmppc_epoch", "spi_epoch"])
def test_early_history_child_gives_the_digest_the_in_process_one_gives(
    fixture, request, real_index, monkeypatch
):
    """A large range's series histories are looked up by a child started before the range
    is read (pipeline.digest._early_histories), which reads the range again on its own
    connection.  Its digest must be the one built with the histories looked up in this
    process: the whole archive, and a path-filtered year (the child filters alike)."""
    import listdigest.pipeline.digest as pd
    from listdigest.analysis.paths import PathFilter
    from listdigest.workers import can_fork

    archive, ix = request.getfixturevalue(fixture), real_index(fixture)
    started = []
    early = pd._early_histories

    def watched(*args):
        got = early(*args)
        started.append(got is not None)
        return got

    monkeypatch.setattr(pd, "_early_histories", watched)
    ranges = [(RangeSpec(), None)]
    if fixture == "spi_epoch":
        since = parse_when("2021-01-01")
        ranges.append((RangeSpec(since=since), PathFilter.of(["drivers/spi/spi-dw*"])))
    for spec, path_filter in ranges:
        started.clear()
        monkeypatch.setattr(pd, "EARLY_MIN", 1)
        a = report(archive, spec, index_path=ix, path_filter=path_filter)
        monkeypatch.setattr(pd, "EARLY_MIN", 10**9)
        b = report(archive, spec, index_path=ix, path_filter=path_filter)
        assert started == [can_fork(), False]
        assert a.series and a.to_dict() == b.to_dict()
        assert any(s.versions for s in a.series)  # histories were looked up


def test_early_history_child_is_stopped_when_the_digest_fails(
    kvmppc_epoch, real_index, monkeypatch
):
    """The child starts before the range is read; when reading it fails, the error is the
    user's (one line at the CLI) and the child is stopped, not left running."""
    import multiprocessing

    import listdigest.pipeline.digest as pd
    from listdigest.errors import SourceError
    from listdigest.workers import can_fork

    if not can_fork():
        pytest.skip("one core: no child is started")

    def unreadable(*args, **kwargs):
        raise SourceError("the range cannot be read")

    monkeypatch.setattr(pd, "collect", unreadable)
    with pytest.raises(SourceError, match="cannot be read"):
        report(kvmppc_epoch, RangeSpec(), index_path=real_index("kvmppc_epoch"))
    assert multiprocessing.active_children() == []
