"""The wall screen on hand-made snapshots: big figures, the grid in every row left, pages of
queues on a timer, the flash past 3%, STALE from across the room, and no keys at all.

A tiny host app pushes the screen and hands it snapshots, as the dashboard does in wall
mode. Update the pictures with `pytest tests/test_wall.py --snapshot-update`, then look at
every changed SVG before keeping it."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import T0, agent, campaign, snapshot
from textual.app import App
from textual.widgets import Footer, Static

from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    FloorSnapshot,
    FloorTotals,
    QueueView,
)
from wallboard.ui.agent_grid import AgentGrid, TileColumn
from wallboard.ui.themes import load_themes, variable_defaults
from wallboard.ui.wall import (
    FADED,
    NO_FIGURE,
    WallScreen,
    age_figure,
    grid_columns,
    grid_height,
    plan_figures,
    queue_pages,
)

CSS = Path(__file__).parents[1] / "wallboard" / "ui" / "wallboard.tcss"
SIZES = [(80, 24), (120, 36), (160, 48), (200, 60), (240, 70)]
_FIRST = ("Alice", "Bob", "Carla", "Dev", "Erin", "Farid", "Gita", "Hugo", "Ines", "Jon", "Kemi")
_LAST = (
    "Wong",
    "Chen",
    "Diaz",
    "Patel",
    "Moss",
    "Khan",
    "Rao",
    "Lind",
    "Sato",
    "Berg",
    "Holm",
    "Ade",
)
_CYCLE = (
    (AgentState.TALKING, 95),
    (AgentState.IDLE, 20),
    (AgentState.TALKING, 700),
    (AgentState.PAUSED, 420),
    (AgentState.RINGING, 6),
    (AgentState.WRAPUP, 30),
    (AgentState.TALKING, 1300),
    (AgentState.IDLE, 200),
    (AgentState.OFFLINE, 3000),
    (AgentState.PAUSED, 1000),
)


class WallHost(App[None]):
    """The dashboard's styles and themes, and the wall on top, fed by hand."""

    CSS_PATH = CSS

    def __init__(self, wall: WallScreen) -> None:
        super().__init__()
        self.wall = wall
        self.turned: asyncio.Queue[WallScreen.PageTurned] = asyncio.Queue()
        for theme in load_themes().values():
            self.register_theme(theme)
        self.theme = "default"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        self.push_screen(self.wall)

    def on_wall_screen_page_turned(self, message: WallScreen.PageTurned) -> None:
        self.turned.put_nowait(message)


def wall(**options: Any) -> WallScreen:
    """A wall on a fixed clock (two seconds after T0), UTC, that neither flashes nor turns
    pages by itself unless told to."""
    options.setdefault("clock", lambda: T0 + 2)
    options.setdefault("tz", dt.UTC)
    options.setdefault("flash_seconds", 0)
    options.setdefault("page_seconds", 0)
    return WallScreen(**options)


def people(queue: str, count: int, first: int) -> list[AgentView]:
    out = []
    for n in range(count):
        state, seconds = _CYCLE[(n + first) % len(_CYCLE)]
        number = (
            f"1380000{first + n:04d}" if state in (AgentState.TALKING, AgentState.RINGING) else None
        )
        name = f"{_FIRST[(n + first) % len(_FIRST)]} {_LAST[(n + first) % len(_LAST)]}"
        out.append(
            agent(
                str(first + n),
                queue,
                state,
                seconds=seconds,
                name=name,
                number=number,
                answered=(n * 7) % 23,
                missed=n % 3,
            )
        )
    return out


def busy_floor(sizes: dict[str, int] | None = None) -> FloorSnapshot:
    """A floor of four queues, three running campaigns (4.1%, 2.7% and 1.2% abandoned), one
    paused (not on the wall) and one running with nothing answered yet."""
    sizes = sizes or {"outbound-sales": 48, "renewals": 36, "collections": 24, "support": 12}
    queues: dict[str, list[AgentView]] = {}
    first = 1000
    for name, count in sizes.items():
        queues[name] = people(name, count, first)
        first += 100
    campaigns = [
        campaign(
            "T1",
            "Spring promo",
            assigned_to="outbound-sales",
            answered=412,
            dropped=17,
            abandon_rate=17 / 412,
            drop_budget=0,
            dialled=820,
        ),
        campaign(
            "T2",
            "Renewals Q1",
            assigned_to="renewals",
            answered=300,
            dropped=8,
            abandon_rate=8 / 300,
            drop_budget=1,
            dialled=610,
        ),
        campaign(
            "T3",
            "Collections early stage",
            assigned_to="collections",
            answered=250,
            dropped=3,
            abandon_rate=3 / 250,
            drop_budget=4,
            dialled=300,
        ),
        campaign("T4", "Paused one", CampaignStatus.PAUSED, abandon_rate=0.05, answered=100),
        campaign("T5", "Winter win-back", answered=0, dropped=0, abandon_rate=0.0, dialled=12),
    ]
    agents = [a for group in queues.values() for a in group]
    count = {state: sum(1 for a in agents if a.state is state) for state in AgentState}
    totals = FloorTotals(
        idle=count[AgentState.IDLE],
        ringing=count[AgentState.RINGING],
        talking=count[AgentState.TALKING],
        wrapup=count[AgentState.WRAPUP],
        paused=count[AgentState.PAUSED],
        offline=count[AgentState.OFFLINE],
        calls_in_progress=count[AgentState.TALKING] + count[AgentState.RINGING],
        answered_today=962,
        dropped_today=28,
    )
    return snapshot(queues, campaigns, totals=totals)


async def shown(pilot: Any, screen: WallScreen, snap: FloorSnapshot, **options: Any) -> None:
    screen.show(snap, **options)
    # A name cell that changed size re-fits, then the screen lays out again: let the chain
    # settle (a pause only waits for the messages already queued).
    for _ in range(4):
        await pilot.pause()


def inside(outer: Any, inner: Any) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


# ---------------------------------------------------------------------- pure layout


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("campaigns", [0, 1, 3, 8])
def test_figures_take_at_most_two_fifths_of_the_rows(
    width: int, height: int, campaigns: int
) -> None:
    plan = plan_figures(width, height, campaigns)
    shown = sum(1 for row in plan.rows for kind, _n, _s in row if kind == "campaign")
    if plan.mode == "line":
        shown = campaigns if plan.line_rows * plan.line_columns >= campaigns else -1
        assert plan.line_columns * 40 <= width
    assert shown == campaigns  # every running campaign, whatever the size
    assert plan.height <= max(4, int((height - 1) * 0.4)) + plan.line_rows
    assert all(sum(span for _k, _n, span in row) <= plan.units for row in plan.rows)
    assert plan.clock == (width >= 3 * 37)


def test_big_figures_shrink_before_the_grid_does() -> None:
    assert plan_figures(200, 60, 3).mode == "full"
    assert plan_figures(120, 36, 3).mode == "rate"  # the abandon rate alone stays big
    assert plan_figures(80, 24, 1).mode == "full"
    assert plan_figures(80, 24, 3).mode == "line"
    assert plan_figures(80, 24, 3).height == 4 + 2  # the floor's figures, two lines of three


@pytest.mark.parametrize("height", [3, 9, 17, 27, 51])
@pytest.mark.parametrize("columns", [1, 3, 7])
def test_pages_show_every_agent_once_and_each_page_is_full(height: int, columns: int) -> None:
    queues = [
        QueueView(name=name, agents=tuple(people(name, count, 100 * n)))
        for n, (name, count) in enumerate(
            [("a", 5), ("b", 40), ("empty", 0), ("c", 1), ("d", 17), ("e", 3)]
        )
    ]
    pages = queue_pages(queues, columns, height)
    seen = [(a.queue, a.extnumber) for page in pages for q in page.queues for a in q.agents]
    assert seen == [(a.queue, a.extnumber) for q in queues for a in q.agents]
    assert sum(1 for page in pages for q in page.queues if not q.agents) == 1  # the empty one
    for number, page in enumerate(pages):
        used = grid_height(page.queues, columns)
        assert used <= height
        if number < len(pages) - 1:  # not even a heading and a row of tiles was left over
            assert height - used < 1 + 1 + 2
    # A split queue's parts are named in order on consecutive pages: "b (1/3)", "b (2/3)"...
    parts: dict[str, list[tuple[int, str]]] = {}
    for number, page in enumerate(pages):
        for queue in page.queues:
            base, _, part = queue.name.partition(" (")
            if part:
                parts.setdefault(base, []).append((number, part))
    for seen_parts in parts.values():
        count = len(seen_parts)
        assert [part for _n, part in seen_parts] == [f"{k}/{count})" for k in range(1, count + 1)]
        assert [n for n, _part in seen_parts] == list(
            range(seen_parts[0][0], seen_parts[0][0] + count)
        )


def test_queues_that_fit_are_one_page_as_they_are() -> None:
    queues = [QueueView(name="a", agents=tuple(people("a", 6, 0)))]
    assert [page.queues for page in queue_pages(queues, 3, 40)] == [tuple(queues)]


def test_stale_age_reads_in_minutes_then_hours() -> None:
    assert [age_figure(s) for s in (0, 75, 3599, 3600 + 5 * 60)] == [
        "0:00",
        "1:15",
        "59:59",
        "1:05",
    ]


# ---------------------------------------------------------------------- on screen


@pytest.mark.parametrize(("width", "height"), SIZES)
async def test_the_grid_fills_every_row_the_figures_leave(width: int, height: int) -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(width, height)) as pilot:
        await shown(pilot, screen, busy_floor())
        figures = screen.query_one("#wall-figures").region.height
        lines = screen.query_one("#wall-lines").region.height
        grid = screen.grid
        assert screen.plan is not None and figures + lines == screen.plan.height
        assert grid.region.height == height - 1 - figures - lines
        assert grid.region.bottom == height and grid.region.width == width
        # The pages are made for the grid as it is laid out: the same tiles per row, and
        # no row of the page hidden below the screen.
        assert grid.columns == grid_columns(width)
        drawn = max(column.outer_size.height for column in grid.query(TileColumn))
        assert drawn == grid_height(screen.pages[screen.page].queues, grid.columns)
        assert drawn <= grid.region.height
        everything = screen.region
        for widget in screen.query("*"):
            if widget.display and widget.region.area:
                assert inside(everything, widget.region), widget
        # No cut titles: every name and label fits the lines its widget has.
        for words in screen.query(Static):
            region = words.content_region
            if not words.display or not region.area or not str(words.render()):
                continue
            needed = words.get_content_height(region.size, region.size, region.width)
            assert needed <= region.height, (words, str(words.render()))
        for line in screen.campaign_lines():
            assert line.text.split(" · ")[0] in {
                "Spring promo",
                "Renewals Q1",
                "Collections early stage",
                "Winter win-back",
            }


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 36), (200, 60)])
async def test_a_long_campaign_name_keeps_every_word(width: int, height: int) -> None:
    long_name = "Collections early stage north region 2026"
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(width, height)) as pilot:
        snap = busy_floor({"collections": 20})
        snap = replace(snap, campaigns=(replace(snap.campaigns[2], name=long_name),))
        await shown(pilot, screen, snap)
        block = screen.figure_blocks()[1]
        title = block.name_cell.title
        assert title.text == long_name
        region = title.content_region
        assert title.get_content_height(region.size, region.size, region.width) <= region.height
        assert block.abandon.text == "1.2"


async def test_no_keys_no_key_bar_no_cursor() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        snap = busy_floor()
        await shown(pilot, screen, snap)
        assert not screen.query(Footer)
        assert screen.BINDINGS == [] and screen.grid.can_focus is False
        assert screen.focused is None and screen.focus_chain == []
        before = screen.grid.scroll_offset
        await pilot.press("down", "pagedown", "j", "c", "o", "p", "tab")
        assert screen.focused is None and screen.grid.scroll_offset == before
        assert app.screen is screen


async def test_big_figures_read_the_floor_and_each_running_campaign_by_name() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(200, 60)) as pilot:
        snap = busy_floor()
        await shown(pilot, screen, snap)
        blocks = screen.figure_blocks()
        floor = blocks[0]
        totals = snap.totals
        assert [floor.idle.text, floor.talking.text, floor.paused.text] == [
            str(totals.idle),
            str(totals.talking),
            str(totals.paused),
        ]
        assert floor.abandon.text == "2.9"  # 28 of 962
        names = [block.name_cell.title.text for block in blocks[1:]]
        assert names == [
            "Spring promo",
            "Renewals Q1",
            "Collections early stage",
            "Winter win-back",
        ]
        sales = blocks[1]
        agents = snap.queues[0].agents
        assert sales.idle.text == str(sum(a.state is AgentState.IDLE for a in agents))
        assert sales.paused.text == str(sum(a.state is AgentState.PAUSED for a in agents))
        assert sales.abandon.text == "4.1"
        # Nothing answered is no rate at all; dialling for no queue is no count of agents.
        winter = blocks[4]
        assert winter.abandon.text == NO_FIGURE and winter.abandon.has_class("-missing")
        assert winter.idle.text == NO_FIGURE
        assert not winter.abandon.digits.display
        clock = screen.clock_block
        assert clock is not None and clock.text == "08:00"  # T0 in UTC
        assert clock.label.text == "server time · updated 2 s ago"


async def test_only_a_rate_past_three_percent_flashes() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(200, 60)) as pilot:
        await shown(pilot, screen, busy_floor())
        sales, renewals, collections, winter = (b.abandon for b in screen.figure_blocks()[1:])
        floor = screen.figure_blocks()[0].abandon
        assert sales.has_class("-red") and not sales.has_class("-amber")
        assert renewals.has_class("-amber") and not renewals.has_class("-red")
        assert floor.has_class("-amber")  # 2.9%: near the cap, not past it
        assert not collections.has_class("-amber", "-red") and not winter.has_class("-red")
        flashing = []
        for _ in range(4):
            screen.flash()
            await pilot.pause()
            flashing.append(
                {f for f in (sales, renewals, collections, winter, floor) if f.has_class("-flash")}
            )
        assert flashing == [{sales}, set(), {sales}, set()]

        # Back under the cap: the flash stops at once, whatever the timer's phase.
        screen.flash()
        calmer = busy_floor()
        calmer = replace(
            calmer,
            campaigns=(
                replace(calmer.campaigns[0], abandon_rate=0.02, dropped=8),
                *calmer.campaigns[1:],
            ),
        )
        await shown(pilot, screen, calmer)
        assert not sales.has_class("-red", "-flash", "-amber")


async def test_the_flash_runs_on_its_own_timer() -> None:
    screen = wall(flash_seconds=0.02)
    app = WallHost(screen)
    seen: list[tuple[bool, bool]] = []  # (the red rate flashes, the amber one does)
    twice = asyncio.Event()
    flash = screen.flash

    def watched() -> None:  # the timer calls this: look right after each flash
        flash()
        blocks = screen.figure_blocks()
        if len(blocks) > 2:
            seen.append(
                (blocks[1].abandon.has_class("-flash"), blocks[2].abandon.has_class("-flash"))
            )
        if len(seen) >= 2:
            twice.set()

    screen.flash = watched  # type: ignore[method-assign]
    async with app.run_test(size=(200, 60)) as pilot:
        await shown(pilot, screen, busy_floor())
        seen.clear()  # from here on, with the campaigns' blocks on screen
        twice.clear()
        await asyncio.wait_for(twice.wait(), 5)
        assert seen[:2] in ([(True, False), (False, False)], [(False, False), (True, False)])


async def test_queues_turn_over_by_page() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, screen, busy_floor())
        pages = screen.pages
        assert len(pages) > 2
        status = screen.query_one("#wall-status", Static)
        assert status.render().plain.startswith(
            f"WALL · read-only · page 1 of {len(pages)}: outbound-sales (1/"
        )
        seen = []
        for number in range(len(pages) + 1):
            page = pages[number % len(pages)]
            assert screen.page == number % len(pages)
            for queue in page.queues:  # this page's tiles are drawn, no other page's
                for each in queue.agents:
                    assert screen.grid.tile_text(each.queue, each.extnumber) is not None
            seen.append(screen.grid.shown)
            screen.next_page()
            await pilot.pause()
            turned = await asyncio.wait_for(app.turned.get(), 5)
            assert turned.page is pages[(number + 1) % len(pages)]
        assert sum(seen[:-1]) == 120  # every agent of the floor, once a round
        assert status.render().plain.startswith(f"WALL · read-only · page 2 of {len(pages)}")


async def test_the_page_timer_turns_pages() -> None:
    screen = wall(page_seconds=0.2)
    app = WallHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await shown(pilot, screen, busy_floor())
        turned = await asyncio.wait_for(app.turned.get(), 5)
        assert screen.page_timer is not None
        screen.page_timer.pause()  # hold still while looking
        await pilot.pause()
        assert screen.pages[screen.page] is turned.page
        shown_now = turned.page.queues[-1].agents[-1]
        assert screen.grid.tile_text(shown_now.queue, shown_now.extnumber) is not None


async def test_a_snapshot_that_changed_nothing_redraws_no_tile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages split queues into new views each poll; the grid still sees the same agents
    and repaints nothing (a wall polls every second or two for hours)."""
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        snap = busy_floor()
        await shown(pilot, screen, snap)
        assert "(1/" in screen.pages[0].queues[0].name  # a split queue is on the page
        repaints: list[object] = []
        for column in screen.grid.query(TileColumn):
            original = column.refresh

            def spy(*regions: Any, _original: Any = original, **options: Any) -> Any:
                repaints.append(regions)
                return _original(*regions, **options)

            monkeypatch.setattr(column, "refresh", spy)
        await shown(pilot, screen, replace(snap, taken_at=T0 + 1))  # the tiles' clocks hold
        assert repaints == []


async def test_a_wall_whose_queues_fit_never_turns() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(200, 60)) as pilot:
        await shown(pilot, screen, busy_floor({"sales": 20, "support": 8}))
        assert len(screen.pages) == 1
        screen.next_page()
        assert screen.page == 0 and app.turned.empty()


async def test_stale_shows_from_across_the_room() -> None:
    screen = wall(clock=lambda: T0 + 125)
    app = WallHost(screen)
    async with app.run_test(size=(200, 60)) as pilot:
        fresh = busy_floor()
        await shown(pilot, screen, fresh)
        assert not screen.faded
        await shown(pilot, screen, replace(fresh, stale=True, error="server unreachable"))
        assert screen.faded
        top = screen.query_one("#wall-top")
        assert top.has_class("-stale")
        status = screen.query_one("#wall-status", Static).render().plain
        assert (
            status
            == "WALL · read-only · ⚠ STALE: the last good data, 2 min old: server unreachable"
        )
        clock = screen.clock_block
        assert clock is not None and clock.has_class("-stale")
        assert clock.text == "2:05" and clock.label.text == "STALE · data 2 min old"
        # The figures are still the last good ones, dimmed, not blanked.
        assert screen.figure_blocks()[1].abandon.text == "4.1"
        faded = list(screen.query(FADED))
        assert len(faded) > 2 and all(widget.styles.tint.a > 0 for widget in faded)
        assert top.styles.tint.a == 0 and clock.styles.tint.a == 0

        await shown(pilot, screen, fresh)
        assert not screen.faded and not clock.has_class("-stale")
        assert all(widget.styles.tint.a == 0 for widget in faded)


async def test_no_data_yet_is_not_zero() -> None:
    screen = wall()
    app = WallHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        never = FloorSnapshot(taken_at=T0, stale=True, error="login refused (601)")
        await shown(pilot, screen, never, has_data=False)
        floor = screen.figure_blocks()[0]
        assert [f.text for f in (floor.idle, floor.talking, floor.paused, floor.abandon)] == [
            NO_FIGURE
        ] * 4
        status = screen.query_one("#wall-status", Static).render().plain
        assert status == "WALL · read-only · ⚠ no data yet: login refused (601)"
        assert screen.grid.waiting == "no data yet: login refused (601)"


async def test_a_queue_scope_keeps_its_order_and_names_unknown_queues() -> None:
    screen = wall(queues=["support", "nowhere"])
    app = WallHost(screen)
    async with app.run_test(size=(200, 60)) as pilot:
        await shown(pilot, screen, busy_floor())
        assert [q.name for q in screen.pages[0].queues] == ["support", "nowhere"]
        assert isinstance(screen.grid, AgentGrid) and screen.grid.shown == 12


# ---------------------------------------------------------------------- pictures


def _picture(size: tuple[int, int]) -> tuple[WallHost, Any]:
    screen = wall()
    app = WallHost(screen)

    async def fill(pilot: Any) -> None:
        await shown(pilot, screen, busy_floor())

    return app, fill


def test_wall_200x60(snap_compare: Any) -> None:
    app, fill = _picture((200, 60))
    assert snap_compare(app, terminal_size=(200, 60), run_before=fill)


def test_wall_80x24(snap_compare: Any) -> None:
    app, fill = _picture((80, 24))
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill)


def test_wall_stale_120x36(snap_compare: Any) -> None:
    screen = wall(clock=lambda: T0 + 125)
    app = WallHost(screen)

    async def go_stale(pilot: Any) -> None:
        fresh = busy_floor()
        await shown(pilot, screen, fresh)
        await shown(pilot, screen, replace(fresh, stale=True, error="server unreachable"))

    assert snap_compare(app, terminal_size=(120, 36), run_before=go_stale)


def test_wall_alert_120x36(snap_compare: Any) -> None:
    """Alerts not acknowledged take the top line, red (the flash swaps its colours)."""
    from wallboard.live.alerts import Alerts
    from wallboard.ui.app import alert_line

    screen = wall()
    app = WallHost(screen)
    floor = busy_floor()
    alerts = Alerts()
    alerts.update(floor)

    async def alert(pilot: Any) -> None:
        await shown(pilot, screen, floor)
        screen.show_alert(alert_line(alerts.shown), red=True)
        await pilot.pause()

    assert alerts.shown
    assert snap_compare(app, terminal_size=(120, 36), run_before=alert)
