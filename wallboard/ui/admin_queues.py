"""Queues: every queue with its settings, each setting's meaning beside its value, and
adding, editing and deleting a queue (each change asked about first).

A queue that a campaign still uses is not deleted: the administrator refuses it, naming
the campaign, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer

from wallboard.live.admin import (
    AdminAction,
    AdminReadError,
    AdminResult,
    QueueRow,
    queue_words,
)
from wallboard.live.admin_words import QUEUE_SETTINGS, SETTING_BY_KEY, setting_words
from wallboard.live.campaigns import TrackedTask
from wallboard.ui.admin_base import AdminScreen, counted
from wallboard.ui.admin_dialogs import QueueForm, QueueFormDialog
from wallboard.ui.dialogs import plain
from wallboard.ui.faces import clean


class QueueAdmin(Protocol):
    """What the queues screen needs of its administrator (`live.admin.Administrator`)."""

    @property
    def read_only(self) -> bool: ...

    async def queue_rows(self) -> list[QueueRow]: ...
    def campaigns_using(self, queue: str) -> list[TrackedTask]: ...
    async def add_queue(
        self, name: str, *, autocall: bool, remark: str, strategy: int | None = None
    ) -> AdminResult: ...
    async def edit_queue(
        self, name: str, *, remark: str, settings: Mapping[str, int]
    ) -> AdminResult: ...
    async def delete_queue(self, name: str) -> AdminResult: ...
    def refuse(
        self, action: AdminAction, target: str, details: dict[str, object] | None = None
    ) -> AdminResult: ...


QUEUES_CSS = """
QueuesScreen #queues {
    height: auto;
    max-height: 40%;
    overflow-x: hidden;  /* narrow: the last columns are cut; the panel below has all */
}
QueuesScreen #settings {
    height: 1fr;
    border-top: solid $primary;
    padding: 0 1;
}
QueuesScreen .setting-row {
    height: auto;
}
QueuesScreen .setting-row Label {
    width: 1fr;
}
QueuesScreen .setting-row .setting-name {
    width: 16;  /* the longest name ("announce every") and a space */
    color: $accent;
    text-style: bold;
}
QueuesScreen .setting-row .setting-value {
    width: 31;
}
"""

COLUMNS = ("Queue", "Remark", "Predictive", "Ring delay", "Drop after", "Ringing")


def describe_form(form: QueueForm, old: QueueRow | None) -> str:
    """The change a form asks for, in words for the confirmation."""
    if old is None:
        calls = "takes predictive calls" if form.autocall else "takes no predictive calls"
        ringing = setting_words("strategy", form.strategy or 1)
        return f"Add queue {form.name} (remark {form.remark!r}; {calls}; ringing {ringing})?"
    changes: list[str] = []
    if form.remark != old.remark:
        changes.append(f"remark {old.remark!r} → {form.remark!r}")
    for key, value in form.settings.items():
        if value != old.value(key):
            label = SETTING_BY_KEY[key].label
            changes.append(f"{label} {old.words(key)} → {setting_words(key, value)}")
    what = "; ".join(changes) if changes else "no setting changes (sends the same values)"
    return f"Change queue {old.name}: {what}?"


class QueuesScreen(AdminScreen):
    """The queues: `a` add, `e` edit, `d` delete, F5 read again, esc back to the floor."""

    DEFAULT_CSS = AdminScreen.DEFAULT_CSS + QUEUES_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "add"),
        Binding("e", "edit", "edit"),
        Binding("d", "delete", "delete"),
    ]

    def __init__(self, admin: QueueAdmin) -> None:
        super().__init__()
        self.admin = admin
        self.rows: list[QueueRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        title = "Queues" + ("  (read-only: changes are off)" if self.admin.read_only else "")
        yield plain(title, classes="admin-title")
        yield DataTable(id="queues", cursor_type="row", zebra_stripes=True)
        yield VerticalScroll(id="settings")
        yield plain("Reading the queues…", id="admin-status", classes="admin-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#queues", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.reload()

    # ------------------------------------------------------------------ reading

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="admin-read")
    async def _load(self) -> None:
        try:
            rows = await self.admin.queue_rows()
        except AdminReadError as exc:
            self.say(f"Queues not read: {exc}")
            return
        first = not self.loaded
        self.loaded = True
        self.show_rows(rows)
        if first:  # later reads follow a change: its outcome stays in the status line
            self.say(f"{counted(len(rows), 'queue')}. Highlight one to see its settings.")

    def show_rows(self, rows: Sequence[QueueRow]) -> None:
        table = self.query_one("#queues", DataTable)
        keep = self.selected()
        self.rows = list(rows)
        table.clear()
        for row in self.rows:
            table.add_row(
                clean(row.name),
                clean(row.remark),
                row.autocall or "–",
                row.words("ringdelay"),
                row.words("discardtime"),
                row.words("strategy"),
                key=row.name,
            )
        if keep is not None and any(row.name == keep.name for row in self.rows):
            table.move_cursor(row=table.get_row_index(keep.name))
        self._show_settings()

    def selected(self) -> QueueRow | None:
        table = self.query_one("#queues", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows if row.name == key), None)

    @on(DataTable.RowHighlighted, "#queues")
    def _highlighted(self) -> None:
        self._show_settings()

    def _show_settings(self) -> None:
        """The highlighted queue's settings, each with its meaning (the documents' words)."""
        panel = self.query_one("#settings", VerticalScroll)
        panel.remove_children()
        row = self.selected()
        if row is None:
            return
        lines: list[Horizontal] = [
            _line("queue", clean(row.name), clean(row.remark) or "(no remark)"),
            _line("predictive", row.autocall or "–", row.autocall_words),
        ]
        for setting in QUEUE_SETTINGS:
            lines.append(_line(setting.label, row.words(setting.key), setting.meaning))
        if row.announce:
            lines.append(_line("announcement", clean(row.announce), "what waiting callers hear"))
        using = self.admin.campaigns_using(row.name)
        if using:
            names = ", ".join(f"{task.label} ({task.status.value})" for task in using)
            lines.append(_line("campaigns", str(len(using)), f"dialling for it: {names}"))
        panel.mount_all(lines)

    # ------------------------------------------------------------------ changes

    def action_add(self) -> None:
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.ADD_QUEUE, "a new queue"))
            return

        def filled(form: QueueForm | None) -> None:
            if form is None:
                self.say("Nothing was sent.")
                return
            self.confirm_then(
                describe_form(form, None),
                "Add",
                lambda: self.admin.add_queue(
                    form.name, autocall=form.autocall, remark=form.remark, strategy=form.strategy
                ),
            )

        self.app.push_screen(QueueFormDialog(), filled)

    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            self.say("No queue chosen.")
            return
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.EDIT_QUEUE, queue_words(row.name)))
            return

        def filled(form: QueueForm | None) -> None:
            if form is None:
                self.say("Nothing was sent.")
                return
            self.confirm_then(
                describe_form(form, row),
                "Change",
                lambda: self.admin.edit_queue(row.name, remark=form.remark, settings=form.settings),
            )

        self.app.push_screen(QueueFormDialog(row), filled)

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            self.say("No queue chosen.")
            return
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.DELETE_QUEUE, queue_words(row.name)))
            return
        question = (
            f"Delete queue {row.name}? Its agents are checked out of it. "
            "A campaign that uses it stops it being deleted."
        )
        self.confirm_then(question, "Delete", lambda: self.admin.delete_queue(row.name))


def _line(name: str, value: str, meaning: str) -> Horizontal:
    return Horizontal(
        plain(name, classes="setting-name"),
        plain(value, classes="setting-value"),
        plain(meaning),
        classes="setting-row",
    )


__all__ = ["QueueAdmin", "QueuesScreen", "describe_form"]
