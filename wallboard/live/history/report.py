"""Reports from the history store only: per agent, campaign, queue or day, over a period.

One `Report` is a title, its columns and its rows (each cell a number or text, `None` where
there is no data: no rate over no answered call), plus the figures a plot needs. The same
report is written as a table on a terminal, CSV, a self-contained HTML page
(`html_report`) or the report screen; the numbers are made once, here.

Never a request to the vendor server: the store holds everything (bills folded as they were
read, states seen by polling); names come from the campaign registry and the agents file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from wallboard.live.history.fold import AGENT, CAMPAIGN, FLOOR, QUEUE
from wallboard.live.history.store import HistoryStore, Totals
from wallboard.live.history.windows import CampaignWindows, RuleWindows, counted_text

BY = ("agent", "campaign", "queue", "day")
Cell = int | float | str | None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: str = "count"  # count, rate, seconds, text


@dataclass(frozen=True, slots=True)
class Report:
    """A report's table and what is known of its period."""

    title: str
    by: str
    start: float
    end: float
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""  # what the figures are (which abandon test, what is counted over less)
    tz: str = ""
    plots: Mapping[str, Sequence[tuple[str, float | None]]] = field(default_factory=dict)

    def column(self, key: str) -> list[Cell]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


AGENT_COLUMNS = (
    Column("agent", "agent", "text"),
    Column("extension", "extension", "text"),
    Column("calls", "calls"),
    Column("answered", "answered"),
    Column("talk", "talk", "seconds"),
    Column("handle", "avg handle", "seconds"),
    Column("paused", "paused", "seconds"),
    Column("idle", "idle", "seconds"),
)
CAMPAIGN_COLUMNS = (
    Column("campaign", "campaign", "text"),
    Column("taskid", "task", "text"),
    Column("dialled", "dialled"),
    Column("answered", "answered"),
    Column("dropped", "dropped"),
    Column("abandon", "abandon", "rate"),
    Column("strict", "abandon 2 s", "rate"),
    Column("abandon_24h", "abandon 24 h", "rate"),
    Column("abandon_30d", "abandon 30 d", "rate"),
    Column("budget_30d", "budget 30 d"),
    Column("counted_30d", "30 d counted over", "text"),
)
QUEUE_COLUMNS = (
    Column("queue", "queue", "text"),
    Column("dialled", "dialled"),
    Column("answered", "answered"),
    Column("agent_answered", "agent answered"),
    Column("dropped", "dropped"),
    Column("abandon", "abandon", "rate"),
    Column("talk", "talk", "seconds"),
    Column("paused", "paused", "seconds"),
    Column("idle", "idle", "seconds"),
)
DAY_COLUMNS = (
    Column("day", "day", "text"),
    Column("dialled", "dialled"),
    Column("answered", "answered"),
    Column("dropped", "dropped"),
    Column("abandon", "abandon", "rate"),
    Column("strict", "abandon 2 s", "rate"),
    Column("talk", "talk", "seconds"),
    Column("paused", "paused", "seconds"),
    Column("idle", "idle", "seconds"),
)

NOTE = (
    "abandon: dropped / answered (answered, no agent); abandon 2 s: an agent joining more "
    "than 2 s after the answer counts as dropped too, shown only where every call was timed"
)


def build_report(
    store: HistoryStore,
    start: float,
    end: float,
    by: str,
    *,
    tz: dt.tzinfo | None = None,
    campaign_names: Mapping[str, str] | None = None,
    agent_names: Callable[[str], str] | None = None,
    now: float | None = None,
) -> Report:
    """The report of the period `start` to `end` (unix seconds, end excluded).

    `now`: the server's time (default: this machine's). The rules' windows of a period
    that ends later (the default `--to` is today, ending at tomorrow's midnight) are those
    of now, not of a moment still to come."""
    if by not in BY:
        raise ValueError(f"--by must be one of {', '.join(BY)}, not {by!r}")
    if end <= start:
        raise ValueError("the period ends before it starts")
    at = min(end - 1, time.time() if now is None else now)  # the windows' last second
    makers: dict[str, Callable[[], Report]] = {
        "agent": lambda: _agents(store, start, end, agent_names or _no_name),
        "campaign": lambda: _campaigns(store, start, end, campaign_names or {}, at),
        "queue": lambda: _queues(store, start, end),
        "day": lambda: _days(store, start, end, tz),
    }
    report = makers[by]()
    zone = str(tz) if tz is not None else "local"
    span = f"{_day_text(start, tz)} to {_day_text(end - 1, tz)}"
    return Report(
        f"Calls by {by}, {span}",
        by,
        start,
        end,
        report.columns,
        report.rows,
        report.note,
        zone,
        report.plots,
    )


def _no_name(extnumber: str) -> str:
    return ""


def _agents(store: HistoryStore, start: float, end: float, name_of: Callable[[str], str]) -> Report:
    rows: list[tuple[Cell, ...]] = []
    for ext, t in store.totals(AGENT, start, end).items():
        rows.append(
            (
                name_of(ext),
                ext,
                t.dialled,
                t.agent_answered,
                t.talk_seconds,
                None if t.handle_seconds is None else round(t.handle_seconds),
                round(t.paused_seconds),
                round(t.idle_seconds),
            )
        )
    rows.sort(key=lambda r: (-int(r[3] or 0), str(r[1])))
    plots = {
        "talk hours": [(_label(r[0], r[1]), int(r[4] or 0) / 3600) for r in rows[:30]],
        "paused hours": [(_label(r[0], r[1]), int(r[6] or 0) / 3600) for r in rows[:30]],
        "idle hours": [(_label(r[0], r[1]), int(r[7] or 0) / 3600) for r in rows[:30]],
    }
    return Report("", "agent", start, end, AGENT_COLUMNS, tuple(rows), "", plots=plots)


def _campaigns(
    store: HistoryStore, start: float, end: float, names: Mapping[str, str], at: float
) -> Report:
    totals = store.totals(CAMPAIGN, start, end)
    windows: dict[str, CampaignWindows] = RuleWindows(store).campaigns(totals, at)
    rows: list[tuple[Cell, ...]] = []
    for taskid, t in totals.items():
        w = windows[taskid]
        rows.append(
            (
                names.get(taskid, "") or taskid,
                taskid,
                t.dialled,
                t.answered,
                t.abandoned,
                t.abandon_rate,
                t.strict_rate,
                w.day.rate,
                w.month.rate,
                w.month.budget,
                "30 d" if w.month.whole else counted_text(w.month.counted_over),
            )
        )
    rows.sort(key=lambda r: (str(r[0]), str(r[1])))
    plots = {
        "abandon 30 d": [(str(r[0]), _percent(r[8])) for r in rows],
        "abandon 24 h": [(str(r[0]), _percent(r[7])) for r in rows],
    }
    return Report(
        "",
        "campaign",
        start,
        end,
        CAMPAIGN_COLUMNS,
        tuple(rows),
        NOTE + "; 24 h and 30 d: up to the period's end",
        plots=plots,
    )


def _queues(store: HistoryStore, start: float, end: float) -> Report:
    rows = tuple(
        (
            queue,
            t.dialled,
            t.answered,
            t.agent_answered,
            t.abandoned,
            t.abandon_rate,
            t.talk_seconds,
            round(t.paused_seconds),
            round(t.idle_seconds),
        )
        for queue, t in store.totals(QUEUE, start, end).items()
    )
    plots = {
        "answered": [(str(r[0]), float(r[2])) for r in rows],
        "dropped": [(str(r[0]), float(r[4])) for r in rows],
    }
    return Report("", "queue", start, end, QUEUE_COLUMNS, rows, NOTE, plots=plots)


def _days(store: HistoryStore, start: float, end: float, tz: dt.tzinfo | None) -> Report:
    rows: list[tuple[Cell, ...]] = []
    for day_start, day_end in _day_spans(start, end, tz):
        t = store.totals(FLOOR, day_start, day_end).get("", Totals())
        rows.append(
            (
                _day_text(day_start, tz),
                t.dialled,
                t.answered,
                t.abandoned,
                t.abandon_rate,
                t.strict_rate,
                t.talk_seconds,
                round(t.paused_seconds),
                round(t.idle_seconds),
            )
        )
    plots: dict[str, list[tuple[str, float | None]]] = {
        "answered": [(str(r[0]), float(r[2] or 0)) for r in rows],
        "dropped": [(str(r[0]), float(r[3] or 0)) for r in rows],
        "abandon %": [(str(r[0]), _percent(r[4])) for r in rows],
    }
    return Report("", "day", start, end, DAY_COLUMNS, tuple(rows), NOTE, plots=plots)


def _day_spans(start: float, end: float, tz: dt.tzinfo | None) -> list[tuple[float, float]]:
    """The period cut at each local midnight of the zone (a day of 23 or 25 hours where the
    clocks change)."""
    spans: list[tuple[float, float]] = []
    at = start
    while at < end:
        local = dt.datetime.fromtimestamp(at, tz)
        midnight = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        next_day = dt.datetime(midnight.year, midnight.month, midnight.day, tzinfo=tz).timestamp()
        spans.append((at, min(end, next_day)))
        at = next_day
    return spans


def _day_text(moment: float, tz: dt.tzinfo | None) -> str:
    return dt.datetime.fromtimestamp(moment, tz).strftime("%Y-%m-%d")


def _label(name: Cell, ext: Cell) -> str:
    return f"{name} ({ext})" if name else str(ext)


def _percent(rate: Cell) -> float | None:
    return None if not isinstance(rate, int | float) else round(rate * 100, 2)


# ---------------------------------------------------------------------- text and CSV


def cell_text(value: Cell, kind: str) -> str:
    """A cell as a person reads it: rates in %, seconds as h:mm:ss, no data as "-"."""
    if value is None:
        return "-"
    if kind == "rate" and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if kind == "seconds" and isinstance(value, int | float):
        total = round(value)
        hours, rest = divmod(total, 3600)
        return f"{hours}:{rest // 60:02}:{rest % 60:02}"
    return str(value)


def as_text(report: Report) -> str:
    """The report as an aligned table for a terminal."""
    header = [c.title for c in report.columns]
    body = [
        [cell_text(v, c.kind) for v, c in zip(row, report.columns, strict=True)]
        for row in report.rows
    ]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(w) if column.kind == "text" else cell.rjust(w)
            for cell, w, column in zip(cells, widths, report.columns, strict=True)
        ).rstrip()

    lines = [report.title + f" ({report.tz})", "", line(header), *map(line, body)]
    if not body:
        lines.append("(nothing in the history store for this period)")
    if report.note:
        lines += ["", report.note]
    return "\n".join(lines) + "\n"


def as_csv(report: Report) -> str:
    """The report as CSV: raw numbers (rates as fractions, seconds as seconds), empty for
    no data, so that a spreadsheet computes with them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in report.columns])
    for row in report.rows:
        writer.writerow(
            ["" if v is None else round(v, 6) if isinstance(v, float) else v for v in row]
        )
    return out.getvalue()


# ---------------------------------------------------------------------- the report screen's source

#: The periods the report screen offers: name, days back from today's start, days long.
PERIODS: dict[str, tuple[int, int]] = {
    "today": (0, 1),
    "yesterday": (1, 1),
    "last 7 days": (6, 7),
    "last 30 days": (29, 30),
}


class StoreReports:
    """What the report screen reads: reports of the history store for named periods of the
    server's days. Only the store: building one never touches the vendor server."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        tz: dt.tzinfo | None = None,
        clock: Callable[[], float] | None = None,
        campaign_names: Callable[[], Mapping[str, str]] | None = None,
        agent_names: Callable[[str], str] | None = None,
    ) -> None:
        self.store = store
        self.tz = tz
        self.clock = clock or time.time  # the server's time (the live model's server_now)
        self._campaign_names = campaign_names
        self._agent_names = agent_names

    def period(self, name: str) -> tuple[float, float]:
        """A named period (`PERIODS`) of whole days in the server's zone."""
        back, days = PERIODS[name]
        today = dt.datetime.fromtimestamp(self.clock(), self.tz).date()
        first = today - dt.timedelta(days=back)
        after = first + dt.timedelta(days=days)
        return (
            dt.datetime(first.year, first.month, first.day, tzinfo=self.tz).timestamp(),
            dt.datetime(after.year, after.month, after.day, tzinfo=self.tz).timestamp(),
        )

    def report(self, by: str, period: str) -> Report:
        """The report by `by` (`BY`) over the named period."""
        start, end = self.period(period)
        names = self._campaign_names() if self._campaign_names is not None else {}
        return build_report(
            self.store,
            start,
            end,
            by,
            tz=self.tz,
            campaign_names=names,
            agent_names=self._agent_names,
            now=self.clock(),
        )


__all__ = [
    "BY",
    "PERIODS",
    "Column",
    "Report",
    "StoreReports",
    "as_csv",
    "as_text",
    "build_report",
    "cell_text",
]
