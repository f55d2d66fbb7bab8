"""`wallboard` and `wallboard demo`: put the client, the live model, the supervisor and the
screen together, on a real server (a profile) or on the simulator started right here.

Everything that can be wrong before the screen opens (a profile, a theme, the thresholds,
the demo's numbers) is said in one line on stderr with exit code 2, never a traceback.
Once the screen is open, failures are the screen's business: stale data and a banner.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wallboard.config import ConfigError, config_path, load_profile
from wallboard.ui.themes import DEFAULT_THEME, ThemeError, load_themes
from wallboard.ui.thresholds import Thresholds, load_thresholds

DEMO_LIMITS = {"agents": (1, 20_000), "queue_count": (1, 500), "campaigns": (0, 50)}


@dataclass(frozen=True, slots=True)
class Settings:
    """The dashboard options of the command line, checked."""

    queues: tuple[str, ...] | None
    read_only: bool
    theme: str
    refresh: float
    thresholds: Thresholds


def settings_from(args: argparse.Namespace) -> Settings:
    """Check the shared options; raises ConfigError or ThemeError with a one-line message."""
    queues = getattr(args, "queues", None)
    refresh = getattr(args, "refresh", None)
    if refresh is not None and not 0.2 <= refresh <= 3600:
        raise ConfigError("--refresh must be from 0.2 to 3600 seconds")
    theme = getattr(args, "theme", None) or DEFAULT_THEME
    _check_theme(theme)
    config = getattr(args, "config", None)
    path = Path(config).expanduser() if config else config_path()
    return Settings(
        queues=tuple(queues) if queues else None,
        read_only=bool(getattr(args, "read_only", False)),
        theme=theme,
        refresh=float(refresh) if refresh is not None else 1.5,
        thresholds=load_thresholds(path),
    )


def _check_theme(name: str) -> None:
    from textual.theme import BUILTIN_THEMES

    themes = load_themes()
    if name not in themes and name not in BUILTIN_THEMES:
        known = ", ".join(sorted(themes)) or "none found"
        raise ThemeError(f"--theme: no theme {name!r} (themes: {known}; or a Textual theme)")


def build_app(
    client: Any,
    settings: Settings,
    *,
    registry: Any = None,
    audit: Any = None,
    clock: Callable[[], float] = time.time,
    profile: str | None = None,
    slow_interval: float = 30.0,
    tz: dt.tzinfo | None = None,
) -> Any:
    """The app on a client: LiveFloor and Supervisor wired as the contracts say."""
    from wallboard.live.actions import Supervisor
    from wallboard.live.audit import AuditLog
    from wallboard.live.model import LiveFloor
    from wallboard.ui.app import WallboardApp

    floor = LiveFloor(
        client,
        queues=settings.queues,
        registry=registry,
        clock=clock,
        fast_interval=settings.refresh,
        slow_interval=slow_interval,
        read_only=settings.read_only,
        profile=profile,
        tz=tz,
    )
    supervisor = Supervisor(
        client,
        audit if audit is not None else AuditLog(),
        read_only=settings.read_only,
        registry=registry,
        profile=profile,
    )
    return WallboardApp(
        floor,
        supervisor,
        theme=settings.theme,
        clock=clock,
        queues=settings.queues,
        thresholds=settings.thresholds,
        read_only=settings.read_only,
    )


def track_demo_campaigns(sim: Any, registry: Any) -> None:
    """The demo's campaigns were made by the simulated CRM, not by this dashboard: track them
    as `wallboard track` would, with the numbers they hold."""
    from wallboard.live.campaigns import STATUS_BY_CODE

    with sim.lock:
        tasks = [
            (task.taskid, task.name, task.assignagent, list(task.numbers), task.status)
            for task in sim.floor.tasks.values()
        ]
    for taskid, name, assigned, numbers, code in tasks:
        registry.track(
            taskid,
            name=name,
            assigned_to=assigned,
            numbers=numbers,
            status=STATUS_BY_CODE.get(code),
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
) -> Iterator[tuple[Any, str]]:
    """The default scenario served on a free loopback port: yields (simulator, url).

    `task_callback_url` is where the simulator posts its task-finished callbacks (the
    dashboard's own receiver in the demo), as the vendor's server does when configured."""
    from wallboard.sim.callbacks import CallbackTargets
    from wallboard.sim.server import Simulator, serve_in_thread

    options: dict[str, Any] = {} if start is None else {"start": start}
    if task_callback_url:
        options["callbacks"] = CallbackTargets(task=task_callback_url)
    sim = Simulator.from_scenario(
        seed=seed,
        agents=agents,
        queues=queues,
        campaigns=campaigns,
        speed=speed,
        manual_clock=manual_clock,
        **options,
    )
    try:
        with serve_in_thread(sim, host="127.0.0.1", port=0) as url:
            yield sim, url
    finally:
        sim.close()


def _demo_problem(args: argparse.Namespace) -> str | None:
    for option, (low, high) in DEMO_LIMITS.items():
        value = getattr(args, option, low)
        if not low <= value <= high:
            return f"--{option.replace('_', '-')} must be from {low} to {high:,}"
    speed = getattr(args, "speed", 1.0)
    if not 0 < speed <= 1000:
        return "--speed must be above 0 and at most 1000"
    return None


def _log_to_file() -> None:
    """Warnings (retries, failed polls) go to `wallboard.log` in the data dir: on the
    terminal they would scribble over the screen, and lost they would help nobody."""
    import logging
    import os

    from wallboard.config import data_dir

    try:
        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "wallboard.log"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


async def _serve(app: Any, client: Any) -> int:
    async with client:
        await app.run_async()
    return app.return_code or 0


def run_dashboard(args: argparse.Namespace, demo: bool) -> int:
    """Open the floor screen; returns the exit code."""
    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry

    try:
        settings = settings_from(args)
        problem = _demo_problem(args) if demo else None
        if problem:
            raise ConfigError(problem)
        profile = None
        if not demo:
            config = getattr(args, "config", None)
            profile = load_profile(
                getattr(args, "profile", None), Path(config).expanduser() if config else None
            )
    except (ConfigError, ThemeError) as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    _log_to_file()

    if not demo:
        assert profile is not None
        registry = CampaignRegistry.default()
        try:
            client = WallboardClient(profile.url, profile.appid, profile.accesskey)
        except ValueError as exc:  # e.g. a url that is not http(s)
            where = profile.source or "the profile"
            print(f"wallboard: {where}: url: {exc}", file=sys.stderr)
            return 2
        app = build_app(
            client, settings, registry=registry, profile=profile.name or None, tz=profile.tz
        )
        try:
            receiver = _receiver(registry, profile.callback_listen)
        except OSError as exc:
            print(f"wallboard: callback_listen: cannot listen ({exc})", file=sys.stderr)
            return 2
        with receiver:
            return asyncio.run(_serve(app, client))

    with tempfile.TemporaryDirectory(prefix="wallboard-demo-") as scratch:
        # The demo's campaigns live in a scratch registry: they must not join the real one.
        registry = CampaignRegistry(Path(scratch) / "campaigns.json")
        with (
            _receiver(registry, ("127.0.0.1", 0)) as receiver,
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
            # The simulated floor keeps its own clock and writes bill times in UTC: "today",
            # time in state and the campaigns' bills are read on that clock.
            app = build_app(
                client, settings, registry=registry, audit=AuditLog(), clock=sim.now, tz=dt.UTC
            )
            return asyncio.run(_serve(app, client))


def _receiver(registry: Any, listen: tuple[str, int] | None) -> Any:
    """The task-callback receiver on `listen`, or a do-nothing context when none is set."""
    if listen is None:
        return contextlib.nullcontext()
    from wallboard.live.receiver import serve_receiver

    return serve_receiver(registry, *listen)


__all__ = ["Settings", "build_app", "demo_server", "run_dashboard", "settings_from"]
