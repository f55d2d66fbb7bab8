"""Calling hours: each number's `time` is its first moment inside its local window, on a
fixed clock (the server's "now" is passed in, never read from the host)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from wallboard.live.calling_hours import (
    UNKNOWN_SEND,
    CallingRules,
    CallingWindow,
    first_permitted,
    permitted,
    schedule,
    zones_of,
)
from wallboard.live.numbers_file import check_rows

#: 2026-11-30 23:00 UTC: evening in New York (18:00), night in London (23:00), morning in
#: Sydney (10:00 AEDT) and Perth (07:00 AWST).
LATE = int(dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC).timestamp())


def local(moment: int, zone: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment, zoneinfo.ZoneInfo(zone))


def listed(*numbers: str):  # type: ignore[no-untyped-def]
    rows = [(1, ["telphone"])] + [(i + 2, [n]) for i, n in enumerate(numbers)]
    return check_rows(rows, source="test", region=None)


def test_a_window_is_read_as_written_and_mistakes_say_how_to_write_it() -> None:
    window = CallingWindow.parse("08:00-21:00")
    assert str(window) == "08:00-21:00"
    assert window.holds(dt.time(8, 0)) and not window.holds(dt.time(21, 0))
    for bad in ("8-21", "21:00-08:00", "25:00-26:00", ""):
        with pytest.raises(ValueError):
            CallingWindow.parse(bad)
    rules = CallingRules.parse("09:00-20:00", {"us": "08:00-21:00"})
    assert str(rules.window_for("US")) == "08:00-21:00"
    assert str(rules.window_for("GB")) == "09:00-20:00"
    with pytest.raises(ValueError, match="XX"):
        CallingRules.parse(regions={"XX": "08:00-21:00"})


def test_24_00_closes_at_the_end_of_the_day_with_its_last_minute_inside() -> None:
    window = CallingWindow.parse("09:00-24:00")
    assert str(window) == "09:00-24:00"
    assert window.holds(dt.time(23, 59)) and window.holds(dt.time(23, 59, 59))
    assert not window.holds(dt.time(8, 59, 59))
    assert CallingWindow.parse("00:00-24:00").holds(dt.time(0, 0))
    for bad in ("09:00-24:30", "24:00-24:00"):
        with pytest.raises(ValueError):
            CallingWindow.parse(bad)
    last_minute = int(dt.datetime(2026, 11, 30, 23, 59, 30, tzinfo=dt.UTC).timestamp())
    assert permitted(last_minute, ("Europe/London",), window)
    assert first_permitted(last_minute, ("Europe/London",), window) == last_minute


def test_zones_keeping_one_clock_are_one_and_a_spread_is_kept() -> None:
    london = zones_of("+447400123456", "GB")  # London, Jersey, Guernsey, Isle of Man
    assert london.zones == ("Europe/London",) and london.told
    assert zones_of("+12125550100", "US").zones == ("America/New_York",)
    mobile = zones_of("+61412345678", "AU")
    assert not mobile.told and len(mobile.zones) > 3
    assert zones_of("+80012345678", "001").zones == ()


def test_first_permitted_moment_in_one_zone_and_across_several() -> None:
    window = CallingWindow.parse("08:00-21:00")
    london = first_permitted(LATE, ("Europe/London",), window)
    assert london is not None and local(london, "Europe/London") == local(
        LATE, "Europe/London"
    ).replace(day=1, month=12, hour=8, minute=0, second=0)
    assert first_permitted(LATE, ("America/New_York",), window) == LATE
    spread = ("Australia/Perth", "Australia/Sydney")
    both = first_permitted(LATE, spread, window)
    assert both is not None and both > LATE
    assert permitted(both, spread, window) and not permitted(both - 1, spread, window)
    assert local(both, "Australia/Perth").time() == dt.time(8, 0)
    # Twelve hours apart, a window of three hours never holds in both.
    short = CallingWindow.parse("09:00-12:00")
    assert first_permitted(LATE, ("Europe/London", "Pacific/Auckland"), short) is None


def test_a_list_at_23_utc_gets_each_number_inside_its_own_window() -> None:
    numbers = listed("+1 212 555 0100", "+44 7400 123456", "+61 2 9876 5432", "+61 412 345 678")
    plan = schedule(numbers, CallingRules(), LATE)
    by_phone = {row.phone: row for row in plan.numbers.rows}
    assert by_phone["+12125550100"].time is None  # open now in New York: dialled at once
    london = by_phone["+447400123456"].time
    sydney = by_phone["+61298765432"].time
    mobile = by_phone["+61412345678"].time
    assert london is not None and local(london, "Europe/London").hour == 8
    assert sydney is None  # 10:00 in Sydney: open now
    # An Australian mobile may ring anywhere from the Cocos Islands to Lord Howe: the first
    # moment lawful in every one of those zones (08:00 on the Cocos Islands).
    spread_zones = zones_of("+61412345678", "AU").zones
    assert mobile is not None and permitted(
        mobile, spread_zones, CallingWindow.parse("08:00-21:00")
    )
    assert local(mobile, "Indian/Cocos").time() == dt.time(8, 0)
    assert plan.outside_now == 2  # London, and the mobile somewhere in Australia
    groups = {group.label: group for group in plan.groups}
    assert groups["Europe/London"].opens_at == london and groups["Europe/London"].outside_now == 1
    assert groups["America/New_York"].opens_at is None
    (spread,) = plan.unplaced
    assert spread.row.phone == "+61412345678" and not spread.held
    assert "spans" in spread.reason


def test_an_unknown_zone_is_listed_and_held_unless_sent_by_choice() -> None:
    numbers = listed("+800 1234 5678", "+1 212 555 0100")
    held = schedule(numbers, CallingRules(), LATE)
    assert [row.phone for row in held.numbers.rows] == ["+12125550100"]
    (unknown,) = held.unplaced
    assert unknown.held and unknown.reason == "its time zone cannot be told"
    assert held.numbers.invalid[-1].reason.startswith("not sent: its time zone")
    sent = schedule(numbers, CallingRules(), LATE, unknown=UNKNOWN_SEND)
    assert len(sent.numbers.rows) == 2 and sent.unplaced[0].row.time is None


def test_a_rows_own_time_is_a_lower_bound_and_an_open_moment_is_kept_unchanged() -> None:
    later = LATE + 3600  # 19:00 in New York: still open
    rows = [(1, ["telphone", "time"]), (2, ["+1 212 555 0100", str(later)])]
    plan = schedule(check_rows(rows, source="t", region=None), CallingRules(), LATE)
    assert plan.numbers.rows[0].time == later
    # The same list planned at the same moment gives the same entries (resume relies on it).
    again = schedule(check_rows(rows, source="t", region=None), CallingRules(), LATE)
    assert again.numbers.entries() == plan.numbers.entries()


def test_a_regions_own_window_is_used() -> None:
    numbers = listed("+1 212 555 0100")
    plan = schedule(numbers, CallingRules.parse(regions={"US": "09:00-17:00"}), LATE)
    moment = plan.numbers.rows[0].time
    assert moment is not None and local(moment, "America/New_York").hour == 9
    assert plan.outside_now == 1
