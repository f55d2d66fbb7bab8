"""The call records screen, pushed on the dashboard of a seeded simulator (its clock stopped):
a page of records, pages on demand, filters, summaries, call-backs, a recording's link
copied and downloaded, esc back to the floor; and its picture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label, Select

from wallboard.api.client import WallboardClient
from wallboard.commands.seeded import SeededApp, SeededFloor, seeded_floor
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.records import CallRecords
from wallboard.live.records_browser import RecordsBrowser
from wallboard.live.records_export import SUMMARY_HEADER
from wallboard.ui.records_screen import RecordingDialog, RecordsScreen

DAY = "2026-01-05"


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededFloor]:
    """The seeded floor an hour in: some hundreds of calls of the server's day."""
    with seeded_floor(tmp_path_factory.mktemp("records"), warm_up=3600.0) as seeded:
        yield seeded


def records_screen(app: SeededApp, floor: SeededFloor, page_size: int = 100) -> RecordsScreen:
    registry = CampaignRegistry(floor.directory / "campaigns.json")
    records = CallRecords(app.client, tz=dt.UTC, campaigns=registry.tasks)
    return RecordsScreen(RecordsBrowser(records), page_size=page_size)


async def opened(pilot: Any, screen: RecordsScreen) -> None:
    await pilot.app.wait_for_snapshot(timeout=10)
    await pilot.app.workers.wait_for_complete()
    pilot.app.clear_notifications()
    await pilot.app.push_screen(screen)
    await settle(pilot)


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def quiet(pilot: Any) -> None:
    """No toast in the picture: the floor under the screen raises its alerts when its first
    poll is drawn, which may be after `opened` cleared the toasts (a toast is a message the
    app takes in later)."""
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def status(screen: RecordsScreen) -> str:
    return str(screen.query_one("#records-status", Label).render())


def column(screen: RecordsScreen, index: int) -> list[str]:
    table: DataTable[str] = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def server_total(floor: SeededFloor) -> int:
    async with WallboardClient(floor.url, floor.sim.appid, floor.sim.accesskey) as client:
        page = await client.bills(f"{DAY} 00:00:00", f"{DAY} 23:59:59", itemsperpage=1)
    return page.totalitems


async def test_pages_on_demand_and_back_to_the_floor(floor: SeededFloor) -> None:
    app = floor.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = records_screen(app, floor, page_size=20)
        await opened(pilot, screen)
        total = await server_total(floor)
        assert total > 40
        pages = -(-total // 20)
        assert f"page 1 of {pages} · {total:,} records" in status(screen)
        first = column(screen, 0)
        assert len(first) == 20
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert f"page 2 of {pages}" in status(screen)
        assert not set(column(screen, 0)) & set(first)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert column(screen, 0) == first
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen and not isinstance(app.screen, RecordsScreen)


async def test_filters_summaries_and_call_backs(floor: SeededFloor) -> None:
    app = floor.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = records_screen(app, floor)
        await opened(pilot, screen)
        screen.query_one("#outcome", Select).value = "dropped"
        await settle(pilot)
        outcomes = set(column(screen, 4))
        assert outcomes == {"dropped"}

        await pilot.press("a")
        await settle(pilot)
        table: DataTable[str] = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == list(SUMMARY_HEADER)
        assert column(screen, 0)[-1] == "all calls"
        assert "by agent" in status(screen)

        await pilot.press("c")
        await settle(pilot)
        assert "by campaign" in status(screen) and column(screen, 0)[-1] == "all calls"

        await pilot.press("b")
        await settle(pilot)
        assert "numbers to call back" in status(screen)
        times = column(screen, 1)
        assert times == sorted(times, reverse=True) and len(times) == len(set(column(screen, 0)))

        await pilot.press("r")
        await settle(pilot)
        assert "page 1 of" in status(screen)


async def test_columns_fit_their_cells_without_waiting_for_the_tables_idle_time(
    floor: SeededFloor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table measures its own columns only when it is next idle, and lines it drew
    before stay cached at the old widths: a summary drawn in between showed every column
    as narrow as its label ("901" for 90170022), about one run in six. The screen gives
    each column its width itself."""
    app = floor.app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = records_screen(app, floor)
        await opened(pilot, screen)

        async def never_idle(_table: DataTable[str], _event: object) -> None:
            """The worst case: a frame drawn before every idle time."""

        monkeypatch.setattr(DataTable, "_on_idle", never_idle)
        await pilot.press("a")
        await settle(pilot)
        assert "· by agent ·" in status(screen)
        table: DataTable[str] = screen.query_one(DataTable)
        top = column(screen, 0)[0]
        assert len(top) >= 8 and top in table.render_line(1).text
        assert SUMMARY_HEADER[-1] in table.render_line(0).text


async def test_a_bad_range_is_said_on_the_status_line(floor: SeededFloor) -> None:
    app = floor.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = records_screen(app, floor)
        await opened(pilot, screen)
        field = screen.query_one("#from", Input)
        field.value = "soon"
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "'soon' is not a time" in status(screen)


async def test_a_recording_copied_and_downloaded(
    floor: SeededFloor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = floor.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = records_screen(app, floor)
        await opened(pilot, screen)
        screen.query_one("#outcome", Select).value = "answered"
        await settle(pilot)
        table: DataTable[str] = screen.query_one(DataTable)
        row = next(i for i, key in enumerate(table.rows) if screen.shown[str(key.value)].recording)
        table.move_cursor(row=row)
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        for _ in range(20):
            if isinstance(app.screen, RecordingDialog):
                break
            await pilot.pause(0.05)
        dialog = app.screen
        assert isinstance(dialog, RecordingDialog)
        assert dialog.link.url.startswith(floor.url) and dialog.link.expires.startswith(DAY)
        await pilot.press("y")
        assert app.clipboard == dialog.link.url
        path = dialog.query_one("#path", Input)
        path.value = "saved.wav"
        path.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert (tmp_path / "saved.wav").read_bytes()[:4] == b"RIFF"


def test_records_screen_100x30(snap_compare: Any, floor: SeededFloor) -> None:
    app = floor.app()

    async def open_records(pilot: Any) -> None:
        await opened(pilot, records_screen(app, floor))
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await quiet(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=open_records)


def test_records_by_agent_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    app = floor.app()

    async def by_agent(pilot: Any) -> None:
        await opened(pilot, records_screen(app, floor))
        await pilot.press("a")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await quiet(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=by_agent)
