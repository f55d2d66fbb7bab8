"""The demo's dashboard runs on this machine's clock, as it would on a real server, and
learns the simulated floor's clock from its answers: against a simulator two days and seven
hours away from this machine, ages, times in state and the wall's clock are still right."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from wallboard.api.client import WallboardClient
from wallboard.commands.dashboard import build_app
from wallboard.commands.demo import demo_server, track_demo_campaigns
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.settings import Settings
from wallboard.ui.wall import WallScreen

AWAY = -(2 * 86400 + 7 * 3600)  # the server's clock behind this machine's


def seconds_of(shown: str) -> int:
    """A tile's time in state back in seconds ("≥" and padding dropped), at least."""
    text = shown.strip().lstrip("≥")
    if "h" in text:
        hours, _, minutes = text.partition("h")
        return int(hours) * 3600 + int(minutes.rstrip("+") or 0) * 60
    if text.endswith("m"):
        return int(text[:-1]) * 60
    minutes, _, seconds = text.partition(":")
    return int(minutes) * 60 + int(seconds)


async def test_the_demo_floor_on_a_distant_clock_reads_fresh(tmp_path: Path) -> None:
    start = float(int(time.time())) + AWAY
    with demo_server(seed=7, agents=20, start=start) as (sim, url):
        registry = CampaignRegistry(tmp_path / "campaigns.json")
        track_demo_campaigns(sim, registry)
        for wall in (False, True):
            settings = Settings(theme="default", refresh=1.0, wall_mode=wall)
            async with WallboardClient(url, sim.appid, sim.accesskey) as client:
                app = build_app(
                    client, settings, registry=registry, audit=AuditLog(), tz=sim.tz
                )  # this machine's clock: no clock given
                async with app.run_test(size=(120, 40)) as pilot:
                    snapshot = await app.wait_for_snapshot(timeout=20)
                    await pilot.pause()
                    assert not snapshot.stale
                    assert abs(snapshot.clock_offset - AWAY) < 60
                    server_day = dt.datetime.fromtimestamp(sim.now(), dt.UTC).date()
                    host_day = dt.datetime.fromtimestamp(time.time(), dt.UTC).date()
                    assert server_day != host_day
                    if not wall:
                        assert app.header.figure("updated") == "updated just now"
                        assert app.banner.text == ""
                        times = [
                            app.grid.tile_text(agent.queue, agent.extnumber)
                            for queue in snapshot.queues
                            for agent in queue.agents
                        ]
                        shown = [seconds_of(tile[1][:5]) for tile in times if tile is not None]
                        assert shown and max(shown) < 3600  # not days of an offset
                        continue
                    screen = app.screen
                    assert isinstance(screen, WallScreen)
                    assert screen.clock_block is not None and not screen.stale
                    clock = screen.clock_block.value or ""
                    expected = {
                        dt.datetime.fromtimestamp(sim.now() + d, sim.tz).strftime("%H:%M")
                        for d in (-60, 0, 60)
                    }
                    assert clock in expected
