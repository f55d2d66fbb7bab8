"""`wallboard report`: the floor's history by agent, campaign, queue or day, from the store.

    wallboard report --from 2026-01-01 --to 2026-01-31 --by campaign --html january.html

Read from the history store only (the SQLite file in the data dir, or `--db` a Postgres
URL): no request to the vendor server, so a report costs the floor nothing and works with
the server down. Dates are days in the profile's time zone (`--tz` to give one without a
profile); `--to` is included. Without `--csv` or `--html` the table is printed.

Exit codes: 0 written; 1 the store cannot be read or the file written; 2 a mistake on the
command line or in the settings. Always one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.options import Subparsers, add_profile_options, command_line
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.history.store import HistoryStore
    from wallboard.settings import Settings

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
STDOUT = "-"
DEFAULT_DAYS = 7  # without --from: the week up to --to


def add_parser(subparsers: Subparsers) -> None:
    report = subparsers.add_parser(
        "report",
        help="the floor's history by agent, campaign, queue or day (from the history store)",
        description=(
            "Report calls, answers, drops, abandon rates (period, 24 h, 30 d), talk, "
            "paused and idle time from the history store. Never asks the vendor server."
        ),
        epilog="exit codes: 0 written; 1 the store cannot be read or the file written; 2 usage",
    )
    add_profile_options(report, top=False)
    report.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (default: a week back)"
    )
    report.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (default: today)"
    )
    report.add_argument(
        "--by", choices=("agent", "campaign", "queue", "day"), default="day", help="rows per"
    )
    out = report.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="FILE", help="write CSV (- for stdout)")
    out.add_argument("--html", metavar="FILE", help="write a self-contained HTML page with plots")
    report.add_argument(
        "--db", metavar="URL", help="the history store: a postgresql:// URL or a SQLite file"
    )
    report.add_argument("--tz", metavar="ZONE", help="the days' time zone (default: the profile's)")


def run(args: argparse.Namespace) -> int:
    from wallboard.live.history.dialect import StoreError
    from wallboard.live.history.report import as_csv, as_text, build_report

    try:
        tz, where, names = _settings(args)
        start, end = period(getattr(args, "date_from", None), getattr(args, "date_to", None), tz)
    except (ConfigError, ValueError) as exc:
        return _error(str(exc), EXIT_USAGE)
    try:
        store = _open(where, tz)
    except StoreError as exc:
        return _error(str(exc), EXIT_FAILED)
    try:
        report = build_report(
            store,
            start,
            end,
            getattr(args, "by", "day"),
            tz=tz,
            campaign_names=_campaign_names(),
            agent_names=names,
        )
    except Exception as exc:  # the database's own errors (sqlite3, psycopg): one line
        return _error(f"the history store {store.where} cannot be read: {_first_line(exc)}", 1)
    finally:
        store.db.close()
    if getattr(args, "csv", None):
        return _write(args.csv, as_csv(report))
    if getattr(args, "html", None):
        from wallboard.live.history.html_report import as_html

        return _write(args.html, as_html(report))
    sys.stdout.write(as_text(report))
    return EXIT_DONE


def period(first: str | None, last: str | None, tz: dt.tzinfo | None) -> tuple[float, float]:
    """The days from `first` to `last` (included) in the zone, as unix seconds [start, end)."""
    today = dt.datetime.now(tz).date()
    last_day = _day(last, "--to") if last else today
    first_day = _day(first, "--from") if first else last_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise ValueError(f"--from {first_day} is after --to {last_day}")
    start = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=tz)
    after = last_day + dt.timedelta(days=1)
    end = dt.datetime(after.year, after.month, after.day, tzinfo=tz)
    return start.timestamp(), end.timestamp()


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a day: write YYYY-MM-DD") from None


def _settings(
    args: argparse.Namespace,
) -> tuple[dt.tzinfo | None, str | Path, Callable[[str], str]]:
    """The days' zone, where the store is, and the agents' names (from the agents file)."""
    import zoneinfo

    from wallboard.commands.names import agent_names
    from wallboard.config import data_dir
    from wallboard.live.history.store import default_path
    from wallboard.settings import load_settings

    zone = getattr(args, "tz", None)
    settings = load_settings(command_line(args), need_profile=zone is None)
    if zone:
        try:
            tz: dt.tzinfo | None = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"--tz {zone!r} is not a time zone name") from None
    else:
        tz = settings.profile.tz if settings.profile is not None else None
    where: str | Path = getattr(args, "db", None) or settings.history.db or default_path(data_dir())
    if isinstance(where, Path) and not where.exists():
        raise ConfigError(
            f"no history store at {where}: the dashboard writes it as it runs (or give --db)"
        )
    return tz, where, agent_names(settings).name_for


def _open(where: str | Path, tz: dt.tzinfo | None) -> HistoryStore:
    from wallboard.live.history.store import HistoryStore

    return HistoryStore(where, tz=tz)


def _campaign_names() -> dict[str, str]:
    """Campaign names from this machine's registry (a local file, not the server)."""
    from wallboard.live.campaigns import CampaignRegistry

    return {task.taskid: task.name for task in CampaignRegistry.default().tasks() if task.name}


def _write(target: str, text: str) -> int:
    if target == STDOUT:
        sys.stdout.write(text)
        return EXIT_DONE
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        return _error(f"cannot write {target}: {exc.strerror or exc}", EXIT_FAILED)
    print(f"wrote {target}", file=sys.stderr)
    return EXIT_DONE


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _error(text: str, code: int) -> int:
    print(f"wallboard report: {text}", file=sys.stderr)
    return code


def history_feed(
    where: str | Path | None,
    *,
    tz: dt.tzinfo | None,
    source: str = "",
    bill_days: float = 7.0,
    keep_days: float = 400.0,
) -> HistoryFeed | None:
    """The history feed the dashboard and `status` give their live model: the store at
    `where` (a postgresql:// URL or a SQLite file; None: the data dir's file). None, with
    one line on stderr, when it cannot be opened: the floor runs without the windows."""
    from wallboard.config import data_dir
    from wallboard.live.history.dialect import StoreError
    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.history.store import HistoryStore, default_path

    try:
        store = HistoryStore(
            where or default_path(data_dir()),
            tz=tz,
            source=source,
            bill_days=bill_days,
            keep_days=keep_days,
        )
    except StoreError as exc:
        print(f"wallboard: warning: {exc} (no 24 h / 30 d figures)", file=sys.stderr)
        return None
    return HistoryFeed(store)


def open_history(settings: Settings) -> HistoryFeed | None:
    """The history feed of the settings' store for a live model (the dashboard's, the
    collector's, `status`'s); None when `[history] enabled = false` or it cannot be opened
    (said on stderr). Its calls are told apart from another account's by the appid."""
    if not settings.history.enabled:
        return None
    profile = settings.profile
    return history_feed(
        settings.history.db or None,
        tz=profile.tz if profile is not None else None,
        # The account, not the route to it: two collectors that write the server's address
        # differently (a trailing slash, an IP) must still count each bill once.
        source=profile.appid if profile is not None else "",
        bill_days=settings.history.bill_days,
        keep_days=settings.history.keep_days,
    )


__all__ = ["add_parser", "history_feed", "open_history", "period", "run"]
