"""`m` on the floor: the administration menu (queues, extension groups, extensions).

One key opens the three screens because they are seldom used and the floor's keys are
its daily ones: the footer is full at 80 columns, and a mistyped letter on the floor should
not land in the account's set-up. The menu is a dialog (esc or q: back to the floor); the
screen chosen replaces it, so esc on that screen returns to the floor too.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wallboard.ui.admin_extensions import ExtensionAdmin, ExtensionsScreen
from wallboard.ui.admin_groups import GroupAdmin, GroupsScreen
from wallboard.ui.admin_queues import QueueAdmin, QueuesScreen
from wallboard.ui.dialogs import CLOSE_HINT, Dialog, plain


class Administration(QueueAdmin, GroupAdmin, ExtensionAdmin, Protocol):
    """Everything the three screens need: `live.admin.Administrator` is one."""


#: (option id, key, words): the menu's entries, in its order.
ENTRIES = (
    ("queues", "1", "Queues: settings in words; add, edit, delete"),
    ("groups", "2", "Extension groups: members, idle or busy"),
    ("extensions", "3", "Extensions: enabled, registered, client IP"),
)


def admin_screen(choice: str, admin: Administration) -> Screen[None]:
    """The screen of one menu entry (ValueError for another name)."""
    if choice == "queues":
        return QueuesScreen(admin)
    if choice == "groups":
        return GroupsScreen(admin)
    if choice == "extensions":
        return ExtensionsScreen(admin)
    raise ValueError(f"no administration screen {choice!r}")


class AdminMenu(Dialog[None]):
    """Choose an administration screen: 1, 2, 3, or the arrows and enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"open('{name}')", name, show=False) for name, key, _ in ENTRIES
    ]

    def __init__(self, admin: Administration) -> None:
        super().__init__()
        self.admin = admin

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield plain("Administration", classes="dialog-title")
            if self.admin.read_only:
                yield plain("Read-only: the screens show, changes are off.", classes="help-note")
            yield OptionList(
                *(Option(f"{key}  {words}", id=name) for name, key, words in ENTRIES),
                id="admin-menu",
            )
            yield plain(CLOSE_HINT, classes="help-note")

    def on_mount(self) -> None:
        self.query_one("#admin-menu", OptionList).focus()

    def action_open(self, name: str) -> None:
        self.app.switch_screen(admin_screen(name, self.admin))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.action_open(event.option.id)


__all__ = ["ENTRIES", "AdminMenu", "Administration", "admin_screen"]
