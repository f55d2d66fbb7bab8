"""`wallboard sim`: the simulator's command line, read into `SimOptions` and run.

Bad options get one line on stderr naming the option, and exit code 2; the simulator itself
(`wallboard.sim.main.run_sim`) knows nothing of arguments. Building the command line imports
nothing of the simulator (every `wallboard` command builds it): the simulator is imported
when the command runs, and the scenarios' descriptions when `wallboard sim --help` prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import textwrap
import urllib.parse
import zoneinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the simulator is imported when the command runs, not to list options
    from wallboard.sim.main import SimOptions

#: Where `--accesskey` may come from instead of the command line (which others can read).
ACCESSKEY_ENV = "WALLBOARD_SIM_ACCESSKEY"
START_FORMAT = "%Y-%m-%d %H:%M:%S"
_CALLBACK_OPTIONS = ("callback_url", "ext_callback_url", "bill_callback_url", "task_callback_url")
#: The simulator's scenarios, default first: `wallboard.sim.scenario.SCENARIOS` has them (a
#: test holds the two together), named here so that `--scenario` needs no simulator loaded.
SCENARIO_NAMES = ("default", "calm", "lunch", "surge")
#: The epilog of `wallboard sim --help`, filled in with each scenario's description when
#: the help is printed (`_SimHelpFormatter`).
_SCENARIOS_EPILOG = "scenarios (--scenario): " + ", ".join(SCENARIO_NAMES)


class OptionError(ValueError):
    """An option that cannot be used; the message names it and says why."""


class _SimHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The help's formatter: it puts each scenario's description in the epilog, so that only
    printing `wallboard sim --help` imports the scenarios."""

    def add_text(self, text: str | None) -> None:
        if text == _SCENARIOS_EPILOG:
            from wallboard.sim.scenario import describe_scenarios

            text = "scenarios (--scenario):\n" + _indented(describe_scenarios())
        super().add_text(text)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sim` and all its options to the `wallboard` command's subcommands."""
    sim = subparsers.add_parser(
        "sim",
        help="run the call-floor simulator (the vendor API on loopback)",
        description="Serve the vendor's API on a simulated call floor. Prints url:, appid:,\n"
        "accesskey: and one task: line per campaign it created, then serves until Ctrl+C.",
        epilog=_SCENARIOS_EPILOG,
        formatter_class=_SimHelpFormatter,
    )
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    sim.add_argument("--agents", type=int, default=40)
    sim.add_argument("--queues", type=int, default=3)
    sim.add_argument("--campaigns", type=int, default=2)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument(
        "--scenario",
        default="default",
        choices=SCENARIO_NAMES,
        metavar="NAME",
        help=f"the floor to simulate: {', '.join(SCENARIO_NAMES)} (listed below)",
    )
    sim.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="the simulated clock runs this many times faster than real time",
    )
    sim.add_argument(
        "--start",
        default=None,
        metavar='"YYYY-MM-DD HH:MM:SS"',
        help="where the simulated clock starts, in the server's zone (default: now)",
    )
    sim.add_argument(
        "--tz",
        default=None,
        metavar="ZONE",
        help="IANA zone the server writes its times in, e.g. Asia/Shanghai "
        "(default: this machine's)",
    )
    sim.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="e.g. latency=0.2,error500=0.05,expire=60,malformed=0.01,drop=0.01; "
        "appid_expired=1 (ret 602), unlicensed=1 (603), ip_denied=1 (604)",
    )
    sim.add_argument(
        "--drift",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of answer fields (0-1) sent as a sloppy server does: numbers as "
        'strings, strings as numbers, null for "", "" for 0, lists as keyed objects',
    )
    sim.add_argument("--appid", default=None, help="the account's appid (default: wallboard-demo)")
    sim.add_argument(
        "--accesskey",
        default=None,
        metavar="KEY",
        help=f"the account's accesskey, kept across restarts (or set {ACCESSKEY_ENV}; "
        "default: a new random one)",
    )
    sim.add_argument("--callback-url", default=None, help="post every callback here")
    sim.add_argument("--ext-callback-url", default=None, help="extension call state callbacks")
    sim.add_argument("--bill-callback-url", default=None, help="bill callbacks")
    sim.add_argument(
        "--task-callback-url",
        default=None,
        help="task completion callbacks (a dashboard's receiver: http://HOST:PORT plus its "
        "secret callback_path)",
    )


def _indented(text: str) -> str:
    return "\n".join(
        textwrap.fill(line, width=88, initial_indent="  ", subsequent_indent="      ")
        for line in text.splitlines()
    )


def options_from(args: argparse.Namespace) -> SimOptions:
    """The parsed arguments as `SimOptions`; OptionError names the first bad one."""
    from wallboard.sim.callbacks import CallbackTargets
    from wallboard.sim.faults import Faults, FaultSpecError
    from wallboard.sim.main import MAX_AGENTS, MAX_QUEUES, SimOptions
    from wallboard.sim.server import DEMO_APPID

    if not 1 <= args.agents <= MAX_AGENTS:
        raise OptionError(f"--agents must be from 1 to {MAX_AGENTS:,}")
    if not 1 <= args.queues <= MAX_QUEUES:
        raise OptionError(f"--queues must be from 1 to {MAX_QUEUES}")
    if args.campaigns < 0:
        raise OptionError("--campaigns must be 0 or more")
    if not args.speed > 0 or args.speed == math.inf:
        raise OptionError("--speed must be a number above 0 (simulated seconds per real second)")
    if not 0 <= args.port <= 65535:
        raise OptionError("--port must be from 0 to 65535 (0 picks a free port)")
    if not 0 <= args.drift <= 1:
        raise OptionError("--drift must be a share of fields from 0 to 1, e.g. 0.2")
    for option in _CALLBACK_OPTIONS:
        url = getattr(args, option)
        if url is not None:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                flag = "--" + option.replace("_", "-")
                raise OptionError(f"{flag} must be an http:// or https:// address, got {url!r}")
    try:
        faults = Faults.parse(args.faults, seed=args.seed)
    except FaultSpecError as exc:
        raise OptionError(f"--faults: {exc}") from None
    tz = _zone(args.tz)
    appid = DEMO_APPID if args.appid is None else args.appid.strip()
    if not appid:
        raise OptionError("--appid must not be empty")
    accesskey = args.accesskey if args.accesskey is not None else os.environ.get(ACCESSKEY_ENV)
    if accesskey is not None and not accesskey.strip():
        raise OptionError(f"--accesskey (or {ACCESSKEY_ENV}) must not be empty")
    return SimOptions(
        host=args.host,
        port=args.port,
        agents=args.agents,
        queues=args.queues,
        campaigns=args.campaigns,
        seed=args.seed,
        scenario=args.scenario,
        speed=args.speed,
        faults=faults,
        callbacks=CallbackTargets(
            all=args.callback_url,
            ext=args.ext_callback_url,
            bill=args.bill_callback_url,
            task=args.task_callback_url,
        ),
        start=_start(args.start, tz),
        tz=tz,
        drift=args.drift,
        appid=appid,
        accesskey=accesskey.strip() if accesskey is not None else None,
    )


def _zone(name: str | None) -> dt.tzinfo | None:
    if name is None:
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise OptionError(
            f"--tz {name!r} is not a time zone name (e.g. Asia/Shanghai, Europe/London, UTC)"
        ) from None


def _start(text: str | None, tz: dt.tzinfo | None) -> float | None:
    """`--start` in the server's zone as unix seconds (None: now)."""
    if text is None:
        return None
    try:
        wall = dt.datetime.strptime(text.strip(), START_FORMAT)
    except ValueError:
        raise OptionError(
            f'--start must be a time as "yyyy-mm-dd hh:mm:ss", got {text!r}'
        ) from None
    moment = wall.replace(tzinfo=tz).timestamp() if tz is not None else wall.timestamp()
    if moment < 0:
        raise OptionError("--start must be after 1970-01-01 00:00:00 UTC")
    return moment


def run(args: argparse.Namespace) -> int:
    """`wallboard sim ...`: 0 when stopped with Ctrl+C, 1 when the port cannot be used, 2
    for bad options."""
    try:
        options = options_from(args)
    except OptionError as exc:
        print(f"wallboard sim: {exc}", file=sys.stderr)
        return 2
    from wallboard.sim.main import run_sim

    return run_sim(options)
