"""Under the employer table: the "(Unknown)" share and the addresses to map first."""

from __future__ import annotations

import re

import pytest
from daily_helpers import T0, Epoch, patch

from listdigest.pipeline import RangeSpec, report
from listdigest.report import render
from listdigest.timeparse import parse_when


@pytest.mark.real
def test_unknown_line_counts_the_whole_unknown_row(spi_epoch, real_index):
    d = report(
        spi_epoch,
        RangeSpec(since=parse_when("2025-12-01"), until=parse_when("2025-12-14", end_of_day=True)),
        index_path=real_index("spi_epoch"),
        top=3,  # fewer rows than employers: the line still counts every unknown posting
    )
    assert d.unknown_postings == sum(c.count for c in d.unmapped) or len(d.unmapped) == 3
    assert d.unknown_postings > 0
    text = " ".join(render(d, "text").split())
    m = re.search(r"\(Unknown\): (\d+) of (\d+) postings \((\d+) %\) have no known employer", text)
    assert m, text
    assert (int(m.group(1)), int(m.group(2))) == (d.unknown_postings, d.totals.patches)
    assert f"{d.unmapped[0].label} ({d.unmapped[0].count})" in text
    assert "have no known employer" in " ".join(render(d, "markdown").split())
    assert "Map them with --employer-map." in render(d, "html")


def test_no_line_when_every_employer_is_known(tmp_path):
    """Intel's domain is in the shipped map; example.com (the sample's) is not."""
    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] lib: one fix", "Ann Dev <ann@intel.com>"))
    known = report(ep.inbox, RangeSpec(since=T0), index_path=str(tmp_path / "ix.sqlite"))
    assert known.unknown_postings == 0 and known.totals.patches == 1
    assert "(Unknown):" not in render(known, "text")
    assert "have no known employer" not in render(known, "html")
    ep.add(patch(2, "[PATCH] lib: another fix"))
    mixed = report(ep.inbox, RangeSpec(since=T0), index_path=str(tmp_path / "ix.sqlite"))
    assert mixed.unknown_postings == 1
    assert (
        "(Unknown): 1 of 2 postings (50 %) have no known employer; most from ada@example.com (1)."
        in " ".join(render(mixed, "text").split())
    )
