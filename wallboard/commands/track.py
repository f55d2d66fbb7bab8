"""`wallboard track TASKID`: add a predictive task to the campaigns pane, or forget it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wallboard.live.campaigns import CampaignFileError, CampaignRegistry, read_numbers


def run_track(args: argparse.Namespace) -> int:
    """`wallboard track TASKID [--numbers FILE] [--name] [--assigned-to] [--forget]`."""
    taskid = str(getattr(args, "taskid", "") or "").strip()
    if not taskid:
        _error("wallboard track: a task id is needed")
        return 2
    registry = CampaignRegistry.default()
    if registry.problem:
        _error(f"warning: {registry.problem}")
    try:
        if getattr(args, "forget", False):
            if registry.forget(taskid):
                print(f"task {taskid} is no longer tracked")
                return 0
            _error(f"wallboard track: task {taskid} was not tracked")
            return 1
        numbers = None
        if getattr(args, "numbers", None):
            numbers = read_numbers(Path(args.numbers))
        task = registry.track(
            taskid,
            name=getattr(args, "name", None),
            assigned_to=getattr(args, "assigned_to", None) or None,
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
