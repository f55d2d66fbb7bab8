"""The call records screen: a range of the server's day, filtered, one page at a time; the
range summed up by agent or campaign; the abandoned calls to call back; a call's recording.

A day of a big floor is tens of thousands of records: the table holds one page (100) and
the next is asked for only when the supervisor turns to it (`]` / `[`, page down / up).
Summaries and the call-back list read the whole range page by page and keep only their
running figures (`wallboard.live.records_summary`). Widgets never call the API: every read
is a method of the screen's source (`RecordsSource`, implemented by
`wallboard.live.records_browser.RecordsBrowser`).

Times are the server's, in its zone (named in the title). `esc` returns to the floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Select

from wallboard.api.codes import BillDirection, CallMethod
from wallboard.live.records import (
    METHODS,
    SCREEN_PAGE,
    CallRow,
    Outcome,
    Query,
    RecordFilter,
    RecordingView,
    RecordPage,
    RecordsError,
)
from wallboard.live.records_download import DownloadError
from wallboard.live.records_export import (
    ABANDONED_HEADER,
    SUMMARY_HEADER,
    abandoned_cells,
    clock,
    summary_cells,
)
from wallboard.live.records_summary import AbandonedCall, Summary, SummaryBy
from wallboard.live.records_window import RecordRange, WindowError
from wallboard.live.words import describe_failure
from wallboard.ui.dialogs import CLOSE_HINT, Dialog, plain


class RecordsSource(Protocol):
    """What the screen reads, through the live layer (`RecordsBrowser`)."""

    @property
    def zone(self) -> str: ...

    async def learn_clock(self) -> None: ...

    def window(self, start: str, end: str) -> RecordRange: ...

    async def prepare(self, wanted: RecordFilter) -> Query: ...

    async def page(self, query: Query, number: int, size: int) -> RecordPage: ...

    async def summaries(self, query: Query, by: SummaryBy) -> tuple[list[Summary], Summary]: ...

    async def abandoned(self, query: Query) -> list[AbandonedCall]: ...

    async def recording(self, filename: str) -> RecordingView: ...

    async def download(self, url: str, path: str) -> int: ...


#: What the table shows: one page of records, or a whole range's figures.
RECORDS, BY_AGENT, BY_CAMPAIGN, CALL_BACKS = "records", "agent", "campaign", "call-backs"
RECORD_COLUMNS = ("id", "started", "agent", "destination", "outcome", "talk", "method", "cause")
_DIRECTIONS = [("all directions", "all"), ("out", "out"), ("in", "in")]
_METHODS = [(name if name != "any" else "any method", name) for name in METHODS]
_OUTCOMES = [
    ("any outcome", Outcome.ALL.value),
    ("answered", Outcome.ANSWERED.value),
    ("dropped", Outcome.DROPPED.value),
    ("not answered", Outcome.UNANSWERED.value),
]
KEYS_HINT = "[ ] page · a agents · c campaigns · b call-backs · r calls · ⏎ recording · esc"


def record_cells(row: CallRow) -> tuple[str, ...]:
    return (
        row.id,
        row.started,
        row.agent or "-",
        row.destination,
        row.outcome.value,
        clock(row.talk),
        row.method,
        row.cause,
    )


class RecordingDialog(Dialog[str | None]):
    """A recording's link and until when it works; copy it, or name a file to save it to
    (the answer: the path; the screen downloads it). esc or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "copy the link", show=False),
    ]

    def __init__(self, link: RecordingView) -> None:
        super().__init__()
        self.link = link

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield plain(f"Recording {self.link.filename}", classes="dialog-title")
            yield plain(self.link.url, id="link")
            yield plain(
                f"Link expires {self.link.expires} (server time): save the file, not the link"
            )
            yield plain("Save to file")
            yield Input(self.link.filename, id="path", placeholder="file name")
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
                yield Button("Copy link", id="copy")
                yield Button("Download", variant="primary", id="download")

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.link.url)
        self.notify("Recording link copied", timeout=4)

    @on(Input.Submitted)
    @on(Button.Pressed, "#download")
    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#problem", Label).update("Name the file to save the recording to.")
            return
        self.dismiss(path)


class RecordsScreen(Screen[None]):
    """Call records of a range: filters, a page of records or a summary, recordings."""

    DEFAULT_CSS = """
    RecordsScreen { layout: vertical; }
    RecordsScreen #records-title { text-style: bold; padding: 0 1; }
    RecordsScreen .records-filters { height: 1; padding: 0 1; }
    RecordsScreen .records-filters Input { width: 1fr; margin-right: 1; }
    RecordsScreen .records-filters Select { width: 1fr; margin-right: 1; }
    RecordsScreen .records-filters Button { width: auto; min-width: 6; }
    RecordsScreen #records-status { padding: 0 1; color: $text-muted; }
    RecordsScreen #records-table { height: 1fr; }
    RecordsScreen #records-keys { padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back to the floor"),
        Binding("q", "back", "back", show=False),  # a letter in a text field, as in dialogs
        Binding("right_square_bracket", "page(1)", "next page", show=False),
        Binding("left_square_bracket", "page(-1)", "previous page", show=False),
        Binding("r", "show('records')", "records", show=False),
        Binding("a", "show('agent')", "by agent", show=False),
        Binding("c", "show('campaign')", "by campaign", show=False),
        Binding("b", "show('call-backs')", "call-backs", show=False),
    ]

    def __init__(self, source: RecordsSource, *, page_size: int = SCREEN_PAGE) -> None:
        super().__init__()
        self.source = source
        self.page_size = page_size
        self.view = RECORDS
        self.page_number = 1
        self.pages = 1
        self.query_ready: Query | None = None
        self.span: RecordRange | None = None
        self.shown: dict[str, CallRow] = {}  # the records on the table, by bill id

    def compose(self) -> ComposeResult:
        yield plain(
            f"Call records · times are the server's ({self.source.zone})", id="records-title"
        )
        with Horizontal(classes="records-filters"):
            yield Input(placeholder="from: today", id="from", compact=True)
            yield Input(placeholder="to: today", id="to", compact=True)
            yield Input(placeholder="extensions a,b", id="ext", compact=True)
            yield Input(placeholder="queue", id="queue", compact=True)
        with Horizontal(classes="records-filters"):
            yield Input(placeholder="number", id="dest", compact=True)
            yield Input(placeholder="campaign id", id="campaign", compact=True)
            yield Select(_DIRECTIONS, value="all", allow_blank=False, id="direction", compact=True)
            yield Select(_METHODS, value="any", allow_blank=False, id="method", compact=True)
            yield Select(_OUTCOMES, value="all", allow_blank=False, id="outcome", compact=True)
            yield Button("Show", id="show", compact=True)
        yield plain("", id="records-status")
        yield DataTable(id="records-table", cursor_type="row", zebra_stripes=True)
        yield plain(KEYS_HINT, id="records-keys")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.apply_filters()

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_page(self, step: int) -> None:
        if self.view != RECORDS or self.query_ready is None:
            return
        wanted = min(max(1, self.page_number + step), self.pages)
        if wanted != self.page_number:
            self.load_page(wanted)

    def action_show(self, view: str) -> None:
        if view == self.view:
            return
        self.view = view
        self.reload()

    @on(Button.Pressed, "#show")
    @on(Input.Submitted)
    def apply_filters(self) -> None:
        """Read the filters again and show the first page (or the figures) of the range."""
        self.prepare_query()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if self.is_mounted and self.query_ready is not None:
            self.prepare_query()

    def filter_from_fields(self) -> RecordFilter:
        """The filter the fields say (WindowError, RecordsError: what is wrong)."""

        def text(field: str) -> str:
            return self.query_one(f"#{field}", Input).value.strip()

        def choice(field: str) -> str:
            value = self.query_one(f"#{field}", Select).value
            return str(value) if isinstance(value, str) else ""

        span = self.source.window(text("from"), text("to"))
        self.span = span
        direction = {"in": BillDirection.IN, "out": BillDirection.OUT}.get(
            choice("direction"), BillDirection.ALL
        )
        method = METHODS.get(choice("method"), CallMethod.ANY)
        return RecordFilter(
            start=span.start,
            end=span.end,
            direction=direction,
            method=method,
            extensions=tuple(e.strip() for e in text("ext").split(",") if e.strip()),
            queue=text("queue"),
            destination=text("dest"),
            campaign=text("campaign"),
            outcome=Outcome(choice("outcome") or Outcome.ALL.value),
        )

    # ------------------------------------------------------------------ reading

    @work(exclusive=True, group="records")
    async def prepare_query(self) -> None:
        self._status("reading…")
        try:
            await self.source.learn_clock()
            wanted = self.filter_from_fields()
            self.query_ready = await self.source.prepare(wanted)
        except (WindowError, RecordsError) as exc:
            self._status(str(exc))
            return
        except Exception as exc:  # the client's errors: one line, the screen stays
            self._status(describe_failure(exc))
            return
        self.page_number = 1
        await self._load()

    def reload(self) -> None:
        if self.query_ready is None:
            self.prepare_query()
        else:
            self.load_page(1)

    @work(exclusive=True, group="records")
    async def load_page(self, number: int) -> None:
        self.page_number = number
        await self._load()

    async def _load(self) -> None:
        query = self.query_ready
        if query is None:
            return
        try:
            if self.view == RECORDS:
                self._status(f"reading page {self.page_number}…")
                page = await self.source.page(query, self.page_number, self.page_size)
                self._show_page(page)
            elif self.view == CALL_BACKS:
                self._status("reading the range for abandoned calls…")
                self._show_call_backs(await self.source.abandoned(query))
            else:
                self._status(f"summing up the range by {self.view}…")
                by = SummaryBy.AGENT if self.view == BY_AGENT else SummaryBy.CAMPAIGN
                rows, total = await self.source.summaries(query, by)
                self._show_summary(rows, total, by)
        except RecordsError as exc:
            self._status(str(exc))
        except Exception as exc:
            self._status(describe_failure(exc))

    # ------------------------------------------------------------------ drawing

    def _status(self, text: str) -> None:
        self.query_one("#records-status", Label).update(text)

    def _range(self) -> str:
        return str(self.span) if self.span is not None else ""

    def _table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> DataTable[str]:
        """The table emptied, with `columns` as wide as their label and their widest cell
        among `rows`. Measured here: the table measures its columns only when it is next
        idle, and a frame drawn before that kept every row cut to its labels' widths
        (its drawn lines stay cached when the widths change)."""
        table: DataTable[str] = self.query_one(DataTable)
        table.clear(columns=True)
        for index, label in enumerate(columns):
            widest = max((cell_len(row[index]) for row in rows), default=0)
            table.add_column(label, width=max(cell_len(label), widest))
        return table

    def _show_page(self, page: RecordPage) -> None:
        cells = [record_cells(row) for row in page.rows]
        table = self._table(RECORD_COLUMNS, cells)
        self.shown = {}
        for row, shown in zip(page.rows, cells, strict=True):
            key = row.id or f"row{len(self.shown)}"
            self.shown[key] = row
            table.add_row(*shown, key=key)
        self.pages = page.pages
        kept = "" if len(page.rows) == page.read else f" ({len(page.rows)} of {page.read} match)"
        self._status(
            f"{self._range()} · page {page.number} of {page.pages} · {page.total:,} records{kept}"
        )

    def _show_summary(self, rows: Sequence[Summary], total: Summary, by: SummaryBy) -> None:
        cells = [summary_cells(row) for row in [*rows, total]]
        table = self._table(SUMMARY_HEADER, cells)
        self.shown = {}
        for shown in cells:
            table.add_row(*shown)
        self._status(f"{self._range()} · by {by.value} · {total.calls:,} calls")

    def _show_call_backs(self, calls: Sequence[AbandonedCall]) -> None:
        cells = [abandoned_cells(call) for call in calls]
        table = self._table(ABANDONED_HEADER, cells)
        self.shown = {}
        for shown in cells:
            table.add_row(*shown)
        self._status(f"{self._range()} · {len(calls)} numbers to call back, newest first")

    # ------------------------------------------------------------------ recordings

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        if self.view != RECORDS:
            return
        row = self.shown.get(str(event.row_key.value))
        if row is None:
            return
        if not row.recording:
            self.notify(f"Call {row.id} has no recording (only calls an agent took are)", timeout=5)
            return
        self.open_recording(row.recording)

    @work(exclusive=True, group="recording")
    async def open_recording(self, filename: str) -> None:
        try:
            link = await self.source.recording(filename)
        except Exception as exc:
            self.notify(describe_failure(exc), severity="error", timeout=8)
            return
        path = await self.app.push_screen_wait(RecordingDialog(link))
        if path:
            await self._download(link, path)

    async def _download(self, link: RecordingView, path: str) -> None:
        try:
            size = await self.source.download(link.url, path)
        except DownloadError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        except Exception as exc:
            self.notify(describe_failure(exc), severity="error", timeout=8)
            return
        self.notify(f"Saved {size:,} bytes to {path}", timeout=6)


__all__ = ["RecordingDialog", "RecordsScreen", "RecordsSource", "record_cells"]
