"""Every cell that changes on screen lies in a region its widget refreshed.

The grid and the header refresh only the cells a change touches (Textual then writes only
those), so a region drawn too small leaves old cells on the terminal: a clock turning red
kept its trailing cell amber, and the abandon figure losing its coloured block left a digit
behind. A screenshot cannot show this (it draws everything afresh); the widgets' own lines
before and after, and the regions they asked to refresh, can."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.style import Style
from test_ui_support import T0, agent, scripted_app, snapshot
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from wallboard.live.snapshot import FloorTotals
from wallboard.ui.agent_grid import TileColumn
from wallboard.ui.agent_list import AgentList
from wallboard.ui.floor_header import HeaderLines

TOTALS = FloorTotals(
    idle=2,
    talking=1,
    calls_in_progress=1,
    answered_today=40,
    dropped_today=4,
    dropped_15m=1,
    dropped_60m=1,
)  # fmt: skip  (abandon 10%: a red block, with the recent drops after it)


class Refreshes:
    """The regions each widget of a class asked to refresh (None: the whole widget)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, kind: type[Widget]) -> None:
        self.asked: list[tuple[Widget, tuple[Region, ...]]] = []
        original = kind.refresh

        def spy(widget: Widget, *regions: Region, **options: bool) -> Widget:
            self.asked.append((widget, regions))
            return original(widget, *regions, **options)

        monkeypatch.setattr(kind, "refresh", spy)

    def covers(self, widget: Widget, x: int, y: int) -> bool:
        return any(
            who is widget and (not regions or any(r.contains(x, y) for r in regions))
            for who, regions in self.asked
        )


def cells(strip: Strip) -> list[tuple[str, Style | None]]:
    return [(char, segment.style) for segment in strip for char in segment.text]


def lines(widget: Widget) -> Iterator[tuple[int, list[tuple[str, Style | None]]]]:
    for y in range(widget.size.height):
        yield y, cells(widget.render_line(y))


def changed_cells(
    before: dict[tuple[Widget, int], list[tuple[str, Style | None]]], widgets: list[Widget]
) -> list[tuple[Widget, int, int]]:
    changed = []
    for widget in widgets:
        for y, now in lines(widget):
            old = before[(widget, y)]
            for x in range(max(len(old), len(now))):
                if (old[x] if x < len(old) else None) != (now[x] if x < len(now) else None):
                    changed.append((widget, x, y))
    return changed


@pytest.mark.parametrize("view", ["grid", "list"])
async def test_a_clock_turning_red_refreshes_every_cell_its_colour_paints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    now = [T0]
    floor = snapshot({"sales": [agent("1001", seconds=290), agent("1002", seconds=10)]})
    app, _floor, _client = scripted_app(tmp_path, [floor], clock=lambda: now[0], view=view)
    kind: type[Widget] = TileColumn if view == "grid" else AgentList
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        columns: list[Widget] = list(app.query(kind))
        before = {(column, y): line for column in columns for y, line in lines(column)}
        refreshes = Refreshes(monkeypatch, kind)
        now[0] = T0 + 20  # idle (amber from 2 min, red from 5): 4:50 -> 5:10
        app._tick()
        await pilot.pause()
        changed = changed_cells(before, columns)
        assert len(changed) >= 6  # " 5:10 " in red, where " 4:50 " was amber
        missed = [(x, y) for widget, x, y in changed if not refreshes.covers(widget, x, y)]
        assert missed == []


async def test_the_abandon_figure_losing_its_block_refreshes_the_rest_of_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    red = snapshot(totals=TOTALS)
    calm = snapshot(totals=replace(TOTALS, answered_today=400), taken_at=T0 + 1)  # 1%
    app, _floor, _client = scripted_app(tmp_path, [red, calm])
    async with app.run_test(size=(200, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.header.abandon == "-red"
        parts: list[Widget] = list(app.query(HeaderLines))
        before = {(part, y): line for part in parts for y, line in lines(part)}
        refreshes = Refreshes(monkeypatch, HeaderLines)
        app.poll_now()
        await app.wait_for_snapshot(2)
        await pilot.pause()
        assert app.header.abandon == ""
        changed = changed_cells(before, parts)
        assert changed
        missed = [(x, y) for widget, x, y in changed if not refreshes.covers(widget, x, y)]
        assert missed == []
