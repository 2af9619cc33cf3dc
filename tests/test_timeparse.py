"""The dates users type (git's approxidate forms included) and the Date: of mail."""

import pytest

from listdigest.errors import RangeError
from listdigest.timeparse import parse_mail_date, parse_when

NOW = 1_780_000_000  # 2026-05-28 20:26:40 UTC
DAY = 86400


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2d", NOW - 2 * DAY),
        ("12h", NOW - 12 * 3600),
        ("1w", NOW - 7 * DAY),
        ("now", NOW),
        ("yesterday", NOW - DAY),  # git: this time yesterday
        ("Yesterday", NOW - DAY),
        ("midnight", NOW - NOW % DAY),
        ("noon", NOW - NOW % DAY + 12 * 3600),
        ("1.week.ago", NOW - 7 * DAY),
        ("2.weeks.ago", NOW - 14 * DAY),
        ("3 days ago", NOW - 3 * DAY),
        ("2.days", NOW - 2 * DAY),
        ("an hour ago", NOW - 3600),
        ("last week", NOW - 7 * DAY),
        ("1.month.ago", NOW - 30 * DAY),
        ("10.minutes.ago", NOW - 600),
        ("2026-05-01", 1_777_593_600),
        ("2026-05-01T12:00:00+02:00", 1_777_593_600 + 10 * 3600),
    ],
)
def test_user_dates(text, expected):
    assert parse_when(text, now=NOW) == expected


def test_a_bare_date_as_upper_bound_is_its_last_second():
    assert parse_when("2026-05-01", end_of_day=True) == 1_777_593_600 + DAY - 1


@pytest.mark.parametrize("text", ["yesterday-ish", "2.fortnights.ago", "last", "ago", "1.5.days"])
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(RangeError, match="invalid date"):
        parse_when(text, now=NOW)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Wed, 15 Jul 2026 16:32:52 +0200", 1_784_125_972),
        ("15 Jul 2026 16:32:52 +0200 (CEST)", 1_784_125_972),
        ("Wed, 15 Jul 2026 14:32:52 GMT", 1_784_125_972),
        ("Wed, 15 Jul 2026 14:32:52 +9999", 1_784_125_972),  # a zone beyond a day: UTC
        ("Wed, 15 Jul 1901 14:32:52 +0000", None),
        ("Wed, 15 Jul 0000 14:32:52 +0000", None),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_mail_dates(value, expected):
    assert parse_mail_date(value) == expected
