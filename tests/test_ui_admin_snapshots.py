"""Pictures of the administration screens (pytest-textual-snapshot) on the seeded floor of
the other snapshots, clock stopped: the queues with the first queue's settings in words, a
known group with its members, the extensions, the menu and the queue form. Update with
`pytest tests/test_ui_admin_snapshots.py --snapshot-update`, then look at every changed SVG."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input

from wallboard.commands.seeded import SeededApp, SeededFloor, seeded_floor
from wallboard.live.admin import Administrator
from wallboard.live.admin_groups import KnownGroups
from wallboard.live.audit import AuditLog
from wallboard.ui.admin_extensions import ExtensionsScreen
from wallboard.ui.admin_groups import GroupsScreen
from wallboard.ui.admin_menu import AdminMenu
from wallboard.ui.admin_queues import QueuesScreen


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[SeededFloor]:
    with seeded_floor(tmp_path) as seeded:
        yield seeded


def administrator(app: SeededApp, floor: SeededFloor) -> Administrator:
    return Administrator(
        app.client,
        AuditLog(floor.directory / "audit.jsonl", clock=lambda: floor.now, user="demo"),
        user="demo",
        registry=app.supervisor.registry,
        groups=KnownGroups(names=["team-leads"]),
    )


async def settle(pilot: Any) -> None:
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def opening(
    floor: SeededFloor,
    screen: Callable[[Administrator], Screen[Any]],
    *keys: str,
) -> Callable[[Any], Awaitable[None]]:
    """Wait for the floor's first poll, push the screen, let it read, press `keys`."""

    async def run_before(pilot: Any) -> None:
        await pilot.app.wait_for_snapshot(timeout=10)
        await settle(pilot)
        pilot.app.clear_notifications()
        pilot.app.push_screen(screen(administrator(pilot.app, floor)))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def test_queues_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, QueuesScreen)
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=run_before)


def test_queues_160x48(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, QueuesScreen)
    assert snap_compare(floor.app(), terminal_size=(160, 48), run_before=run_before)


def test_queue_edit_form_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, QueuesScreen, "e")
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=run_before)


def test_groups_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, GroupsScreen)
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=run_before)


def test_extensions_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, ExtensionsScreen)
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=run_before)


def test_admin_menu_80x24(snap_compare: Any, floor: SeededFloor) -> None:
    run_before = opening(floor, AdminMenu)
    assert snap_compare(floor.app(), terminal_size=(80, 24), run_before=run_before)
