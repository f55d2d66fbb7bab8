"""`wallboard track TASKID`: add a predictive task to the campaigns pane, or forget it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wallboard.commands.options import Subparsers, add_profile_options


def add_parser(subparsers: Subparsers) -> None:
    track = subparsers.add_parser("track", help="track a predictive task on the campaigns pane")
    add_profile_options(track, top=False)
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


def run(args: argparse.Namespace) -> int:
    """`wallboard track TASKID [--numbers FILE] [--name] [--assigned-to] [--forget]`."""
    from wallboard.commands.dashboard import private_data_dir
    from wallboard.live.campaigns import CampaignFileError, CampaignRegistry, read_numbers

    taskid = str(args.taskid or "").strip()
    if not taskid:
        _error("wallboard track: a task id is needed")
        return 2
    if not private_data_dir():
        return 2
    registry = CampaignRegistry.default()
    if registry.problem:
        _error(f"warning: {registry.problem}")
    try:
        if args.forget:
            if registry.forget(taskid):
                print(f"task {taskid} is no longer tracked")
                return 0
            _error(f"wallboard track: task {taskid} was not tracked")
            return 1
        numbers = None
        if args.numbers:
            numbers = read_numbers(Path(args.numbers))
        task = registry.track(
            taskid,
            name=args.name,
            assigned_to=args.assigned_to or None,
            numbers=numbers,
        )
    except CampaignFileError as exc:
        _error(f"wallboard track: {exc}")
        return 2
    except OSError as exc:
        _error(f"wallboard track: cannot write {registry.path}: {exc.strerror or exc}")
        return 1
    count = f"{len(task.numbers):,} numbers" if task.numbers else "numbers not known"
    extra = f", for {task.assigned_to}" if task.assigned_to else ""
    print(f"tracking task {task.taskid} ({task.label}{extra}; {count}) in {registry.path}")
    return 0


def _error(message: str) -> None:
    print(message, file=sys.stderr)


__all__ = ["add_parser", "run"]
