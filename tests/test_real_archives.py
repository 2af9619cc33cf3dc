"""The digest on the real archives (../shared/data), checked against an independent
computation with the stdlib ``email`` package."""

import json
import re
from collections import Counter

import pytest
from stdlib_ref import patch_postings

from listdigest.pipeline import RangeSpec, report
from listdigest.report import render
from listdigest.timeparse import parse_when

SINCE, UNTIL = "2026-01-01", "2026-01-31"


def stdlib_counts(gitdir, since, until):
    """Domain and author counts of patch postings received in [since, until], by stdlib email."""
    domains, authors = Counter(), Counter()
    for _, addr in patch_postings(gitdir, since, until):
        domains[addr.rpartition("@")[2]] += 1
        authors[addr] += 1
    return domains, authors


@pytest.mark.real
def test_hv_month_tables_equal_stdlib_computation(hv_epoch):
    since, until = parse_when(SINCE), parse_when(UNTIL, end_of_day=True)
    d = report(hv_epoch, RangeSpec(since=since, until=until), top=1000)
    domains, authors = stdlib_counts(hv_epoch, since, until)
    assert d.totals.patches == sum(authors.values()) > 50
    assert {c.label: c.count for c in d.domains} == dict(domains)
    ours = Counter()
    for c in d.contributors:
        ours[re.search(r"<([^<>]+)>$", c.label).group(1).lower()] += c.count
    assert ours == authors


@pytest.mark.real
def test_hv_v5_paravirt_day(hv_epoch):
    d = report(
        hv_epoch,
        RangeSpec(since=parse_when("2026-01-05"), until=parse_when("2026-01-05", end_of_day=True)),
    )
    text = render(d, "text")
    # the patch-list line wraps at 80 columns: compare the words
    assert (
        "4 of 22 [PATCH v5 00/21] paravirt: cleanup and reorg -- Juergen Gross <jgross@suse.com>"
        in " ".join(text.split())
    )
    entry = text.split("paravirt: cleanup and reorg\n[PATCH v5 00/21]", 1)[1]
    # the cover letter is printed up to and including its diffstat, never beyond
    cover = entry.split("-" * 70)[0]
    head, stat, tail = cover.partition(" 66 files changed, 662 insertions(+), 827 deletions(-)\n")
    assert "Changes in V5:" in head and stat and tail.strip() == "State: new, no reply yet"
    assert "diff --git" not in text and "base-commit:" not in text
    data = json.loads(render(d, "json"))
    assert data["schema_version"] >= 1 and any(
        s["subject"].startswith("[PATCH v5 00/21]") for s in data["series"]
    )


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["hv_epoch", "kvmppc_epoch"])
def test_whole_archive_has_no_unreadable_message(fixture, request):
    path = request.getfixturevalue(fixture)
    d = report(path, RangeSpec())
    assert d.totals.skipped == 0 and d.skipped == ()
    assert d.totals.messages > 5000
    assert all(s.bodies for s in d.series)


@pytest.mark.real
@pytest.mark.parametrize(
    "since,until",
    [("2026-01-05", "2026-01-05"), ("2025-12-01", "2026-01-15"), ("2020-03-01", "2020-04-01")],
)
def test_index_narrowed_date_range_equals_full_scan(hv_epoch, real_index, since, until):
    """With an index, a date range reads only the commit span holding it; the digest is the
    one a scan of the whole archive gives (labels, tables, series, totals)."""
    idx = real_index("hv_epoch")
    spec = RangeSpec(since=parse_when(since), until=parse_when(until, end_of_day=True))
    full = report(hv_epoch, spec)
    fast = report(hv_epoch, spec, index_path=idx)
    keep = (
        "start",
        "end",
        "end_commit",
        "domains",
        "contributors",
        "totals",
        "employers",
        "per_day",
    )
    a, b = full.to_dict(), fast.to_dict()
    assert {k: a[k] for k in keep} == {k: b[k] for k in keep}
    strip = lambda ss: [
        {
            k: v
            for k, v in s.items()
            if k not in ("label", "versions", "changelog", "first_seq", "state")
        }
        for s in ss
    ]
    assert strip(a["series"]) == strip(b["series"])


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture,spec",
    [
        ("kvmppc_epoch", RangeSpec()),
        ("hv_epoch", RangeSpec()),
        (
            "hv_epoch",
            RangeSpec(
                since=parse_when("2025-06-01"), until=parse_when("2025-12-31", end_of_day=True)
            ),
        ),
    ],
    ids=["kvm-ppc-whole", "hv-whole", "hv-half-year"],
)
def test_digest_rebuilt_from_index_equals_parsed(fixture, spec, request, real_index):
    """A large range is rebuilt from the index (bodies read only where the digest prints
    them); its digest, history included, is the one parsing every message gives."""
    from listdigest.pipeline import collect, digest_of
    from listdigest.sources import open_source
    from listdigest.store.index import Index

    path = request.getfixturevalue(fixture)
    source = open_source(path)
    with Index(real_index(fixture)) as ix:
        assert ix.update(source).read == 0  # the shared index is whole: nothing to read
        parsed = digest_of(collect(source, spec), source, index=ix)
        rebuilt = digest_of(collect(source, spec, index=ix), source, index=ix)
    assert rebuilt.totals.messages > 2000
    assert rebuilt.to_dict() == parsed.to_dict()
