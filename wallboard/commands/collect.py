"""`wallboard collect --redis URL [--profile P]`: poll a profile's server once for many screens.

The collector polls exactly as the dashboard does (the same live model, built by the same
wiring, `dashboard.live_floor`) with the profile's callback receiver, and publishes the
floor to Redis under the profile's own prefix; any number of `wallboard --redis URL`
viewers and browser tabs follow it and cost the server nothing. A second collector for the
same profile waits as a standby and takes over within seconds when the first dies. Viewers'
actions are sent by the collector, once, and written to its audit log with who asked.

It runs until interrupted (Ctrl-C or SIGTERM), then marks the floor stale for the viewers
and hands the lock over. Everything wrong before it starts (config, profile, URL, the
receiver's address) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wallboard.commands.options import (
    Subparsers,
    add_profile_options,
    add_queues_option,
    add_redis_option,
    command_line,
)

if TYPE_CHECKING:
    import datetime as dt

    from redis.asyncio import Redis

    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.shared.collector import Collector
    from wallboard.live.shared.keys import FloorKeys
    from wallboard.settings import Settings


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "collect",
        help="poll a profile's server once and publish its floor to Redis for many viewers",
    )
    add_profile_options(parser, top=False)
    add_queues_option(parser, top=False)
    parser.add_argument(
        "--refresh",
        type=float,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help="fast poll interval (default 1.5 s)",
    )
    add_redis_option(parser, top=False, help="the Redis to publish to (default: [redis] url)")


def run(args: argparse.Namespace) -> int:
    """Collect until interrupted; returns the exit code."""
    from wallboard.commands.dashboard import private_data_dir, redis_client, shared_floor_keys
    from wallboard.commands.logfile import log_to_file
    from wallboard.commands.profile import profile_client, profile_receiver
    from wallboard.commands.report import open_history
    from wallboard.config import ConfigError
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=True)
        url = getattr(args, "redis", None) or settings.redis.url
        if not url:
            raise ConfigError("collect needs --redis URL (or `url` in the config's [redis])")
        keys = shared_floor_keys(settings, args)
        redis = redis_client(url)
    except (ConfigError, ValueError) as exc:
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
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    history = open_history(settings)
    collector = build_collector(
        client,
        settings,
        redis,
        keys,
        registry=registry,
        profile=profile.name,
        tz=profile.tz,
        history=history,
    )
    try:
        receiver = profile_receiver(registry, profile, client, on_event=collector.on_event)
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        if history is not None:
            history.close()
        return 2
    print(f"wallboard: collecting {keys.base} (Ctrl-C stops)", file=sys.stderr)
    try:
        with receiver:
            return asyncio.run(collect(collector, client, redis))
    finally:
        if history is not None:
            history.close()


def build_collector(
    client: WallboardClient,
    settings: Settings,
    redis: Redis,
    keys: FloorKeys,
    *,
    registry: CampaignRegistry | None = None,
    audit: AuditLog | None = None,
    clock: Callable[[], float] = time.time,
    profile: str | None = None,
    slow_interval: float = 30.0,
    tz: dt.tzinfo | None = None,
    lock_ttl: float | None = None,
    renew_every: float | None = None,
    keep: int | None = None,
    history: HistoryFeed | None = None,
) -> Collector:
    """The collector of one floor: the dashboard's live model on `client`, and the desk
    that sends viewers' actions through `client` and audits them (one log: `audit`).
    `lock_ttl`, `renew_every` and `keep` (changes kept on the stream): None for the
    defaults (tests take over faster and trim sooner)."""
    from wallboard.commands.dashboard import live_floor
    from wallboard.live.audit import AuditLog
    from wallboard.live.shared.collector import CHANGES_KEPT, Collector
    from wallboard.live.shared.lock import LOCK_TTL, RENEW_EVERY, CollectorLock
    from wallboard.live.shared.requests import RequestDesk

    floor = live_floor(
        client,
        settings.model_copy(update={"read_only": False, "wall_mode": False}),
        registry=registry,
        clock=clock,
        profile=profile,
        slow_interval=slow_interval,
        tz=tz,
        history=history,
    )
    desk = RequestDesk(
        redis, keys, client, audit if audit is not None else AuditLog(), registry=registry
    )
    lock = CollectorLock(redis, keys.lock, ttl=LOCK_TTL if lock_ttl is None else lock_ttl)
    return Collector(
        floor,
        redis,
        keys,
        desk=desk,
        lock=lock,
        keep=CHANGES_KEPT if keep is None else keep,
        renew_every=RENEW_EVERY if renew_every is None else renew_every,
    )


async def collect(collector: Collector, client: WallboardClient, redis: Redis) -> int:
    """Run the collector until SIGINT or SIGTERM, then stop it cleanly and close up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with client:
            await collector.run(stop)
    finally:
        await redis.aclose()
    return 0


__all__ = ["add_parser", "build_collector", "collect", "run"]
