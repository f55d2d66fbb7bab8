"""The agent grid on hand-made snapshots: what tiles say, what gets redrawn, the cursor,
the filters and the queue scope."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_ui_support import T0, agent, campaign, scripted_app, snapshot, with_agent
from textual.geometry import Region

from wallboard.live.snapshot import AgentState
from wallboard.ui.agent_grid import AgentGrid, TileColumn
from wallboard.ui.campaigns_pane import CampaignsPane
from wallboard.ui.dialogs import StateFilterDialog


def floor(count: int = 9, queues: tuple[str, ...] = ("sales",)) -> dict:
    return {
        q: [
            agent(f"{n}{i:03d}", q, AgentState.TALKING if i % 2 else AgentState.IDLE, number="555")
            for i in range(count)
        ]
        for n, q in enumerate(queues, start=1)
    }


class Refreshes:
    """Records what the grid's columns ask Textual to repaint, in grid coordinates."""

    def __init__(self, grid: AgentGrid, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Region, ...]] = []
        for column in grid.query(TileColumn):
            original = column.refresh
            left = column.index * (grid._tile + 1)

            def spy(*regions: Region, _orig=original, _left=left, **kwargs: object) -> object:
                self.calls.append(tuple(r.translate((_left, 0)) for r in regions))
                return _orig(*regions, **kwargs)  # type: ignore[arg-type]

            monkeypatch.setattr(column, "refresh", spy)

    @property
    def full(self) -> bool:
        return any(not regions for regions in self.calls)

    @property
    def regions(self) -> list[Region]:
        return [r for regions in self.calls for r in regions]


async def test_tiles_say_who_is_doing_what(tmp_path: Path) -> None:
    snap = snapshot(
        {
            "sales": [
                agent(
                    "1001",
                    state=AgentState.TALKING,
                    name="Alice",
                    number="13800001111",
                    answered=4,
                    missed=1,
                    seconds=65,
                ),
                agent("1002", state=AgentState.PAUSED, name="Bob", seconds=400),
            ]
        }
    )
    app, _floor, _client = scripted_app(tmp_path, [snap])
    async with app.run_test(size=(80, 24)):
        await app.wait_for_snapshot()
        top, bottom = app.grid.tile_text("sales", "1001")
        assert top.startswith("1001 Alice") and top.endswith("✓4 ✗1")
        assert bottom == " 1:05 ● TALK  13800001111"
        assert app.grid.tile_text("sales", "1002")[1].startswith(" 6:40 ‖ PAUSE")
        assert app.grid.columns == 3


async def test_only_changed_tiles_are_redrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = snapshot(floor(9))
    app, scripted, _client = scripted_app(tmp_path, [first])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        spy = Refreshes(app.grid, monkeypatch)

        scripted.push(first)  # nothing changed: nothing is drawn
        app.poll_now()
        await app.next_snapshot()
        assert spy.calls == []

        changed = with_agent(first, agent("1004", state=AgentState.TALKING, number="777"))
        scripted.push(changed)
        app.poll_now()
        await app.next_snapshot()
        assert not spy.full
        tile = next(r for r in spy.regions if r.y > 0)
        assert (tile.x, tile.y, tile.width, tile.height) == (26 + 6, 4, 19, 1)  # state, number
        headings = [r for r in spy.regions if r.y == 0]  # and the queue's counts
        assert headings and all(r.height == 1 for r in headings)
        assert app.grid.tile_text("sales", "1004")[1].startswith(" 0:30 ● TALK  777")

        spy.calls.clear()
        scripted.push(replace(changed, taken_at=T0 + 1))  # the wall's clock has not ticked
        app.poll_now()
        await app.next_snapshot()
        assert spy.calls == []
        scripted.push(replace(changed, taken_at=T0 + 5))  # it ticked: only time cells move
        app.poll_now()
        await app.next_snapshot()
        assert not spy.full
        assert len(spy.regions) == 9
        assert all((r.width, r.height) == (6, 1) for r in spy.regions)  # time and its colour
        assert app.grid.tile_text("sales", "1004")[1].startswith(" 0:35 ● TALK")


async def test_a_new_agent_relays_the_grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = snapshot(floor(3))
    app, scripted, _client = scripted_app(tmp_path, [first])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        spy = Refreshes(app.grid, monkeypatch)
        grown = snapshot({"sales": [*first.queues[0].agents, agent("1999")]})
        scripted.push(grown)
        app.poll_now()
        await app.next_snapshot()
        assert spy.full
        assert app.grid.tile_text("sales", "1999") is not None


async def test_arrows_and_hjkl_move_between_tiles_and_into_campaigns(tmp_path: Path) -> None:
    snap = snapshot(floor(5), [campaign("T1"), campaign("T2", name="Autumn")])
    app, _floor, _client = scripted_app(tmp_path, [snap])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        grid = app.grid
        assert grid.selected.extnumber == "1000"
        await pilot.press("l", "right")
        assert grid.selected.extnumber == "1002"
        await pilot.press("j")
        assert grid.selected.extnumber == "1004"  # the shorter last row
        await pilot.press("h", "k", "left")
        assert grid.selected.extnumber == "1000"
        await pilot.press("down", "down")  # past the last row: on into the campaigns pane
        assert isinstance(app.focused, CampaignsPane)
        await pilot.press("j")
        assert app.campaigns.selected.taskid == "T2"
        await pilot.press("k", "k")
        assert app.focused is grid


SIZES = ((80, 24), (120, 36), (160, 48), (200, 60))


async def test_the_grid_uses_the_whole_screen_at_every_size(tmp_path: Path) -> None:
    """80x24 to 200x60: tiles per row grow with the width; the grid has every row the
    header, the banner's row, the campaigns and the key bar leave, and fills it; the
    campaigns are as tall as their lines, under the grid; headings never cut a word."""
    states = list(AgentState)
    queues = {
        name: [agent(f"{n}{i:03d}", name, states[i % 8]) for i in range(size)]
        for n, (name, size) in enumerate((("autocall-renewals", 8), ("autocall-sales", 600)), 1)
    }
    snap = snapshot(queues, [campaign("T1"), campaign("T2", name="Autumn")])
    per_row = []
    for width, height in SIZES:
        app, _floor, _client = scripted_app(tmp_path, [snap])
        async with app.run_test(size=(width, height)) as pilot:
            await app.wait_for_snapshot()
            await pilot.pause()
            grid, campaigns = app.grid.region, app.campaigns.region
            per_row.append(app.grid.columns)
            assert (grid.x, grid.width) == (0, width) and grid.y == 3  # header 2, banner 1
            assert campaigns.y == grid.bottom and campaigns.width == width
            assert campaigns.bottom == height - 1  # the key bar's row
            lines_each = app.campaigns.virtual_size.height // 2
            assert campaigns.height == 1 + 2 * lines_each  # its border and lines: no blank
            assert lines_each == (3 if width < 120 else 2)
            lines = [app.grid.line_text(y) for y in range(grid.height)]
            assert sum(1 for line in lines if not line.strip()) <= 1  # the gap between queues
            headings = [line for line in lines if "autocall-" in line]
            assert len(headings) == 2 and not any("…" in line for line in headings)
            assert "· 8 agents" in headings[0] and "600 agents" in headings[1]
            assert app.grid.tile_text("autocall-sales", "2000") is not None
            await pilot.press("end", "down")  # the campaigns are under the agents
            assert isinstance(app.focused, CampaignsPane)
            await pilot.press("up")
            assert isinstance(app.focused, AgentGrid)
    assert per_row == sorted(set(per_row)) and per_row[0] == 3 and per_row[1] >= 4, per_row


async def test_filter_by_extension_or_name_and_by_state(tmp_path: Path) -> None:
    snap = snapshot(
        {
            "sales": [
                agent("1001", name="Alice"),
                agent("1002", name="Bob", state=AgentState.TALKING),
                agent("2001", name="Carol", state=AgentState.TALKING),
            ]
        }
    )
    app, _floor, _client = scripted_app(tmp_path, [snap])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("slash", "1", "0")
        assert app.grid.shown == 2
        await pilot.press("enter")
        assert app.focused is app.grid
        await pilot.press("slash", "backspace", "backspace", *"carol", "enter")
        assert app.grid.selected.extnumber == "2001"
        assert app.grid.shown == 1
        await pilot.press("escape")
        assert app.grid.shown == 3

        await pilot.press("s")
        assert isinstance(app.screen, StateFilterDialog)
        await pilot.press("down", "down", "down", "enter")  # all, idle, ringing, talking
        assert app.grid.filter_state is AgentState.TALKING
        assert app.grid.shown == 2
        assert "state talking" in str(app.query_one("#filters").render())
        await pilot.press("escape")
        assert app.grid.filter_state is None and app.grid.shown == 3


async def test_queues_option_scopes_the_screen_and_names_unknown_queues(tmp_path: Path) -> None:
    snap = snapshot(floor(2, ("sales", "support", "billing")))
    app, _floor, _client = scripted_app(tmp_path, [snap], queues=["billing", "nope"])
    async with app.run_test(size=(80, 24)):
        await app.wait_for_snapshot()
        assert app.grid.tile_text("sales", "1000") is None
        assert app.grid.tile_text("billing", "3000") is not None
        lines = [app.grid.line_text(y) for y in range(12)]
        assert any("no such queue on the server" in line for line in lines)
        assert any("billing" in line for line in lines)


async def test_clicking_a_tile_selects_it(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [snapshot(floor(6))])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.click(AgentGrid, offset=(30, 3))  # second column, second row of tiles
        assert app.grid.selected.extnumber == "1004"


async def test_thousands_of_agents_are_a_few_column_widgets(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [snapshot(floor(2000))])
    async with app.run_test(size=(200, 60)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert len(app.grid.children) == app.grid.columns == 7  # the whole width: 7 tiles a row
        assert all(isinstance(child, TileColumn) for child in app.grid.children)
        assert app.grid.virtual_size.height > 500
        await pilot.press("end")
        assert app.grid.selected.extnumber == "11999"
        assert app.grid.scroll_offset.y > 0


async def test_a_tile_that_changed_out_of_view_is_current_when_scrolled_back(
    tmp_path: Path,
) -> None:
    first = snapshot(floor(300))
    app, scripted, _client = scripted_app(tmp_path, [first])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert "RING" not in app.export_screenshot()
        await pilot.press("end")  # the first tiles scroll out of view
        await pilot.pause()
        scripted.push(with_agent(first, agent("1000", state=AgentState.RINGING, number="77")))
        app.poll_now()
        await app.next_snapshot()
        await pilot.press("home")
        await pilot.pause()
        assert "RING" in app.export_screenshot()


async def test_a_new_theme_recolours_the_tiles_headings_and_campaigns(tmp_path: Path) -> None:
    """The widgets keep their styles between frames; a change of theme must reach them."""
    app, _floor, _client = scripted_app(tmp_path, [snapshot(floor(2), [campaign()])])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        column = app.grid.query(TileColumn).first()

        def colours() -> tuple[object, ...]:
            tile = column.render_line(2)  # the first tile's second line: time, badge, number
            heading = column.render_line(0)
            pane = app.campaigns.render_line(0)
            header = app.header.parts[0].render_line(0)
            return tuple(
                segment.style for strip in (tile, heading, pane, header) for segment in strip
            )

        before = colours()
        app.theme = "high-contrast"
        await pilot.pause()
        after = colours()
        assert len(after) == len(before) and after != before
        app.theme = "default"
        await pilot.pause()
        assert colours() == before
