"""New campaign: a list of numbers to a running (or paused) campaign, and numbers taken out
of one, without leaving the floor.

The supervisor names the campaign, gives the numbers (a file's path, or pasted), who takes
the calls, the dial rate, the caller ids and when it may start, then asks for a preview:
the counts (valid, invalid, duplicate), how many numbers would ring outside their calling
hours now and when each zone's numbers open, and the numbers whose zone cannot be told.
Send asks first, then uploads in a worker with a progress bar; esc or ctrl+c while it runs
stops it, and the journal keeps what was sent: the screen offers to finish an unfinished
upload when it opens. What the server refused is shown and saved beside the file, and the
campaign is on the campaigns pane at once.

The screen never calls the API: it drives a `CampaignSource` (the Protocol below;
`wallboard.live.campaign_source.LiveCampaignSource` over the client), which refuses in
read-only and writes the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    Switch,
    TextArea,
)
from textual.worker import Worker, WorkerState

from wallboard.live.bills import server_text
from wallboard.live.calling_hours import UNKNOWN_HOLD, UNKNOWN_SEND
from wallboard.live.campaign_source import (
    TARGET_KINDS,
    CampaignPreview,
    CampaignProblem,
    CampaignRefused,
    CampaignRequest,
    CampaignStopped,
    RemoveOutcome,
    SendOutcome,
    UnfinishedUpload,
    target_of,
)
from wallboard.live.campaign_words import preview_lines
from wallboard.live.campaigns import TrackedTask
from wallboard.live.numbers_file import check_region, parse_moment
from wallboard.live.upload import UploadProgress
from wallboard.ui.dialogs import ConfirmDialog, plain


class CampaignSource(Protocol):
    """What the screen needs (`live.campaign_source.LiveCampaignSource`)."""

    @property
    def read_only(self) -> bool: ...
    @property
    def region(self) -> str | None: ...
    @property
    def tz(self) -> dt.tzinfo | None: ...

    async def preview(
        self, request: CampaignRequest, *, planned_at: int | None = None, fresh: bool = False
    ) -> CampaignPreview: ...
    async def send(
        self,
        preview: CampaignPreview,
        *,
        fresh: bool = False,
        on_progress: Callable[[UploadProgress], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> SendOutcome: ...
    def unfinished(self) -> list[UnfinishedUpload]: ...
    def campaigns(self) -> tuple[TrackedTask, ...]: ...
    async def numbers_in_file(self, path: Path, region: str | None) -> list[str]: ...
    async def remove_numbers(self, taskid: str, phones: Sequence[str]) -> RemoveOutcome: ...


class UploadProgressed(Message):
    """A chunk of the upload was taken by the server (posted from the upload worker)."""

    def __init__(self, progress: UploadProgress) -> None:
        super().__init__()
        self.progress = progress


class UploadNoted(Message):
    """Something the upload wants the supervisor to know (a chunk sent again)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


CAMPAIGN_CSS = """
NewCampaignScreen {
    layout: vertical;
}
NewCampaignScreen #campaign-body {
    height: 1fr;
}
NewCampaignScreen .campaign-title {
    text-style: bold;
    color: $primary;
    padding: 0 1;
    width: 100%;
}
NewCampaignScreen .campaign-note {
    color: $text-muted;
    padding: 0 1;
    width: 100%;
}
NewCampaignScreen .field-row {
    height: auto;
    padding: 0 1;
}
NewCampaignScreen .field-name {
    width: 18;
    padding: 1 1 0 0;
    color: $accent;
}
NewCampaignScreen .field-row Input {
    width: 1fr;
}
NewCampaignScreen .field-row Select {
    width: 18;
}
NewCampaignScreen .field-row #remove-campaign {
    width: 1fr;
}
NewCampaignScreen .field-row .switch-name {
    width: auto;
    padding: 1 1 0 3;
    color: $accent;
}
NewCampaignScreen .section {
    margin-top: 1;
}
NewCampaignScreen #pasted {
    height: 5;
    width: 1fr;
}
NewCampaignScreen .buttons {
    height: auto;
    padding: 0 1;
}
NewCampaignScreen .buttons Button {
    margin-right: 2;
}
NewCampaignScreen #preview-text {
    padding: 0 1;
    height: auto;
}
NewCampaignScreen #progress, NewCampaignScreen #progress-line {
    padding: 0 1;
}
NewCampaignScreen #campaign-status {
    padding: 0 1;
    width: 100%;
    height: auto;
}
NewCampaignScreen #campaign-status.-failed {
    color: $error;
}
NewCampaignScreen #remove-numbers {
    height: 8;
}
"""

TARGET_CHOICES = tuple((kind, kind) for kind in TARGET_KINDS)
MARK = "✓"


class NewCampaignScreen(Screen[None]):
    """The New campaign screen; esc returns to the floor (stopping an upload in progress)."""

    DEFAULT_CSS = CAMPAIGN_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("q", "back", "back", show=False),  # a letter in a text field, as in dialogs
        Binding("ctrl+r", "preview", "preview"),
        Binding("ctrl+s", "send", "send"),
        Binding("ctrl+c", "stop", "stop upload", priority=True),
        Binding("space", "mark", "mark number", show=False),
    ]

    def __init__(self, source: CampaignSource) -> None:
        super().__init__()
        self.source = source
        self.last_preview: CampaignPreview | None = None
        self.last_outcome: SendOutcome | None = None
        self.unfinished: list[UnfinishedUpload] = []
        self.marked: set[str] = set()
        self._upload: Worker[None] | None = None
        self._planned_at: int | None = None  # the clock an unfinished upload was planned at

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="campaign-body"):
            yield plain("New campaign", classes="campaign-title")
            if self.source.read_only:
                yield plain(
                    "Read-only: the preview works; sending and taking numbers out are refused.",
                    id="read-only-note",
                    classes="campaign-note",
                )
            yield plain("", id="unfinished-note", classes="campaign-note")
            with Horizontal(classes="buttons", id="resume-row"):
                yield Button("Finish that upload", id="resume")
            yield self._field("Name", Input(placeholder="the campaign's name", id="name"))
            yield self._field(
                "Numbers file", Input(placeholder="a CSV, XLSX or text file's path", id="file")
            )
            with Horizontal(classes="field-row"):
                yield plain("or paste them", classes="field-name")
                yield TextArea(id="pasted")
            with Horizontal(classes="field-row"):
                yield plain("Calls go to", classes="field-name")
                yield Select(TARGET_CHOICES, value="queue", allow_blank=False, id="target-kind")
                yield Input(placeholder="queue, group, or extensions a,b", id="target")
            yield self._field("Dial rate", Input(value="1:1", placeholder="a:b", id="scale"))
            yield self._field(
                "Caller ids", Input(placeholder="x,y (default: the server's)", id="caller-ids")
            )
            yield self._field(
                "Start",
                Input(placeholder="yyyy-mm-dd hh:mm, the server's zone (empty: now)", id="start"),
            )
            yield self._field(
                "Region",
                Input(
                    value=self.source.region or "",
                    placeholder="GB, US... of numbers without a country code",
                    id="region",
                ),
            )
            with Horizontal(classes="field-row"):
                yield plain("Open when sent", classes="field-name")
                yield Switch(value=True, id="running")
                yield plain("Send numbers whose zone is unknown", classes="switch-name")
                yield Switch(value=False, id="send-unknown")
            with Horizontal(classes="buttons"):
                yield Button("Preview (ctrl+r)", id="preview")
                yield Button(
                    "Send (ctrl+s)", id="send", variant="primary", disabled=self.source.read_only
                )
            yield Static("", id="preview-text", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="progress")
            yield Label("", id="progress-line", markup=False)
            yield Label("", id="campaign-status", markup=False)
            yield plain("Take numbers out of a campaign", classes="campaign-title section")
            with Horizontal(classes="field-row"):
                yield plain("Campaign", classes="field-name")
                yield Select[str]((), prompt="a tracked campaign", id="remove-campaign")
            yield self._field(
                "Numbers file",
                Input(placeholder="the file's numbers, or mark below", id="remove-file"),
            )
            yield DataTable(id="remove-numbers", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                yield Button(
                    "Take out", id="remove", variant="error", disabled=self.source.read_only
                )
        yield Footer()

    @staticmethod
    def _field(name: str, widget: Input) -> Horizontal:
        return Horizontal(plain(name, classes="field-name"), widget, classes="field-row")

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).display = False
        table = self.query_one("#remove-numbers", DataTable)
        table.add_columns(" ", "number")
        self.unfinished = [item for item in self.source.unfinished() if item.request is not None]
        self._show_unfinished()
        self._fill_campaigns()
        self.query_one("#name", Input).focus()

    def _show_unfinished(self) -> None:
        note = self.query_one("#unfinished-note", Label)
        row = self.query_one("#resume-row", Horizontal)
        if not self.unfinished:
            note.display = row.display = False
            return
        first = self.unfinished[0]
        task = f", task {first.taskid} (not opened)" if first.taskid else ""
        more = f"; {len(self.unfinished) - 1} more" if len(self.unfinished) > 1 else ""
        note.update(
            f"An upload did not finish: campaign {first.name!r}, {first.numbers:,} numbers"
            f"{task}{more}. Nothing is sent twice when it is finished."
        )
        note.display = row.display = True

    def _fill_campaigns(self) -> None:
        choices = [
            (f"{task.label} ({task.taskid})", task.taskid) for task in self.source.campaigns()
        ]
        self.query_one("#remove-campaign", Select).set_options(choices)

    # ------------------------------------------------------------------ the form

    def say(self, text: str, *, failed: bool = False) -> None:
        status = self.query_one("#campaign-status", Label)
        status.update(text)
        status.set_class(failed, "-failed")

    def request(self) -> CampaignRequest | str:
        """The request the form says, or what is wrong with it in words."""
        name = self.query_one("#name", Input).value.strip()
        if not name:
            return "name the campaign"
        file_text = self.query_one("#file", Input).value.strip()
        pasted = self.query_one("#pasted", TextArea).text
        if not file_text and not pasted.strip():
            return "give a numbers file, or paste the numbers"
        kind = str(self.query_one("#target-kind", Select).value)
        target = target_of(kind, self.query_one("#target", Input).value)
        if isinstance(target, str):
            return target
        scale = _scale(self.query_one("#scale", Input).value)
        if scale is None:
            return "dial rate: write a:b with a and b from 1 to 100"
        try:
            region = check_region(self.query_one("#region", Input).value)
        except ValueError as exc:
            return f"region: {exc}"
        start_text = self.query_one("#start", Input).value.strip()
        try:
            start = parse_moment(start_text, self.source.tz) if start_text else None
        except ValueError:
            return "start: write yyyy-mm-dd hh:mm (the server's zone), or leave it empty"
        callers = self.query_one("#caller-ids", Input).value
        return CampaignRequest(
            name=name,
            target=target,
            numbers_file=Path(file_text).expanduser() if file_text else None,
            pasted="" if file_text else pasted,
            scale=scale,
            caller_ids=tuple(c.strip() for c in callers.split(",") if c.strip()),
            start=start,
            region=region,
            running=self.query_one("#running", Switch).value,
            unknown_zones=UNKNOWN_SEND
            if self.query_one("#send-unknown", Switch).value
            else UNKNOWN_HOLD,
        )

    def fill(self, request: CampaignRequest) -> None:
        """Put an unfinished upload's request back in the form."""
        self.query_one("#name", Input).value = request.name
        self.query_one("#file", Input).value = (
            str(request.numbers_file) if request.numbers_file is not None else ""
        )
        self.query_one("#pasted", TextArea).text = request.pasted
        kinds = {number: kind for kind, number in TARGET_KINDS.items()}
        self.query_one("#target-kind", Select).value = kinds.get(request.target.assigntype, "queue")
        self.query_one("#target", Input).value = request.target.assignagent
        self.query_one("#scale", Input).value = request.scale
        self.query_one("#caller-ids", Input).value = ",".join(request.caller_ids)
        self.query_one("#start", Input).value = (
            server_text(request.start, self.source.tz) if request.start is not None else ""
        )
        self.query_one("#region", Input).value = request.region or ""
        self.query_one("#running", Switch).value = request.running
        self.query_one("#send-unknown", Switch).value = request.unknown_zones == UNKNOWN_SEND

    # ------------------------------------------------------------------ preview

    @property
    def uploading(self) -> bool:
        return self._upload is not None and self._upload.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def action_preview(self) -> None:
        self.make_preview()

    @work(exclusive=True, group="campaign-preview")
    async def make_preview(self) -> CampaignPreview | None:
        """Read and check the list; show the counts. Returns the preview (None: a problem)."""
        return await self._preview()

    async def _preview(self) -> CampaignPreview | None:
        request = self.request()
        if isinstance(request, str):
            self.say(request, failed=True)
            return None
        self.say("Reading the list…")
        try:
            preview = await self.source.preview(request, planned_at=self._planned_at)
        except CampaignProblem as exc:
            self.say(str(exc), failed=True)
            return None
        self.last_preview = preview
        lines = preview_lines(preview, self.source.tz)
        self.query_one("#preview-text", Static).update("\n".join(lines))
        ready = "Ready to send." if preview.numbers.valid else "No valid number to send."
        self.say(ready, failed=not preview.numbers.valid)
        return preview

    # ------------------------------------------------------------------ send

    def action_send(self) -> None:
        if self.uploading:
            self.say("An upload is already running: ctrl+c stops it.")
            return
        self.prepare_send()

    @work(exclusive=True, group="campaign-preview")
    async def prepare_send(self) -> None:
        """A fresh preview of what the form says, then the question, then the upload."""
        preview = await self._preview()
        if preview is None:
            return
        if self.source.read_only:  # refused (and audited) by the source, not asked about
            self._start_upload(preview)
            return
        if not preview.numbers.valid:
            return
        request = preview.request
        after = "opened: dialling starts" if request.running else "left paused"
        finishing = " (finishing the unfinished upload)" if preview.unfinished else ""
        question = (
            f"Send {preview.numbers.valid:,} numbers as campaign {request.name!r} to "
            f"{request.target.label}{finishing}? It is then {after}."
        )

        def answered(answer: bool | None) -> None:
            if answer:
                self._start_upload(preview)
            else:
                self.say("Nothing was sent.")

        self.app.push_screen(ConfirmDialog(question, yes="Send"), answered)

    def _start_upload(self, preview: CampaignPreview) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=preview.numbers.valid, progress=0)
        bar.display = not self.source.read_only
        self.query_one("#progress-line", Label).update("")
        self._upload = self.run_worker(self._send(preview), group="campaign-upload", exclusive=True)

    async def _send(self, preview: CampaignPreview) -> None:
        self.say("Sending…")
        try:
            outcome = await self.source.send(
                preview,
                on_progress=self._post_progress,
                on_note=self._post_note,
            )
        except CampaignRefused as exc:
            self._tell(f"Refused: {exc}.", "Refused", failed=True)
            return
        except CampaignProblem as exc:
            self._tell(f"Not sent: {exc}", "Failed", failed=True)
            return
        except CampaignStopped as exc:
            self._tell(
                f"Stopped: {exc}. What was sent is journaled: Send again finishes it.",
                "Failed",
                failed=True,
            )
            return
        except asyncio.CancelledError:
            self.say("Stopped: what was sent is journaled; Send again finishes it.", failed=True)
            raise
        self.last_outcome = outcome
        self._planned_at = None
        self.unfinished = [u for u in self.unfinished if u.name != preview.request.name]
        self._show_unfinished()
        self._fill_campaigns()
        self._tell(_outcome_words(outcome), "Done", failed=False)

    def _post_progress(self, progress: UploadProgress) -> None:
        self.post_message(UploadProgressed(progress))

    def _post_note(self, text: str) -> None:
        self.post_message(UploadNoted(text))

    def _tell(self, text: str, title: str, *, failed: bool) -> None:
        self.say(text, failed=failed)
        severity: SeverityLevel = "error" if failed else "information"
        self.notify(text, title=title, severity=severity, markup=False)

    @on(UploadProgressed)
    def progressed(self, event: UploadProgressed) -> None:
        progress = event.progress
        self.query_one("#progress", ProgressBar).update(
            total=progress.numbers_total, progress=progress.numbers_sent
        )
        self.query_one("#progress-line", Label).update(
            f"Sent {progress.numbers_sent:,} of {progress.numbers_total:,} numbers "
            f"({progress.chunks_sent} of {progress.chunks_total} calls)."
        )

    @on(UploadNoted)
    def noted(self, event: UploadNoted) -> None:
        self.notify(event.text, title="Upload", markup=False)

    def action_stop(self) -> None:
        if self._upload is not None:
            self._upload.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+c only stops an upload; otherwise the key is the app's."""
        if action == "stop":
            return self.uploading
        return True

    def action_back(self) -> None:
        if self.uploading:
            self.action_stop()
        self.app.pop_screen()

    # ------------------------------------------------------------------ resume

    @on(Button.Pressed, "#resume")
    def resume(self) -> None:
        if not self.unfinished:
            return
        first = self.unfinished[0]
        if first.request is None:
            return
        self.fill(first.request)
        self._planned_at = first.planned_at
        self.make_preview()

    @on(Button.Pressed, "#preview")
    def preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#send")
    def send_pressed(self) -> None:
        self.action_send()

    # ------------------------------------------------------------------ take numbers out

    @on(Select.Changed, "#remove-campaign")
    def campaign_chosen(self, event: Select.Changed) -> None:
        self.marked.clear()
        self._fill_numbers()

    def _chosen_campaign(self) -> TrackedTask | None:
        value = self.query_one("#remove-campaign", Select).value
        if not isinstance(value, str):
            return None
        return next((t for t in self.source.campaigns() if t.taskid == value), None)

    def _fill_numbers(self) -> None:
        table = self.query_one("#remove-numbers", DataTable)
        table.clear()
        task = self._chosen_campaign()
        for phone in task.numbers if task is not None else ():
            table.add_row(MARK if phone in self.marked else "", phone, key=phone)

    def action_mark(self) -> None:
        table = self.query_one("#remove-numbers", DataTable)
        if not table.has_focus or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        table.update_cell(key, table.ordered_columns[0].key, MARK if key in self.marked else "")

    @on(Button.Pressed, "#remove")
    def remove_pressed(self) -> None:
        self.take_out()

    @work(exclusive=True, group="campaign-remove")
    async def take_out(self) -> None:
        task = self._chosen_campaign()
        if task is None:
            self.say("Choose the campaign to take numbers out of.", failed=True)
            return
        phones = sorted(self.marked)
        file_text = self.query_one("#remove-file", Input).value.strip()
        if not phones and file_text:
            try:
                region = check_region(self.query_one("#region", Input).value)
                phones = await self.source.numbers_in_file(Path(file_text).expanduser(), region)
            except (ValueError, CampaignProblem) as exc:
                self.say(str(exc), failed=True)
                return
        if not phones:
            self.say("Mark numbers (space) or give a file of them.", failed=True)
            return
        if self.source.read_only:
            await self._remove(task, phones)
            return
        question = f"Take {len(phones):,} numbers out of campaign {task.label!r}?"

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_worker(self._remove(task, phones), group="campaign-remove")
            else:
                self.say("Nothing was sent.")

        self.app.push_screen(ConfirmDialog(question, yes="Take out"), answered)

    async def _remove(self, task: TrackedTask, phones: list[str]) -> None:
        try:
            outcome = await self.source.remove_numbers(task.taskid, phones)
        except CampaignRefused as exc:
            self._tell(f"Refused: {exc}.", "Refused", failed=True)
            return
        except (CampaignProblem, CampaignStopped) as exc:
            self._tell(f"Campaign {task.label!r}: {exc}", "Failed", failed=True)
            return
        self.marked.difference_update(phones)
        self._fill_numbers()
        warning = f" {outcome.warning}" if outcome.warning else ""
        self._tell(
            f"{outcome.removed:,} numbers taken out of campaign {task.label!r}.{warning}",
            "Done",
            failed=False,
        )


def _scale(text: str) -> str | None:
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        return None
    a, b = (int(p) for p in parts)
    return f"{a}:{b}" if 1 <= a <= 100 and 1 <= b <= 100 else None


def _outcome_words(outcome: SendOutcome) -> str:
    result = outcome.result
    if result.already_done:
        return f"Already created from these numbers as task {result.taskid}: nothing sent."
    state = "running" if result.status.name == "RUNNING" else "not started"
    words = [f"Task {result.taskid}: {result.accepted:,} numbers, {state}; on the campaigns pane."]
    if result.resumed:
        words.append("An unfinished upload was finished.")
    if outcome.refused:
        words.append(f"The server refused {len(outcome.refused):,}.")
    if outcome.saved_to is not None:
        words.append(f"Rows not sent: {outcome.saved_to}.")
    if outcome.save_problem:
        words.append(outcome.save_problem)
    return " ".join(words)


__all__ = ["CampaignSource", "NewCampaignScreen", "UploadNoted", "UploadProgressed"]
