"""A seeded demo floor with a stopped clock: the same screen every time, for the screenshots
of the README and the snapshot tests (a composition of its own: simulator, client, live
model, supervisor and screen).

The simulator runs on a manual clock, warmed up for a few simulated minutes so that calls,
pauses and bills exist; the dashboard's clock is pinned to the simulator's, and "today" is
taken in UTC, so that neither the hour nor the time zone of the machine shows in a picture.
`SeededFloor.app(wall=True)` is `wallboard demo --wall` (read-only, as there), and
`view="list"` starts on the agent list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.theme import Theme

from wallboard.api.client import WallboardClient
from wallboard.commands.dashboard import shipped_themes
from wallboard.commands.demo import demo_server, track_demo_campaigns
from wallboard.commands.screen_state import DEFAULT_VIEW
from wallboard.live.actions import Supervisor
from wallboard.live.alerts import AlertRules
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.sim.server import Simulator
from wallboard.ui.app import WallboardApp
from wallboard.ui.thresholds import Thresholds


class SeededApp(WallboardApp):
    """The dashboard that also closes its client when it stops (it is the only user)."""

    def __init__(
        self,
        client: WallboardClient,
        floor: LiveFloor,
        supervisor: Supervisor,
        *,
        theme: str,
        clock: Callable[[], float],
        queues: Sequence[str] | None,
        thresholds: Thresholds | None,
        read_only: bool,
        themes: Mapping[str, Theme],
        wall: bool = False,
        page_seconds: float = 15.0,
        tz: dt.tzinfo | None = None,
        alert_rules: AlertRules | None = None,
        bell: bool = True,
        view: str = DEFAULT_VIEW,
    ) -> None:
        super().__init__(
            floor,
            supervisor,
            theme=theme,
            clock=clock,
            queues=queues,
            thresholds=thresholds,
            read_only=read_only,
            themes=themes,
            wall=wall,
            page_seconds=page_seconds,
            tz=tz,
            alert_rules=alert_rules,
            bell=bell,
            view=view,
        )
        self.client = client

    async def on_unmount(self) -> None:
        await self.client.aclose()


@dataclass
class SeededFloor:
    sim: Simulator
    url: str
    now: float
    directory: Path

    def app(
        self,
        *,
        theme: str = "default",
        read_only: bool = False,
        queues: Sequence[str] | None = None,
        thresholds: Thresholds | None = None,
        wall: bool = False,
        view: str = DEFAULT_VIEW,
        alert_rules: AlertRules | None = None,
        bell: bool = True,
    ) -> SeededApp:
        """A new dashboard on this floor (each app gets its own client). `wall` is read-only
        throughout, as `--wall` makes it; nothing is remembered between apps."""
        read_only = read_only or wall
        client = WallboardClient(self.url, self.sim.appid, self.sim.accesskey)
        registry = CampaignRegistry(self.directory / "campaigns.json")
        floor = LiveFloor(
            client,
            queues=queues,
            registry=registry,
            clock=lambda: self.now,
            server_clock=self.sim.now,  # stopped: the same second whatever the host's load
            fast_interval=3600.0,
            read_only=read_only,
            tz=dt.UTC,
        )
        supervisor = Supervisor(
            client,
            AuditLog(self.directory / "audit.jsonl", clock=lambda: self.now, user="demo"),
            read_only=read_only,
            user="demo",
            registry=registry,
        )
        return SeededApp(
            client,
            floor,
            supervisor,
            theme=theme,
            clock=lambda: self.now + 1,
            queues=queues,
            thresholds=thresholds,
            read_only=read_only,
            themes=shipped_themes(),  # a user's theme files must not change a picture
            wall=wall,
            tz=dt.UTC,  # the clock on the wall too: no machine zone in a picture
            alert_rules=alert_rules,
            bell=bell,
            view=view,
        )


@contextlib.contextmanager
def seeded_floor(
    directory: Path,
    *,
    seed: int = 7,
    agents: int = 40,
    queues: int = 3,
    campaigns: int = 2,
    warm_up: float = 300.0,
) -> Iterator[SeededFloor]:
    """The default scenario on loopback, `warm_up` simulated seconds in, clock stopped."""
    with demo_server(
        seed=seed, agents=agents, queues=queues, campaigns=campaigns, manual_clock=True
    ) as (sim, url):
        track_demo_campaigns(sim, CampaignRegistry(directory / "campaigns.json"))
        sim.advance(warm_up)
        yield SeededFloor(sim, url, sim.now(), directory)


__all__ = ["SeededApp", "SeededFloor", "seeded_floor"]
