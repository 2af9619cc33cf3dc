"""What maintainers act on, held on real weeks of linux-spi and linux-hyperv: the waiting list,
hot threads, reviewers and the patch list obey the series model's rules (issue: "waiting for
review full of applied or superseded series, hot threads nobody answered")."""

import pytest

from listdigest.analysis.history import DEFAULT_BOTS, is_bot
from listdigest.pipeline import RangeSpec, report
from listdigest.timeparse import parse_when

pytestmark = [pytest.mark.real, pytest.mark.slow]

WEEKS = {
    "spi_epoch": ["2024-03-04", "2024-08-26", "2025-06-02", "2025-10-20"],
    "hv_epoch": ["2024-10-14", "2025-04-14", "2025-11-03", "2026-05-18"],
}


@pytest.fixture(scope="module")
def digests(request, real_index):
    out = []
    for fixture, weeks in WEEKS.items():
        path = request.getfixturevalue(fixture)
        ix = real_index(fixture)
        for w in weeks:
            since = parse_when(w)
            spec = RangeSpec(since=since, until=since + 7 * 86400 - 1)
            out.append((f"{fixture} {w}", report(path, spec, index_path=ix)))
    return out


def test_waiting_lists_each_series_once_and_never_an_applied_or_superseded_one(digests):
    checked = 0
    for name, d in digests:
        h = d.history
        keys = [w.key for w in h.waiting]
        assert len(keys) == len(set(keys)), name
        assert all(w.state in ("new", "discussed") for w in h.waiting), name
        applied = {a.series_key for a in h.applied}
        assert not applied & set(keys), (name, applied & set(keys))
        gone = {
            s.key
            for s in d.series
            if s.state.state in ("applied", "superseded", "changes-requested", "reviewed")
        }
        assert not gone & set(keys), (name, gone & set(keys))
        # a series superseded by a newer version in the same digest is never waiting
        older = {v.msgid for s in d.series for v in s.versions}
        assert not older & set(keys), (name, older & set(keys))
        checked += len(keys)
    assert checked > 10  # the weeks do have waiting series


def test_hot_threads_are_answered_by_someone_else(digests):
    for name, d in digests:
        for t in d.history.hot_threads:
            assert t.replies >= 1 and t.participants >= 2, (name, t)


def test_bots_are_neither_reviewers_nor_posters(digests):
    for name, d in digests:
        for c in d.history.top_reviewers:
            assert not is_bot(c.label, c.label, DEFAULT_BOTS) and "syzbot" not in c.label, (name, c)
        for s in d.series:
            assert not is_bot(s.author_addr, s.author_name, DEFAULT_BOTS), (name, s.subject)


def test_every_state_names_its_deciding_message(digests):
    seen = set()
    for name, d in digests:
        for s in d.series:
            st = s.state
            seen.add(st.state)
            if st.state in ("applied", "superseded", "reviewed", "discussed", "changes-requested"):
                assert st.msgid, (name, s.key, st)
            if st.state == "superseded":
                assert st.superseded_version and st.superseded_version > s.version, (
                    name,
                    s.key,
                    st,
                )
            if st.state == "applied":
                # the notice answers a series posted in the range, so it is in the range too
                assert any(a.msgid == st.msgid for a in d.history.applied), (name, s.key, st)
    assert {"applied", "reviewed", "discussed", "new"} <= seen
