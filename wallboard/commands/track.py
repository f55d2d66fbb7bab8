"""`wallboard track TASKID`: add a predictive task to the campaigns pane, or forget it.

Checking a task id against the server is not simple: the API has no call that reads a
task (API-NOTES decision 5). The only call that answers with a task's state is TaskSet,
and TaskSet also sets it. Asked for the state a task is already in, it changes nothing and
answers the state's code: open (1) on a running task answers 1026, pause (2) on a paused
task 1027 and on a task not started 1025; any TaskSet on a missing task answers 1024 and
on an ended one 1028. No single TaskSet is a no-op for every state: open would start a
paused task dialling, pause would stop a running one.

So the check is asked for, with the state the supervisor expects (`--check running` or
`--check paused`), and sends the TaskSet that is a no-op for a task in that state. When the
server carries it out instead, the task was not in that state, or the server accepts a
TaskSet that changes nothing (the documents do not say it answers "already"): the same
TaskSet again tells which, as it must now answer "already" (1026 or 1027). Then:

- the server said "already": the task is put back at once (open after an accepted pause: it
  was running; pause after an accepted open: it was paused or not started), and the
  supervisor is told;
- the server accepted it again: what the task was cannot be known, so the check leaves it
  paused (pausing it after an accepted open) and says how to resume it. A check never
  leaves dialling a task it may have started.

`--check paused` is the safe guess: its worst case is a running task that stops dialling
for a moment (or, on a server that never answers "already", until it is resumed), where
`--check running`'s is a paused task that dials for a moment. Without `--check`, the task is
tracked as given, as before, and stderr says it was not checked.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.options import Subparsers, add_profile_options, command_line
from wallboard.config import ConfigError
from wallboard.live.states import T_PAUSED, T_RUNNING

if TYPE_CHECKING:
    from wallboard.api.client import WallboardClient
    from wallboard.live.snapshot import CampaignStatus

#: `--check STATE`: the TaskSet taskstatus that changes nothing for a task in STATE.
PROBES = {"running": 1, "paused": 2}
#: The code TaskSet answers when the task already is what it asks for (API-NOTES, the
#: task codes): open on a running task 1026, pause on a paused one 1027.
ALREADY = {1: T_RUNNING, 2: T_PAUSED}
OPEN, PAUSE = 1, 2

EXIT_TRACKED = 0
EXIT_NOT_TRACKED = 1
EXIT_USAGE = 2
EXIT_CHANGED = 3

_DESCRIPTION = (
    "Add a predictive task to the campaigns pane, or --forget it. The API has no call that "
    "reads a task; the only one that answers with its state is TaskSet, which also sets it. "
    "So the task is checked only when you say which state you expect (--check), with the "
    "TaskSet that changes nothing for a task in that state."
)
_EPILOG = (
    "--check running sends TaskSet open: a running task answers 1026 and stays as it is. "
    "--check paused sends TaskSet pause: a paused task answers 1027, one not started 1025, "
    "and stays as it is. Either way a task the server does not have (1024) is not tracked, "
    "and an ended one (1028) is tracked as ended. If the server carries the TaskSet out, "
    "the task was not in the state you said: the same TaskSet sent again must then answer "
    "'already' (1026 or 1027), and the task is put back at once (paused again, or opened "
    "again) and you are told. A server that carries that one out too cannot say what the "
    "task was: it is left paused, never dialling. So when unsure, say paused: at worst a "
    "running task stops "
    "dialling for a moment, where with 'running' a paused one may dial for a moment. "
    "Without --check the task is tracked unchecked. exit codes: 0 tracked, as it was found; "
    "1 not tracked (no such task, the server could not be asked); 2 a mistake on the "
    "command line or in the settings; 3 tracked, but the check left the task changed "
    "(stderr says how to put it back)"
)


def add_parser(subparsers: Subparsers) -> None:
    track = subparsers.add_parser(
        "track",
        help="track a predictive task on the campaigns pane",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
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
    what = track.add_mutually_exclusive_group()
    what.add_argument(
        "--check",
        choices=sorted(PROBES),
        default=None,
        metavar="STATE",
        help=(
            "ask the server first, expecting the task to be running or paused (paused also "
            "covers not started): see below"
        ),
    )
    what.add_argument("--forget", action="store_true", help="stop tracking the task")


@dataclass(frozen=True, slots=True)
class TaskCheck:
    """What a check learnt of a task and did to it, in words for stderr and the audit log."""

    #: The task's state now; None: not learnt (no such task, no answer): not tracked.
    status: CampaignStatus | None
    #: The TaskSet answer's code (1024-1028; None when the server carried the TaskSet out).
    code: int | None = None
    #: For the audit log: done (the server answered), failed, or unknown (no answer).
    outcome: str = "done"
    #: What the supervisor must know ("" when the task was as expected and is unchanged).
    message: str = ""
    #: The task may not be as the check found it (it could not be put back, or what it was
    #: cannot be known): the message says how to put it right.
    left_changed: bool = False


def run(args: argparse.Namespace) -> int:
    """`wallboard track TASKID [--numbers FILE] [--name] [--assigned-to]
    [--check running|paused | --forget]`."""
    from wallboard.commands.dashboard import private_data_dir
    from wallboard.live.campaigns import CampaignFileError, CampaignRegistry, read_numbers

    taskid = str(args.taskid or "").strip()
    if not taskid:
        _error("a task id is needed")
        return EXIT_USAGE
    numbers = None
    if args.numbers and not args.forget:
        try:
            numbers = read_numbers(Path(args.numbers))
        except CampaignFileError as exc:
            _error(str(exc))
            return EXIT_USAGE
    if not private_data_dir():
        return EXIT_USAGE
    checked: TaskCheck | None = None
    if args.check:
        try:
            checked = _check(args, taskid)
        except ConfigError as exc:
            _error(str(exc))
            return EXIT_USAGE
        if checked.status is None:
            _error(f"task {taskid} is not tracked: {checked.message}")
            return EXIT_NOT_TRACKED
    registry = CampaignRegistry.default()
    if registry.problem:
        _error(f"warning: {registry.problem}")
    known = taskid in registry
    try:
        if args.forget:
            if registry.forget(taskid):
                print(f"task {taskid} is no longer tracked")
                return EXIT_TRACKED
            _error(f"task {taskid} was not tracked")
            return EXIT_NOT_TRACKED
        task = registry.track(
            taskid,
            name=args.name,
            assigned_to=args.assigned_to or None,
            numbers=numbers,
            status=checked.status if checked is not None else None,
        )
    except CampaignFileError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        _error(f"cannot write {registry.path}: {exc.strerror or exc}")
        return EXIT_NOT_TRACKED
    count = f"{len(task.numbers):,} numbers" if task.numbers else "numbers not known"
    extra = f", for {task.assigned_to}" if task.assigned_to else ""
    state = f"; {task.status.value} on the server" if checked is not None else ""
    print(f"tracking task {task.taskid} ({task.label}{extra}; {count}{state}) in {registry.path}")
    if checked is None:
        if not known:
            _error(f"task {taskid} was not checked against the server (--check STATE does)")
        return EXIT_TRACKED
    if checked.message:
        _error(checked.message)
    return EXIT_CHANGED if checked.left_changed else EXIT_TRACKED


def _check(args: argparse.Namespace, taskid: str) -> TaskCheck:
    """Ask the profile's server about the task, and write the check to the audit log: it
    sends TaskSet, which may change the floor. ConfigError for a settings mistake, and in
    read-only mode (nothing that may change the floor is sent then)."""
    import asyncio

    from wallboard.commands.profile import profile_client
    from wallboard.live.audit import AuditLog
    from wallboard.settings import load_settings

    settings = load_settings(command_line(args), need_profile=True)
    profile = settings.profile
    assert profile is not None  # need_profile
    if settings.read_only:
        origin = settings.origins.get("read_only", "read-only")
        raise ConfigError(
            f"read-only ({origin}): --check sends TaskSet, which may change the task; "
            f"track it without --check"
        )
    client = profile_client(profile)
    checked = asyncio.run(check_task(client, taskid, expect=args.check))
    try:
        AuditLog().append(
            action="check task",
            target=f"task {taskid}",
            outcome=checked.outcome,
            code=checked.code,
            message=checked.message or f"{checked.status.value if checked.status else ''}",
            details={"expected": args.check, "taskstatus": PROBES[args.check]},
        )
    except OSError as exc:
        _error(f"warning: the check was not written to the audit log: {exc.strerror or exc}")
    return checked


async def check_task(client: WallboardClient, taskid: str, *, expect: str) -> TaskCheck:
    """The task's state from the TaskSet that is a no-op for a task in the `expect`ed state
    ("running" or "paused"), and what the check had to do: see the module's docstring.

    Never raises for what the server says or does not say: a TaskCheck without a status
    says why nothing was learnt. The client is closed after it."""
    from wallboard.api.errors import OutcomeUnknown
    from wallboard.live.campaigns import STATUS_BY_CODE
    from wallboard.live.snapshot import CampaignStatus

    probe = PROBES[expect]
    did = "opened" if probe == OPEN else "paused"
    async with client:
        first = await _taskset(client, taskid, probe)
        if first.problem is not None:
            if isinstance(first.problem, OutcomeUnknown):
                return TaskCheck(
                    None,
                    first.code,
                    "unknown",
                    f"the check got no answer ({first.problem}): the task may have been "
                    f"{did}; look at it before relying on it",
                )
            return TaskCheck(
                None, first.code, "failed", f"the server could not be asked: {first.problem}"
            )
        if first.code is not None:
            status = STATUS_BY_CODE[first.code]
            if status is CampaignStatus.MISSING:
                return TaskCheck(
                    None, first.code, "failed", f"the server has no such task ({first.code})"
                )
            return TaskCheck(status, first.code)  # as expected, or over: nothing changed
        # Carried out: the task was not as expected, or the server accepts a TaskSet that
        # changes nothing. The same TaskSet again must now answer "already" if it says so.
        again = await _taskset(client, taskid, probe)
        if again.code == ALREADY[probe]:
            return await _put_back(client, taskid, expect)
        if again.accepted:
            return await _leave_paused(client, taskid, expect)
        if again.code is not None and again.problem is None:
            status = STATUS_BY_CODE[again.code]  # it ended (or went) while it was checked
            return TaskCheck(status, again.code, message=f"task {taskid} is {status.value} now")
    left = "running (it may be dialling)" if probe == OPEN else "paused"
    return TaskCheck(
        CampaignStatus.RUNNING if probe == OPEN else CampaignStatus.PAUSED,
        message=(
            f"task {taskid} was not {expect}: the check {did} it and could not ask again "
            f"({again.problem}); it is {left} now: {_fix(taskid, probe)}"
        ),
        left_changed=True,
    )


async def _put_back(client: WallboardClient, taskid: str, expect: str) -> TaskCheck:
    """The server said the probe found the task otherwise: undo the probe."""
    from wallboard.live.snapshot import CampaignStatus

    if PROBES[expect] == PAUSE:  # it was running
        undo = await _taskset(client, taskid, OPEN)
        if undo.accepted:
            return TaskCheck(
                CampaignStatus.RUNNING,
                message=(
                    f"task {taskid} was running, not paused: the check paused it and opened "
                    f"it again at once; it is running now"
                ),
            )
        return TaskCheck(
            CampaignStatus.PAUSED,
            message=(
                f"task {taskid} was running, not paused: the check paused it and could not "
                f"open it again ({undo.why}); it is paused now: {_fix(taskid, PAUSE)}"
            ),
            left_changed=True,
        )
    undo = await _taskset(client, taskid, PAUSE)  # it was paused or not started
    if undo.accepted:
        return TaskCheck(
            CampaignStatus.PAUSED,
            message=(
                f"task {taskid} was paused or not started, not running: the check opened it "
                f"and paused it again at once; it is paused now"
            ),
        )
    return TaskCheck(
        CampaignStatus.RUNNING,
        message=(
            f"task {taskid} was paused or not started, not running: the check opened it and "
            f"could not pause it again ({undo.why}); it may be dialling: {_fix(taskid, OPEN)}"
        ),
        left_changed=True,
    )


async def _leave_paused(client: WallboardClient, taskid: str, expect: str) -> TaskCheck:
    """The server carries out a TaskSet that changes nothing, so what the task was cannot be
    known: leave it paused, never dialling, and say how to resume it."""
    from wallboard.live.snapshot import CampaignStatus

    said = "the server carries out a TaskSet that changes nothing, so it cannot say"
    resume = f"resume it if it should run (wallboard call TaskSet taskid={taskid} taskstatus=1)"
    if PROBES[expect] == PAUSE:
        return TaskCheck(
            CampaignStatus.PAUSED,
            message=f"{said} whether task {taskid} was running: it is paused now; {resume}",
            left_changed=True,
        )
    pause = await _taskset(client, taskid, PAUSE)
    if pause.accepted:
        return TaskCheck(
            CampaignStatus.PAUSED,
            message=(
                f"{said} whether task {taskid} was running: it was paused to be safe; {resume}"
            ),
            left_changed=True,
        )
    return TaskCheck(
        CampaignStatus.RUNNING,
        message=(
            f"{said} whether task {taskid} was running, and it could not be paused "
            f"({pause.why}); it may be dialling: {_fix(taskid, OPEN)}"
        ),
        left_changed=True,
    )


def _fix(taskid: str, did: int) -> str:
    """How the supervisor undoes what the check did (`did`: the TaskSet it sent)."""
    if did == OPEN:
        return f"pause it with wallboard call TaskSet taskid={taskid} taskstatus=2"
    return f"resume it with wallboard call TaskSet taskid={taskid} taskstatus=1"


@dataclass(frozen=True, slots=True)
class _Answer:
    """One TaskSet's answer: carried out, a task code (1024-1028), or another problem."""

    accepted: bool = False
    code: int | None = None
    problem: Exception | None = None

    @property
    def why(self) -> str:
        return str(self.problem) if self.problem is not None else f"code {self.code}"


async def _taskset(client: WallboardClient, taskid: str, taskstatus: int) -> _Answer:
    from wallboard.api.errors import ApiError, BusinessError
    from wallboard.live.campaigns import STATUS_BY_CODE

    try:
        await client.set_task(taskid, taskstatus)
    except BusinessError as exc:
        if exc.code in STATUS_BY_CODE:
            return _Answer(code=exc.code)
        return _Answer(code=exc.code, problem=exc)
    except ApiError as exc:
        return _Answer(code=exc.code, problem=exc)
    return _Answer(accepted=True)


def _error(message: str) -> None:
    print(f"wallboard track: {message}", file=sys.stderr)


__all__ = ["PROBES", "TaskCheck", "add_parser", "check_task", "run"]
