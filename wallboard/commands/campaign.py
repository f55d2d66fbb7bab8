"""`wallboard campaign create NAME --numbers FILE (--queue Q | --group G | --extensions A,B)`:
a predictive campaign from a list of numbers, for scripts (the New campaign screen does the
same through `wallboard.live.campaign_source`); `wallboard campaign remove TASKID --numbers
FILE` takes numbers out of one.

The list (CSV, a workbook, or `--numbers -` for text pasted on stdin) is checked first and
a preview with its counts is printed; `--dry-run` stops there. Without `--yes` the command
asks before sending, and refuses when there is no terminal to ask on. Then the numbers go as
TaskCreat with the first 10,000 and TaskAdd with each further 10,000, the task is tracked on
the campaigns pane at once, and it is opened (TaskSet 1) unless `--paused`. The rows not
sent (invalid here, held back for calling hours, or refused by the server) are saved beside
the file as `FILE.invalid.csv`.

Calling hours: each number's `time` is set to its first moment inside its local window
(`wallboard.live.calling_hours`; default 08:00-21:00, per region in the settings), counted on
the server's clock; the preview says how many would ring outside their window now and when
each zone's numbers open, and lists the numbers whose zone cannot be told (held back unless
`--unknown-zones send`).

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
    from wallboard.live.calling_hours import CallingRules
    from wallboard.live.campaign_source import CampaignPreview, CampaignRequest, SendOutcome
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.upload import CampaignTarget, UploadProgress
    from wallboard.settings import Profile, Settings

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
        help="create a predictive campaign from a list of numbers, or take numbers out",
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
        "--unknown-zones",
        choices=("hold", "send"),
        default="hold",
        help="numbers whose time zone cannot be told: hold them back (default; listed with "
        "the rows not sent) or send them with no calling-hours check",
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
    remove = actions.add_parser(
        "remove",
        help="take numbers out of a campaign (taskDelPhone) from a file, or - for pasted text",
        description=(
            "Take the numbers of a file out of a campaign before they are dialled "
            "(taskDelPhone); numbers already dialled stay dialled. Confirmed and audited."
        ),
    )
    add_profile_options(remove, top=False)
    remove.add_argument("taskid", help="the campaign's task id")
    remove.add_argument(
        "--numbers", required=True, metavar="FILE", help="CSV/XLSX/text, or - for stdin"
    )
    remove.add_argument(
        "--region",
        default=None,
        metavar="CC",
        help="the region the numbers were sent with (so they match as sent)",
    )
    remove.add_argument("--yes", action="store_true", help="take them out without asking")


def run(args: argparse.Namespace) -> int:
    """`wallboard campaign ACTION ...`; the exit code says how it went."""
    action = getattr(args, "campaign_action", None)
    if action in ("create", "remove"):
        try:
            return _create(args) if action == "create" else _remove(args)
        except KeyboardInterrupt:
            _error(
                "interrupted: nothing more is sent; run the same command again to finish"
                if action == "create"
                else "interrupted: numbers already taken out stay out"
            )
            return EXIT_INTERRUPTED
    _error("wallboard campaign: say what to do (create, remove)")
    return EXIT_USAGE


# ---------------------------------------------------------------------- create


def _create(args: argparse.Namespace) -> int:
    from wallboard.config import ConfigError
    from wallboard.live.calling_hours import schedule
    from wallboard.live.campaign_source import CampaignPreview, CampaignRequest, read_request
    from wallboard.live.numbers_file import NumbersFileError, check_region, parse_moment
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
        from wallboard.live.audit import AuditLog
        from wallboard.live.campaign_source import audit_creation

        origin = settings.origins.get("read_only", "read-only")
        refused = CampaignRequest(name=name, target=target)
        problem = audit_creation(
            AuditLog(), refused, "refused", numbers=0, message=f"read-only ({origin})"
        )
        if problem:
            _error(f"warning: {problem}")
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
    pasted = sys.stdin.read() if source == "-" else ""
    request = CampaignRequest(
        name=name,
        target=target,
        numbers_file=None if source == "-" else Path(source),
        pasted=pasted,
        scale=scale,
        caller_ids=tuple(args.caller_ids or ()),
        start=start,
        region=region,
        running=not args.paused,
        unknown_zones=str(args.unknown_zones),
    )
    rules = calling_rules(settings)
    if profile is None:  # a dry run with no server: this machine's clock, said so
        import time

        try:
            read = read_request(request, tz)
        except NumbersFileError as exc:
            return _usage(str(exc))
        calling = schedule(read, rules, time.time(), unknown=request.unknown_zones)
        _preview(CampaignPreview(request, read, calling, clock_is_servers=False), tz)
        if not read.rows:
            return _usage(f"{read.source}: no valid number to send")
        print("dry run: nothing sent")
        return EXIT_DONE
    return _with_server(args, request, settings, profile, dry_run=dry_run)


def calling_rules(settings: Settings) -> CallingRules:
    """The calling hours the settings give (`[calling_hours]`; checked when they loaded)."""
    return settings.calling_hours.rules()


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


def _preview(preview: CampaignPreview, tz: dt.tzinfo | None) -> None:
    from wallboard.live.campaign_words import preview_lines

    print("\n".join(preview_lines(preview, tz)))


def _confirm(question: str, *, pasted: bool) -> int | None:
    """None to go on; an exit code when the answer is no, or there is no one to ask."""
    if pasted or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return _usage("not sending without a yes: add --yes (there is no terminal to ask on)")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return None
    print("nothing sent")
    return EXIT_FAILED


def _with_server(
    args: argparse.Namespace,
    request: CampaignRequest,
    settings: Settings,
    profile: Profile,
    *,
    dry_run: bool,
) -> int:
    import asyncio

    from wallboard.commands.dashboard import private_data_dir
    from wallboard.live.campaigns import CampaignRegistry

    if not dry_run and not private_data_dir():
        return EXIT_FAILED
    registry = CampaignRegistry.default()
    if registry.problem and not dry_run:
        _error(f"warning: {registry.problem}")
    progress = _ProgressLine()
    try:
        return asyncio.run(
            _preview_and_send(args, request, settings, profile, registry, progress, dry_run)
        )
    except ValueError as exc:  # the profile's url, or the upload's journal, cannot be used
        progress.end()
        return _usage(str(exc), prefix="error")
    except OSError as exc:  # a disk the source could not say: still one line, never a traceback
        progress.end()
        _error(f"wallboard campaign create: {_disk_words(exc)}; run it again to finish")
        return EXIT_FAILED
    except KeyboardInterrupt:
        progress.end()
        raise


async def _preview_and_send(
    args: argparse.Namespace,
    request: CampaignRequest,
    settings: Settings,
    profile: Profile,
    registry: CampaignRegistry,
    progress: _ProgressLine,
    dry_run: bool,
) -> int:
    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaign_source import (
        CampaignProblem,
        CampaignStopped,
        LiveCampaignSource,
    )

    async with WallboardClient(
        profile.url, profile.appid, profile.accesskey, timeout=CALL_TIMEOUT
    ) as client:
        source = LiveCampaignSource(
            client,
            registry,
            AuditLog(),
            read_only=settings.read_only,
            rules=calling_rules(settings),
            tz=profile.tz,
            region=request.region,
        )
        fresh = bool(args.fresh)
        try:
            preview = await source.preview(request, fresh=fresh)
        except CampaignProblem as exc:
            return _usage(str(exc))
        _preview(preview, profile.tz)
        if not preview.numbers.rows:
            return _usage(f"{preview.numbers.source}: no valid number to send")
        if dry_run:
            print("dry run: nothing sent")
            return EXIT_DONE
        if not args.yes:
            question = f"send {preview.numbers.valid:,} numbers as campaign {request.name!r}?"
            answer = _confirm(question, pasted=request.numbers_file is None)
            if answer is not None:
                return answer
        try:
            outcome = await source.send(
                preview, fresh=fresh, on_progress=progress.show, on_note=progress.note
            )
        except CampaignProblem as exc:
            progress.end()
            return _usage(str(exc))
        except CampaignStopped as exc:
            progress.end()
            _error(
                f"wallboard campaign create: {exc}; run the same command again to finish the upload"
            )
            return EXIT_FAILED
        progress.end()
        _report(outcome, preview)
        return EXIT_DONE


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


def _report(outcome: SendOutcome, preview: CampaignPreview) -> None:
    result = outcome.result
    if result.already_done:
        print(
            f"campaign already created from these numbers as task {result.taskid}: nothing "
            "sent (add --fresh to create it again)"
        )
        return
    refused = outcome.refused
    if refused:
        shown = ", ".join(row.given for row in refused[:EXAMPLES])
        more = f" and {len(refused) - EXAMPLES:,} more" if len(refused) > EXAMPLES else ""
        print(f"the server refused {len(refused):,} numbers: {shown}{more}")
    if outcome.saved_to is not None:
        count = len(preview.numbers.invalid) + len(refused)
        print(f"{count:,} rows not sent are listed in {outcome.saved_to}")
    if outcome.save_problem:
        _error(f"warning: {outcome.save_problem}")
    state = "running" if result.status.name == "RUNNING" else "not started (open it when ready)"
    resumed = " (finished an interrupted upload)" if result.resumed else ""
    print(f"task {result.taskid}: {result.accepted:,} numbers, {state}; tracked{resumed}")


# ---------------------------------------------------------------------- remove


def _remove(args: argparse.Namespace) -> int:
    """`wallboard campaign remove TASKID --numbers FILE`: taskDelPhone, confirmed, audited."""
    import asyncio

    from wallboard.config import ConfigError
    from wallboard.live.numbers_file import (
        NumbersFileError,
        check_region,
        read_numbers_file,
        read_numbers_text,
    )
    from wallboard.settings import load_settings

    taskid = str(args.taskid or "").strip()
    if not taskid:
        return _usage("a task id is needed", prefix="wallboard campaign remove")
    try:
        region = check_region(args.region)
        settings = load_settings(command_line(args), need_profile=True)
    except ValueError as exc:
        return _usage(f"--region: {exc}", prefix="wallboard campaign remove")
    except ConfigError as exc:
        return _usage(str(exc), prefix="error")
    if args.region is None:
        region = settings.region
    profile = settings.profile
    assert profile is not None  # need_profile
    source = str(args.numbers)
    try:
        if source == "-":
            listed = read_numbers_text(sys.stdin.read(), region=region, tz=profile.tz)
        else:
            listed = read_numbers_file(Path(source), region=region, tz=profile.tz)
    except NumbersFileError as exc:
        return _usage(str(exc), prefix="wallboard campaign remove")
    phones = [row.phone for row in listed.rows]
    print(
        f"take {len(phones):,} numbers out of task {taskid} (from {listed.source}; "
        f"{len(listed.invalid):,} rows not numbers, {listed.duplicates:,} repeated)"
    )
    if not phones:
        return _usage(f"{listed.source}: no number to take out", prefix="wallboard campaign remove")
    origin = settings.origins.get("read_only", "read-only") if settings.read_only else ""
    if not origin and not args.yes:
        answer = _confirm(
            f"take {len(phones):,} numbers out of task {taskid}?", pasted=source == "-"
        )
        if answer is not None:
            return answer
    from wallboard.commands.dashboard import private_data_dir

    if not private_data_dir():
        return EXIT_FAILED
    try:
        return asyncio.run(_send_removal(profile, taskid, phones, read_only=bool(origin)))
    except OSError as exc:  # a disk the source could not say: still one line
        _error(f"wallboard campaign remove: {_disk_words(exc)}")
        return EXIT_FAILED


async def _send_removal(
    profile: Profile, taskid: str, phones: list[str], *, read_only: bool
) -> int:
    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaign_source import (
        CampaignProblem,
        CampaignRefused,
        CampaignStopped,
        LiveCampaignSource,
    )
    from wallboard.live.campaigns import CampaignRegistry

    prefix = "wallboard campaign remove"
    try:
        client = WallboardClient(
            profile.url, profile.appid, profile.accesskey, timeout=CALL_TIMEOUT
        )
    except ValueError as exc:
        return _usage(str(exc), prefix="error")
    async with client:
        source = LiveCampaignSource(
            client, CampaignRegistry.default(), AuditLog(), read_only=read_only, tz=profile.tz
        )
        try:
            outcome = await source.remove_numbers(taskid, phones)
        except (CampaignRefused, CampaignProblem) as exc:
            return _usage(str(exc), prefix=prefix)
        except CampaignStopped as exc:
            _error(f"{prefix}: {exc}")
            return EXIT_FAILED
    if outcome.warning:
        _error(f"warning: {outcome.warning}")
    print(f"task {taskid}: {outcome.removed:,} numbers taken out (those already dialled stay so)")
    return EXIT_DONE


def _disk_words(exc: OSError) -> str:
    """A disk problem in one line: "FILE cannot be written (No space left on device)"."""
    where = f"{exc.filename} " if exc.filename else "a file "
    return f"{where}cannot be written ({exc.strerror or exc})"


def _usage(message: str, *, prefix: str = "wallboard campaign create") -> int:
    _error(f"{prefix}: {message}")
    return EXIT_USAGE


def _error(message: str) -> None:
    print(message, file=sys.stderr)


__all__ = ["add_parser", "run"]
