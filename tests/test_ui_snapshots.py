"""Pictures of the floor screen (pytest-textual-snapshot), from a seeded simulator with the
clock stopped. Update with `pytest tests/test_ui_snapshots.py --snapshot-update`, then look
at every changed SVG before keeping it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import T0, agent, campaign, scripted_app, snapshot
from textual.widgets import Input

from wallboard.commands.seeded import SeededFloor, seeded_floor
from wallboard.live.alerts import AlertRules
from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[SeededFloor]:
    with seeded_floor(tmp_path) as seeded:
        yield seeded


async def first_poll(pilot: Any) -> None:
    await pilot.app.wait_for_snapshot(timeout=10)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()  # the snapshot's alerts are raised and their toasts posted
    # The seeded campaigns are past 3%: their alerts stay in the strip, but their toasts,
    # gone in 15 s, would hide a corner of every picture (the alert has its own picture).
    pilot.app.clear_notifications()
    await pilot.pause()


def test_floor_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=first_poll)


def test_floor_160x48(snap_compare: Any, floor: SeededFloor) -> None:
    assert snap_compare(floor.app(), terminal_size=(160, 48), run_before=first_poll)


def test_floor_high_contrast_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    app = floor.app(theme="high-contrast")
    assert snap_compare(app, terminal_size=(80, 24), run_before=first_poll)


def test_one_queue_read_only_160x48(snap_compare: Any, floor: SeededFloor) -> None:
    app = floor.app(read_only=True, queues=["autocall-sales"])
    assert snap_compare(app, terminal_size=(160, 48), run_before=first_poll)


def test_check_in_dialog_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    async def open_dialog(pilot: Any) -> None:
        await first_poll(pilot)
        await pilot.press("c")
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=open_dialog)


def test_help_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    async def open_help(pilot: Any) -> None:
        await first_poll(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=open_help)


def test_stale_data_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """The last good data after a failed poll: STALE with its age, the reason in the banner,
    tiles, campaigns and figures dimmed; the grid where it was while the data was fresh."""
    fresh = snapshot(
        {
            "sales": [
                agent("1001", name="Alice", state=AgentState.TALKING, number="13800001111"),
                agent("1002", name="Bob", state=AgentState.IDLE, seconds=400),
                agent("1003", name="Chen", state=AgentState.RINGING, number="13900002222"),
            ]
        },
        [campaign(abandon_rate=0.034, dropped=7, answered=206, drop_budget=0)],
        totals=FloorTotals(
            idle=1,
            ringing=1,
            talking=1,
            calls_in_progress=2,
            answered_today=206,
            dropped_today=7,
        ),
    )
    stale = replace(fresh, stale=True, error="server unreachable")
    # The campaign's 3.4% would raise an alert, whose toast covers the dimmed campaigns
    # this picture is about: the alert has a picture of its own.
    quiet = AlertRules(abandon_amber=0.05, abandon_rate=0.05)
    app, _floor, _client = scripted_app(tmp_path, [fresh, stale], alert_rules=quiet)

    async def go_stale(pilot: Any) -> None:
        await first_poll(pilot)
        pilot.app.poll_now()
        await pilot.app.wait_for_snapshot(2)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=go_stale)


def test_no_data_yet_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """A first poll that failed (a wrong accesskey): no figure anywhere, and why."""
    never = FloorSnapshot(
        taken_at=T0,
        stale=True,
        error="login refused: check appid/accesskey in profile floor (601 appid is not authorized)",
    )
    app, _floor, _client = scripted_app(tmp_path, [never])
    assert snap_compare(app, terminal_size=(80, 24), run_before=first_poll)


def test_agent_list_160x48(snap_compare: Any, floor: SeededFloor) -> None:
    """The seeded floor as a list: one row per person, paused and idle longest first."""
    app = floor.app(view="list")
    assert snap_compare(app, terminal_size=(160, 48), run_before=first_poll)


def test_alert_raised_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """A campaign past 3%: the toast, and the strip in the banner's row, red, until `a`."""
    people = {
        "sales": [
            agent("1001", name="Alice", state=AgentState.TALKING, number="13800001111"),
            agent("1002", name="Bob", state=AgentState.IDLE, seconds=40),
            agent("1003", name="Chen", state=AgentState.PAUSED, seconds=200),
        ]
    }
    totals = FloorTotals(idle=1, talking=1, paused=1, calls_in_progress=1)
    calm = snapshot(people, [campaign(assigned_to="sales", abandon_rate=0.02)], totals=totals)
    surge = snapshot(
        people,
        [campaign(assigned_to="sales", abandon_rate=0.041, dropped=17, answered=412)],
        taken_at=T0 + 1,
        totals=replace(totals, answered_today=412, dropped_today=17),
    )
    app, _floor, _client = scripted_app(tmp_path, [calm, surge], bell=False)

    async def surge_now(pilot: Any) -> None:
        await first_poll(pilot)
        pilot.app.poll_now()
        await pilot.app.wait_for_snapshot(2)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=surge_now)
