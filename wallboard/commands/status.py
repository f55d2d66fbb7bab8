"""`wallboard status [--json]`: one poll of the profile's server, for a person or a script.

The same client and live model as the dashboard, polled once (the first poll also makes the
slow reads and reads the day's bills; a day of more bills than one poll reads is read on
in further polls, for up to `CATCH_UP_SECONDS`), printed as a short table or as the JSON
document of `wallboard.live.status` (a contract for scripts and monitoring).

Exit codes: 0 the data is fresh; 1 the server could not be read, or only in part (a wrong
accesskey, a dead server, a failed or unfinished bills read): the reason on one line on
stderr, and with `--json` still a document with `"error"`; 2 a mistake in the
configuration or on the command line (one line on stderr; with `--json` a document with
`"error"` too).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from wallboard.commands.names import agent_names
from wallboard.commands.options import (
    Subparsers,
    add_profile_options,
    add_queues_option,
    command_line,
)
from wallboard.commands.report import open_history
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wallboard.api.client import WallboardClient
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.names import AgentNames
    from wallboard.live.snapshot import FloorSnapshot
    from wallboard.live.status import FloorStatus
    from wallboard.settings import Profile

#: How long `status` keeps reading a long day's bills before it gives up on the figures.
CATCH_UP_SECONDS = 60.0
#: The pause between two polls while the bills are caught up.
CATCH_UP_PAUSE = 0.05

EXIT_FRESH = 0
EXIT_UNREADABLE = 1
EXIT_CONFIG = 2


def add_parser(subparsers: Subparsers) -> None:
    status = subparsers.add_parser(
        "status",
        help="poll the profile's server once and print the floor (a table, or --json)",
        description="Poll the profile's server once and print the floor's figures.",
        epilog=(
            "exit codes: 0 fresh data; 1 the server could not be read (the reason on "
            'stderr; --json still prints a document with "error"); 2 a configuration mistake'
        ),
    )
    add_profile_options(status, top=False)
    add_queues_option(status, top=False)
    status.add_argument("--json", action="store_true", help="print the JSON document")
    status.add_argument("--agents", action="store_true", help="list every agent in the table")


def run(args: argparse.Namespace) -> int:
    """Poll once and print; the exit code says whether the data is fresh."""
    import asyncio

    from wallboard.commands.dashboard import private_data_dir
    from wallboard.commands.logfile import log_to_file
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.status import failure_status
    from wallboard.settings import load_settings

    as_json = bool(getattr(args, "json", False))
    queues = getattr(args, "queues", None)
    try:
        settings = load_settings(command_line(args), need_profile=True)
        profile = settings.profile
        assert profile is not None  # need_profile
        client = _client(profile)
    except ConfigError as exc:
        return _refused(str(exc), EXIT_CONFIG, as_json, queues)
    if not private_data_dir():  # it said why on stderr
        if as_json:
            _print(failure_status("the data dir cannot be made", queues_shown=queues), True)
        return EXIT_CONFIG
    log_to_file()
    registry = CampaignRegistry.default()
    if registry.problem:
        print(f"wallboard status: warning: {registry.problem}", file=sys.stderr)
    history = open_history(settings)
    try:
        snapshot = asyncio.run(
            poll_once(
                client,
                profile,
                registry,
                settings.queues,
                names=agent_names(settings),
                history=history,
            )
        )
    finally:
        if history is not None:
            history.close()
    status = report(snapshot, profile, settings.queues, now=time.time())
    if as_json or not status.stale:  # a person needs the reason once, on stderr
        _print(status, as_json, agents=bool(getattr(args, "agents", False)))
    if status.stale or status.error:
        print(f"wallboard status: {status.error}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_FRESH


def _client(profile: Profile) -> WallboardClient:
    from wallboard.commands.profile import profile_client

    return profile_client(profile)


async def poll_once(
    client: WallboardClient,
    profile: Profile,
    registry: CampaignRegistry | None,
    queues: Sequence[str] | None,
    *,
    catch_up: float = CATCH_UP_SECONDS,
    names: AgentNames | None = None,
    history: HistoryFeed | None = None,
) -> FloorSnapshot:
    """One poll of a live model built as the dashboard builds it, and as many more as it
    takes (within `catch_up` seconds) to read the day's bills in full: a busy day is more
    bills than one poll reads. The client is closed after it. Never raises for a server that
    cannot be read: the snapshot says why, and says so when the bills were not all read."""
    import asyncio
    from dataclasses import replace

    from wallboard.live.model import LiveFloor

    floor = LiveFloor(
        client,
        queues=queues,
        registry=registry,
        read_only=True,
        profile=profile.name or None,
        tz=profile.tz,
        names=names,
        history=history,
        fast_interval=CATCH_UP_PAUSE,  # while catching up, the next bills are due at once
    )
    async with client:
        snapshot = await floor.refresh()
        deadline = time.monotonic() + catch_up
        while (
            not snapshot.stale
            and snapshot.error is None
            and not floor.bills_read
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(CATCH_UP_PAUSE)
            snapshot = await floor.refresh()
    if not snapshot.stale and snapshot.error is None and not floor.bills_read:
        snapshot = replace(snapshot, error=f"the day's bills were not all read in {catch_up:g} s")
    return snapshot


def report(
    snapshot: FloorSnapshot, profile: Profile, queues: Sequence[str] | None, *, now: float
) -> FloorStatus:
    """The status of one poll: its figures, or why there are none."""
    from wallboard.live.status import failure_status, floor_status

    if snapshot.stale:
        return failure_status(
            snapshot.error or "the server could not be read", tz=profile.tz, queues_shown=queues
        )
    return floor_status(snapshot, now=now, tz=profile.tz, queues_shown=queues)


def _refused(reason: str, code: int, as_json: bool, queues: Sequence[str] | None) -> int:
    from wallboard.live.status import failure_status

    print(f"wallboard status: {reason}", file=sys.stderr)
    if as_json:
        _print(failure_status(reason, queues_shown=queues), True)
    return code


def _print(status: FloorStatus, as_json: bool, *, agents: bool = False) -> None:
    from wallboard.live.status import as_json as document
    from wallboard.live.status import as_table

    if as_json:
        print(json.dumps(document(status), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(as_table(status, agents=agents))


__all__ = [
    "EXIT_CONFIG",
    "EXIT_FRESH",
    "EXIT_UNREADABLE",
    "add_parser",
    "poll_once",
    "report",
    "run",
]
