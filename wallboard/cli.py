"""The `wallboard` command: parses arguments and hands each subcommand to its own module.

Imports are lazy so that `wallboard --help` and `wallboard sim` start fast and do not pull in
Textual. Every subcommand returns an exit code; expected failures print one line, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _dashboard_options(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """The dashboard's options. On a subcommand the defaults are suppressed, so that
    `wallboard --read-only demo` and `wallboard demo --read-only` mean the same."""
    unset = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--queues", type=_csv, default=unset, metavar="A,B", help="show only these queues"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="hide and refuse every action that changes the floor",
    )
    parser.add_argument("--theme", default=unset, help="theme name (see themes/)")
    parser.add_argument(
        "--refresh",
        type=float,
        default=unset,
        metavar="SECONDS",
        help="fast poll interval (default 1.5 s)",
    )


def _profile_options(parser: argparse.ArgumentParser, top: bool = True) -> None:
    unset = None if top else argparse.SUPPRESS
    parser.add_argument("--profile", default=unset, help="profile name in config.toml")
    parser.add_argument(
        "--config",
        default=unset,
        metavar="PATH",
        help="config file (default: the user config dir's config.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wallboard",
        description="A terminal supervisor dashboard for predictive outbound call floors.",
    )
    _profile_options(parser)
    _dashboard_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="start the simulator and open the dashboard on it")
    _dashboard_options(demo, top=False)
    demo.add_argument("--agents", type=int, default=40, help="agents on the simulated floor")
    demo.add_argument("--queue-count", type=int, default=3, help="simulated queues")
    demo.add_argument("--campaigns", type=int, default=2, help="running campaigns")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the floor")
    demo.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")

    sim = sub.add_parser("sim", help="run the call-floor simulator (the vendor API on loopback)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    sim.add_argument("--agents", type=int, default=40)
    sim.add_argument("--queues", type=int, default=3)
    sim.add_argument("--campaigns", type=int, default=2)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="the simulated clock runs this many times faster than real time",
    )
    sim.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="e.g. latency=0.2,error500=0.05,expire=60,malformed=0.01,drop=0.01",
    )
    sim.add_argument("--callback-url", default=None, help="post every callback here")
    sim.add_argument("--ext-callback-url", default=None, help="extension call state callbacks")
    sim.add_argument("--bill-callback-url", default=None, help="bill callbacks")
    sim.add_argument("--task-callback-url", default=None, help="task completion callbacks")

    call = sub.add_parser("call", help="make one API call and print its data as JSON")
    _profile_options(call, top=False)
    call.add_argument("service", help="e.g. App.Sip_Queue.GetQueueList or GetQueueList")
    call.add_argument("fields", nargs="*", metavar="FIELD=VALUE")

    track = sub.add_parser("track", help="track a predictive task on the campaigns pane")
    _profile_options(track, top=False)
    track.add_argument("taskid")
    track.add_argument(
        "--numbers",
        default=None,
        metavar="FILE",
        help="the task's numbers, one a line (for progress and remaining)",
    )
    track.add_argument("--name", default=None, help="a name to show for the task")
    track.add_argument("--assigned-to", default="", help="the queue, extension or group")
    track.add_argument("--forget", action="store_true", help="stop tracking the task")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "call":
            from wallboard.api.call_command import run_call

            return run_call(args)
        if args.command == "sim":
            from wallboard.sim.main import run_sim

            return run_sim(args)
        if args.command == "track":
            from wallboard.commands.track import run_track

            return run_track(args)
        from wallboard.ui.run import run_dashboard

        return run_dashboard(args, demo=args.command == "demo")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
