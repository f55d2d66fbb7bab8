"""`wallboard demo`: the simulator started right here, and the floor screen on it.

The demo's campaigns were made by the simulated CRM, so they are tracked in a scratch
registry that disappears with the demo: they must never join the user's own. The simulator
posts its task callbacks to the dashboard's receiver, as a configured vendor server would.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.dashboard import (
    build_app,
    callback_receiver,
    checked_themes,
    private_data_dir,
    serve,
)
from wallboard.commands.logfile import log_to_file
from wallboard.commands.options import Subparsers, add_dashboard_options, command_line
from wallboard.commands.screen_state import ScreenMemory
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.sim.server import Simulator

#: The demo's floor, bounded so that a typo cannot ask for a floor that never starts.
DEMO_LIMITS = {"agents": (1, 20_000), "queue_count": (1, 500), "campaigns": (0, 50)}


def add_parser(subparsers: Subparsers) -> None:
    demo = subparsers.add_parser("demo", help="start the simulator and open the dashboard on it")
    add_dashboard_options(demo, top=False)
    demo.add_argument("--agents", type=int, default=40, help="agents on the simulated floor")
    demo.add_argument("--queue-count", type=int, default=3, help="simulated queues")
    demo.add_argument("--campaigns", type=int, default=2, help="running campaigns")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the floor")
    demo.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")


def run(args: argparse.Namespace) -> int:
    """Serve the simulated floor on loopback and open the screen on it."""
    import asyncio

    from wallboard.api.client import WallboardClient
    from wallboard.commands.report import history_feed
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=False)
        problem = demo_problem(args)
        if problem:
            raise ConfigError(problem)
        themes = checked_themes(settings)
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    if not private_data_dir():
        return 2
    log_to_file()
    client: WallboardClient | None = None

    def company_code() -> str | None:
        """The company of the demo client's Login: the simulator's task callbacks carry it."""
        return client.company_code if client is not None else None

    with tempfile.TemporaryDirectory(prefix="wallboard-demo-") as scratch:
        registry = CampaignRegistry(Path(scratch) / "campaigns.json")
        with (
            # receiver.url holds the fresh secret path: the simulator posts there.
            callback_receiver(registry, ("127.0.0.1", 0), company_code=company_code) as receiver,
            demo_server(
                seed=args.seed,
                agents=args.agents,
                queues=args.queue_count,
                campaigns=args.campaigns,
                speed=args.speed,
                task_callback_url=receiver.url if receiver else None,
            ) as (sim, url),
        ):
            track_demo_campaigns(sim, registry)
            client = WallboardClient(url, sim.appid, sim.accesskey)
            # The demo's calls go to a scratch history store, never into the user's.
            history = history_feed(Path(scratch) / "history.sqlite3", tz=sim.tz, source=url)
            # The dashboard runs on this machine's clock, as it does on a real server: the
            # live model learns the simulated floor's clock from the times in its answers
            # (reqtime/rsptime), and reads "today", time in state, the campaigns' bills and
            # the wall's clock on that clock, in the floor's zone (UTC).
            app = build_app(
                client,
                settings,
                registry=registry,
                audit=AuditLog(),
                tz=sim.tz,
                themes=themes,
                memory=ScreenMemory.default(),
                history=history,
            )
            try:
                return asyncio.run(serve(app, client))
            finally:
                if history is not None:
                    history.close()


def demo_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the demo's floor options, in one line, or None."""
    for option, (low, high) in DEMO_LIMITS.items():
        value = getattr(args, option, low)
        if not low <= value <= high:
            return f"--{option.replace('_', '-')} must be from {low} to {high:,}"
    speed = getattr(args, "speed", 1.0)
    if not 0 < speed <= 1000:
        return "--speed must be above 0 and at most 1000"
    return None


def track_demo_campaigns(sim: Simulator, registry: CampaignRegistry) -> None:
    """The demo's campaigns were made by the simulated CRM, not by this dashboard: track them
    as `wallboard track` would, with the numbers they hold."""
    from wallboard.live.campaigns import STATUS_BY_CODE

    for task in sim.tasks():
        registry.track(
            task.taskid,
            name=task.name,
            assigned_to=task.assignagent,
            numbers=list(task.numbers),
            status=STATUS_BY_CODE.get(task.status),
        )


@contextlib.contextmanager
def demo_server(
    *,
    seed: int = 7,
    agents: int = 40,
    queues: int = 3,
    campaigns: int = 2,
    speed: float = 1.0,
    manual_clock: bool = False,
    start: float | None = None,
    task_callback_url: str | None = None,
) -> Iterator[tuple[Simulator, str]]:
    """The default scenario served on a free loopback port: yields (simulator, url).

    `task_callback_url` is where the simulator posts its task-finished callbacks (the
    dashboard's own receiver in the demo), as the vendor's server does when configured."""
    from wallboard.sim.callbacks import CallbackTargets
    from wallboard.sim.server import Simulator, serve_in_thread

    sim = Simulator.from_scenario(
        seed=seed,
        agents=agents,
        queues=queues,
        campaigns=campaigns,
        speed=speed,
        manual_clock=manual_clock,
        start=start,
        callbacks=CallbackTargets(task=task_callback_url) if task_callback_url else None,
    )
    try:
        with serve_in_thread(sim, host="127.0.0.1", port=0) as url:
            yield sim, url
    finally:
        sim.close()


__all__ = ["add_parser", "demo_problem", "demo_server", "run", "track_demo_campaigns"]
