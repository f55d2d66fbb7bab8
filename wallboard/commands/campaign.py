"""`wallboard campaign create NAME --numbers FILE (--queue Q | --group G | --extensions A,B)`:
a predictive campaign from a list of numbers, for scripts (the screen comes later).

The list (CSV, a workbook, or `--numbers -` for text pasted on stdin) is checked first and
a preview with its counts is printed; `--dry-run` stops there. Without `--yes` the command
asks before sending, and refuses when there is no terminal to ask on. Then the numbers go as
TaskCreat with the first 10,000 and TaskAdd with each further 10,000, the task is tracked on
the campaigns pane at once, and it is opened (TaskSet 1) unless `--paused`. The rows not
sent (invalid here, or refused by the server) are saved beside the file as
`FILE.invalid.csv`.

An interrupted upload is finished by running the same command again (same name, same
numbers and settings): the journal in the data dir says what was sent, and nothing is sent
twice (see `wallboard.live.upload`). A finished one is not sent again. `--fresh` forgets
an unfinished upload of that name and starts over.

Exit codes: 0 done (or already done); 1 the server refused or could not be reached, or the
upload stopped part-way (run it again to finish); 2 a mistake in the command, the list or
the settings; 130 interrupted (run it again to finish).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.options import Subparsers, add_profile_options, command_line, csv_list

if TYPE_CHECKING:
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.numbers_file import NumbersList, RejectedRow
    from wallboard.live.upload import (
        CampaignTarget,
        UploadJournal,
        UploadPlan,
        UploadProgress,
        UploadResult,
    )
    from wallboard.settings import Profile

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: How many invalid rows the preview shows as examples.
EXAMPLES = 5
#: Mutations may take a while with 10,000 numbers in one call.
CALL_TIMEOUT = 60.0

_SCALE = re.compile(r"^\s*(\d{1,3})\s*:\s*(\d{1,3})\s*$")


def add_parser(subparsers: Subparsers) -> None:
    campaign = subparsers.add_parser(
        "campaign",
        help="create a predictive campaign from a list of numbers",
        description="Predictive campaigns (tasks) for scripts.",
    )
    add_profile_options(campaign, top=False)
    actions = campaign.add_subparsers(dest="campaign_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create a campaign from a numbers file (CSV, XLSX, or - for pasted text)",
        description=(
            "Check a list of numbers, show its counts, and create a predictive campaign "
            "from it (TaskCreat, then TaskAdd per 10,000). Run the same command again to "
            "finish an interrupted upload."
        ),
        epilog=(
            "columns (a header row; without one the first column is the number): "
            "telphone (or phone, number), userid, memberid, chengshudu, customuuid, time. "
            "exit codes: 0 done; 1 the server refused or the upload stopped (run it again "
            "to finish); 2 a mistake in the command, the list or the settings"
        ),
    )
    add_profile_options(create, top=False)
    create.add_argument("name", help="the campaign's name (also the task's name on the server)")
    create.add_argument(
        "--numbers",
        required=True,
        metavar="FILE",
        help="CSV or text (one number a line), XLSX/XLS/ODS, or - to read pasted text on stdin",
    )
    target = create.add_mutually_exclusive_group(required=True)
    target.add_argument("--queue", metavar="Q", help="the queue that takes the calls")
    target.add_argument("--group", metavar="G", help="the extension group that takes the calls")
    target.add_argument(
        "--extensions", type=csv_list, metavar="A,B", help="the extension(s) that take the calls"
    )
    create.add_argument(
        "--scale",
        default="1:1",
        metavar="A:B",
        help="for every A idle agents keep B calls dialling (default 1:1)",
    )
    create.add_argument(
        "--caller-ids",
        type=csv_list,
        default=[],
        metavar="X,Y",
        help="caller ids to show (the company's numbers; default: chosen by the server)",
    )
    create.add_argument(
        "--start",
        default=None,
        metavar='"yyyy-mm-dd hh:mm:ss"',
        help="dial no number before this moment, in the server's zone (a row's time wins)",
    )
    create.add_argument(
        "--region",
        default=None,
        metavar="CC",
        help="the country of numbers written without a country code (e.g. GB, US, CN); "
        "numbers are sent as dialled from it (default: the profile's region, or "
        "WALLBOARD_REGION)",
    )
    create.add_argument(
        "--paused", action="store_true", help="create it without opening it (no dialling yet)"
    )
    create.add_argument("--yes", action="store_true", help="send without asking")
    create.add_argument(
        "--dry-run", action="store_true", help="check the list and show the preview only"
    )
    create.add_argument(
        "--fresh",
        action="store_true",
        help="forget an unfinished or finished upload of this name and send everything anew",
    )


def run(args: argparse.Namespace) -> int:
    """`wallboard campaign ACTION ...`; the exit code says how it went."""
    if getattr(args, "campaign_action", None) == "create":
        try:
            return _create(args)
        except KeyboardInterrupt:
            _error(
                "interrupted: nothing more is sent; run the same command again to finish the upload"
            )
            return EXIT_INTERRUPTED
    _error("wallboard campaign: say what to do (create)")
    return EXIT_USAGE


# ---------------------------------------------------------------------- create


def _create(args: argparse.Namespace) -> int:
    from wallboard.config import ConfigError
    from wallboard.live.numbers_file import (
        NumbersFileError,
        check_region,
        parse_moment,
        read_numbers_file,
        read_numbers_text,
    )
    from wallboard.settings import load_settings

    name = str(args.name or "").strip()
    if not name:
        return _usage("a campaign name is needed")
    target = _target(args)
    if isinstance(target, str):
        return _usage(target)
    scale = _scale(str(args.scale))
    if scale is None:
        return _usage(f"--scale {args.scale!r}: write A:B with A and B from 1 to 100")
    try:
        region = check_region(args.region)
    except ValueError as exc:
        return _usage(f"--region: {exc}")
    dry_run = bool(args.dry_run)
    try:
        try:
            settings = load_settings(command_line(args), need_profile=True)
        except ConfigError:
            if not dry_run:
                raise
            # A look at a list needs no server; the profile only gives the server's zone.
            settings = load_settings(command_line(args), need_profile=False)
    except ConfigError as exc:
        return _usage(str(exc), prefix="error")
    if settings.read_only and not dry_run:
        origin = settings.origins.get("read_only", "read-only")
        return _usage(f"read-only ({origin}): a new campaign changes the floor; --dry-run only")
    profile = settings.profile
    tz = profile.tz if profile else None
    if args.region is None:  # the profile's (or WALLBOARD_REGION); --region "" says none
        region = settings.region
    try:
        start = parse_moment(args.start, tz) if args.start else None
    except ValueError:
        return _usage(f'--start {args.start!r}: write "yyyy-mm-dd hh:mm:ss" (the server\'s zone)')
    source = str(args.numbers)
    try:
        if source == "-":
            numbers = read_numbers_text(sys.stdin.read(), region=region, tz=tz, start=start)
        else:
            numbers = read_numbers_file(Path(source), region=region, tz=tz, start=start)
    except NumbersFileError as exc:
        return _usage(str(exc))
    caller_ids = tuple(args.caller_ids or ())
    _preview(name, numbers, target, scale, caller_ids, region, start, tz, paused=args.paused)
    if not numbers.rows:
        return _usage(f"{numbers.source}: no valid number to send")
    if dry_run:
        print("dry run: nothing sent")
        return EXIT_DONE
    if not args.yes:
        answer = _confirm(name, numbers.valid, pasted=source == "-")
        if answer is not None:
            return answer
    assert profile is not None  # need_profile
    return _upload(args, name, numbers, target, scale, caller_ids, profile)


def _target(args: argparse.Namespace) -> CampaignTarget | str:
    from wallboard.live.upload import (
        ASSIGN_EXTENSION,
        ASSIGN_GROUP,
        ASSIGN_QUEUE,
        CampaignTarget,
    )

    if args.queue is not None:
        queue = str(args.queue).strip()
        return CampaignTarget(ASSIGN_QUEUE, queue) if queue else "--queue: a queue name is needed"
    if args.group is not None:
        group = str(args.group).strip()
        return CampaignTarget(ASSIGN_GROUP, group) if group else "--group: a group name is needed"
    extensions = list(args.extensions or [])
    if not extensions:
        return "--extensions: at least one extension is needed"
    return CampaignTarget(ASSIGN_EXTENSION, ",".join(extensions))


def _scale(text: str) -> str | None:
    """TaskCreat's taskscale "a:b", or None when it is not one."""
    found = _SCALE.match(text)
    if not found:
        return None
    a, b = int(found.group(1)), int(found.group(2))
    return f"{a}:{b}" if 1 <= a <= 100 and 1 <= b <= 100 else None


def _preview(
    name: str,
    numbers: NumbersList,
    target: CampaignTarget,
    scale: str,
    caller_ids: tuple[str, ...],
    region: str | None,
    start: int | None,
    tz: dt.tzinfo | None,
    *,
    paused: bool,
) -> None:
    """What would be sent, counted, before anything is."""
    from wallboard.api.services import MAX_NUMBERS_PER_CALL

    calls = -(-numbers.valid // MAX_NUMBERS_PER_CALL)
    adds = max(0, calls - 1)
    sending = f"1 TaskCreat + {adds} TaskAdd" if calls else "nothing"
    callers = ", ".join(caller_ids) if caller_ids else "chosen by the server"
    lines = [
        f"campaign {name!r} from {numbers.source}, for {target.label} "
        f"(scale {scale}, caller ids {callers})",
        f"  rows read   {numbers.read:>9,}",
        f"  valid       {numbers.valid:>9,}   to send in {sending}",
        f"  invalid     {len(numbers.invalid):>9,}",
        f"  duplicate   {numbers.duplicates:>9,}   (the first of each is kept)",
    ]
    for row in numbers.invalid[:EXAMPLES]:
        lines.append(f"    line {row.line}: {row.given!r}: {row.reason}")
    if len(numbers.invalid) > EXAMPLES:
        lines.append(f"    ... and {len(numbers.invalid) - EXAMPLES:,} more")
    if numbers.ignored_columns:
        lines.append(f"  columns ignored: {', '.join(numbers.ignored_columns)}")
    dialled = f"as dialled from {region}" if region else "in E.164 (no --region)"
    when = "now" if start is None else _moment(start, tz)
    after = "left not started (--paused)" if paused else "opened (dialling starts)"
    lines.append(f"  numbers sent {dialled}; first dial {when}; the task is then {after}")
    print("\n".join(lines))


def _moment(seconds: int, tz: dt.tzinfo | None) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz) if tz else dt.datetime.fromtimestamp(seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _confirm(name: str, count: int, *, pasted: bool) -> int | None:
    """None to go on; an exit code when the answer is no, or there is no one to ask."""
    if pasted or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return _usage("not sending without a yes: add --yes (there is no terminal to ask on)")
    try:
        answer = input(f"send {count:,} numbers as campaign {name!r}? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return None
    print("nothing sent")
    return EXIT_FAILED


def _upload(
    args: argparse.Namespace,
    name: str,
    numbers: NumbersList,
    target: CampaignTarget,
    scale: str,
    caller_ids: tuple[str, ...],
    profile: Profile,
) -> int:
    import asyncio

    from wallboard.api.errors import ApiError
    from wallboard.commands.dashboard import private_data_dir
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.upload import UploadConflict, UploadError, UploadJournal, UploadPlan

    if not private_data_dir():
        return EXIT_FAILED
    registry = CampaignRegistry.default()
    if registry.problem:
        _error(f"warning: {registry.problem}")
    journal = UploadJournal.for_campaign(name)
    plan = UploadPlan(
        name=name,
        target=target,
        entries=tuple(numbers.entries()),
        taskscale=scale,
        caller_ids=caller_ids,
    )
    progress = _ProgressLine()
    try:
        result = asyncio.run(
            _send(
                profile,
                registry,
                journal,
                plan,
                open_task=not args.paused,
                fresh=bool(args.fresh),
                progress=progress,
            )
        )
    except UploadConflict as exc:
        progress.end()
        return _usage(str(exc))
    except UploadError as exc:
        progress.end()
        _audit(name, target, len(plan.entries), "failed", message=str(exc))
        _error(f"wallboard campaign create: {exc}")
        return EXIT_FAILED
    except ApiError as exc:
        progress.end()
        taskid = journal.load().taskid
        _audit(name, target, len(plan.entries), "failed", taskid, code=exc.code, message=str(exc))
        where = f" (task {taskid})" if taskid else ""
        _error(
            f"wallboard campaign create: stopped{where}: {exc}; run the same command again "
            "to finish the upload"
        )
        return EXIT_FAILED
    except ValueError as exc:  # the profile's url, or the upload's journal, cannot be used
        progress.end()
        return _usage(str(exc), prefix="error")
    except KeyboardInterrupt:
        progress.end()
        raise
    progress.end()
    if not result.already_done:
        _audit(name, target, len(plan.entries), "ok", result.taskid, accepted=result.accepted)
    _report(result, numbers, source=str(args.numbers), journal_dir=journal.path.parent)
    return EXIT_DONE


def _audit(
    name: str,
    target: CampaignTarget,
    numbers: int,
    outcome: str,
    taskid: str | None = None,
    *,
    code: int | None = None,
    message: str = "",
    accepted: int | None = None,
) -> None:
    """One line in the audit log: a campaign made (or not) changes the floor's day."""
    from wallboard.live.audit import AuditLog

    details: dict[str, object] = {"campaign": name, "assigned_to": target.label}
    details["numbers"] = numbers if accepted is None else accepted
    try:
        AuditLog().append(
            action="create campaign",
            target=f"task {taskid}" if taskid else f"campaign {name}",
            outcome=outcome,
            code=code,
            message=message,
            details=details,
        )
    except OSError as exc:
        _error(f"warning: not written to the audit log: {exc.strerror or exc}")


async def _send(
    profile: Profile,
    registry: CampaignRegistry,
    journal: UploadJournal,
    plan: UploadPlan,
    *,
    open_task: bool,
    fresh: bool,
    progress: _ProgressLine,
) -> UploadResult:
    from wallboard.api.client import WallboardClient
    from wallboard.live.upload import CampaignUpload

    async with WallboardClient(
        profile.url, profile.appid, profile.accesskey, timeout=CALL_TIMEOUT
    ) as client:
        upload = CampaignUpload(
            client,
            registry,
            journal,
            plan,
            open_task=open_task,
            fresh=fresh,
            on_progress=progress.show,
            on_note=progress.note,
        )
        return await upload.run()


class _ProgressLine:
    """`sent 20,000 of 24,300 numbers (2 of 3 calls)` on stderr: rewritten in place on a
    terminal, one line per call otherwise (a log, a pipe)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.open = False

    def show(self, progress: UploadProgress) -> None:
        share = progress.numbers_sent / progress.numbers_total if progress.numbers_total else 1
        text = (
            f"sent {progress.numbers_sent:,} of {progress.numbers_total:,} numbers "
            f"({progress.chunks_sent} of {progress.chunks_total} calls, {share:.0%})"
        )
        if self.tty:
            sys.stderr.write("\r" + text + "\x1b[K")
            self.open = True
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def note(self, text: str) -> None:
        self.end()
        sys.stderr.write(f"note: {text}\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self.open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.open = False


def _report(result: UploadResult, numbers: NumbersList, *, source: str, journal_dir: Path) -> None:
    from wallboard.live.numbers_file import (
        invalid_path,
        server_rejections,
        write_rejected,
    )

    if result.already_done:
        print(
            f"campaign already created from these numbers as task {result.taskid}: nothing "
            "sent (add --fresh to create it again)"
        )
        return
    refused = server_rejections(numbers, result.refused)
    rejected: list[RejectedRow] = [*numbers.invalid, *refused]
    if refused:
        shown = ", ".join(row.given for row in refused[:EXAMPLES])
        more = f" and {len(refused) - EXAMPLES:,} more" if len(refused) > EXAMPLES else ""
        print(f"the server refused {len(refused):,} numbers: {shown}{more}")
    if rejected:
        if source == "-":
            path = journal_dir / f"task-{result.taskid}.invalid.csv"
        else:
            path = invalid_path(Path(source))
        try:
            count = write_rejected(path, rejected)
            print(f"{count:,} rows not sent are listed in {path}")
        except OSError as exc:
            _error(f"warning: cannot write {path}: {exc.strerror or exc}")
    state = "running" if result.status.name == "RUNNING" else "not started (open it when ready)"
    resumed = " (finished an interrupted upload)" if result.resumed else ""
    print(f"task {result.taskid}: {result.accepted:,} numbers, {state}; tracked{resumed}")


def _usage(message: str, *, prefix: str = "wallboard campaign create") -> int:
    _error(f"{prefix}: {message}")
    return EXIT_USAGE


def _error(message: str) -> None:
    print(message, file=sys.stderr)


__all__ = ["add_parser", "run"]
