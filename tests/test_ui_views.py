"""The agents' two views and the wall: `v` switches between the grid and the list (the
composition root is told, to remember it), both share the filters and the selected agent
the actions use, `t` sorts the list; wall mode covers the floor with the wall screen, has
no key bar and takes no key but quit and acknowledge, silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import T0, agent, campaign, scripted_app, snapshot
from textual.command import CommandPalette
from textual.screen import ModalScreen
from textual.widgets import Footer

from wallboard.live.snapshot import AgentState, CampaignStatus, FloorSnapshot
from wallboard.ui.agent_list import SortOrder
from wallboard.ui.dialogs import ConfirmDialog
from wallboard.ui.keys import KEYS
from wallboard.ui.wall import WallScreen


def the_floor() -> FloorSnapshot:
    return snapshot(
        {
            "sales": [
                agent("1001", crmid="501", name="Zoe Park"),
                agent("1002", state=AgentState.TALKING, number="555", name="Bob Ng"),
                agent("1003", state=AgentState.PAUSED, crmid="503", name="Wen Li"),
            ],
            "support": [agent("2001", "support", crmid="601", name="Ada Cole")],
        },
        [campaign("T1", "Spring"), campaign("T2", "Autumn", CampaignStatus.PAUSED)],
    )


def audited(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def toasts(app: Any) -> list[str]:
    return [note.message for note in app._notifications]


async def settle(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


# ---------------------------------------------------------------------- grid or list


async def test_v_switches_views_and_tells_the_root(tmp_path: Path) -> None:
    told: list[str] = []
    app, _floor, _client = scripted_app(tmp_path, [the_floor()], on_view_change=told.append)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.grid.display and not app.agent_list.display and app.grid.has_focus
        await pilot.press("v")
        await pilot.pause()
        assert app.agent_list.display and not app.grid.display
        assert app.agent_list.has_focus and app.view == "list"
        assert [row.extnumber for row in app.agent_list.rows][:2] == ["1003", "1001"]
        await pilot.press("v")
        await pilot.pause()
        assert app.grid.display and app.grid.has_focus
        assert told == ["list", "grid"]


async def test_the_remembered_view_is_the_first_one_shown(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()], view="list")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.agent_list.display and not app.grid.display and app.agent_list.has_focus
        assert app.agent_list.shown == 4
    with pytest.raises(ValueError, match="no view 'table'"):
        scripted_app(tmp_path, [the_floor()], view="table")


async def test_the_views_share_the_filters_and_the_selected_agent(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.grid.select("sales", "1003")
        await pilot.press("slash", "w", "e", "n", "enter")
        await pilot.pause()
        assert app.grid.shown == 1
        await pilot.press("v")
        await pilot.pause()
        assert app.agent_list.filter_text == "wen" and app.agent_list.shown == 1
        assert app.agent_list.selected is not None
        assert app.agent_list.selected.extnumber == "1003"
        assert "1 agent shown" in str(app.filter_line.render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.agent_list.shown == 4
        await pilot.press("v")  # the grid takes the filters as they are now
        await pilot.pause()
        assert not app.grid.filter_text and app.grid.shown == 4


async def test_actions_act_on_the_agent_selected_in_the_list(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()], view="list")
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.agent_list.select("sales", "1003")
        await pilot.press("i")
        await settle(app, pilot)
        assert client.calls == [
            (
                "set_agent_status",
                {"settype": 2, "extnumber": "1003", "crmid": "503", "queuename": "sales"},
            )
        ]
        assert app.agent_list.select("support", "2001")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Ada Cole" in app.screen.question


async def test_t_sorts_the_list_by_state_then_name_then_queue(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()], view="list")
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.agent_list.order is SortOrder.STATE
        await pilot.press("t")
        await pilot.pause()
        assert app.agent_list.order is SortOrder.NAME
        assert [row.name for row in app.agent_list.rows] == [
            "Ada Cole", "Bob Ng", "Wen Li", "Zoe Park",
        ]  # fmt: skip
        await pilot.press("t")
        assert app.agent_list.order is SortOrder.QUEUE


# ---------------------------------------------------------------------- the wall


def every_key() -> list[str]:
    keys = [name.strip() for key in KEYS for name in key.keys.split(",")]
    return [key for key in keys if key not in ("q", "a")] + ["t", "ctrl+p", "enter"]


async def test_the_wall_refuses_every_key_silently_and_has_no_key_bar(tmp_path: Path) -> None:
    """Not read-only by its settings, read-only as a wall: no key does anything, and
    nothing is said or audited about it."""
    app, _floor, client = scripted_app(tmp_path, [the_floor()], wall=True, page_seconds=0)
    assert app.read_only and not app.supervisor.read_only
    async with app.run_test(size=(120, 36)) as pilot:
        snap = await app.wait_for_snapshot()
        await pilot.pause()
        assert isinstance(app.screen, WallScreen) and app.screen.snapshot is snap
        assert not app.screen.query(Footer) and not app.query(Footer)
        for key in every_key():
            await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, WallScreen)
        assert not isinstance(app.screen, ModalScreen | CommandPalette)
        assert client.calls == [] and audited(tmp_path) == [] and toasts(app) == []
        assert app.view == "grid" and not app.grid.filter_text
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_an_alert_takes_the_walls_top_line_until_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm = snapshot({"sales": [agent("1001")]}, [campaign(abandon_rate=0.01)])
    surge = snapshot(
        {"sales": [agent("1001")]},
        [campaign(abandon_rate=0.041, dropped=8)],
        taken_at=T0 + 1,
    )
    app, _floor, _client = scripted_app(tmp_path, [calm, surge], wall=True, page_seconds=0)
    async with app.run_test(size=(120, 36)) as pilot:
        rings: list[None] = []
        monkeypatch.setattr(app, "bell", lambda: rings.append(None))
        await app.wait_for_snapshot()
        app.poll_now()
        await app.wait_for_snapshot(2)
        await pilot.pause()
        wall = app.screen
        assert isinstance(wall, WallScreen)
        assert "Spring promo" in wall.top.left.text and "4.1%" in wall.top.left.text
        assert wall.top.has_class("-alert") and wall.top.has_class("-red")
        wall.flash_on = False  # the flash timer (every 0.5 s) may have turned it on already
        wall.flash()
        assert wall.top.has_class("-flash")  # flashes with the abandon rates
        assert len(rings) == 1
        await pilot.press("a")
        await pilot.pause()
        assert not wall.top.has_class("-alert") and "Spring promo" not in wall.top.left.text
        outcomes = [line["outcome"] for line in audited(tmp_path)]
        assert outcomes == ["raised", "acknowledged"]
