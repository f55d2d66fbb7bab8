"""The composition root: the only place that parses the command line, loads the settings
and wires the client, the live model, the simulator and the screen together.

One module per command, each with `add_parser(subparsers)` and `run(args) -> int`:
`dashboard` (also the command when none is given), `demo`, `sim`, `call`, `track`,
`status`, `names`, `campaign`, `collect`, `records`, `report` and `serve`.
Modules import their heavy parts (Textual, the simulator) inside `run`, so that
`wallboard --help` and `wallboard sim` start fast. Every command returns an exit code;
expected failures print one line, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from wallboard.commands import (
    call,
    campaign,
    collect,
    dashboard,
    demo,
    names,
    records,
    report,
    serve,
    sim,
    status,
    track,
)
from wallboard.commands.options import add_dashboard_options, add_profile_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wallboard",
        description="A terminal supervisor dashboard for predictive outbound call floors.",
        epilog="Settings: defaults < config file < environment < command line.",
    )
    add_profile_options(parser)
    add_dashboard_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _commands().values():
        command.add_parser(subparsers)
    return parser


def _commands() -> dict[str, ModuleType]:
    return {
        "dashboard": dashboard,
        "demo": demo,
        "sim": sim,
        "call": call,
        "track": track,
        "status": status,
        "names": names,
        "campaign": campaign,
        "collect": collect,
        "records": records,
        "report": report,
        "serve": serve,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`wallboard [options] [COMMAND ...]`; returns the exit code."""
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = _commands()[args.command or "dashboard"].run
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`wallboard records | head`): what it wanted it has. Point
        # stdout at nothing so that Python's own flush at exit cannot complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


__all__ = ["build_parser", "main"]
