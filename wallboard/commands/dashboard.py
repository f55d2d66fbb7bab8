"""`wallboard` (or `wallboard dashboard`): the floor screen on a real server, a profile's.

Everything that can be wrong before the screen opens (the config file, the profile, the
theme, the thresholds) is said in one line on stderr with exit code 2, never a traceback.
Once the screen is open, failures are the screen's business: stale data and a banner.
The wiring itself (`build_app`) is shared with the demo, the screenshots and the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from wallboard.commands.logfile import log_to_file
from wallboard.commands.names import agent_names
from wallboard.commands.options import (
    Subparsers,
    add_dashboard_options,
    add_profile_options,
    command_line,
)
from wallboard.commands.screen_state import DEFAULT_VIEW, ScreenMemory
from wallboard.config import ConfigError, ThemeError, data_dir, ensure_private_dir

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from redis.asyncio import Redis
    from textual.theme import Theme

    from wallboard.api.client import WallboardClient
    from wallboard.live.actions import FloorClient, Supervisor
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.model import LiveFloor
    from wallboard.live.receiver import OnEvent, RunningReceiver
    from wallboard.live.shared.keys import FloorKeys
    from wallboard.settings import Network, Settings
    from wallboard.ui.app import Floor, WallboardApp
    from wallboard.ui.desk import Desk


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "dashboard", help="open the floor screen on a profile's server (the default command)"
    )
    add_profile_options(parser, top=False)
    add_dashboard_options(parser, top=False)


def run(args: argparse.Namespace) -> int:
    """Open the floor screen on the profile's server (or, with `--redis`, on the floor its
    collector publishes there); returns the exit code."""
    if getattr(args, "redis", None):
        return run_viewer(args, str(args.redis))
    from wallboard.commands.profile import profile_client, profile_receiver
    from wallboard.commands.report import open_history
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=True)
        themes = checked_themes(settings)
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    profile = settings.profile
    assert profile is not None  # need_profile
    if not private_data_dir():
        return 2
    log_to_file()
    registry = CampaignRegistry.default()
    try:
        client = profile_client(profile)
        receiver = profile_receiver(registry, profile, client)
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    history = open_history(settings)
    app = build_app(
        client,
        settings,
        registry=registry,
        profile=profile.name or None,
        tz=profile.tz,
        themes=themes,
        memory=ScreenMemory.default(),
        history=history,
    )
    try:
        with receiver:
            return asyncio.run(serve(app, client))
    finally:
        if history is not None:
            history.close()


def private_data_dir() -> bool:
    """Make the data dir (audit log, campaigns, log, callback secret) its owner's alone
    before anything writes to it; False, with one line on stderr, when it cannot be made."""
    try:
        ensure_private_dir(data_dir())
    except OSError as exc:
        print(f"wallboard: data dir {data_dir()}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def checked_themes(settings: Settings) -> Mapping[str, Theme]:
    """The themes of the theme files; ThemeError when the chosen theme is not among them
    (nor one of Textual's own)."""
    from textual.theme import BUILTIN_THEMES

    from wallboard.settings import read_theme_files
    from wallboard.ui.themes import themes_from

    themes = themes_from(read_theme_files())
    if settings.theme not in themes and settings.theme not in BUILTIN_THEMES:
        known = ", ".join(sorted(themes)) or "none found"
        origin = settings.origins.get("theme", "theme")
        raise ThemeError(
            f"{origin}: no theme {settings.theme!r} (themes: {known}; or a Textual theme)"
        )
    return themes


def shipped_themes() -> Mapping[str, Theme]:
    """The themes that come with wallboard, without the user's: the same screen anywhere."""
    from wallboard.config import shipped_theme_dir
    from wallboard.settings import read_theme_files
    from wallboard.ui.themes import themes_from

    return themes_from(read_theme_files([shipped_theme_dir()]))


def run_viewer(args: argparse.Namespace, url: str) -> int:
    """`wallboard --redis URL`: the floor screen on the floor a collector (`wallboard
    collect`) publishes to Redis. It needs no server profile and polls nothing; its actions
    go to the collector. The floor is the profile's of `--profile` (or WALLBOARD_PROFILE),
    the same name the collector was given."""
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=False)
        themes = checked_themes(settings)
        keys = shared_floor_keys(settings, args)
        redis = redis_client(url)
    except (ConfigError, ValueError) as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    if not private_data_dir():
        return 2
    log_to_file()
    app = viewer_app(redis, keys, settings, themes=themes, memory=ScreenMemory.default())
    return asyncio.run(serve_viewer(app, redis))


def shared_floor_keys(settings: Settings, args: argparse.Namespace) -> FloorKeys:
    """The Redis keys of the floor this run collects or views: under `[redis] prefix`, the
    profile named by `--profile` or WALLBOARD_PROFILE ("default" when none is named, even
    if the config file picks a default profile: viewers have no profile to pick from)."""
    import os

    from wallboard.live.shared.keys import DEFAULT_PROFILE, FloorKeys
    from wallboard.settings import ENV_PROFILE

    name = (getattr(args, "profile", None) or os.environ.get(ENV_PROFILE, "")).strip()
    return FloorKeys(settings.redis.prefix, name or DEFAULT_PROFILE)


def redis_client(url: str) -> Redis:
    """A Redis client for `url` (redis://, rediss://, unix://); ValueError for another. It
    connects on first use, so a Redis that is down shows on the screen, not here."""
    from redis.asyncio import Redis

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("--redis must be a Redis URL, e.g. redis://127.0.0.1:6379/0")
    return Redis.from_url(url, socket_connect_timeout=3.0, health_check_interval=10)


def viewer_app(
    redis: Redis,
    keys: FloorKeys,
    settings: Settings,
    *,
    audit: AuditLog | None = None,
    clock: Callable[[], float] = time.time,
    themes: Mapping[str, Theme] | None = None,
    memory: ScreenMemory | None = None,
    who: str | None = None,
) -> WallboardApp:
    """The app on a shared floor: the same screen, fed by `SharedFloor`, acting through
    the collector (`SharedFloorClient`); `who` names this viewer in the collector's audit
    log (None: user@host)."""
    from wallboard.live.shared.requests import SharedFloorClient
    from wallboard.live.shared.viewer import SharedFloor

    read_only = settings.read_only or settings.wall_mode
    floor = SharedFloor(redis, keys, clock=clock, read_only=read_only)
    client = SharedFloorClient(redis, keys, read_only=read_only, who=who)
    supervisor = supervisor_for(client, settings, audit=audit, profile=keys.profile)
    # The wall's clock in the server's zone, where this viewer's config names the profile's.
    tz = settings.profile.tz if settings.profile is not None else None
    return floor_app(floor, supervisor, settings, clock=clock, tz=tz, themes=themes, memory=memory)


async def serve_viewer(app: WallboardApp, redis: Redis) -> int:
    """Run a viewer's screen until it quits, then close its Redis connections."""
    settle = asyncio.ensure_future(settle_garbage_collector(app))
    try:
        await app.run_async()
    finally:
        settle.cancel()
        await redis.aclose()
    return app.return_code or 0


def live_floor(
    client: WallboardClient,
    settings: Settings,
    *,
    registry: CampaignRegistry | None = None,
    clock: Callable[[], float] = time.time,
    profile: str | None = None,
    slow_interval: float = 30.0,
    tz: dt.tzinfo | None = None,
    history: HistoryFeed | None = None,
) -> LiveFloor:
    """The live model that polls the server: the dashboard's and the collector's; with
    `history`, it folds what it reads into the history store and shows its windows."""
    from wallboard.live.model import LiveFloor

    return LiveFloor(
        client,
        queues=settings.queues,
        registry=registry,
        clock=clock,
        fast_interval=settings.refresh,
        slow_interval=slow_interval,
        read_only=settings.read_only or settings.wall_mode,
        profile=profile,
        tz=tz,
        names=agent_names(settings),
        history=history,
    )


def supervisor_for(
    client: FloorClient,
    settings: Settings,
    *,
    audit: AuditLog | None = None,
    registry: CampaignRegistry | None = None,
    profile: str | None = None,
) -> Supervisor:
    """The supervisor's actions on `client` (the server's, or a viewer's collector), under
    the run's read-only rule."""
    from wallboard.live.actions import Supervisor
    from wallboard.live.audit import AuditLog

    return Supervisor(
        client,
        audit if audit is not None else AuditLog(),
        read_only=settings.read_only or settings.wall_mode,
        registry=registry,
        profile=profile,
    )


def build_app(
    client: WallboardClient,
    settings: Settings,
    *,
    registry: CampaignRegistry | None = None,
    audit: AuditLog | None = None,
    clock: Callable[[], float] = time.time,
    profile: str | None = None,
    slow_interval: float = 30.0,
    tz: dt.tzinfo | None = None,
    themes: Mapping[str, Theme] | None = None,
    memory: ScreenMemory | None = None,
    history: HistoryFeed | None = None,
) -> WallboardApp:
    """The app on a client: the live model and the supervisor wired as the contracts say.

    `themes` are the theme files' themes (`checked_themes`); None: the shipped ones only.
    `tz` is the server's zone: "today" of the live model and the wall's clock. `memory`
    keeps the grid or list choice across runs (None: every run starts on the grid and
    nothing is written, for tests and benchmarks). One audit log serves the supervisor's
    actions and the alerts' raise and acknowledge lines, so the day reads in one file.
    Raises ConfigError when the alert rules do not fit together (`load_settings` has
    already said so for settings it loaded)."""
    from wallboard.commands.desk import build_desk
    from wallboard.live.audit import AuditLog

    floor = live_floor(
        client,
        settings,
        registry=registry,
        clock=clock,
        profile=profile,
        slow_interval=slow_interval,
        tz=tz,
        history=history,
    )
    audit = audit if audit is not None else AuditLog()
    supervisor = supervisor_for(client, settings, audit=audit, registry=registry, profile=profile)
    desk = build_desk(
        client,
        settings,
        registry=registry,
        audit=audit,
        names=floor.names,
        profile=profile,
        tz=tz,
        server_now=floor.server_now,
        history=history,
    )
    return floor_app(
        floor, supervisor, settings, clock=clock, tz=tz, themes=themes, memory=memory, desk=desk
    )


def floor_app(
    floor: Floor,
    supervisor: Supervisor,
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    tz: dt.tzinfo | None = None,
    themes: Mapping[str, Theme] | None = None,
    memory: ScreenMemory | None = None,
    desk: Desk | None = None,
) -> WallboardApp:
    """The screen on a floor (polled, or shared) and a supervisor, as the settings say;
    `desk`: the screens beyond the floor (None on a viewer: it has no server of its own)."""
    from wallboard.ui.app import WallboardApp
    from wallboard.ui.thresholds import Thresholds

    read_only = settings.read_only or settings.wall_mode
    return WallboardApp(
        floor,
        supervisor,
        theme=settings.theme,
        clock=clock,
        queues=settings.queues,
        thresholds=Thresholds.from_names(settings.thresholds.by_state_name()),
        read_only=read_only,
        themes=shipped_themes() if themes is None else themes,
        wall=settings.wall_mode,
        page_seconds=settings.wall.page_seconds,
        tz=tz,
        alert_rules=settings.alerts.rules(settings.thresholds),
        bell=settings.alerts.bell,
        view=memory.view() if memory is not None else DEFAULT_VIEW,
        on_view_change=memory.remember_view if memory is not None else None,
        desk=desk,
    )


def callback_receiver(
    registry: CampaignRegistry,
    listen: tuple[str, int] | None,
    *,
    company_code: Callable[[], str | None],
    path: str | None = None,
    allow: Iterable[Network] = (),
    on_event: OnEvent | None = None,
) -> AbstractContextManager[RunningReceiver | None]:
    """The task-callback receiver on `listen`, or a do-nothing context when none is set.

    It takes callbacks only on the secret `path` (None: a fresh one, for the demo, whose
    simulator is handed `receiver.url`), from `allow` (empty: loopback only), carrying the
    `company_code` of the client's Login. `on_event` is told of extension and bill
    callbacks (the collector's live events; None: acknowledged, not used). Raises OSError
    when the address cannot be used, ValueError when the path or a network cannot."""
    if listen is None:
        return contextlib.nullcontext()
    from wallboard.live.receiver import LOOPBACK, serve_receiver

    return serve_receiver(
        registry,
        *listen,
        company_code=company_code,
        path=path,
        allow=tuple(allow) or LOOPBACK,
        on_event=on_event,
    )


#: The collector's thresholds once the first floor is on screen (Python's: 700, 10, 10). A
#: big floor's poll makes thousands of objects a second that live about a cycle; scanned
#: every 700, each was looked at while alive. What the dashboard drops is freed at once
#: (no reference cycles per poll, frame or dimming), so scanning less often costs little
#: memory. A scan looks at every young object alive, 10,000 to 40,000 of them on a
#: 2,000-agent floor whatever the threshold (dicts and tuples the collector starts to track
#: late are not counted): at 5,000, ten scans took 32 ms of CPU in the first 45 s after the
#: floor settled; at 20,000, two took 16 ms.
GC_THRESHOLDS = (20000, 10, 10)


async def settle_garbage_collector(app: WallboardApp) -> None:
    """Once the first floor is on screen, put everything alive then out of the collector's
    reach (gc.freeze): its scans then cover the poll's short-lived objects, not the screen and
    the floor that live all day; and scan those less often (`GC_THRESHOLDS`)."""
    with contextlib.suppress(TimeoutError):
        await app.wait_for_snapshot(1, timeout=300.0)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def serve(app: WallboardApp, client: WallboardClient) -> int:
    """Run the screen until it quits, then close the client's connections."""
    settle = asyncio.ensure_future(settle_garbage_collector(app))
    try:
        async with client:
            await app.run_async()
    finally:
        settle.cancel()
    return app.return_code or 0


__all__ = [
    "add_parser",
    "build_app",
    "callback_receiver",
    "checked_themes",
    "floor_app",
    "live_floor",
    "private_data_dir",
    "redis_client",
    "run",
    "run_viewer",
    "serve_viewer",
    "shared_floor_keys",
    "shipped_themes",
    "supervisor_for",
    "viewer_app",
]
