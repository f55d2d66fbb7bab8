"""Issue 11's "Done when", proved against the simulator over loopback HTTP, the dashboard
built by the composition root (`build_app`) and driven with Pilot; the simulated clock is
advanced by hand, nothing sleeps:

- the surge scenario raises the campaign abandon alert, which stays on screen poll after
  poll until `a` acknowledges it, and both the raise and the acknowledgement are in the
  audit log;
- names from the agents file appear on the tiles, the list's rows, the toast after an
  action, and its audit line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from wallboard.api.client import WallboardClient
from wallboard.commands.dashboard import build_app
from wallboard.commands.demo import track_demo_campaigns
from wallboard.live.alerts import AlertLevel, AlertRule
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import AgentState, AgentView
from wallboard.settings import Settings
from wallboard.sim.server import Simulator, serve_in_thread
from wallboard.ui.app import WallboardApp

#: Simulated seconds between two polls: the dashboard polls when told, on the test's beat.
STEP = 30.0


def audited(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@asynccontextmanager
async def dashboard(
    sim: Simulator, tmp_path: Path, settings: Settings
) -> AsyncIterator[WallboardApp]:
    """The dashboard as `wallboard` builds it, on the simulator served on loopback, its
    campaigns tracked, its clock the simulator's, its audit log in `tmp_path`."""
    registry = CampaignRegistry(tmp_path / "campaigns.json")
    track_demo_campaigns(sim, registry)
    with serve_in_thread(sim, host="127.0.0.1", port=0) as url:
        async with WallboardClient(url, sim.appid, sim.accesskey, timeout=5.0) as client:
            yield build_app(
                client,
                settings,
                registry=registry,
                audit=AuditLog(tmp_path / "audit.jsonl"),
                clock=sim.now,
                tz=sim.tz,
            )


async def later(app: WallboardApp, sim: Simulator, pilot: Any, seconds: float = STEP) -> None:
    """The floor moves on `seconds` of simulated time, and the dashboard polls it once."""
    await asyncio.to_thread(sim.advance, seconds)
    app.poll_now()
    await app.next_snapshot(timeout=10)
    await app.workers.wait_for_complete()
    await pilot.pause()


def abandon_alerts(app: WallboardApp) -> list[str]:
    return [a.text for a in app.alerts.shown if a.rule is AlertRule.ABANDON]


async def test_the_surge_raises_the_abandon_alert_which_stays_until_acknowledged(
    tmp_path: Path, make_simulator: Callable[..., Simulator]
) -> None:
    sim = make_simulator(scenario="surge", seed=7)
    settings = Settings(theme="default", refresh=3600.0)  # polls only when the test says
    async with dashboard(sim, tmp_path, settings) as app, app.run_test(size=(120, 36)) as pilot:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        await app.wait_for_snapshot(timeout=10)
        await pilot.pause()
        assert abandon_alerts(app) == []  # a calm start: nothing answered is dropped yet

        for _ in range(10):  # the fresh list's customers answer; the dialler drops them
            await later(app, sim, pilot)
            if abandon_alerts(app):
                break
        raised = [a for a in app.alerts.shown if a.rule is AlertRule.ABANDON]
        assert len(raised) == 1 and raised[0].level is AlertLevel.RED
        surge = raised[0]
        assert "Winter renewals" in surge.text and "past the 3.0% limit" in surge.text
        assert bells and app.alerts_strip.has_class("-shown")
        assert any("Winter renewals" in str(n.message) for n in app._notifications)

        for _ in range(6):  # three simulated minutes: nobody has said "seen"
            await later(app, sim, pilot)
            assert [a.key for a in app.alerts.shown if a.rule is surge.rule] == [surge.key]
            assert app.alerts_strip.has_class("-shown")

        await pilot.press("a")
        await pilot.pause()
        assert abandon_alerts(app) == []
        await later(app, sim, pilot)  # still over 3%: acknowledged, it does not return
        assert abandon_alerts(app) == []

    lines = [line for line in audited(tmp_path / "audit.jsonl") if line["target"] == surge.key]
    assert [line["outcome"] for line in lines][:1] == ["raised"]
    assert "acknowledged" in [line["outcome"] for line in lines]
    for line in lines:
        assert line["action"] == "alert" and line["user"]  # who saw it
        assert "Winter renewals" in line["message"]
    assert lines[0]["level"] == "red" and lines[0]["rule"] == "abandon"


FIRST = ("Li", "Ana", "Tomas", "Priya", "Kofi", "Mei", "Jonas", "Sofia")
LAST = ("Wei", "Costa", "Nowak", "Raman", "Mensah")


def fake_names(extnumbers: list[str]) -> dict[str, str]:
    """A made-up name for each extension: two words, 12 cells at most."""
    return {
        ext: f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}{i // 40 or ''}"
        for i, ext in enumerate(sorted(extnumbers))
    }


def extensions(sim: Simulator) -> list[str]:
    with sim.lock:
        return sorted({ext for q in sim.floor.queues.values() for ext in q.pool.members})


def pick(app: WallboardApp, want: Callable[[AgentView], bool]) -> AgentView:
    assert app.snapshot is not None
    for queue in app.snapshot.queues:
        for agent in queue.agents:
            if want(agent):
                return agent
    pytest.fail("no such agent on the floor")


async def test_names_from_the_agents_file_reach_tiles_rows_toasts_and_the_audit_log(
    tmp_path: Path, make_simulator: Callable[..., Simulator]
) -> None:
    sim = make_simulator(seed=7)
    sim.advance(120)
    names = fake_names(extensions(sim))
    agents_file = tmp_path / "agents.csv"
    agents_file.write_text(
        "extnumber,name,team\n" + "".join(f"{ext},{name},floor\n" for ext, name in names.items())
    )
    settings = Settings(
        theme="default", refresh=3600.0, agents_file=agents_file, agents_file_named=True
    )
    # Tiles of 29 cells at 120 columns: the names are whole.
    async with dashboard(sim, tmp_path, settings) as app, app.run_test(size=(120, 36)) as pilot:
        await app.wait_for_snapshot(timeout=10)
        await pilot.pause()
        idle = pick(app, lambda a: a.state is AgentState.IDLE and bool(a.crmid))
        name = names[idle.extnumber]
        assert idle.name == name

        tile = app.grid.tile_text(idle.queue, idle.extnumber)
        assert tile is not None and name in tile[0]

        assert app.grid.select(idle.queue, idle.extnumber)
        await pilot.press("b")  # set busy: no dialog, the agent has an id on the server
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert any(f"{name} ({idle.extnumber})" in text for text in said), said

        await pilot.press("v")  # the list: one row per agent, the name first
        await pilot.pause()
        await pilot.pause()
        row = app.agent_list.row_text(idle.extnumber)
        assert row is not None and name in row

    busy = [line for line in audited(tmp_path / "audit.jsonl") if line["action"] == "set busy"]
    assert len(busy) == 1 and busy[0]["outcome"] == "done"
    assert f"{name} ({idle.extnumber})" in busy[0]["message"]
    assert busy[0]["name"] == name
