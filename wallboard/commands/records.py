"""`wallboard records`: the call records of a range, for a person or a script.

    wallboard records [--from WHEN] [--to WHEN] [--queue Q] [--ext A,B] [--dest NUMBER]
                      [--campaign TASKID] [--direction in|out|all] [--method M]
                      [--answered | --dropped | --unanswered]
                      [--csv FILE | --json] [--summary agent|campaign | --abandoned]
                      [--recording BILLID|FILE [--download FILE]]

The range is in the server's day and zone (the profile's `tz`, counted on the server's
clock): by default today. Records are read with GetBill's `syncflag 3` only, page by page,
and written as they are read, so an export of any size holds one page in memory. A table
for a person by default; `--csv FILE` (`-` for stdout: a header row, then one row a record)
or `--json` (one document) for scripts. `--summary` gives per-agent or per-campaign
figures, `--abandoned` the numbers to call back (answered by the customer, never reached
by an agent, newest first, one per number). `--recording` prints a recording's download
link and its expiry; with `--download FILE` it saves the file.

Exit codes: 0 done; 1 the server could not be read, a file could not be written, or the
recording was not found; 2 a mistake on the command line or in the settings. Always one
line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wallboard.commands.options import Subparsers, add_profile_options, command_line, csv_list
from wallboard.config import ConfigError

if TYPE_CHECKING:
    import datetime as dt

    from wallboard.api.client import WallboardClient
    from wallboard.live.campaigns import TrackedTask
    from wallboard.live.records import CallRecords, Query, RecordFilter
    from wallboard.live.records_window import RecordRange
    from wallboard.settings import Profile, Settings

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: `--csv -`: the CSV goes to stdout.
STDOUT = "-"
#: An export holds customers' numbers: readable by its owner only.
FILE_MODE = 0o600
NAME = "wallboard records"


class _Failed(Exception):
    """Stop with this exit code; the message is the one line for stderr."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def add_parser(subparsers: Subparsers) -> None:
    records = subparsers.add_parser(
        "records",
        help="call records of a range: a table, CSV or JSON, summaries, call-backs, recordings",
        description=(
            "Read the call records (GetBill, never marking them read) of a range of the "
            "server's day, filter them, and print them, export them, sum them up by agent or "
            "campaign, list the abandoned calls to call back, or fetch a recording."
        ),
        epilog=(
            "WHEN: today, yesterday, now, 2026-01-05, '2026-01-05 09:30', 09:30, or a time "
            "back from now written --from=-2h (-90m, -1d); all in the server's zone. "
            "Exit codes: 0 done; 1 the server could not be read, a file could not be "
            "written, or the recording was not found; 2 a mistake on the command line or "
            "in the settings"
        ),
    )
    add_profile_options(records, top=False)
    when = records.add_argument_group("range (default: the server's today)")
    when.add_argument("--from", dest="start", metavar="WHEN", help="first dial time")
    when.add_argument("--to", dest="end", metavar="WHEN", help="last dial time")
    which = records.add_argument_group("filters")
    which.add_argument("--queue", default="", help="calls taken by this queue's agents")
    which.add_argument("--ext", type=csv_list, default=[], metavar="A,B", help="extensions")
    which.add_argument("--dest", default="", metavar="NUMBER", help="the number called")
    which.add_argument("--campaign", default="", metavar="TASKID", help="a tracked campaign")
    which.add_argument(
        "--direction", choices=("in", "out", "all"), default="all", help="call direction"
    )
    which.add_argument(
        "--method",
        default="any",
        metavar="M",
        help="call method: any, extension, manual, api, api-double, predictive, ivr, or 0-6",
    )
    outcome = which.add_mutually_exclusive_group()
    outcome.add_argument("--answered", action="store_true", help="calls an agent took")
    outcome.add_argument(
        "--dropped", action="store_true", help="answered by the customer, taken by no agent"
    )
    outcome.add_argument("--unanswered", action="store_true", help="never answered")
    output = records.add_mutually_exclusive_group()
    output.add_argument("--csv", metavar="FILE", help="write CSV ('-': stdout)")
    output.add_argument("--json", action="store_true", help="print one JSON document")
    what = records.add_mutually_exclusive_group()
    what.add_argument("--summary", choices=("agent", "campaign"), help="figures per row")
    what.add_argument("--abandoned", action="store_true", help="numbers to call back")
    what.add_argument(
        "--recording", metavar="BILLID", help="a bill's recording link (or a file name)"
    )
    records.add_argument("--download", metavar="FILE", help="with --recording: save the file")


def run(args: argparse.Namespace) -> int:
    """`wallboard records ...`; the exit code."""
    import asyncio

    from wallboard.live.records_window import WindowError
    from wallboard.settings import load_settings

    if args.download and not args.recording:
        return _error("--download goes with --recording", EXIT_USAGE)
    try:
        settings = load_settings(command_line(args), need_profile=True)
        profile = settings.profile
        assert profile is not None  # need_profile
        _check_forms(args.start, args.end, profile.tz)
        _filter(args, "", "")  # --method, early
        client = _client(profile)
    except (ConfigError, WindowError) as exc:
        return _error(str(exc), EXIT_USAGE)
    except _Failed as exc:
        return _error(str(exc), exc.code)
    try:
        return asyncio.run(_run(args, client, profile, settings))
    except _Failed as exc:
        return _error(str(exc), exc.code)


def _error(message: str, code: int) -> int:
    print(f"{NAME}: {message}", file=sys.stderr)
    return code


def _client(profile: Profile) -> WallboardClient:
    from wallboard.commands.profile import profile_client

    return profile_client(profile)


def _filter(args: argparse.Namespace, start: str, end: str) -> RecordFilter:
    from wallboard.live.records import DIRECTIONS, Outcome, RecordFilter, RecordsError, call_method

    try:
        method = call_method(args.method)
    except RecordsError as exc:
        raise _Failed(f"--method: {exc}", EXIT_USAGE) from None
    outcome = Outcome.ALL
    if args.answered:
        outcome = Outcome.ANSWERED
    elif args.dropped:
        outcome = Outcome.DROPPED
    elif args.unanswered:
        outcome = Outcome.UNANSWERED
    return RecordFilter(
        start=start,
        end=end,
        direction=DIRECTIONS[args.direction],
        method=method,
        extensions=tuple(args.ext),
        queue=args.queue.strip(),
        destination=args.dest.strip(),
        campaign=args.campaign.strip(),
        outcome=outcome,
    )


def _check_forms(start: str | None, end: str | None, tz: dt.tzinfo | None) -> None:
    """The typed ends' forms, before anything is asked of the server; their order too where
    this machine's clock cannot get it wrong: both ends dated, or both read from "today"
    (the server's day, which may not be this machine's, orders a mixed pair later)."""
    from wallboard.live.records_window import dated, moment_text, window

    now = time.time()
    for typed, is_end in ((start, False), (end, True)):
        if typed is not None:
            moment_text(typed, now=now, tz=tz, end=is_end)
    if start is not None and end is not None and dated(start) == dated(end):
        window(start, end, now=now, tz=tz)


async def _run(
    args: argparse.Namespace, client: WallboardClient, profile: Profile, settings: Settings
) -> int:
    from wallboard.api.errors import ApiError
    from wallboard.live.records import CallRecords, RecordsError
    from wallboard.live.records_window import WindowError, window
    from wallboard.live.words import describe_failure

    async with client:
        try:
            records = CallRecords(client, tz=profile.tz, campaigns=_campaigns(args))
            await records.learn_clock()  # the server's clock: its "today"
            span = window(args.start, args.end, now=records.server_now(), tz=profile.tz)
            query = await records.prepare(_filter(args, span.start, span.end))
            if args.recording:
                return await _recording(args, records, query)
            if args.summary:
                return await _summary(args, records, query, span, settings)
            if args.abandoned:
                return await _abandoned(args, records, query, span)
            return await _export(args, records, query, span)
        except (WindowError, RecordsError) as exc:
            raise _Failed(str(exc), EXIT_USAGE) from None
        except ApiError as exc:
            raise _Failed(describe_failure(exc, profile=profile.name or None)) from None


def _campaigns(args: argparse.Namespace) -> Callable[[], Iterable[TrackedTask]]:
    """The tracked campaigns' source: the registry, read only when a campaign is asked
    about (its numbers are what ties a call to a campaign)."""
    if not args.campaign and args.summary != "campaign":
        return lambda: ()
    from wallboard.live.campaigns import CampaignRegistry

    registry = CampaignRegistry.default()
    if registry.problem:
        print(f"{NAME}: warning: {registry.problem}", file=sys.stderr)
    return registry.tasks


def _about(span: RecordRange, records: CallRecords) -> dict[str, object]:
    from wallboard.live.records_browser import zone_name

    return {"from": span.start, "to": span.end, "tz": zone_name(records.tz)}


@contextlib.contextmanager
def _output(target: str | None) -> Iterator[TextIO]:
    """stdout, or a file written beside its name and renamed once whole (0600)."""
    if target is None or target == STDOUT:
        yield sys.stdout
        return
    path = Path(target).expanduser()
    partial = path.with_name(f".{path.name}.part")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise _Failed(f"{path} cannot be written ({exc.strerror or exc})") from None
    try:
        with stream:
            yield stream
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise _Failed(f"{path} cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


async def _export(
    args: argparse.Namespace, records: CallRecords, query: Query, span: RecordRange
) -> int:
    from wallboard.live.records_export import CsvExport, JsonExport, table_header, table_lines

    total = 0
    if args.csv is not None:
        with _output(args.csv) as stream:
            csv_out = CsvExport(stream)
            csv_out.header()
            async for page in records.pages(query):
                total = page.total
                csv_out.page(page.rows)
        written = csv_out.written
        where = "stdout" if args.csv == STDOUT else args.csv
        print(
            f"{NAME}: {written} records written to {where} ({span}, server time; "
            f"the server counted {total})",
            file=sys.stderr,
        )
        return EXIT_DONE
    if args.json:
        json_out = JsonExport(sys.stdout)
        json_out.begin(_about(span, records))
        async for page in records.pages(query):
            total = page.total
            json_out.page(page.rows)
        json_out.end(total)
        return EXIT_DONE
    sys.stdout.write(f"{span} (server time, {_about(span, records)['tz']})\n")
    sys.stdout.write(table_header())
    count = 0
    async for page in records.pages(query):
        count += len(page.rows)
        sys.stdout.write(table_lines(page.rows))
        sys.stdout.flush()
    sys.stdout.write(f"{count} records\n")
    return EXIT_DONE


async def _summary(
    args: argparse.Namespace,
    records: CallRecords,
    query: Query,
    span: RecordRange,
    settings: Settings,
) -> int:
    import csv

    from wallboard.commands.names import agent_names
    from wallboard.live.records_browser import summarise
    from wallboard.live.records_export import (
        SUMMARY_HEADER,
        safe_cell,
        summary_cells,
        summary_document,
        summary_table,
    )
    from wallboard.live.records_summary import SummaryBy

    names = agent_names(settings)
    by = SummaryBy(args.summary)
    found = await summarise(records, query, by, names=names.name_for)
    rows = [*found.rows(), found.total]
    if args.json:
        document = {
            **_about(span, records),
            "by": by.value,
            "rows": [summary_document(row) for row in found.rows()],
            "total": summary_document(found.total),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif args.csv is not None:
        with _output(args.csv) as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(SUMMARY_HEADER)
            writer.writerows([safe_cell(cell) for cell in summary_cells(row)] for row in rows)
    else:
        sys.stdout.write(f"{span} (server time), by {by.value}\n")
        sys.stdout.write(summary_table(rows))
    return EXIT_DONE


async def _abandoned(
    args: argparse.Namespace, records: CallRecords, query: Query, span: RecordRange
) -> int:
    import csv
    from dataclasses import asdict

    from wallboard.live.records_browser import call_backs
    from wallboard.live.records_export import (
        ABANDONED_HEADER,
        abandoned_cells,
        abandoned_table,
        safe_cell,
    )

    calls = await call_backs(records, query)
    if args.json:
        document = {**_about(span, records), "calls": [asdict(call) for call in calls]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif args.csv is not None:
        with _output(args.csv) as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(ABANDONED_HEADER)
            writer.writerows([safe_cell(cell) for cell in abandoned_cells(c)] for c in calls)
    else:
        sys.stdout.write(f"{span} (server time): {len(calls)} numbers to call back\n")
        sys.stdout.write(abandoned_table(calls))
    return EXIT_DONE


async def _recording(args: argparse.Namespace, records: CallRecords, query: Query) -> int:
    from wallboard.live.records_download import DownloadError, download

    wanted = args.recording.strip()
    filename = wanted
    if wanted.isdigit():
        row = await records.find(query, wanted)
        if row is None:
            raise _Failed(f"no call record {wanted} between {query.start} and {query.end}")
        if not row.recording:
            raise _Failed(f"call {wanted} has no recording (only calls an agent took are)")
        filename = row.recording
    link = await records.recording(filename)
    if not link.url:
        raise _Failed(f"the server gave no download link for {filename}")
    if args.json:
        document = {"filename": link.filename, "url": link.url, "expires": link.expires}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(f"recording: {link.filename}")
        print(f"link:      {link.url}")
        print(f"expires:   {link.expires} (server time)")
    if args.download:
        try:
            size = await download(link.url, Path(args.download))
        except DownloadError as exc:
            raise _Failed(str(exc)) from None
        print(f"{NAME}: saved {size} bytes to {args.download}", file=sys.stderr)
    return EXIT_DONE


__all__ = ["EXIT_DONE", "EXIT_FAILED", "EXIT_USAGE", "add_parser", "run"]
