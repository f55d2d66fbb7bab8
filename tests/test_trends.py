"""Trends: the server's day per 15 minutes, for the floor and each campaign, from the bills
already read; the strip in the campaigns pane and the trends screen."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ui_support import scripted_app
from textual.app import App, ComposeResult
from textual.widgets import Label

from wallboard.api.models import Bill, BillPage
from wallboard.live.bills import (
    SLOTS,
    BillReader,
    CallFigures,
    campaign_figures,
    counts,
    day_slot,
    number_keys,
    was_answered,
    was_dropped,
)
from wallboard.live.build import trend_of
from wallboard.live.campaigns import phone_key
from wallboard.live.snapshot import (
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    FloorTotals,
    Trend,
    TrendBucket,
)
from wallboard.ui.help_screen import HelpScreen
from wallboard.ui.trends import (
    BARS,
    TrendPlot,
    TrendsScreen,
    TrendStrip,
    abandon_pieces,
    columns,
    plot_lines,
    rate_bar,
    rate_level,
)

UTC = dt.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NINE = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()


class Bills:
    """An in-memory GetBill: filters by dial time, pages `per_page` at a time, in id order
    (or newest first), as the server's pages come."""

    def __init__(self, *, newest_first: bool = False) -> None:
        self.rows: list[Bill] = []
        self.newest_first = newest_first

    def add(self, at: str, *, answered: bool = True, ext: str = "1001", number: str = "1") -> None:
        self.rows.append(
            Bill(
                id=len(self.rows) + 1,
                starttime=at,
                answertime=at if answered else "",
                endtime=at,
                extnumber=ext,
                destnumber=number,
                direction="callout",
                callmethod=5,
            )
        )

    async def bills(self, starttime: str, endtime: str, **form: int) -> BillPage:
        rows = [b for b in self.rows if starttime <= b.starttime <= endtime]
        if self.newest_first:
            rows.reverse()
        page, per = form["currentpage"], form["itemsperpage"]
        chosen = rows[(page - 1) * per : page * per]
        return BillPage(totalitems=len(rows), currentpage=page, itemsperpage=per, bills=chosen)


@pytest.fixture
def host_in_los_angeles() -> Iterator[None]:
    """This machine's zone far from the server's: the day and its slots must not follow it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_slot_is_read_from_the_servers_text() -> None:
    day = "2026-01-05 00:00:00"
    assert day_slot("2026-01-05 00:00:00", day) == 0
    assert day_slot("2026-01-05 00:14:59", day) == 0
    assert day_slot("2026-01-05 00:15:00", day) == 1
    assert day_slot("2026-01-05 09:41:07", day) == 38
    assert day_slot("2026-01-05 23:59:59", day) == SLOTS - 1 == 95
    assert day_slot("2026-01-05 2x:00:00", day) == 95  # unreadable: the last, still counted


async def test_a_call_at_0007_server_time_is_in_slot_0_whatever_the_hosts_zone(
    host_in_los_angeles: None,
) -> None:
    """00:07 in Shanghai is 08:07 the day before in Los Angeles: the slot is the server's."""
    source = Bills()
    source.add("2026-01-04 23:59:59", number="1")  # yesterday, server time: not today
    source.add("2026-01-05 00:07:00", ext="", number="1")  # dropped, in slot 0
    source.add("2026-01-05 00:16:30", number="2")  # slot 1
    now = dt.datetime(2026, 1, 5, 0, 20, tzinfo=SHANGHAI).timestamp()
    assert time.localtime(now).tm_mday == 4  # the host is still on the 4th
    reader = BillReader(tz=SHANGHAI)
    reader.follow(number_keys(["1"]), {"T1": number_keys(["1"])})
    await reader.read(source, now, since=[now - 86400])
    assert reader.day == "2026-01-05"
    assert reader.today == CallFigures(dialled=2, answered=2, dropped=1)
    floor = reader.day_slots()
    campaign = reader.day_slots("T1")
    assert floor is not None and campaign is not None
    assert floor.slot(0) == (1, 1) and floor.slot(1) == (1, 0)
    assert campaign.slot(0) == (1, 1) and campaign.slot(1) == (0, 0)
    assert campaign.totals() == (1, 1)  # yesterday's call is the campaign's, not its day's
    trend = trend_of(floor, reader.slot_starts, reader.slot_of(now))
    midnight = dt.datetime(2026, 1, 5, tzinfo=SHANGHAI).timestamp()
    assert trend == Trend((TrendBucket(midnight, 1, 1), TrendBucket(midnight + 900, 1, 0)))
    assert trend.buckets[0].abandon_rate == 1.0


async def test_the_day_ends_with_slot_95_and_a_new_day_starts_empty() -> None:
    source = Bills()
    source.add("2026-01-05 23:52:00", ext="")
    late = dt.datetime(2026, 1, 5, 23, 59, tzinfo=UTC).timestamp()
    reader = BillReader(tz=UTC)
    await reader.read(source, late)
    assert reader.slot_of(late) == 95
    slots = reader.day_slots()
    assert slots is not None and slots.slot(95) == (1, 1)
    after = late + 120  # 00:01 the next day, before a read: still the day held, all of it
    assert reader.slot_of(after) == 95
    source.add("2026-01-06 00:00:30")
    await reader.read(source, after)
    slots = reader.day_slots()
    assert slots is not None and reader.day == "2026-01-06"
    assert slots.slots(reader.slot_of(after)) == ((1, 0),)


def test_a_bucket_with_nothing_answered_has_no_rate() -> None:
    assert TrendBucket(0.0, 0, 0).abandon_rate is None  # no data, not 0%
    assert TrendBucket(0.0, 4, 0).abandon_rate == 0.0
    assert Trend().abandon_rate is None
    assert Trend((TrendBucket(0.0, 10, 1), TrendBucket(900.0, 30, 1))).abandon_rate == 0.05


async def test_a_campaign_tracked_later_has_its_day_counted_back() -> None:
    """A campaign whose numbers are all followed already (another campaign's) still gets
    its slots counted back over the window read before."""
    source = Bills()
    for minute in range(0, 60, 5):
        source.add(f"2026-01-05 08:{minute:02d}:00", ext="" if minute % 15 == 0 else "1001")
    reader = BillReader(tz=UTC, page_size=5, max_pages=2)
    keys = number_keys(["1"])
    reader.follow(keys, {"A": keys})
    for step in range(5):
        await reader.read(source, NINE + step)
    assert reader.complete
    assert reader.follow(keys, {"A": keys, "B": keys})
    assert reader.recounting  # B's slots are counted back though no number is new
    b_slots = reader.day_slots("B")
    assert b_slots is not None and b_slots.totals() == (0, 0)
    source.add("2026-01-05 08:31:00", ext="")  # a new drop while B is counted back: once
    for step in range(10):
        if reader.complete:
            break
        await reader.read(source, NINE + 10 + step)
    a_slots, b_slots = reader.day_slots("A"), reader.day_slots("B")
    assert reader.complete and a_slots is not None and b_slots is not None
    assert b_slots.slots() == a_slots.slots()
    assert b_slots.totals() == (13, 5)
    assert [b_slots.slot(slot) for slot in range(32, 36)] == [(3, 1), (3, 1), (4, 2), (3, 1)]
    assert not reader.follow(keys, {"A": keys, "B": keys})  # the same: nothing to do
    assert reader.follow(keys, {"A": keys})
    assert reader.day_slots("B") is None


NUMBERS = ("13800000001", "+86 138-0000-0002", "8613800000002", "13800000003", "1004")
TIMES = (
    "2026-01-04 23:59:59",
    "2026-01-05 00:00:00",
    "2026-01-05 00:07:00",
    "2026-01-05 00:15:00",
    "2026-01-05 08:00:00",
    "2026-01-05 08:14:59",
    "2026-01-05 08:59:00",
)


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[Bill]]:
    """Bills with ids in any order (some without one), arriving in batches."""
    ids = draw(st.lists(st.integers(1, 300), unique=True, max_size=60))
    rows = []
    for n, bill_id in enumerate(ids):
        rows.append(
            Bill(
                id=None if draw(st.integers(0, 9)) == 0 else bill_id,
                starttime=draw(st.sampled_from(TIMES)),
                answertime="2026-01-05 08:00:05" if draw(st.booleans()) else "",
                endtime=f"2026-01-05 09:{n // 60:02d}:{n % 60:02d}",  # tells id-less bills apart
                extnumber=draw(st.sampled_from(["", "1001", "000000"])),
                destnumber=draw(st.sampled_from(NUMBERS)),
                direction=draw(st.sampled_from(["callout", "callin", ""])),
                callmethod=draw(st.sampled_from([5, 5, 2, None])),
            )
        )
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


Campaigns = dict[str, frozenset[str]]


@settings(max_examples=150, deadline=None)
@given(
    batches=arrivals(),
    plans=st.lists(
        st.dictionaries(st.sampled_from("ABC"), st.sets(st.sampled_from(NUMBERS)), max_size=3),
        min_size=1,
        max_size=5,
    ),
    newest_first=st.booleans(),
    page_size=st.integers(1, 6),
    max_pages=st.integers(1, 3),
)
def test_the_slots_add_up_to_the_day_and_each_campaigns_day(
    batches: list[list[Bill]],
    plans: list[dict[str, set[str]]],
    newest_first: bool,
    page_size: int,
    max_pages: int,
) -> None:
    """Whatever the order of pages, however often a bill is read again, and whichever
    campaigns start, stop or change their numbers on the way: each slot holds what counting
    every bill of the day once gives, the floor's slots add up to the day's totals, and a
    campaign's to its finished figures over the day's bills."""
    source = Bills(newest_first=newest_first)
    reader = BillReader(tz=UTC, page_size=page_size, max_pages=max_pages)
    since = [NINE - 86400]
    campaigns: list[Campaigns] = [
        {taskid: number_keys(numbers) for taskid, numbers in plan.items()} for plan in plans
    ]

    async def run() -> None:
        for step, batch in enumerate(batches):
            source.rows.extend(batch)
            plan = campaigns[step % len(campaigns)]
            reader.follow(frozenset().union(*plan.values()), plan)
            await reader.read(source, NINE + step, since)
        for extra in range(500):
            if reader.complete:
                break
            await reader.read(source, NINE + 100 + extra, since)

    asyncio.run(run())
    assert reader.complete
    today = [b for b in source.rows if counts(b) and b.starttime >= "2026-01-05 00:00:00"]
    upto = reader.slot_of(NINE + 100)
    floor = trend_of(reader.day_slots(), reader.slot_starts, upto)
    assert (floor.answered, floor.dropped) == (reader.today.answered, reader.today.dropped)
    for slot, bucket in enumerate(floor.buckets):
        mine = [b for b in today if day_slot(b.starttime, "2026-01-05 00:00:00") == slot]
        assert (bucket.answered, bucket.dropped) == (
            sum(map(was_answered, mine)),
            sum(map(was_dropped, mine)),
        )
    by_number: dict[str, list[Bill]] = {}
    for bill in today:
        by_number.setdefault(phone_key(bill.destnumber), []).append(bill)
    plan = campaigns[(len(batches) - 1) % len(campaigns)] if batches else {}
    for taskid, keys in plan.items():
        trend = trend_of(reader.day_slots(taskid), reader.slot_starts, upto)
        of_the_day = campaign_figures(keys, by_number)
        assert (trend.answered, trend.dropped) == (of_the_day.answered, of_the_day.dropped)


# ---------------------------------------------------------------------- the widgets

MIDNIGHT = dt.datetime(2026, 1, 5, tzinfo=UTC).timestamp()


def day_of(rates: list[tuple[int, int]]) -> Trend:
    """A trend of the day from (answered, dropped) per quarter, from midnight on."""
    return Trend(
        tuple(TrendBucket(MIDNIGHT + 900 * slot, a, d) for slot, (a, d) in enumerate(rates))
    )


def rising_day(quarters: int, *, scale: int = 1) -> Trend:
    """Quiet at night, busy from 08:00, the abandon rate rising past 3% after 13:00."""
    rates = []
    for slot in range(quarters):
        if slot < 32:
            rates.append((0, 0))  # before 08:00: nothing dialled
        else:
            answered = (40 + (slot % 4) * 5) * scale
            over = slot >= 52
            rates.append((answered, (answered * (5 if over else 1)) // 100))
    return day_of(rates)


def the_snapshot(quarters: int = 59) -> FloorSnapshot:
    floor = rising_day(quarters, scale=3)
    views = (
        CampaignView(
            taskid="2026010500001",
            name="Renewals",
            status=CampaignStatus.RUNNING,
            total=5000,
            dialled=1200,
            answered=900,
            dropped=30,
            remaining=3800,
            abandon_rate=30 / 900,
            drop_budget=0,
            trend=rising_day(quarters, scale=2),
        ),
        CampaignView(
            taskid="2026010500002",
            name="Winback",
            status=CampaignStatus.PAUSED,
            total=800,
            dialled=300,
            answered=200,
            dropped=2,
            remaining=500,
            abandon_rate=0.01,
            drop_budget=4,
            trend=day_of(  # paused at 11:00: nothing dialled since
                [
                    (b.answered, b.dropped) if slot < 44 else (0, 0)
                    for slot, b in enumerate(rising_day(quarters).buckets)
                ]
            ),
        ),
        CampaignView(
            taskid="2026010500003",
            name="",
            status=CampaignStatus.NOT_STARTED,
            total=100,
            dialled=0,
            answered=0,
            dropped=0,
            remaining=100,
            abandon_rate=0.0,
            drop_budget=0,
            trend=day_of([(0, 0)] * quarters),
        ),
    )
    return FloorSnapshot(
        taken_at=MIDNIGHT + 900 * quarters - 60,
        campaigns=views,
        totals=FloorTotals(answered_today=floor.answered, dropped_today=floor.dropped, trend=floor),
    )


def test_the_abandon_strip_has_a_fixed_scale_and_colours_past_the_cap() -> None:
    assert rate_bar(None) == "·" and rate_level(None) == "none"
    assert rate_bar(0.0) == "▁" and rate_level(0.0) == "ok"
    assert rate_bar(0.03) == "▄" and rate_level(0.03) == "amber"  # the cap: half height
    assert rate_bar(0.031) == "▅" and rate_level(0.031) == "red"  # over it: higher, red
    assert rate_bar(0.2) == "█"
    trend = day_of([(0, 0), (100, 1), (100, 4), (50, 0)])
    pieces = abandon_pieces(trend, 6)
    assert "".join(text for text, _ in pieces) == "  ·▂▆▁"
    assert [style for _, style in pieces] == ["none", "none", "ok", "red", "ok"]


def test_a_long_day_on_a_narrow_strip_adds_quarters_up() -> None:
    """96 quarters in 40 columns: four a column, the whole day still on screen."""
    trend = day_of([(10, 1 if slot == 95 else 0) for slot in range(96)])
    cols, merge = columns(trend.buckets, 40)
    assert merge == 4 and len(cols) == 24
    assert (cols[0].slot, cols[-1].slot) == (0, 92)
    assert (cols[-1].answered, cols[-1].dropped) == (40, 1)
    assert sum(c.answered for c in cols) == trend.answered


def test_a_plot_says_its_figures_and_scales() -> None:
    trend = day_of([(0, 0)] * 4 + [(40, 0), (80, 1), (20, 2)])
    lines = ["".join(text for text, _ in line) for line in plot_lines("Floor", trend, 60)]
    assert len(lines) == 5 and all(len(line) == 60 for line in lines)
    assert lines[0].startswith("Floor · answered 140 · dropped 3 · abandon 2.1%")
    assert lines[1].startswith("abandon %") and "····▁▂█" in lines[1]
    assert "peak 10.0%" in lines[1]
    assert "max 80" in lines[2] and "    ▄█▂" in lines[2]
    assert "max 2" in lines[3] and "     ▄█" in lines[3]
    assert "00:00" in lines[4]


def test_two_rows_a_series_put_the_cap_on_a_rows_edge() -> None:
    """On a tall screen: the lower abandon row is 0 to 3%, the upper (tinted) over the cap."""
    trend = day_of([(100, 3), (100, 4), (0, 0)])
    lines = plot_lines("Floor", trend, 40, rows=2)
    assert len(lines) == 8
    upper, lower = lines[1], lines[2]
    assert "".join(t for t, _ in upper).startswith("abandon 6%")
    assert "".join(t for t, _ in lower).startswith("        3%")
    bars = [(u, lo) for u, lo in zip(upper[2:5], lower[2:5], strict=True)]
    assert [(u[0], lo[0]) for u, lo in bars] == [(" ", "█"), ("▃", "█"), (" ", "·")]
    assert [u[1] for u, _ in bars] == ["amber-over", "red-over", "none-over"]
    assert [lo[1] for _, lo in bars] == ["amber", "red", "none"]


class StripHost(App[None]):
    def compose(self) -> ComposeResult:
        yield TrendStrip(id="strip")


async def test_the_strip_draws_and_follows_its_trend() -> None:
    app = StripHost()
    async with app.run_test(size=(20, 3)) as pilot:
        strip = app.query_one(TrendStrip)
        await pilot.pause()
        assert strip.render_line(0).text == " " * 20
        strip.show(day_of([(100, 0), (100, 6)]))  # 6%: a full bar
        await pilot.pause()
        line = strip.render_line(0)
        assert line.text == " " * 18 + "▁█"
        red = [seg.style for seg in line if seg.text == "█"]
        assert red and red[0] is not None and red[0].bold


class ScreenHost(App[None]):
    def __init__(self, snapshot: FloorSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def on_mount(self) -> None:
        self.push_screen(TrendsScreen(self.snapshot))


async def test_the_trends_screen_closes_with_esc_or_q_and_follows_the_snapshots() -> None:
    for key in ("escape", "q"):
        app = ScreenHost(the_snapshot())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TrendsScreen)
            plots = screen.query(TrendPlot)
            assert [p.title for p in plots] == [
                "Floor",
                "Renewals (running)",
                "Winback (paused)",
                "2026010500003 (not started)",
            ]
            later = the_snapshot(60)
            screen.show(replace(later, campaigns=later.campaigns[:1]))
            await pilot.pause()
            plots = screen.query(TrendPlot)
            assert len(plots) == 2 and plots[0].trend is later.totals.trend
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, TrendsScreen)


def test_trends_screen_80x24(snap_compare: Any) -> None:
    assert snap_compare(ScreenHost(the_snapshot()), terminal_size=(80, 24))


def test_trends_screen_160x48(snap_compare: Any) -> None:
    assert snap_compare(ScreenHost(the_snapshot(80)), terminal_size=(160, 48))


@pytest.mark.parametrize("read_only", [False, True])
async def test_g_opens_the_trends_screen_which_follows_each_poll(
    tmp_path: Path, read_only: bool
) -> None:
    """`g` on the floor (read-only too: it changes nothing): the trends screen, brought up
    to date by every snapshot while it is open; q closes it and the dashboard goes on. The
    campaigns pane ends each campaign's figures with its abandon strip, red past 3%."""
    first, later = the_snapshot(56), the_snapshot(60)
    app, floor, _client = scripted_app(tmp_path, [first, later], read_only=read_only)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        line = app.campaigns.render_line(1)
        assert "Renewals" in app.campaigns.render_line(0).text
        assert " today " in line.text and line.text.rstrip()[-1] in BARS
        strip = line.text.rstrip().rpartition(" today ")[2]
        # A third of the line, 32 columns at most: the day's 56 quarters, two a column.
        assert len(strip) == 32 and set(strip) <= set(BARS + "· ")
        last = [seg for seg in line if seg.text.endswith(strip[-1])][-1]
        assert last.style is not None and last.style.bold  # the last half hour: 4.8%, red

        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrendsScreen)
        plot = screen.query_one("#trend-floor", TrendPlot)
        assert plot.trend is first.totals.trend
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        assert plot.trend is later.totals.trend and screen.snapshot is later
        await pilot.press("g")  # once is enough: no second screen on top
        assert app.screen is screen and len(app.screen_stack) == 2
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, TrendsScreen) and app.is_running

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        said = [str(label.render()) for label in app.screen.query(Label)]
        assert "Today per 15 minutes: abandon %, answered, dropped" in said
        assert floor.calls == 2  # the trends asked the server for nothing
