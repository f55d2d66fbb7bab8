"""Extensions: each of the account's extensions, enabled or disabled, registered or not,
and the address its phone registered from. Nothing here changes an extension (no documented
service does), and no password is ever shown: the rows have no field for one.
"""

from __future__ import annotations

from typing import Protocol

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer

from wallboard.live.admin import AdminReadError, ExtensionRow
from wallboard.ui.admin_base import AdminScreen, counted
from wallboard.ui.dialogs import plain


class ExtensionAdmin(Protocol):
    """What the extensions screen needs of its administrator (`live.admin.Administrator`)."""

    async def extension_rows(self) -> list[ExtensionRow]: ...


COLUMNS = ("Extension", "Enabled", "Registered", "Client IP", "Server IP")


def summary(rows: list[ExtensionRow]) -> str:
    """The status line's count: "12 extensions: 10 enabled, 9 registered, 1 disabled."."""
    enabled = sum(1 for row in rows if row.enabled)
    disabled = sum(1 for row in rows if row.enabled is False)
    registered = sum(1 for row in rows if row.registered)
    counts = f"{enabled} enabled, {registered} registered, {disabled} disabled"
    return f"{counted(len(rows), 'extension')}: {counts}."


class ExtensionsScreen(AdminScreen):
    """The extensions, read-only: F5 reads them again, esc returns to the floor."""

    def __init__(self, admin: ExtensionAdmin) -> None:
        super().__init__()
        self.admin = admin
        self.rows: list[ExtensionRow] = []

    def compose(self) -> ComposeResult:
        yield plain("Extensions", classes="admin-title")
        yield plain(
            "Enabling an extension or changing its password is done in the vendor's back office.",
            classes="admin-note",
        )
        yield DataTable(id="extensions", cursor_type="row", zebra_stripes=True)
        yield plain("Reading the extensions…", id="admin-status", classes="admin-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#extensions", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="admin-read")
    async def _load(self) -> None:
        try:
            rows = await self.admin.extension_rows()
        except AdminReadError as exc:
            self.say(f"Extensions not read: {exc}")
            return
        self.rows = rows
        table = self.query_one("#extensions", DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                row.extnumber,
                row.enabled_words,
                row.registered_words,
                row.clientip or "–",
                row.serverip or "–",
                key=row.extnumber,
            )
        self.say(summary(rows))


__all__ = ["ExtensionAdmin", "ExtensionsScreen", "summary"]
