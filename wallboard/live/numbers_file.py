"""A campaign's numbers from a file or pasted text, checked before any of them is sent.

A supervisor's list comes as CSV, as an Excel workbook, or pasted into a terminal. Whatever
it came as, every row goes through the same steps here, so that the preview's counts are
the ones the upload sends:

- reading: CSV (the delimiter guessed among `,` `;` tab `|`), XLSX/XLS/ODS (the first sheet),
  or text. A first row naming a documented column is a header: the number is in `telphone`
  (or `phone`, `number`, `tel`), and `userid`, `memberid`, `chengshudu`, `customuuid` and
  `time` are the optional fields TaskCreat carries with each number. Without a header the
  first column is the number and the rest is ignored;
- normalisation with `phonenumbers`: a number is valid when the library says so for its
  country, read in the `region` given for numbers written without a country code. It is
  kept in the form the server dials, *as dialled from that region*: national digits with
  the trunk prefix for the region's own numbers (07400 123456 -> "07400123456", as the
  vendor's examples show "13387525701" and "015029913692"), the region's international
  prefix for others ("+1 650 253 0000" from GB -> "0016502530000"). Without a region every
  number must carry its country code and is sent in E.164 ("+447400123456");
- duplicates: two rows of the same number (compared in E.164, whatever their spelling) are
  one; the first row wins;
- `time`: unix seconds, or `yyyy-mm-dd hh:mm[:ss]` (or a spreadsheet date) in the server's
  zone; empty means the campaign's start, or now.

Nothing here talks to the server: `NumbersList` is what the preview shows and what
`wallboard.live.upload` sends.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from wallboard.api.models import PhoneNumber
from wallboard.config import write_private

#: The header names of the number column (the first that is present is used).
NUMBER_COLUMNS = ("telphone", "phone", "number", "tel")
#: TaskCreat's optional per-number fields, read from columns of the same names.
CUSTOM_COLUMNS = ("userid", "memberid", "chengshudu", "customuuid")
TIME_COLUMN = "time"
KNOWN_COLUMNS = frozenset((*NUMBER_COLUMNS, *CUSTOM_COLUMNS, TIME_COLUMN))
#: Workbooks read with calamine; anything else is text.
WORKBOOK_SUFFIXES = frozenset((".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"))
#: The longest cell taken as a number before the library sees it (no number is longer).
MAX_NUMBER_TEXT = 40
#: The last moment a `time` may name (the year 9999), as the server reads unix seconds.
LAST_MOMENT = 253402300799

_TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_DIAL_CHARS = re.compile(r"[^0-9+]")

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


class NumbersFileError(Exception):
    """The list cannot be read at all; the one-line message names the file (and line)."""


@dataclass(frozen=True, slots=True)
class NumberRow:
    """One valid number as it will be sent, with where it came from."""

    line: int  # the row in the file (1 is the first row, header or not)
    given: str  # as written in the file
    phone: str  # as the server dials it (see the module's docstring)
    e164: str  # the number's identity: duplicates are compared on it
    country: str  # the number's own region (ISO code), "" when the library cannot tell
    time: int | None = None  # earliest dial moment (unix seconds); None: when started
    userid: str = ""
    memberid: str = ""
    chengshudu: str = ""
    customuuid: str = ""

    def entry(self) -> PhoneNumber:
        """The entry of TaskCreat/TaskAdd's telphone array."""
        return PhoneNumber(
            phone=self.phone,
            time=self.time,
            userid=self.userid,
            memberid=self.memberid,
            chengshudu=self.chengshudu,
            customuuid=self.customuuid,
        )


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that will not be sent (or that the server refused), and why."""

    line: int  # 0 when the row's place is not known
    given: str
    reason: str


@dataclass(frozen=True, slots=True)
class NumbersList:
    """The checked list: what the preview counts and what the upload sends."""

    source: str  # the file's name, or "pasted text"
    rows: tuple[NumberRow, ...]
    invalid: tuple[RejectedRow, ...]
    duplicates: int
    ignored_columns: tuple[str, ...] = ()
    by_phone: dict[str, NumberRow] = field(default_factory=dict, compare=False, repr=False)

    @property
    def valid(self) -> int:
        return len(self.rows)

    @property
    def read(self) -> int:
        """Rows holding something (blank rows and the header are not counted)."""
        return len(self.rows) + len(self.invalid) + self.duplicates

    def entries(self) -> list[PhoneNumber]:
        return [row.entry() for row in self.rows]

    def row_of(self, phone: str) -> NumberRow | None:
        """The row a number as sent came from (to place the server's refusals)."""
        if not self.by_phone:
            self.by_phone.update((row.phone, row) for row in self.rows)
        return self.by_phone.get(phone)


@dataclass(frozen=True, slots=True)
class Normalised:
    phone: str
    e164: str
    country: str


def normalise(given: str, region: str | None) -> Normalised | str:
    """A number in the form the server dials, or the reason it is not a valid number."""
    text = given.strip()
    if not text:
        return "no number"
    if len(text) > MAX_NUMBER_TEXT:
        return "too long to be a phone number"
    if region is None and not text.startswith("+"):
        return "no country code (write +CC..., or give a region)"
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return _parse_problem(exc)
    # is_valid_number() is these two steps; the country is kept for the number's zone.
    country = phonenumbers.region_code_for_number(parsed)
    if not country or not phonenumbers.is_valid_number_for_region(parsed, country):
        return f"not a valid number ({region or country or 'its country'})"
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if region is None:
        dialled = e164
    else:
        dialled = phonenumbers.format_out_of_country_calling_number(parsed, region)
    return Normalised(phone=_DIAL_CHARS.sub("", dialled), e164=e164, country=country)


def _parse_problem(exc: phonenumbers.NumberParseException) -> str:
    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }
    return reasons.get(exc.error_type, "not a phone number")


def check_region(region: str | None) -> str | None:
    """The region as the library knows it (upper case), None for none; ValueError else."""
    if region is None or not region.strip():
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{region!r} is not a region code (two letters, e.g. GB, US, CN)")
    return code


def parse_moment(value: Cell, tz: dt.tzinfo | None) -> int | None:
    """A `time` cell as unix seconds; None when empty. ValueError when it is no moment.

    Text dates and spreadsheet dates are in `tz` (the server's zone; None: this machine's)."""
    if value is None or value == "" or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("not a time")
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else _in_zone(value, tz)
        return _checked(int(moment.timestamp()))
    if isinstance(value, dt.date):
        return _checked(int(_in_zone(dt.datetime.combine(value, dt.time()), tz).timestamp()))
    if isinstance(value, int | float):
        if value != value or value < 0:  # NaN or before 1970
            raise ValueError("not a time")
        return None if value == 0 else _checked(int(value))
    if not isinstance(value, str):
        raise ValueError("not a time")
    text = value.strip()
    if not text or text == "0":
        return None
    if text.isascii() and text.isdigit():
        return _checked(int(text))
    if _TIME_TEXT.match(text):
        layout = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
        naive = dt.datetime.strptime(text.replace("T", " "), layout)
        return _checked(int(_in_zone(naive, tz).timestamp()))
    raise ValueError("not a time (unix seconds or yyyy-mm-dd hh:mm:ss)")


def _in_zone(naive: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()


def _checked(seconds: int) -> int:
    if not 0 < seconds <= LAST_MOMENT:
        raise ValueError("not a time")
    return seconds


# ---------------------------------------------------------------------- reading


def read_numbers_file(
    path: Path, *, region: str | None, tz: dt.tzinfo | None = None, start: int | None = None
) -> NumbersList:
    """The checked list of a CSV/text file or a workbook (NumbersFileError when unreadable)."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        rows = _workbook_rows(path)
    else:
        rows = _csv_rows(_read_text(path), str(path))
    return check_rows(rows, source=str(path), region=region, tz=tz, start=start)


def read_numbers_text(
    text: str, *, region: str | None, tz: dt.tzinfo | None = None, start: int | None = None
) -> NumbersList:
    """The checked list of pasted text: one number a line, or CSV with a header."""
    return check_rows(
        _csv_rows(text, "pasted text"), source="pasted text", region=region, tz=tz, start=start
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NumbersFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NumbersFileError(f"{path}: is a directory, not a numbers file") from None
    except UnicodeDecodeError:
        raise NumbersFileError(
            f"{path}: not UTF-8 text (save it as CSV UTF-8, or as XLSX)"
        ) from None
    except OSError as exc:
        raise NumbersFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _csv_rows(text: str, where: str) -> Iterator[tuple[int, list[Cell]]]:
    """(line, cells) of CSV text; a lone column of numbers is CSV too."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, list(cells)
    except csv.Error as exc:
        raise NumbersFileError(f"{where} line {reader.line_num}: not CSV ({exc})") from None


def _workbook_rows(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if not names:
            raise NumbersFileError(f"{path}: the workbook has no sheet")
        sheet = workbook.get_sheet_by_index(0)
        start = sheet.start
        first_row = start[0] + 1 if start else 1
        rows = sheet.to_python(skip_empty_area=True)
    except FileNotFoundError:
        raise NumbersFileError(f"{path}: no such file") from None
    except (CalamineError, OSError, ValueError) as exc:
        shown = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NumbersFileError(f"{path}: not a workbook that can be read ({shown})") from None
    for offset, cells in enumerate(rows):
        yield first_row + offset, list(cells)


def check_rows(
    rows: Iterable[tuple[int, Sequence[Cell]]],
    *,
    source: str,
    region: str | None,
    tz: dt.tzinfo | None = None,
    start: int | None = None,
) -> NumbersList:
    """Validate, normalise and de-duplicate rows of cells (the first may be a header)."""
    columns: dict[str, int] | None = None
    ignored: tuple[str, ...] = ()
    kept: list[NumberRow] = []
    invalid: list[RejectedRow] = []
    seen: set[str] = set()
    duplicates = 0
    for line, cells in rows:
        texts = [_cell_text(cell) for cell in cells]
        if not any(texts):
            continue
        if columns is None:
            columns, ignored = _header(texts, source, line)
            if columns:
                continue
        number_at = columns.get("number", 0)
        given = texts[number_at] if number_at < len(texts) else ""
        if not given:
            invalid.append(RejectedRow(line, "", "no number"))
            continue
        found = normalise(given, region)
        if isinstance(found, str):
            invalid.append(RejectedRow(line, given, found))
            continue
        if found.e164 in seen:
            duplicates += 1
            continue
        try:
            when = _field_time(cells, columns, tz, start)
        except ValueError as exc:
            invalid.append(RejectedRow(line, given, f"time: {exc}"))
            continue
        seen.add(found.e164)
        custom = {name: _at(texts, columns.get(name)) for name in CUSTOM_COLUMNS}
        kept.append(
            NumberRow(
                line=line,
                given=given,
                phone=found.phone,
                e164=found.e164,
                country=found.country,
                time=when,
                **custom,
            )
        )
    return NumbersList(
        source=source,
        rows=tuple(kept),
        invalid=tuple(invalid),
        duplicates=duplicates,
        ignored_columns=ignored,
    )


def _header(texts: list[str], source: str, line: int) -> tuple[dict[str, int], tuple[str, ...]]:
    """The columns a header row names ({} when the row is not a header), and the ignored."""
    names = [text.strip().lower() for text in texts]
    if not any(name in KNOWN_COLUMNS for name in names):
        return {}, ()
    columns: dict[str, int] = {}
    for name in NUMBER_COLUMNS:
        if name in names:
            columns["number"] = names.index(name)
            break
    else:
        raise NumbersFileError(
            f"{source} line {line}: the header names no number column ({', '.join(NUMBER_COLUMNS)})"
        )
    for name in (*CUSTOM_COLUMNS, TIME_COLUMN):
        if name in names:
            columns[name] = names.index(name)
    used = set(columns.values())
    ignored = tuple(texts[i] for i, name in enumerate(names) if name and i not in used)
    return columns, ignored


def _field_time(
    cells: Sequence[Cell], columns: dict[str, int], tz: dt.tzinfo | None, start: int | None
) -> int | None:
    at = columns.get(TIME_COLUMN)
    value = cells[at] if at is not None and at < len(cells) else None
    if isinstance(value, str):
        value = value.strip()
    when = parse_moment(value, tz)
    return start if when is None else when


def _at(texts: list[str], index: int | None) -> str:
    return texts[index] if index is not None and index < len(texts) else ""


def _cell_text(cell: Cell) -> str:
    """A cell as text: a spreadsheet's 7400123456.0 is the digits it held."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell).lower()
    if isinstance(cell, float):
        if cell.is_integer():
            return str(int(cell))
        return repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell).strip()


# ---------------------------------------------------------------------- the refused rows


def invalid_path(source: Path) -> Path:
    """Where the rows not sent are saved: beside the file, `FILE.invalid.csv`."""
    return source.with_name(source.name + ".invalid.csv")


def write_rejected(path: Path, rows: Iterable[RejectedRow]) -> int:
    """Save the rows not sent as CSV (line, number, reason), readable by its owner only: it
    holds customers' numbers. Returns how many rows were written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["line", "number", "reason"])
    count = 0
    for row in rows:
        writer.writerow([row.line or "", row.given, row.reason])
        count += 1
    write_private(path, buffer.getvalue())
    return count


def server_rejections(numbers: NumbersList, refused: Iterable[object]) -> list[RejectedRow]:
    """The server's `invaliddata` entries as rows, placed at their line where known."""
    rejected: list[RejectedRow] = []
    for entry in refused:
        phone = entry.get("phone") if isinstance(entry, dict) else entry
        text = "" if phone is None else str(phone)
        row = numbers.row_of(text)
        line, given = (row.line, row.given) if row else (0, text)
        rejected.append(RejectedRow(line, given, "refused by the server"))
    return rejected


__all__ = [
    "CUSTOM_COLUMNS",
    "KNOWN_COLUMNS",
    "NUMBER_COLUMNS",
    "Normalised",
    "NumberRow",
    "NumbersFileError",
    "NumbersList",
    "RejectedRow",
    "check_region",
    "check_rows",
    "invalid_path",
    "normalise",
    "parse_moment",
    "read_numbers_file",
    "read_numbers_text",
    "server_rejections",
    "write_rejected",
]
