"""Reading the dates users type: ISO dates and datetimes, and relative ``2d``/``12h``/``1w``."""

from __future__ import annotations

import datetime as dt
import re

from .errors import RangeError

# relative spans counted back from now: 90m, 12h, 2d, 1w
_REL_RE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(value: str, *, end_of_day: bool = False, now: float | None = None) -> int:
    """Unix time of a user-given date.  A bare date as an upper bound means its last second."""
    text = value.strip()
    m = _REL_RE.match(text)
    if m:
        base = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
        return int(base) - int(m.group(1)) * _UNITS[m.group(2)]
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
