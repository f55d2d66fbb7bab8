"""The report screen with Pilot, over a history store in a temp dir: it switches rows and
periods with its keys, esc returns to the floor, and its picture (snap_compare)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_history_helpers import UTC, agent, bill, snapshot
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Label

from wallboard.live.history.fold import Attribution
from wallboard.live.history.report import StoreReports
from wallboard.live.history.store import HistoryStore
from wallboard.live.snapshot import AgentState
from wallboard.ui.report_screen import ReportScreen

NOW = dt.datetime(2026, 1, 6, 15, 0, tzinfo=UTC).timestamp()
TODAY = dt.datetime(2026, 1, 6, tzinfo=UTC).timestamp()
DAY = 86400.0


@pytest.fixture
def reports(tmp_path: Path) -> StoreReports:
    store = HistoryStore(tmp_path / "history.sqlite3", tz=UTC)
    attribution = Attribution(
        {"T1": [f"1555{i:04d}" for i in range(50)], "T2": [f"1666{i:04d}" for i in range(50)]},
        {"T1": "sales", "T2": "renewals"},
    )
    bills = []
    for day, count in ((TODAY - DAY, 30), (TODAY, 20)):
        for i in range(count):
            ext = "" if i % 9 == 0 else ("8001" if i % 2 else "8002")
            number = f"1555{i:04d}" if i % 3 else f"1666{i:04d}"
            bills.append(
                bill(
                    int(day) + i,
                    day + 9 * 3600 + 90 * i,
                    number=number,
                    ext=ext,
                    answer_after=4,
                    talk=45 + i,
                )
            )
    store.fold(bills, attribution, now=NOW)
    for i in range(16):
        store.observe(
            snapshot(
                TODAY + 10 * 3600 + 2 * i,
                agent("8001", AgentState.PAUSED),
                agent("8002", AgentState.IDLE),
            )
        )
    store.flush(NOW)
    names = {"8001": "Ann Lee", "8002": "Bob Stone"}
    return StoreReports(
        store,
        tz=UTC,
        clock=lambda: NOW,
        campaign_names=lambda: {"T1": "Spring promo", "T2": "Renewals"},
        agent_names=lambda ext: names.get(ext, ""),
    )


class Host(App[None]):
    """A floor stand-in that opens the report screen on start."""

    def __init__(self, reports: StoreReports) -> None:
        super().__init__()
        self.reports = reports

    def compose(self) -> ComposeResult:
        yield Label("the floor", id="floor")

    def on_mount(self) -> None:
        self.push_screen(ReportScreen(self.reports))


async def shown(pilot: Any) -> ReportScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReportScreen)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def test_keys_switch_rows_and_periods_and_esc_returns(reports: StoreReports) -> None:
    app = Host(reports)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await shown(pilot)
        assert screen.shown is not None and screen.shown.by == "campaign"
        assert screen.shown.column("campaign") == ["Renewals", "Spring promo"]
        assert sum(screen.shown.column("dialled")) == 20  # today only  # type: ignore[arg-type]
        await pilot.press("y")
        screen = await shown(pilot)
        assert sum(screen.shown.column("dialled")) == 30  # type: ignore[union-attr, arg-type]
        await pilot.press("a")
        screen = await shown(pilot)
        assert screen.shown is not None and screen.shown.by == "agent"
        assert screen.shown.column("agent") == ["Ann Lee", "Bob Stone"]
        await pilot.press("w", "d")
        screen = await shown(pilot)
        assert screen.shown is not None and len(screen.shown.rows) == 7
        table = screen.query_one(DataTable)
        assert table.row_count == 7
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReportScreen)
        assert app.screen.query_one("#floor", Label) is not None


def test_today_counts_the_windows_up_to_the_server_now(reports: StoreReports) -> None:
    today = reports.report("campaign", "today")
    assert today.end == TODAY + DAY  # the period is the whole day ...
    # ... its windows end at the server's now (15:00), not at tomorrow's midnight: held
    # since yesterday 09:00, 30 hours.
    assert today.column("counted_30d") == ["30 h", "30 h"]


async def test_an_empty_period_says_so_on_screen(reports: StoreReports) -> None:
    reports.clock = lambda: NOW + 40 * DAY
    app = Host(reports)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await shown(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        assert "nothing in the history store" in str(table.get_row_at(0)[0])


def test_the_report_screen_by_campaign_yesterday_120x24(
    snap_compare: Any, reports: StoreReports
) -> None:
    async def yesterday(pilot: Any) -> None:
        await pilot.press("y")
        await shown(pilot)

    assert snap_compare(Host(reports), terminal_size=(120, 24), run_before=yesterday)


def test_the_report_screen_by_agent_last_week_120x24(
    snap_compare: Any, reports: StoreReports
) -> None:
    async def week(pilot: Any) -> None:
        await pilot.press("w", "a")
        await shown(pilot)

    assert snap_compare(Host(reports), terminal_size=(120, 24), run_before=week)
