"""Reading dates: the ``Date:`` of mail (RFC 5322, and the broken forms mail really carries),
and the dates users type: ISO dates and datetimes, and relative ``2d``/``12h``/``1w``.

The one place a date string becomes a Unix time; headers, mailboxes and lore results use it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

from .errors import RangeError

# CR/LF and other control characters, and runs of white space, read as one space
_CTRL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_WS_RE = re.compile(r"\s+")
# the date format nearly all mail uses, `Wed, 15 Jul 2026 16:32:52 +0200`; others go to
# parsedate_tz
_STD_DATE_RE = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})(?:\s*\([^()]*\))?\s*$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# the year of an RFC 5322 date ("1 Jan 2024"): checked before parsedate_tz maps "0000" to 2000
_YEAR_RE = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,}\s+(\d+)")

#: 2200-01-01: later dates in mail are bogus
_MAX_TS = 7258118400
#: real zones stay within +-14 h; anything beyond a day is taken as no zone at all
_MAX_ZONE = 86400


@functools.lru_cache(maxsize=4096)
def _days_before_month(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of ``month`` (what calendar.timegm computes)."""
    return calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0)) // 86400


def parse_mail_date(value: str | None) -> int | None:
    """Unix time of an RFC 5322 date, or None when it cannot be read or is out of range."""
    if not value:
        return None
    m = _STD_DATE_RE.match(value)
    if m is not None:
        day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
        month = _MONTHS.get(mon.lower())
        if month is not None and 1970 <= int(year) <= 2200 and int(hh) < 24 and int(mm) < 60:
            ts = (
                (_days_before_month(int(year), month) + int(day) - 1) * 86400
                + int(hh) * 3600
                + int(mm) * 60
                + int(ss or 0)
            )
            off = int(zh) * 3600 + int(zm) * 60
            if off > _MAX_ZONE:
                off = 0  # a zone beyond a day is garbage: read the time as UTC
            ts = ts - off if sign == "+" else ts + off
            return ts if 0 <= ts <= _MAX_TS else None
    text = _WS_RE.sub(" ", _CTRL_RE.sub(" ", value)).strip()
    y = _YEAR_RE.search(text)
    if y and len(y.group(1)) == 4 and int(y.group(1)) < 1970:
        return None  # parsedate_tz reads year 0000 as 2000
    try:
        from email.utils import parsedate_tz

        t = parsedate_tz(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if t is None:
        return None
    try:
        ts = calendar.timegm((*t[:6], 0, 0, 0))
        offset = t[9] or 0
        if abs(offset) > _MAX_ZONE:
            offset = 0  # "+999999" moved dates by 417 days; a zone beyond a day is garbage
        ts -= offset
    except (OverflowError, ValueError, TypeError):
        return None
    # years outside 1970..2200 are bogus in mail; treat like no date
    if ts < 0 or ts > _MAX_TS:
        return None
    return int(ts)


# relative spans counted back from now: 90m, 12h, 2d, 1w
_REL_RE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# git's approxidate forms people type: "2.weeks.ago", "3 days ago", "1.week", "last month"
_APPROX_RE = re.compile(
    r"^(?:(\d+|an?|one|last)[.\s]*)?"
    r"(second|sec|minute|min|hour|day|week|month|year)s?(?:[.\s]*ago)?$",
    re.I,
)
_APPROX_UNITS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}


def _now(now: float | None) -> int:
    return int(now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp())


def _relative(text: str, now: float | None) -> int | None:
    """The relative forms: ``2d``/``12h``/``90m``/``1w``, and git's ``now``, ``yesterday``,
    ``midnight``, ``noon`` (UTC, today's) and ``N.units.ago``; None for anything else."""
    low = text.lower()
    m = _REL_RE.match(low)
    if m:
        return _now(now) - int(m.group(1)) * _UNITS[m.group(2)]
    if low == "now":
        return _now(now)
    if low == "yesterday":  # as git reads it: this time, one day ago
        return _now(now) - 86400
    if low in ("midnight", "today", "noon"):
        base = _now(now)
        start = base - base % 86400
        return start + (43200 if low == "noon" else 0)
    m = _APPROX_RE.match(low.replace("_", "."))
    if m:
        n = m.group(1)
        count = 1 if n in (None, "a", "an", "one", "last") else int(n)
        return _now(now) - count * _APPROX_UNITS[m.group(2)]
    return None


def parse_when(value: str, *, end_of_day: bool = False, now: float | None = None) -> int:
    """Unix time of a user-given date.  A bare date as an upper bound means its last second."""
    text = value.strip()
    rel = _relative(text, now)
    if rel is not None:
        return rel
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
            if end_of_day:
                d += dt.timedelta(days=1, seconds=-1)
            return int(d.timestamp())
        d = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise RangeError(
            f"invalid date: {value!r} (use YYYY-MM-DD, an ISO datetime, or 2d/12h/1w)"
        ) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp())


def day(ts: int | None) -> str:
    if ts is None:
        return "unknown"
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d")
