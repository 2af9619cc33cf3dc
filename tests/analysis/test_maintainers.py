"""MAINTAINERS sections (F/X/N/K, wildcards, trailing slashes), --path patterns, and a
digest filtered to the series touching them (analysis.paths, analysis.digest)."""

from __future__ import annotations

import json
import mailbox
import subprocess
import sys
from pathlib import Path

import pytest

from listdigest.analysis.digest import build_digest
from listdigest.analysis.paths import (
    MaintainersError,
    PathFilter,
    find_sections,
    parse_maintainers,
    read_maintainers,
    sections_of,
)
from listdigest.message import parse_message
from listdigest.sources import RawMessage

EXCERPT = str(Path(__file__).resolve().parent.parent / "data" / "MAINTAINERS.excerpt")


@pytest.fixture(scope="module")
def sections():
    return read_maintainers(EXCERPT)


def names(found) -> list[str]:
    return [s.name for s in found]


def test_sections_as_written_and_the_header_skipped(sections):
    assert names(sections) == [
        "ARM/Mediatek SoC support",
        "Hyper-V/Azure CORE AND DRIVERS",
        "KERNEL VIRTUAL MACHINE FOR POWERPC (KVM/powerpc)",
        "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)",
        "KVM X86 HYPER-V (KVM/hyper-v)",
        "MICROSOFT MANA RDMA DRIVER",
        "NETWORKING DRIVERS",
        "SPI SUBSYSTEM",
        "TEGRA ARCHITECTURE SUPPORT",
        "THE REST",
    ]
    hv = sections[1]
    assert hv.keywords == (r"((?:\b|_)(?:hyperv|hv|mshyperv)(?:\b|_))",)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # trailing slash: the whole tree
        ("drivers/hv/vmbus_drv.c", ["Hyper-V/Azure CORE AND DRIVERS"]),
        ("drivers/spi/sub/dir/x.c", ["SPI SUBSYSTEM"]),
        # a plain name: that file (or a directory, without a tree to ask)
        ("include/linux/hyperv.h", ["Hyper-V/Azure CORE AND DRIVERS"]),
        ("arch/x86/hyperv/hv_init.c", ["Hyper-V/Azure CORE AND DRIVERS"]),
        (
            "include/net/mana/gdma.h",
            ["Hyper-V/Azure CORE AND DRIVERS", "MICROSOFT MANA RDMA DRIVER"],
        ),
        # a wildcard without a trailing slash: files of that directory, not below
        (
            "arch/x86/kvm/hyperv.c",
            ["KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)", "KVM X86 HYPER-V (KVM/hyper-v)"],
        ),
        ("arch/x86/include/asm/vmx.h", ["KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)"]),
        ("arch/x86/include/asm/kvm_host.h", ["KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)"]),
        ("arch/x86/include/asm/kvm/deeper.h", []),
        ("arch/powerpc/kernel/kvm_emul.S", ["KERNEL VIRTUAL MACHINE FOR POWERPC (KVM/powerpc)"]),
        # X: excludes, tested before F:
        ("drivers/net/hyperv/netvsc.c", ["Hyper-V/Azure CORE AND DRIVERS", "NETWORKING DRIVERS"]),
        ("drivers/net/wireless/ath/x.c", []),
        ("Documentation/devicetree/bindings/net/can/x.yaml", []),
        ("include/linux/if_vlan.h", ["NETWORKING DRIVERS"]),
        # N: regexes on the name; [^a-z]tegra is not "integrator"
        ("drivers/spi/spi-tegra114.c", ["SPI SUBSYSTEM", "TEGRA ARCHITECTURE SUPPORT"]),
        ("drivers/spi/spi-integrator.c", ["SPI SUBSYSTEM"]),
        ("drivers/spi/spi-mt65xx.c", ["ARM/Mediatek SoC support", "SPI SUBSYSTEM"]),
        ("include/trace/events/spi.h", ["SPI SUBSYSTEM"]),
        # THE REST: F: * (top-level files) and F: */ (everything below a directory)
        ("MAINTAINERS", []),
    ],
)
def test_sections_of_a_path(sections, path, expected):
    assert names(sections_of(sections, path)) == [*expected, "THE REST"]


def test_unknown_section_names_the_close_ones(sections):
    with pytest.raises(MaintainersError) as e:
        find_sections(sections, ["SPI SUBSYSTM"], "report")
    assert str(e.value) == "report: no section 'SPI SUBSYSTM' (did you mean 'SPI SUBSYSTEM'?)"
    with pytest.raises(MaintainersError, match="did you mean 'THE REST'"):
        find_sections(sections, ["the rest"], "report")


def test_a_field_needs_a_name_line_and_blank_lines_end_a_section():
    text = "F:\tstray/\n\nFOO\nF:\tfoo/\nK:\tfoo\n\nbar text\n\nBAR\nN:\tbar\n"
    got = parse_maintainers(text)
    assert names(got) == ["FOO", "BAR"]
    assert got[0].matches("foo/x.c") and not got[0].matches("bar.c")
    assert got[1].matches("drivers/bar.c")


def test_bad_n_regex_is_one_line():
    with pytest.raises(MaintainersError, match=r"section 'X': bad N: regex '\['"):
        parse_maintainers("X\nN:\t[\n")


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("drivers/hv", ["drivers/hv/hv.c", "drivers/hv"], ["drivers/hvc.c", "drivers/hv.c"]),
        ("drivers/hv/", ["drivers/hv/a/b.c"], ["drivers/hvx/a.c"]),
        ("./drivers/hv", ["drivers/hv/a.c"], []),
        ("*.yaml", ["Documentation/a/b.yaml"], ["a.yml"]),
        ("drivers/*/hyperv", ["drivers/net/hyperv/netvsc.c"], ["drivers/net/hyperv.c"]),
        ("arch/x86/kvm/vmx/?mx.c", ["arch/x86/kvm/vmx/vmx.c"], ["arch/x86/kvm/vmx/nested.c"]),
    ],
)
def test_path_patterns(pattern, yes, no):
    f = PathFilter.of([pattern])
    assert all(f.matches(p) for p in yes)
    assert not any(f.matches(p) for p in no)


def _raw(n, subject, body, irt=None, who=None) -> bytes:
    who = n if who is None else who
    head = f"From: Dev {who} <dev{who}@example.org>\nMessage-ID: <{n}@x>\nDate: Mon, 1 Jan 2024 00:0{n}:00 +0000\nSubject: {subject}\n"
    if irt:
        head += f"In-Reply-To: <{irt}@x>\nReferences: <{irt}@x>\n"
    return (head + "\n" + body).encode()


def _msg(n, subject, body, irt=None, who=None):
    raw = RawMessage(_raw(n, subject, body, irt, who), f"{n:040d}", 0, 0, n, "t")
    return parse_message(raw, paths=True)


def _diff(path):
    return f"x\n---\ndiff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"


def _digest(msgs, f: PathFilter | None = None):
    """The digest of ``msgs`` without history, cut to ``f`` when one is given."""
    if f is None:
        return build_digest(msgs, list_name="l", start="a", end="b", with_history=False)
    return build_digest(
        msgs,
        list_name="l",
        start="a",
        end="b",
        with_history=False,
        keep=f.keeps,
        keep_label=f.label,
    )


def test_digest_keeps_series_touching_a_section_and_counts_their_postings(sections):
    cover = "c\n\n .../hv/channel.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    msgs = [
        _msg(1, "[PATCH 0/1] hv: cover", cover),
        _msg(2, "[PATCH 1/1] hv: fix", _diff("drivers/hv/channel.c"), irt=1, who=1),
        _msg(3, "Re: [PATCH 1/1] hv: fix", "> x\nok\n", irt=2),
        _msg(4, "[PATCH] spi: fix", _diff("drivers/spi/spi.c")),
        _msg(5, "Re: [PATCH] spi: fix", "> x\nok\n", irt=4),
    ]
    hv = PathFilter.of(sections=find_sections(sections, ["Hyper-V/Azure CORE AND DRIVERS"], "t"))
    d = _digest(msgs, hv)
    assert [s.title for s in d.series] == ["hv: cover"]
    assert (d.totals.messages, d.totals.patches, d.totals.replies) == (3, 2, 1)
    assert d.filtered is not None and (d.filtered.series, d.filtered.of) == (1, 2)
    assert d.filtered.label == "Hyper-V/Azure CORE AND DRIVERS"
    assert sum(c.count for c in d.domains) == 2
    assert "filtered" in d.to_dict()
    whole = _digest(msgs)
    assert whole.filtered is None and "filtered" not in whole.to_dict()
    assert len(whole.series) == 2


def test_a_cover_alone_in_range_resolves_its_shortened_diffstat(sections):
    cover = "c\n\n .../hv/channel.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    other = _msg(2, "[PATCH] hv: other", _diff("drivers/hv/channel.c"))
    msgs = [_msg(1, "[PATCH 0/3] hv: cover alone", cover), other]
    f = PathFilter.of(["drivers/hv/"])
    d = _digest(msgs, f)
    # the cover's ".../hv/channel.c" is resolved against the range's paths
    assert [s.title for s in d.series] == ["hv: cover alone", "hv: other"]


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "listdigest.cli", *args], capture_output=True, text=True
    )


def test_sections_command_prints_each_paths_sections():
    r = _cli("sections", "--maintainers", EXCERPT, "drivers/spi/spi-tegra114.c", "./README")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "drivers/spi/spi-tegra114.c\n"
        "\tSPI SUBSYSTEM\n"
        "\tTEGRA ARCHITECTURE SUPPORT\n"
        "\tTHE REST\n"
        "./README\n"
        "\tTHE REST\n"
    )


def test_report_with_an_unknown_section_is_one_error_line(tmp_path):
    mbox = tmp_path / "m.mbox"
    mbox.write_text(
        "From x Mon Jan  1 00:00:00 2024\nFrom: a@b.c\nMessage-ID: <1@x>\nSubject: hi\n\nbody\n"
    )
    r = _cli("report", str(mbox), "--maintainers", EXCERPT, "--section", "SPI", "--no-pager")
    assert r.returncode == 2
    assert r.stderr == "Error: report: no section 'SPI'\n"
    r = _cli("report", str(mbox), "--section", "SPI SUBSYSTEM", "--no-pager")
    assert r.returncode == 2
    assert r.stderr == "Error: report: --section needs --maintainers FILE\n"


def test_paths_are_read_when_a_filter_asks(tmp_path):
    """A patch's touched paths are read for a filtered digest (and the index), not on every
    parse: an unfiltered parse skips them, and a filtered digest without an index still
    reads them and keeps the right series."""
    hv = _raw(1, "[PATCH] hv: fix", _diff("drivers/hv/channel.c"))
    assert parse_message(RawMessage(hv), paths=True).paths == ("drivers/hv/channel.c",)
    assert parse_message(RawMessage(hv)).paths == ()
    spi = _raw(2, "[PATCH] spi: fix", _diff("drivers/spi/spi.c"))
    box = mailbox.mbox(str(tmp_path / "l.mbox"))
    for raw in (hv, spi):
        box.add(raw)
    box.close()
    args = ("report", str(tmp_path / "l.mbox"), "--no-index", "--format", "json")
    r = _cli(*args, "--path", "drivers/hv/")
    assert r.returncode == 0, r.stderr
    assert [s["title"] for s in json.loads(r.stdout)["series"]] == ["hv: fix"]
    r = _cli(*args)
    assert [s["title"] for s in json.loads(r.stdout)["series"]] == ["hv: fix", "spi: fix"]
