"""The time range of a call records query, as a supervisor types it, in the server's day.

GetBill takes `starttime` and `endtime` as the server writes them (`yyyy-mm-dd hh:mm:ss` in
its zone). A supervisor types less: a date, a time of today, "yesterday", "-2h". "Today" is
the server's day in the profile's zone, counted on the server's clock (API-NOTES decision
10): the caller gives the server's `now` (this machine's clock plus the client's offset),
never this machine's day.

Accepted, for either end (`--from` / `--to`, the screen's fields):
- `today`, `yesterday`, `now`;
- a date `2026-01-05`: its first second as a start, its last second as an end;
- a date and time `2026-01-05 09:30` or `2026-01-05 09:30:15` (a `T` may join them);
- a time `09:30` or `09:30:15`: that time of the server's today;
- `-90m`, `-2h`, `-1d`: that long before now.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from wallboard.live.bills import TIME_FORMAT, day_end_text, day_start, server_text

_RELATIVE = re.compile(r"^-(\d{1,5})\s*([mhd])$")
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ t](\d{1,2}:\d{2}(?::\d{2})?)$")
FORMS = "today, yesterday, now, 2026-01-05, 2026-01-05 09:30[:15], 09:30, -2h, -90m, -1d"


class WindowError(ValueError):
    """A time that cannot be read, or a range that ends before it starts: the message is
    one line for the supervisor."""


@dataclass(frozen=True, slots=True)
class RecordRange:
    """A range of dial times as the server writes them (its zone), both ends included."""

    start: str
    end: str

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


def moment_text(text: str, *, now: float, tz: dt.tzinfo | None, end: bool) -> str:
    """One end of a range as server text; `now` is the server's clock (unix seconds).

    `end` says which end a bare date or day word stands for: its first second for a start,
    its last second for an end. WindowError says what forms are understood."""
    value = " ".join(str(text).split()).lower()
    if value in ("today", "yesterday"):
        day = now if value == "today" else day_start(now, tz) - 43200.0
        return day_end_text(day, tz) if end else server_text(day_start(day, tz), tz)
    if value == "now":
        return server_text(now, tz)
    relative = _RELATIVE.match(value)
    if relative:
        return server_text(now - int(relative.group(1)) * _UNITS[relative.group(2)], tz)
    if _DATE.match(value):
        date = _date(value, text)
        return f"{date.isoformat()} 23:59:59" if end else f"{date.isoformat()} 00:00:00"
    joined = _DATE_TIME.match(value)
    if joined:
        date = _date(joined.group(1), text)
        return f"{date.isoformat()} {_clock(joined.group(2), text)}"
    if _TIME.match(value):
        today = server_text(now, tz)[:10]
        return f"{today} {_clock(value, text)}"
    raise WindowError(f"{text!r} is not a time: use {FORMS}")


def dated(text: str) -> bool:
    """Whether a typed end names its day (a date, or a date and time): it reads the same on
    any clock, where "today", "12:00" or "-2h" move with the clock's today."""
    value = text.strip().lower()
    return bool(_DATE.match(value) or _DATE_TIME.match(value))


def window(start: str | None, end: str | None, *, now: float, tz: dt.tzinfo | None) -> RecordRange:
    """The range from two typed ends (None: today's first second, and today's last second)."""
    first = moment_text(start or "today", now=now, tz=tz, end=False)
    last = moment_text(end or "today", now=now, tz=tz, end=True)
    if last < first:
        raise WindowError(f"the range ends ({last}) before it starts ({first})")
    return RecordRange(first, last)


def _date(value: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise WindowError(f"{text!r} is not a date (yyyy-mm-dd)") from None


def _clock(value: str, text: str) -> str:
    found = _TIME.match(value)
    if found is None:
        raise WindowError(f"{text!r} is not a time of day (hh:mm or hh:mm:ss)")
    hours, minutes = int(found.group(1)), int(found.group(2))
    seconds = int(found.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise WindowError(f"{text!r} is not a time of day (hh:mm or hh:mm:ss)")
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def parse_server_text(text: str) -> dt.datetime | None:
    """A server time text as a naive datetime (its zone is the server's), or None."""
    try:
        return dt.datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        return None


__all__ = [
    "FORMS",
    "RecordRange",
    "WindowError",
    "dated",
    "moment_text",
    "parse_server_text",
    "window",
]
