"""A campaign's numbers list: reading CSV, workbooks and pasted text, normalising with a
region, removing duplicates, and the rows that are not sent."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from wallboard.live.numbers_file import (
    NumbersFileError,
    RejectedRow,
    check_region,
    invalid_path,
    normalise,
    parse_moment,
    read_numbers_file,
    read_numbers_text,
    server_rejections,
    write_rejected,
)

UTC = dt.UTC
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("given", "region", "phone"),
    [
        ("07400 123456", "GB", "07400123456"),  # national digits, trunk prefix kept
        ("+44 7400 123456", "GB", "07400123456"),  # the same number, any spelling
        ("(07400) 123-456", "GB", "07400123456"),
        ("7400123456", "GB", "07400123456"),  # a spreadsheet dropped the leading zero
        ("+1 212 555 0100", "GB", "0012125550100"),  # abroad: the region's IDD prefix
        ("+1 212 555 0100", "US", "12125550100"),  # within NANP: 1 + the number
        ("180 1234 5678", "CN", "18012345678"),  # the vendor's own example
        ("+44 7400 123456", None, "+447400123456"),  # no region: E.164
    ],
)
def test_numbers_are_kept_as_dialled_from_the_region(
    given: str, region: str | None, phone: str
) -> None:
    found = normalise(given, region)
    assert not isinstance(found, str), found
    assert found.phone == phone


@pytest.mark.parametrize(
    ("given", "region", "reason"),
    [
        ("", "GB", "no number"),
        ("abc", "GB", "not a phone number"),
        ("12", "GB", "not a valid number"),
        ("07400 12345", "GB", "not a valid number"),  # a digit short
        ("07400 1234567890", "GB", "not a valid number"),
        ("07400123456", None, "no country code"),  # national, and no region to read it in
        ("1" * 60, "GB", "too long"),
    ],
)
def test_what_is_not_a_number_says_why(given: str, region: str | None, reason: str) -> None:
    found = normalise(given, region)
    assert isinstance(found, str)
    assert reason in found


def test_a_header_names_the_documented_columns_and_the_rest_is_ignored() -> None:
    text = (
        "name,telphone,userid,memberid,chengshudu,customuuid,time\n"
        "Ann,07400 111111,u1,m1,high,c-1,2026-01-05 09:30:00\n"
        "Bob,07400 222222,u2,,,,\n"
    )
    numbers = read_numbers_text(text, region="GB", tz=SHANGHAI, start=1_800_000_000)
    assert numbers.ignored_columns == ("name",)
    first, second = numbers.entries()
    assert first.phone == "07400111111"
    assert (first.userid, first.memberid, first.chengshudu, first.customuuid) == (
        "u1",
        "m1",
        "high",
        "c-1",
    )
    # the time is read in the server's zone; an empty one is the campaign's start
    assert first.time == int(dt.datetime(2026, 1, 5, 1, 30, tzinfo=UTC).timestamp())
    assert second.time == 1_800_000_000
    assert second.userid == "u2" and second.memberid == ""


def test_without_a_header_the_first_column_is_the_number() -> None:
    numbers = read_numbers_text("07400 111111;Ann\n07400 222222;Bob\n", region="GB")
    assert [row.phone for row in numbers.rows] == ["07400111111", "07400222222"]
    assert all(entry.time is None and entry.userid == "" for entry in numbers.entries())


def test_pasted_text_one_number_a_line_with_blank_lines() -> None:
    numbers = read_numbers_text("\n07400 111111\n\n  +44 7400 222222  \n\n", region="GB")
    assert numbers.valid == 2 and numbers.read == 2 and not numbers.invalid


def test_duplicates_in_any_spelling_are_one_and_the_first_row_wins() -> None:
    text = "phone\n07400 111111\n+44 7400 111111\n07400 222222\n0044 7400 111111\n"
    numbers = read_numbers_text(text, region="GB")
    assert [(row.line, row.given) for row in numbers.rows] == [
        (2, "07400 111111"),
        (4, "07400 222222"),
    ]
    assert numbers.duplicates == 2


def test_the_counts_add_up_and_invalid_rows_keep_their_line() -> None:
    text = "number,time\n07400 111111,\nnot a number,\n,\n07400 222222,yesterday\n07400 111111,\n"
    numbers = read_numbers_text(text, region="GB")
    assert (numbers.valid, len(numbers.invalid), numbers.duplicates) == (1, 2, 1)
    assert numbers.read == 4  # the blank row and the header are not counted
    assert [(row.line, row.given) for row in numbers.invalid] == [
        (3, "not a number"),
        (5, "07400 222222"),
    ]
    assert numbers.invalid[1].reason.startswith("time:")


def test_a_header_without_a_number_column_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("userid,time\nu1,\n", encoding="utf-8")
    with pytest.raises(NumbersFileError, match=r"list\.csv line 1: the header names no number"):
        read_numbers_file(path, region="GB")


def test_files_that_cannot_be_read_say_so_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(NumbersFileError, match="no such file"):
        read_numbers_file(tmp_path / "missing.csv", region="GB")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("phone,name\n07400111111,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(NumbersFileError, match="not UTF-8"):
        read_numbers_file(latin, region="GB")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is no workbook")
    with pytest.raises(NumbersFileError, match="not a workbook"):
        read_numbers_file(broken, region="GB")


def test_a_csv_with_a_byte_order_mark_reads_its_header(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufefftelphone,userid\n07400 111111,u1\n", encoding="utf-8")
    numbers = read_numbers_file(path, region="GB")
    assert numbers.entries()[0].userid == "u1"


def test_a_workbook_with_numeric_cells_and_dates(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["telphone", "userid", "time"])
    sheet.append([7400111111, 42, dt.datetime(2026, 1, 5, 9, 30)])  # the 0 lost by Excel
    sheet.append(["+44 7400 222222", "u2", None])
    sheet.append(["nope", "u3", None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    numbers = read_numbers_file(path, region="GB", tz=UTC)
    assert [(row.line, row.phone, row.userid) for row in numbers.rows] == [
        (2, "07400111111", "42"),
        (3, "07400222222", "u2"),
    ]
    assert numbers.rows[0].time == int(dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC).timestamp())
    assert [row.line for row in numbers.invalid] == [4]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        (0, None),
        (1_767_603_600, 1_767_603_600),
        ("1767603600", 1_767_603_600),
        ("2026-01-05 17:00:00", 1_767_603_600),  # 09:00 UTC in the server's +8 zone
        ("2026-01-05 17:00", 1_767_603_600),
        (dt.datetime(2026, 1, 5, 17, 0), 1_767_603_600),
    ],
)
def test_moments_in_the_servers_zone(value: object, seconds: int | None) -> None:
    assert parse_moment(value, SHANGHAI) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01 00:00:00", -5, True, "99999999999999"])
def test_what_is_not_a_moment_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_moment(value, UTC)  # type: ignore[arg-type]


def test_regions_are_checked() -> None:
    assert check_region(" gb ") == "GB"
    assert check_region(None) is None and check_region("") is None
    with pytest.raises(ValueError, match="not a region code"):
        check_region("XX")


def test_rows_not_sent_are_saved_beside_the_file_for_its_owner_only(tmp_path: Path) -> None:
    source = tmp_path / "spring.csv"
    numbers = read_numbers_text("phone\n07400 111111\nabc\n", region="GB")
    refused = server_rejections(numbers, [{"phone": "07400111111", "time": None}, "999"])
    assert refused == [
        RejectedRow(2, "07400 111111", "refused by the server"),
        RejectedRow(0, "999", "refused by the server"),
    ]
    path = invalid_path(source)
    assert path.name == "spring.csv.invalid.csv"
    assert write_rejected(path, [*numbers.invalid, *refused]) == 3
    assert path.read_text(encoding="utf-8").splitlines() == [
        "line,number,reason",
        "3,abc,not a phone number",
        "2,07400 111111,refused by the server",
        ",999,refused by the server",
    ]
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
