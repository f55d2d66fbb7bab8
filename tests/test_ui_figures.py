"""What each figure on screen counts, and when the data reads stale: the header's finished
calls beside the live ones (drops in the last 15 and 60 minutes, "all queues" under a queue
scope, "counting…" while the bills are read), "≥" where a time in state is a lower bound,
and staleness judged by age on the server's clock (`FloorSnapshot.looks_stale`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path

from rich.cells import cell_len
from test_ui_support import T0, agent, campaign, scripted_app, snapshot
from textual.widget import Widget

from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals
from wallboard.ui.agent_grid import TileColumn
from wallboard.ui.app import (
    DIMMED,
    HEADER_DIMMED,
    TICK_AFTER_SNAPSHOT,
    TICK_SECONDS,
    WallboardApp,
)
from wallboard.ui.faces import at_least_duration, duration, tile_clock
from wallboard.ui.floor_header import COUNTING, call_figures
from wallboard.ui.thresholds import Thresholds
from wallboard.ui.wall import WallScreen, campaign_figures, floor_figures

TOTALS = FloorTotals(
    idle=3, talking=7, paused=1, calls_in_progress=7, answered_today=400, dropped_today=11,
    dropped_15m=2, dropped_60m=5,
)  # fmt: skip
#: The server's clock two days and seven hours ahead of this machine's.
AHEAD = 2 * 86400 + 7 * 3600


def floor(ahead: float = 0.0, **options: object) -> FloorSnapshot:
    """Two agents 54 s into their state (server time, `ahead` of this machine's clock): one
    with a known start, one paused with none (at least)."""
    known = agent("1001", seconds=54)
    paused = replace(agent("1002", state=AgentState.PAUSED, seconds=54), at_least=True)
    agents = [replace(a, since=a.since + ahead) for a in (known, paused)]
    base = snapshot({"sales": agents}, totals=TOTALS, taken_at=T0 + ahead)
    if ahead:
        base = replace(base, clock_offset=ahead, server_time=T0 + ahead)
    return replace(base, **options)  # type: ignore[arg-type]


class Clock:
    """This machine's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def today(app: WallboardApp) -> str:
    return "".join(text for text, _style in app.header.parts[1].pieces(0))


# ---------------------------------------------------------------------- header figures


def test_the_header_says_which_figures_are_finished_and_which_live() -> None:
    full = call_figures(TOTALS, 0)
    assert full["calls"] == "in progress 7 │"
    assert full["finished"] == "finished calls today:"
    assert full["recent"] == "│ dropped 15 min 2 · 60 min 5"
    scoped = call_figures(replace(TOTALS, scoped=True), 0)
    assert scoped["finished"] == "finished calls today, all queues:"
    for level in range(7):  # every shortness keeps "all queues" and both recent figures
        figures = call_figures(replace(TOTALS, scoped=True), level)
        assert "all q" in figures["finished"]
        assert "2" in figures["recent"] and "5" in figures["recent"]
    counting = call_figures(TOTALS, 0, bills_read=False)
    assert counting["answered"] == COUNTING
    assert counting["dropped"] == counting["abandon"] == counting["recent"] == ""


async def test_the_header_counts_while_the_bills_are_read(tmp_path: Path) -> None:
    """No low count that grows: "counting…" until every bill of the day is read."""
    reading = floor(bills_read=False)
    app, _floor, _client = scripted_app(tmp_path, [reading, floor()])
    async with app.run_test(size=(160, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        line = today(app)
        assert "in progress 7 │ finished calls today: counting…" in line
        assert "400" not in line and "abandon" not in line
        app.poll_now()
        await app.wait_for_snapshot(2)
        await pilot.pause()
        line = today(app)
        assert "answered 400 dropped 11 abandon 2.8% │ dropped 15 min 2 · 60 min 5" in line


async def test_under_a_queue_scope_the_finished_figures_say_all_queues(tmp_path: Path) -> None:
    scoped = floor(totals=replace(TOTALS, scoped=True), scope=("sales",))
    app, _floor, _client = scripted_app(tmp_path, [scoped], queues=["sales"])
    async with app.run_test(size=(160, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert "finished calls today, all queues: answered 400" in today(app)


# ---------------------------------------------------------------------- at least


def test_a_time_in_state_with_no_known_start_is_at_least() -> None:
    assert at_least_duration(54) == "≥0:54"
    assert at_least_duration(754) == "≥12m"  # rounded down: never more than is known
    assert at_least_duration(3900) == "≥1h05"
    assert at_least_duration(14 * 3600 + 59 * 60) == "≥14h"
    assert at_least_duration(500 * 3600) == "≥99h"
    for seconds in (0, 59, 599, 600, 3599, 3600, 35999, 36000, 10**7):
        assert len(at_least_duration(seconds)) <= 5
    known = agent("1001", state=AgentState.PAUSED, seconds=54)
    guessed = replace(known, at_least=True)
    assert tile_clock(known, T0, Thresholds()).time == duration(54).rjust(5)
    assert tile_clock(guessed, T0, Thresholds()).time == "≥0:54"


async def test_at_least_is_marked_on_tiles_rows_and_the_wall(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        tile = app.grid.tile_text("sales", "1002")
        assert tile is not None and tile[1].startswith("≥0:54 ‖ PAUSE")
        known = app.grid.tile_text("sales", "1001")
        assert known is not None and known[1].startswith(" 0:54 ○ IDLE")
        app.show_view("list")
        await pilot.pause()
        row = app.agent_list.row_text("1002")
        assert row is not None and "≥0:54" in row
        assert "≥" not in (app.agent_list.row_text("1001") or "")
    wall_app, _floor, _client = scripted_app(tmp_path, [floor()], wall=True, page_seconds=0)
    async with wall_app.run_test(size=(120, 36)) as pilot:
        await wall_app.wait_for_snapshot()
        await pilot.pause()
        wall = wall_app.screen
        assert isinstance(wall, WallScreen)
        tile = wall.grid.tile_text("sales", "1002")
        assert tile is not None and tile[1].startswith("≥0:54")


# ---------------------------------------------------------------------- staleness by age


def layouts_asked(widget: Widget) -> list[bool]:
    """Whether each refresh of `widget` from now on asks for a new layout (a spy)."""
    layouts: list[bool] = []
    refresh = widget.refresh

    def spy(*regions: object, **kwargs: bool) -> object:
        layouts.append(kwargs.get("layout", False))
        return refresh(*regions, **kwargs)  # type: ignore[arg-type]

    widget.refresh = spy  # type: ignore[method-assign, assignment]
    return layouts


async def test_data_with_no_new_poll_for_two_refresh_periods_reads_stale(tmp_path: Path) -> None:
    """A poll that hangs fails no cycle, but the data grows old: past `stale_after` the
    banner speaks, the age reads STALE and the floor dims; a fresh poll clears it all, and
    the banner's row never moved the grid. The banner is one row as wide as its row: its
    words come and go as a repaint of it, never a new layout of the whole screen."""
    clock = Clock(T0 + 1)
    fresh = floor(stale_after=4.0)
    app, scripted, _client = scripted_app(tmp_path, [fresh], clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        grid_y = app.grid.region.y
        assert app.banner.text == "" and not app.dimmed
        layouts = layouts_asked(app.banner)
        clock.now = T0 + 3.5  # old, but not two refresh periods
        app._tick()
        await pilot.pause()
        assert app.banner.text == "" and app.header.figure("updated") == "updated 3 s ago"
        clock.now = T0 + 9
        app._tick()
        await pilot.pause()
        assert app.banner.text.startswith("⚠ showing the last good data")
        assert app.header.figure("updated") == "STALE 9 s ago"
        assert app.dimmed
        assert layouts and not any(layouts)
        faded = [*app.body.query(DIMMED), *app.header.query(HEADER_DIMMED)]
        assert len(faded) > 4 and all(widget.styles.tint.a > 0 for widget in faded)
        columns = len(app.body.query(TileColumn))
        await pilot.resize_terminal(200, 30)  # more columns of tiles, mounted while stale
        await pilot.pause()
        app._tick()
        faded = [*app.body.query(DIMMED), *app.header.query(HEADER_DIMMED)]
        assert len(app.body.query(TileColumn)) > columns
        assert all(widget.styles.tint.a > 0 for widget in faded)
        assert app.grid.region.y == grid_y
        mark = len(layouts)  # (the resize laid out the screen)
        scripted.push(replace(fresh, taken_at=T0 + 9))
        app.poll_now()
        await app.wait_for_snapshot(2)
        await pilot.pause()
        assert layouts[mark:] and not any(layouts[mark:])
        assert app.banner.text == "" and not app.dimmed
        assert all(widget.styles.tint.a == 0 for widget in faded)
        assert app.header.figure("updated") == "updated just now"
        assert app.grid.region.y == grid_y


async def test_a_snapshot_puts_the_screen_tick_off_and_without_one_it_ticks(
    tmp_path: Path,
) -> None:
    """The screen's clock ticks every second while no snapshot comes (the age counts up,
    staleness shows); a snapshot shown moves the next tick past the next poll's snapshot,
    so that a floor polled every second wakes the screen once a cycle, not twice."""
    clock = Clock(T0 + 1)
    fresh = floor(stale_after=4.0)
    app, scripted, _client = scripted_app(tmp_path, [fresh], clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        loop = asyncio.get_running_loop()

        def next_tick_in() -> float:
            due = app._tick_due
            assert due is not None, "the screen's clock has stopped"
            return due.when() - loop.time()

        assert TICK_SECONDS < next_tick_in() <= TICK_SECONDS + TICK_AFTER_SNAPSHOT
        # No snapshot since: when the tick comes, the age moves, and the next is a second on.
        clock.now = T0 + 3.5
        app._tick_is_due()
        await pilot.pause()
        assert app.header.figure("updated") == "updated 3 s ago"
        assert TICK_SECONDS - 0.5 < next_tick_in() <= TICK_SECONDS
        # A snapshot puts it off again.
        scripted.push(replace(fresh, taken_at=T0 + 3.5))
        app.poll_now()
        await app.wait_for_snapshot(2)
        await pilot.pause()
        assert app.header.figure("updated") == "updated just now"
        assert next_tick_in() > TICK_SECONDS


async def test_a_new_age_repaints_its_cells_and_asks_for_no_layout(tmp_path: Path) -> None:
    """ "updated just now", "updated 3 s ago" and "STALE 9 s ago" are of one width in the
    header (each right-aligned in it): a new age is a repaint of its cells, never a new
    layout of the header; an age longer than that widens it, and line two still fits."""
    clock = Clock(T0 + 1)
    app, _scripted, _client = scripted_app(tmp_path, [floor(stale_after=4.0)], clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        age = app.header.parts[2]
        width = age.region.width
        layouts = layouts_asked(age)
        for now, says in ((T0 + 3.5, "updated 3 s ago"), (T0 + 9, "STALE 9 s ago")):
            clock.now = now
            app._tick()
            await pilot.pause()
            assert app.header.figure("updated") == says
            assert age.region.width == width
            assert age.render_line(0).text.rstrip().endswith(says)
        assert layouts and not any(layouts)
        clock.now = T0 + 1 + 3 * 3600  # "STALE 3 h ago" fits; "updated 59 min ago" would not
        app._tick()
        await pilot.pause()
        assert age.region.width >= cell_len(app.header.figure("updated")) + 1
        assert age.region.right == 100


async def test_ages_and_the_wall_clock_are_on_the_servers_clock(tmp_path: Path) -> None:
    """The server's clock is days and hours ahead of this machine's: its data, just
    polled, reads "updated just now", not STALE for two days, and the wall's clock shows
    the server's time."""
    clock = Clock(T0 + 1)
    ahead = floor(AHEAD, stale_after=4.0)
    app, _floor, _client = scripted_app(tmp_path, [ahead], clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.header.figure("updated") == "updated just now"
        assert app.banner.text == ""
        tile = app.grid.tile_text("sales", "1001")
        assert tile is not None and tile[1].startswith(" 0:54")  # since is server time too
    wall_app, _floor, _client = scripted_app(
        tmp_path, [ahead], clock=clock, wall=True, page_seconds=0, tz=dt.UTC
    )
    async with wall_app.run_test(size=(120, 36)) as pilot:
        await wall_app.wait_for_snapshot()
        await pilot.pause()
        wall = wall_app.screen
        assert isinstance(wall, WallScreen)
        server = dt.datetime.fromtimestamp(T0 + 1 + AHEAD, dt.UTC).strftime("%H:%M")
        host = dt.datetime.fromtimestamp(T0 + 1, dt.UTC).strftime("%H:%M")
        assert server != host
        assert wall.clock_block is not None
        assert wall.clock_block.value == server
        assert not wall.stale


async def test_line_two_fits_beside_the_age_at_80_columns_with_a_red_rate(
    tmp_path: Path,
) -> None:
    """The worst case at 80 columns: four-figure counts, a red (padded) abandon rate and
    recent drops still fit whole beside "updated just now"."""
    busy = replace(
        TOTALS, calls_in_progress=12, answered_today=4120, dropped_today=170,
        dropped_15m=12, dropped_60m=48,
    )  # fmt: skip
    app, _floor, _client = scripted_app(tmp_path, [floor(totals=busy)])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        line, age = today(app), app.header.figure("updated")
        assert app.header.abandon == "-red"
        assert cell_len(line.rstrip()) + 1 + cell_len(age) <= 80
        for figure in ("live 12", "4120", "170", "abandon 4.1%", "15m 12 60m 48"):
            assert figure in line


async def test_time_in_state_moves_on_with_the_servers_clock_between_polls(
    tmp_path: Path,
) -> None:
    """Time in state is the server's now minus the state's start: it moves on every tick,
    not only with a new poll, in the grid and in the list."""
    clock = Clock(T0 + 1)
    app, _floor, _client = scripted_app(tmp_path, [floor(AHEAD)], clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        tile = app.grid.tile_text("sales", "1001")
        assert tile is not None and tile[1].startswith(" 0:54")
        clock.now = T0 + 61
        app._tick()
        await pilot.pause()
        tile = app.grid.tile_text("sales", "1001")
        assert tile is not None and tile[1].startswith(" 1:54")
        guessed = app.grid.tile_text("sales", "1002")
        assert guessed is not None and guessed[1].startswith("≥1:54")
        assert " 1:54" in app.grid.line_text(2)
        assert "≥1:54" in app.export_screenshot()  # refreshed on screen, not only a query
        app.show_view("list")
        await pilot.pause()
        clock.now = T0 + 121
        app._tick()
        await pilot.pause()
        assert "2:54" in (app.agent_list.row_text("1001") or "")
        assert "≥2:54" in (app.agent_list.row_text("1002") or "")


def test_the_walls_figures_say_what_they_count() -> None:
    """The wall's floor block: "counting…" and no rate while the bills are read, "all
    queues" under a scope; a campaign's rate is over its finished calls only."""
    reading = floor_figures(floor(bills_read=False), has_data=True)
    assert COUNTING in reading.detail and reading.rate is None
    scoped = floor_figures(floor(totals=replace(TOTALS, scoped=True)), has_data=True)
    assert "answered 400 (all queues)" in scoped.detail and scoped.rate == "2.8"
    talking_only = campaign(answered=3, talking=3, dropped=0, abandon_rate=0.0)
    assert campaign_figures(talking_only, floor()).rate is None
    finished = campaign(answered=203, talking=3, dropped=6, abandon_rate=0.03)
    assert campaign_figures(finished, floor()).rate == "3.0"
