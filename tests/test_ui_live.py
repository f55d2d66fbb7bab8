"""The dashboard against the simulator: every action changes the simulated floor, read-only
changes nothing, and a simulator that dies and comes back is survived without a key press."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select

from wallboard.api.client import WallboardClient
from wallboard.commands.dashboard import build_app
from wallboard.commands.demo import demo_server, track_demo_campaigns
from wallboard.commands.report import history_feed
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import AgentState, AgentView
from wallboard.settings import Settings
from wallboard.sim.server import Simulator, serve_in_thread
from wallboard.ui.app import WallboardApp
from wallboard.ui.dialogs import AgentDialog, CheckInDialog, ConfirmDialog

TASK_RUNNING, TASK_PAUSED, TASK_OVER = 1026, 1027, 1028


@dataclass
class Rig:
    sim: Simulator
    app: WallboardApp
    audit: Path


@contextlib.asynccontextmanager
async def rig(tmp_path: Path, *, read_only: bool = False) -> AsyncIterator[Rig]:
    with demo_server(manual_clock=True, seed=7) as (sim, url):
        registry = CampaignRegistry(tmp_path / "campaigns.json")
        track_demo_campaigns(sim, registry)
        sim.advance(120)
        now = sim.now()
        settings = Settings(read_only=read_only, theme="default", refresh=3600.0)
        audit = tmp_path / "audit.jsonl"
        history = history_feed(tmp_path / "history.sqlite3", tz=sim.tz, source=url)
        assert history is not None
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            app = build_app(
                client,
                settings,
                registry=registry,
                audit=AuditLog(audit),
                clock=lambda: now,
                history=history,
            )
            try:
                yield Rig(sim, app, audit)
            finally:
                history.close()


def members(sim: Simulator, queue: str) -> dict[str, Any]:
    with sim.lock:
        return dict(sim.floor.queues[queue].pool.members)


def pick(app: WallboardApp, want: Callable[[AgentView], bool]) -> AgentView:
    assert app.snapshot is not None
    for queue in app.snapshot.queues:
        for view in queue.agents:
            if view.crmid and want(view):
                assert app.grid.select(view.queue, view.extnumber)
                return view
    raise AssertionError("no such agent on the simulated floor")


async def settle(app: WallboardApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_check_out_and_check_in_move_the_agent(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 40)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        view = pick(app, lambda a: a.state is AgentState.IDLE)
        assert view.extnumber in members(r.sim, view.queue)
        seen = app.snapshot_count
        await pilot.press("o")
        assert isinstance(app.screen, ConfirmDialog)  # checking out is confirmed first
        await pilot.press("y")
        await settle(app, pilot)
        assert view.extnumber not in members(r.sim, view.queue)
        await app.wait_for_snapshot(seen + 1)  # the action brought the next poll forward
        assert app.grid.tile_text(view.queue, view.extnumber) is None

        other = next(a for q in app.snapshot.queues for a in q.agents if a.queue != view.queue)
        app.grid.select(other.queue, other.extnumber)
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CheckInDialog)
        dialog.query_one("#agent", Input).value = view.extnumber
        dialog.query_one("#queue", Select).value = view.queue
        await pilot.pause()
        # The agent id follows the agent: the one sent when it was checked out.
        assert dialog.query_one("#crmid", Input).value == view.crmid
        await pilot.press("enter")
        await settle(app, pilot)
        assert members(r.sim, view.queue)[view.extnumber].crmid == view.crmid
    entries = [line for line in r.audit.read_text().splitlines() if '"outcome":"done"' in line]
    assert len(entries) == 2


async def test_busy_and_idle_pause_and_release_the_agent(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 40)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        view = pick(app, lambda a: a.state is AgentState.IDLE)
        seen = app.snapshot_count
        await pilot.press("b")
        await settle(app, pilot)
        assert members(r.sim, view.queue)[view.extnumber].paused
        await app.wait_for_snapshot(seen + 1)
        assert "‖ PAUSE" in app.grid.tile_text(view.queue, view.extnumber)[1]
        await pilot.press("i")
        await settle(app, pilot)
        assert not members(r.sim, view.queue)[view.extnumber].paused


async def test_pause_resume_and_end_the_selected_campaign(tmp_path: Path) -> None:
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 40)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        taskid = app.campaigns.selected.taskid
        assert r.sim.floor.task_status(taskid) == TASK_RUNNING
        seen = app.snapshot_count
        await pilot.press("p")
        await settle(app, pilot)
        assert r.sim.floor.task_status(taskid) == TASK_PAUSED
        await app.wait_for_snapshot(seen + 1)
        assert app.campaigns.selected.status.value == "paused"
        await pilot.press("r")
        await settle(app, pilot)
        assert r.sim.floor.task_status(taskid) == TASK_RUNNING
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(app, pilot)
        assert r.sim.floor.task_status(taskid) == TASK_OVER


async def test_read_only_leaves_the_floor_alone(tmp_path: Path) -> None:
    async with rig(tmp_path, read_only=True) as r, r.app.run_test(size=(120, 40)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        view = pick(app, lambda a: a.state is AgentState.IDLE)
        taskid = app.campaigns.selected.taskid
        before = {q: set(members(r.sim, q)) for q in r.sim.floor.queues}
        await pilot.press("o", "b", "c", "p", "e")
        for action in ("check_out", "set_busy", "check_in", "pause_campaign", "end_campaign"):
            getattr(app, f"action_{action}")()
        await settle(app, pilot)
        assert not isinstance(app.screen, AgentDialog | CheckInDialog | ConfirmDialog)
        assert {q: set(members(r.sim, q)) for q in r.sim.floor.queues} == before
        assert not members(r.sim, view.queue)[view.extnumber].paused
        assert r.sim.floor.task_status(taskid) == TASK_RUNNING


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_dead_simulator_leaves_stale_data_and_recovery_needs_no_key(
    tmp_path: Path,
) -> None:
    sim = Simulator.from_scenario(seed=7, manual_clock=True)
    now = [sim.now()]
    settings = Settings(theme="default", refresh=0.2)
    port = free_port()
    server = contextlib.ExitStack()
    url = server.enter_context(serve_in_thread(sim, port=port))
    try:
        async with WallboardClient(url, sim.appid, sim.accesskey, timeout=2.0) as client:
            app = build_app(
                client, settings, audit=AuditLog(tmp_path / "a.jsonl"), clock=lambda: now[0]
            )
            async with app.run_test(size=(80, 24)) as pilot:
                good = await app.wait_for_snapshot()
                tiles = sum(len(q.agents) for q in good.queues)
                assert tiles > 0 and not good.stale

                await asyncio.to_thread(server.close)  # the simulator dies
                now[0] += 42
                snap = await app.next_snapshot()
                while not snap.stale:
                    snap = await app.next_snapshot()
                await pilot.pause()
                assert sum(len(q.agents) for q in snap.queues) == tiles
                assert app.header.figure("updated") == "STALE 42 s ago"
                assert "unreachable" in app.banner.text
                assert app.is_running

                server = contextlib.ExitStack()  # ... and comes back on the same address
                server.enter_context(serve_in_thread(sim, port=port))
                snap = await app.next_snapshot(timeout=10)
                while snap.stale or snap.error:  # the slow reads catch up too
                    snap = await app.next_snapshot(timeout=10)
                await pilot.pause()
                assert not app.banner.has_class("-shown")
                assert app.header.figure("updated").startswith("updated")
    finally:
        await asyncio.to_thread(server.close)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_demo_floor_is_on_screen_within_three_seconds(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    with demo_server(seed=7) as (sim, url):
        settings = Settings(theme="default", refresh=1.5)
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            app = build_app(client, settings, audit=AuditLog(tmp_path / "a.jsonl"))
            loop = asyncio.get_running_loop()
            began = loop.time()
            async with app.run_test(size=size):
                snap = await app.wait_for_snapshot(timeout=3)
                assert loop.time() - began < 3.0
                assert sum(len(q.agents) for q in snap.queues) >= 40
                assert app.grid.selected is not None


async def test_a_wrong_accesskey_shows_no_data_and_why_never_zeros(tmp_path: Path) -> None:
    """The live model's first poll fails at login: the screen says there is no data yet
    and why, and shows no figure (before, it read "0 idle ... abandon 0.0% STALE")."""
    with demo_server(manual_clock=True, seed=7) as (sim, url):
        settings = Settings(theme="default", refresh=3600.0)
        async with WallboardClient(url, sim.appid, "not-the-accesskey") as client:
            app = build_app(client, settings, audit=AuditLog(tmp_path / "a.jsonl"))
            async with app.run_test(size=(80, 24)) as pilot:
                snap = await app.wait_for_snapshot()
                await pilot.pause()
                assert snap.stale and not app.has_data
                assert app.banner.text.startswith("⚠ no data yet: login refused")
                assert "accesskey" in app.banner.text
                assert "not-the-accesskey" not in app.export_screenshot()
                assert app.header.figure("agents") == "no data yet"
                header = "".join(t for part in app.header.parts for t, _s in part.pieces(0))
                assert not any(ch.isdigit() for ch in header)
                screen = app.export_screenshot()
                for zero in ("0 idle", "0.0%", "STALE"):
                    assert zero not in screen


async def test_the_floors_keys_open_every_screen_and_esc_comes_back(tmp_path: Path) -> None:
    """`R`, `n`, `m` and `H` on the dashboard the composition root builds open the call
    records, a new campaign, administration and history; esc returns to the floor each
    time; a floor key pressed on another screen does nothing there."""
    from wallboard.ui.admin_menu import AdminMenu
    from wallboard.ui.campaign_screen import NewCampaignScreen
    from wallboard.ui.records_screen import RecordsScreen
    from wallboard.ui.report_screen import ReportScreen

    async with rig(tmp_path) as r, r.app.run_test(size=(120, 40)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        floor_screen = app.screen
        opened = {"R": RecordsScreen, "n": NewCampaignScreen, "m": AdminMenu, "H": ReportScreen}
        for key, screen_type in opened.items():
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, screen_type), key
            app.screen.set_focus(None)
            await pilot.press("o")  # check out: the floor's, not this screen's
            await settle(app, pilot)
            assert isinstance(app.screen, screen_type), key
            await pilot.press("escape")
            await settle(app, pilot)
            assert app.screen is floor_screen, key
    assert not r.audit.exists() or "check out" not in r.audit.read_text()


async def test_the_campaigns_show_the_rules_windows_from_the_history_store(
    tmp_path: Path,
) -> None:
    """With a history store, each campaign's line carries its 24-hour and 30-day abandon
    figures, counted over as long as the store holds (minutes here, not 30 days)."""
    async with rig(tmp_path) as r, r.app.run_test(size=(160, 48)) as pilot:
        app = r.app
        await app.wait_for_snapshot()
        await settle(app, pilot)
        assert app.snapshot is not None
        views = app.snapshot.campaigns
        assert views and all(view.counted_over_30d is not None for view in views)
        pane = app.campaigns
        text = "\n".join(pane.render_line(y).text for y in range(pane.size.height))
        assert "24 h " in text and "30 d " in text
