"""`wallboard call SERVICE [field=value ...]`: one API call, its data printed as JSON.

For a supervisor or an integrator checking what the server says, with the same login,
retries and parsing as the dashboard, so what it prints is what the dashboard sees (an
extension's password included: it is gone). Exit codes: 0 done, 1 the call failed, 2 a
mistake on the command line or in the settings; always one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from wallboard.commands.options import Subparsers, add_profile_options, command_line
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from wallboard.api.services import Service
    from wallboard.settings import Profile


def add_parser(subparsers: Subparsers) -> None:
    call = subparsers.add_parser("call", help="make one API call and print its data as JSON")
    add_profile_options(call, top=False)
    call.add_argument("service", help="e.g. App.Sip_Queue.GetQueueList or GetQueueList")
    call.add_argument("fields", nargs="*", metavar="FIELD=VALUE")


def run(args: argparse.Namespace) -> int:
    """Run `wallboard call`; 0 on success, 1 when the call failed, 2 for a usage mistake."""
    import asyncio

    from wallboard.api.call_command import UsageError, parse_call, to_jsonable
    from wallboard.api.errors import ApiError
    from wallboard.settings import load_settings

    try:
        service, form = parse_call(args.service, list(args.fields or []))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        profile = load_settings(command_line(args), need_profile=True).profile
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assert profile is not None  # need_profile
    try:
        result = asyncio.run(one_call(profile, service, form))
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # the profile's url cannot be used
        print(f"error: {profile.source}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False))
    return 0


async def one_call(profile: Profile, service: Service, form: dict[str, str]) -> object:
    """Log in with the profile, make the call, log out: the answer as the client parses it."""
    from wallboard.api.client import WallboardClient

    async with WallboardClient(profile.url, profile.appid, profile.accesskey) as client:
        return await client.call(service.wire, form)


__all__ = ["add_parser", "one_call", "run"]
