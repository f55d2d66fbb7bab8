"""Call records written out as they are read: CSV, one JSON document, or a table for a person.

Each writer takes the rows of one page at a time and writes them at once, so an export of
any size holds one page. Times are the server's, in its zone, as the server wrote them; the
CSV header and the JSON document name the zone.

Spreadsheet formula injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is read as a formula by spreadsheets, and server text (a custom field, a
caller id) could carry one. Such a cell is written with a leading apostrophe, which
spreadsheets show as text. Except a plain number: a sign followed only by digits, spaces and
`( ) . - /` (`+44 20 7946 0958`, `-5`). No formula can be spelt without a letter, a quote or
an operator other than those, so these cells are harmless, and they stay as written: a
phone number keeps its `+` and can be copied and dialled. (A spreadsheet may still show
`+4420...` as a number: import that column as text.)
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TextIO

from wallboard.live.records import CallRow
from wallboard.live.records_summary import AbandonedCall, Summary

#: The CSV columns and the JSON keys of a record, in order.
COLUMNS: tuple[tuple[str, Callable[[CallRow], str | int]], ...] = (
    ("id", lambda r: r.id),
    ("started", lambda r: r.started),
    ("answered_at", lambda r: r.answered_at),
    ("ended", lambda r: r.ended),
    ("duration", lambda r: r.duration),
    ("talk", lambda r: r.talk),
    ("agent", lambda r: r.agent),
    ("destination", lambda r: r.destination),
    ("caller_id", lambda r: r.caller_id),
    ("direction", lambda r: r.direction),
    ("method", lambda r: r.method),
    ("outcome", lambda r: r.outcome.value),
    ("hangup_cause", lambda r: r.cause),
    ("hangup_code", lambda r: r.cause_code),
    ("hung_up_by", lambda r: r.hung_up_by),
    ("recording", lambda r: r.recording),
    ("userid", lambda r: r.userid),
    ("memberid", lambda r: r.memberid),
    ("customuuid", lambda r: r.customuuid),
)
HEADER = tuple(name for name, _ in COLUMNS)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ().\-/]*")


def safe_cell(value: str | int) -> str | int:
    """A cell a spreadsheet will not run: see the module's note."""
    if isinstance(value, int) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def record_document(row: CallRow) -> dict[str, str | int]:
    """A record as a JSON object (no guard: JSON is read by programs, not spreadsheets)."""
    return {name: get(row) for name, get in COLUMNS}


class CsvExport:
    """Records as CSV with a header row, written page by page."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self.written = 0

    def header(self) -> None:
        self._writer.writerow(HEADER)

    def page(self, rows: Iterable[CallRow]) -> int:
        """Write one page's rows; how many were written."""
        before = self.written
        for row in rows:
            self._writer.writerow([safe_cell(get(row)) for _, get in COLUMNS])
            self.written += 1
        self._stream.flush()
        return self.written - before


class JsonExport:
    """Records as one JSON document, written page by page:
    `{"from", "to", "tz", "filters", "records": [...], "count", "totalitems"}`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.written = 0

    def begin(self, about: Mapping[str, object]) -> None:
        head = json.dumps(dict(about), ensure_ascii=False)
        self._stream.write(head[:-1] + (", " if about else "") + '"records": [')

    def page(self, rows: Iterable[CallRow]) -> int:
        before = self.written
        for row in rows:
            self._stream.write(",\n" if self.written else "\n")
            self._stream.write(json.dumps(record_document(row), ensure_ascii=False))
            self.written += 1
        self._stream.flush()
        return self.written - before

    def end(self, totalitems: int) -> None:
        self._stream.write(f'\n], "count": {self.written}, "totalitems": {totalitems}}}\n')
        self._stream.flush()


# ---------------------------------------------------------------------- for a person

_TABLE: tuple[tuple[str, int, Callable[[CallRow], str]], ...] = (
    ("id", 8, lambda r: r.id),
    ("started", 19, lambda r: r.started),
    ("agent", 8, lambda r: r.agent or "-"),
    ("destination", 16, lambda r: r.destination),
    ("outcome", 12, lambda r: r.outcome.value),
    ("talk", 6, lambda r: clock(r.talk)),
    ("method", 14, lambda r: r.method),
    ("hang-up cause", 20, lambda r: r.cause),
)


def clock(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; "-" for none."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _line(cells: Sequence[tuple[str, int]]) -> str:
    return "  ".join(text[:width].ljust(width) for text, width in cells).rstrip() + "\n"


def table_header() -> str:
    return _line([(name, width) for name, width, _ in _TABLE])


def table_lines(rows: Iterable[CallRow]) -> str:
    return "".join(_line([(get(row), width) for _, width, get in _TABLE]) for row in rows)


SUMMARY_HEADER = ("row", "calls", "answered", "handled", "talk", "aht", "dropped", "abandon")


def summary_cells(row: Summary) -> tuple[str, ...]:
    """A summary row in words (times as m:ss, the abandon rate as a percentage)."""
    rate = row.abandon_rate
    return (
        row.label,
        str(row.calls),
        str(row.answered),
        str(row.handled),
        clock(row.talk),
        clock(row.handle_time),
        str(row.dropped),
        "-" if rate is None else f"{rate:.1%}",
    )


def summary_document(row: Summary) -> dict[str, object]:
    """A summary row for JSON: seconds as numbers, no rate where nothing was answered."""
    return {
        "key": row.key,
        "label": row.label,
        "calls": row.calls,
        "answered": row.answered,
        "handled": row.handled,
        "talk_seconds": row.talk,
        "average_handle_seconds": None if row.handle_time is None else round(row.handle_time, 1),
        "dropped": row.dropped,
        "abandon_rate": None if row.abandon_rate is None else round(row.abandon_rate, 4),
    }


def summary_table(rows: Sequence[Summary]) -> str:
    widths = (28, 7, 8, 7, 9, 6, 7, 7)
    lines = [_line(list(zip(SUMMARY_HEADER, widths, strict=True)))]
    lines += [_line(list(zip(summary_cells(row), widths, strict=True))) for row in rows]
    return "".join(lines)


ABANDONED_HEADER = ("number", "dropped_at", "drops", "bill_id", "caller_id")


def abandoned_cells(call: AbandonedCall) -> tuple[str, str, str, str, str]:
    return call.number, call.dropped_at, str(call.drops), call.bill_id, call.caller_id


def abandoned_table(calls: Sequence[AbandonedCall]) -> str:
    widths = (18, 19, 5, 9, 16)
    lines = [_line(list(zip(ABANDONED_HEADER, widths, strict=True)))]
    lines += [_line(list(zip(abandoned_cells(call), widths, strict=True))) for call in calls]
    return "".join(lines)


__all__ = [
    "ABANDONED_HEADER",
    "COLUMNS",
    "HEADER",
    "SUMMARY_HEADER",
    "CsvExport",
    "JsonExport",
    "abandoned_cells",
    "abandoned_table",
    "clock",
    "record_document",
    "safe_cell",
    "summary_cells",
    "summary_document",
    "summary_table",
    "table_header",
    "table_lines",
]
