"""Reports: yesterday and last week beside today, per agent, campaign, queue or day, without
a spreadsheet, from the history store.

Keys on the screen: a / c / q / d show the rows per agent, campaign, queue or day; t / y /
w / m the period (today, yesterday, the last 7 or 30 days of the server's days); esc
returns to the floor. The line under the title says which abandon test each rate column
uses (the simple one, and the 2-second test where every call was timed).

The screen never reads the store or the server itself: it asks a `ReportSource` (the
Protocol below; `wallboard.live.history.report.StoreReports` over the history store), in a
worker thread, so that a month of a big floor never holds the screen up.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from wallboard.live.history.report import PERIODS, Report, cell_text

#: The keys for the rows, in the order the footer shows them.
BY_KEYS = (("a", "agent"), ("c", "campaign"), ("q", "queue"), ("d", "day"))
PERIOD_KEYS = (("t", "today"), ("y", "yesterday"), ("w", "last 7 days"), ("m", "last 30 days"))


class ReportSource(Protocol):
    """Where the report screen's figures come from."""

    def report(self, by: str, period: str) -> Report: ...


class ReportScreen(Screen[None]):
    """The floor's history as a table, one report at a time."""

    DEFAULT_CSS = """
    ReportScreen { layout: vertical; }
    ReportScreen #report-title { padding: 0 1; text-style: bold; }
    ReportScreen #report-note { padding: 0 1; color: $text-muted; }
    ReportScreen DataTable { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "floor"),
        *(Binding(key, f"by('{by}')", by) for key, by in BY_KEYS),
        *(Binding(key, f"period('{period}')", period) for key, period in PERIOD_KEYS),
    ]

    def __init__(
        self, source: ReportSource, *, by: str = "campaign", period: str = "today"
    ) -> None:
        super().__init__()
        if period not in PERIODS:
            raise ValueError(f"no such period: {period!r}")
        self.source = source
        self.by = by
        self.period = period
        self.shown: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="report-title")
        yield Static("", id="report-note")
        yield DataTable(id="report-table", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_by(self, by: str) -> None:
        self.by = by
        self.load()

    def action_period(self, period: str) -> None:
        self.period = period
        self.load()

    @work(exclusive=True, group="report")
    async def load(self) -> None:
        """Build the report off the screen's thread, then show it."""
        self.query_one("#report-title", Static).update(f"{self.period}: reading…")
        try:
            report = await asyncio.to_thread(self.source.report, self.by, self.period)
        except Exception as exc:  # the store's own errors: said on screen, in one line
            said = str(exc).strip()
            self.query_one("#report-title", Static).update(
                f"{self.period}: the history store cannot be read: "
                + (said.splitlines()[0] if said else type(exc).__name__)
            )
            return
        self.show(report)

    def show(self, report: Report) -> None:
        self.shown = report
        self.query_one("#report-title", Static).update(
            f"{self.period.capitalize()} · {report.title}"
        )
        self.query_one("#report-note", Static).update(report.note or f"times in {report.tz}")
        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        for column in report.columns:
            table.add_column(column.title, key=column.key)
        for row in report.rows:
            table.add_row(
                *(
                    Text(cell_text(value, column.kind), justify="left")
                    if column.kind == "text"
                    else Text(cell_text(value, column.kind), justify="right")
                    for value, column in zip(row, report.columns, strict=True)
                )
            )
        if not report.rows:
            table.add_row(
                "nothing in the history store for this period",
                *("" for _ in report.columns[1:]),
            )
