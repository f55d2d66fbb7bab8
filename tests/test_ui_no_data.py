"""Figures a supervisor can trust on screen: no data is not zero, stale data looks stale
from across a room, the banner never moves the grid, and every count says what it counts."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from test_ui_support import T0, agent, campaign, scripted_app, snapshot
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import OptionList

from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals
from wallboard.ui.agent_grid import TileColumn
from wallboard.ui.app import WallboardApp
from wallboard.ui.dialogs import StateFilterDialog

LOGIN_REFUSED = (
    "login refused: check appid/accesskey in profile floor (601 appid is not authorized)"
)


def good_floor(**options: Any) -> FloorSnapshot:
    return snapshot(
        {
            "sales": [
                agent("1001", state=AgentState.TALKING, number="555", crmid="1"),
                agent("1002", state=AgentState.PAUSED),
                agent("1003", state=AgentState.PAUSED),
            ],
            "support": [
                agent("1002", "support", AgentState.PAUSED),  # 1002 is in two queues
                agent("2001", "support", AgentState.MISSED),
                agent("2002", "support", AgentState.DISABLED),
            ],
        },
        [campaign("T1", "Spring")],
        totals=FloorTotals(
            talking=1,
            paused=2,
            missed=1,
            disabled=1,
            calls_in_progress=1,
            answered_today=40,
            dropped_today=1,
        ),
        **options,
    )


def never_polled(error: str | None = None) -> FloorSnapshot:
    """What LiveFloor hands out when its first poll failed: its empty start, marked stale."""
    return FloorSnapshot(taken_at=T0 - 5, stale=True, error=error)


def digits_in_header(app: WallboardApp) -> list[str]:
    text = " ".join("".join(t for t, _s in part.pieces(0)) for part in app.header.parts)
    return re.findall(r"\d", text)


async def test_before_the_first_poll_the_screen_says_no_data_yet(tmp_path: Path) -> None:
    app, floor, _client = scripted_app(tmp_path, [good_floor()])
    floor.gate = asyncio.Event()  # the first poll hangs: still connecting
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.header.figure("agents") == "no data yet"
        assert app.header.figure("updated") == "connecting…"
        assert app.banner.text == "connecting to the server…"
        assert app.grid.line_text(0).strip() == "no data yet: connecting…"
        assert not app.banner.has_class("-shown")
        assert digits_in_header(app) == []
        floor.gate.set()
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.header.figure("talking") == "● 1 talk"


async def test_a_failed_first_poll_shows_why_and_never_zeros(tmp_path: Path) -> None:
    """A wrong accesskey: the header and the campaigns say "no data yet", the banner says
    why; no "0 idle", no "abandon 0.0%", no STALE age of data that never was."""
    app, floor, _client = scripted_app(tmp_path, [never_polled(LOGIN_REFUSED)])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.banner.has_class("-shown")
        assert app.banner.text == f"⚠ no data yet: {LOGIN_REFUSED}"
        assert app.header.figure("agents") == "no data yet"
        assert app.header.figure("updated") == "NO DATA"
        assert digits_in_header(app) == []
        said = " ".join(app.grid.line_text(y).strip() for y in range(3))
        assert said.startswith(f"no data yet: {LOGIN_REFUSED}")  # whole, where there is room
        assert "no data yet" in app.campaigns.line_text(0)
        screen = app.export_screenshot()
        for zero in ("0 idle", "0.0%", "answered 0", "STALE", "no campaigns tracked"):
            assert zero not in screen
        assert not app.dimmed  # nothing there to dim

        floor.push(good_floor(taken_at=T0))  # the fix: the next poll brings data
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        assert app.header.figure("paused") == "‖ 2 pause"
        assert app.header.figure("updated") == "updated 2 s ago"
        assert not app.banner.has_class("-shown") and app.banner.text == ""
        assert app.grid.tile_text("sales", "1001") is not None

        floor.push(good_floor(taken_at=T0, stale=True, error="server unreachable"))
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        assert app.header.figure("paused") == "‖ 2 pause"  # the last good data stays
        assert app.header.figure("updated") == "STALE 2 s ago"
        assert app.banner.text == "⚠ showing the last good data: server unreachable"


def drawn(widget: Widget, top: int = 0, lines: int = 1) -> list[Strip]:
    """Lines as Textual puts them on screen: after the widget's styles (tint and all)."""
    return widget.render_lines(Region(0, top, widget.size.width, lines))


def colours(strips: list[Strip]) -> list[Style]:
    return [segment.style for strip in strips for segment in strip if segment.style]


def tile_colours(app: WallboardApp) -> list[Style]:
    return colours(drawn(app.grid.query(TileColumn).first(), 1, 2))


def header_colours(app: WallboardApp) -> tuple[list[Style], list[Style]]:
    return colours(drawn(app.header.parts[0])), colours(drawn(app.header.parts[2]))


def brightness(styles: list[Style]) -> float:
    """The mean brightness of the colours drawn (foreground and background)."""
    values = [
        Color.from_rich_color(colour).brightness
        for style in styles
        for colour in (style.color, style.bgcolor)
        if colour is not None
    ]
    return sum(values) / len(values)


@pytest.mark.parametrize("theme", ["default", "high-contrast", "textual-dark", "nord"])
async def test_stale_data_dims_the_tiles_campaigns_and_figures(tmp_path: Path, theme: str) -> None:
    """From across a room a stale wall must look stale: its colours fade towards the
    theme's background (the shipped themes' stale-dim, or Textual's themes' own background)
    while the STALE age keeps its colour."""
    fresh = good_floor()
    stale = good_floor(stale=True, error="server unreachable")
    app, _floor, _client = scripted_app(tmp_path, [fresh, stale, fresh], theme=theme)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        tiles, pane = tile_colours(app), colours(drawn(app.campaigns.columns[0], 0, 2))
        figures, _age = header_colours(app)
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        assert app.dimmed
        dim_tiles, dim_pane = tile_colours(app), colours(drawn(app.campaigns.columns[0], 0, 2))
        dim_figures, _age = header_colours(app)
        assert brightness(dim_tiles) < brightness(tiles) - 0.05
        assert brightness(dim_pane) < brightness(pane) - 0.05
        assert brightness(dim_figures) < brightness(figures)
        age_part = app.header.parts[2]
        block = [seg for seg in drawn(age_part)[0] if "STALE" in seg.text]
        own = [seg for seg in age_part.render_line(0) if "STALE" in seg.text]
        assert block and block[0].style == own[0].style  # STALE itself is not dimmed
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        assert tile_colours(app) == tiles  # fresh again: full colour


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_banner_never_moves_the_grid(tmp_path: Path, size: tuple[int, int]) -> None:
    """No data, fresh, figures behind, stale, fresh: the grid keeps its place throughout."""
    fresh = good_floor()
    script = [
        never_polled(LOGIN_REFUSED),
        fresh,
        replace(fresh, error="server error in GetBill (500 server error)"),
        good_floor(stale=True, error="server unreachable"),
        fresh,
    ]
    app, _floor, _client = scripted_app(tmp_path, script)
    async with app.run_test(size=size) as pilot:
        regions = []
        banners = []
        for count in range(1, len(script) + 1):
            if count > 1:
                app.poll_now()
            await app.wait_for_snapshot(count)
            await pilot.pause()
            regions.append((app.grid.region, app.campaigns.region))
            banners.append(app.banner.text)
        assert len(set(banners)) == 4  # it spoke in three ways and was quiet
        assert all(region == regions[1] for region in regions[1:])
        # Before any data the campaigns pane holds one line, not a campaign's two: the grid
        # is taller then, but starts on the same line.
        assert regions[0][0].y == regions[1][0].y


async def test_the_state_filter_counts_agents_as_the_header_does_and_tiles_too(
    tmp_path: Path,
) -> None:
    """1002 is paused in two queues: two tiles, one person. The filter shows both figures,
    labelled, and its people agree with the header; the filter line counts tiles."""
    app, _floor, _client = scripted_app(tmp_path, [good_floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        assert app.header.figure("paused") == "‖ 2 paused"
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StateFilterDialog)
        options = dialog.query_one(OptionList)
        paused = str(options.get_option(AgentState.PAUSED.name).prompt)
        assert paused.endswith("paused   2 agents · 3 tiles")
        missed = str(options.get_option(AgentState.MISSED.name).prompt)
        assert missed.endswith("1 agent · 1 tile")
        options.highlighted = options.get_option_index(AgentState.PAUSED.name)
        await pilot.press("enter")
        await pilot.pause()
        assert app.grid.shown == 3
        assert str(app.filter_line.render()) == "Filter: state paused: 3 tiles shown (esc clears)"
