"""A digest of linux-spi + linux-hyperv: a message cross-posted to both is counted once.

The expected figures come from the archives themselves, read with git cat-file and the
standard library's email parser (not listdigest's): the messages each list received in the
range (topmost Received header, else Date), one per (Message-ID, From, Date, Subject)."""

from __future__ import annotations

import email.parser
import email.policy
import email.utils

import pytest
from stdlib_ref import cat_file, rev_list

from listdigest.multilist import report_lists
from listdigest.pipeline import DigestOptions, RangeSpec
from listdigest.timeparse import parse_when

SINCE, UNTIL = "2020-08-01", "2020-08-31"


def _received(m) -> int | None:
    top = m.get("Received")
    for value in ([top.rsplit(";", 1)[-1]] if top and ";" in top else []) + [m.get("Date")]:
        try:
            return int(email.utils.parsedate_to_datetime(value.strip()).timestamp())
        except (TypeError, ValueError, AttributeError):
            continue
    return None


def _mails(gitdir: str, lo: int, hi: int) -> set[tuple[str, str, str, str]]:
    # the headers are all this count reads: the body is left unparsed
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    got = set()
    for data in cat_file(gitdir, rev_list(gitdir)):
        m = headers.parsebytes(data)
        when = _received(m)
        if when is not None and lo <= when <= hi:
            got.add(
                tuple((m.get(h) or "").strip() for h in ("Message-ID", "From", "Date", "Subject"))
            )
    return got


@pytest.mark.real
@pytest.mark.slow
def test_cross_posted_messages_count_once(spi_epoch, hv_epoch):
    lo, hi = parse_when(SINCE), parse_when(UNTIL, end_of_day=True)
    spi, hv = _mails(spi_epoch, lo, hi), _mails(hv_epoch, lo, hi)
    both = {k[0] for k in spi} & {k[0] for k in hv}
    assert len(both) >= 40  # the tasklet conversions of August 2020 went to both lists
    r = report_lists(
        [spi_epoch, hv_epoch],
        RangeSpec(since=lo, until=hi),
        DigestOptions(),
        index_paths=[None, None],
    )
    d = r.digest
    assert [(p.messages) for p in d.lists] == [len(spi), len(hv)]
    assert d.totals.messages == len(spi | hv) < len(spi) + len(hv)
    carried_twice = {m.msgid for s in d.series for m in s.messages if len(m.lists) == 2}
    assert carried_twice and carried_twice <= {x.strip("<>") for x in both}
