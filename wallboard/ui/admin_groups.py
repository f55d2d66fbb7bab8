"""Extension groups: the groups this dashboard knows, the members of the highlighted one,
and adding a group, adding or removing a member, and setting a member idle or busy (each
change asked about first).

No documented call lists an account's groups (GetExtgroupInfo needs a name), so the list
is the groups this dashboard created or was asked to find (`f`), remembered across runs.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer

from wallboard.live.admin import (
    AdminAction,
    AdminReadError,
    AdminResult,
    GroupRow,
    MemberRow,
    group_words,
    member_words,
)
from wallboard.live.admin_words import group_status_words, member_call_words, member_state_words
from wallboard.ui.admin_base import AdminScreen, counted
from wallboard.ui.admin_dialogs import TextAnswer, TextDialog
from wallboard.ui.dialogs import plain
from wallboard.ui.faces import clean


class GroupAdmin(Protocol):
    """What the groups screen needs of its administrator (`live.admin.Administrator`)."""

    @property
    def read_only(self) -> bool: ...

    async def group_rows(self) -> list[GroupRow]: ...
    async def look_up_group(self, name: str) -> GroupRow | None: ...
    async def members(self, group: str) -> list[MemberRow]: ...
    async def add_group(self, name: str, *, enabled: bool = True) -> AdminResult: ...
    async def add_member(self, group: str, extnumber: str) -> AdminResult: ...
    async def remove_member(self, group: str, extnumber: str) -> AdminResult: ...
    async def set_member_state(self, group: str, extnumber: str, state: str) -> AdminResult: ...
    def refuse(
        self, action: AdminAction, target: str, details: dict[str, object] | None = None
    ) -> AdminResult: ...


GROUPS_CSS = """
GroupsScreen #panes {
    height: 1fr;
}
GroupsScreen #groups {
    width: 2fr;
    height: 1fr;
}
GroupsScreen #members {
    width: 3fr;
    height: 1fr;
    border-left: solid $primary;
}
"""


class GroupsScreen(AdminScreen):
    """Groups on the left, the highlighted group's members on the right (tab between):
    `n` new group, `f` find a group by name, `a` add a member, `x` remove the member,
    `s` set the member idle or busy, F5 read again, esc back to the floor."""

    DEFAULT_CSS = AdminScreen.DEFAULT_CSS + GROUPS_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_group", "new group"),
        Binding("f", "find_group", "find"),
        Binding("a", "add_member", "add member"),
        Binding("x", "remove_member", "remove"),
        Binding("s", "member_state", "idle/busy"),
    ]

    def __init__(self, admin: GroupAdmin) -> None:
        super().__init__()
        self.admin = admin
        self.groups: list[GroupRow] = []
        self.member_rows: list[MemberRow] = []
        self.members_of = ""  # the group whose members are shown
        self.loaded = False

    def compose(self) -> ComposeResult:
        title = "Extension groups" + (
            "  (read-only: changes are off)" if self.admin.read_only else ""
        )
        yield plain(title, classes="admin-title")
        yield plain(
            "Groups this dashboard made or found (f finds one by name).", classes="admin-note"
        )
        with Horizontal(id="panes"):
            yield DataTable(id="groups", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="members", cursor_type="row", zebra_stripes=True)
        yield plain("Reading the groups…", id="admin-status", classes="admin-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#groups", DataTable).add_columns("Group", "Id", "Status")
        self.query_one("#members", DataTable).add_columns("Extension", "Call", "State")
        self.query_one("#groups", DataTable).focus()
        self.reload()

    # ------------------------------------------------------------------ reading

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="admin-read")
    async def _load(self) -> None:
        try:
            groups = await self.admin.group_rows()
        except AdminReadError as exc:
            self.say(f"Groups not read: {exc}")
            return
        first = not self.loaded
        self.loaded = True
        self.show_groups(groups)
        if first:
            if groups:
                self.say(f"{counted(len(groups), 'group')} known.")
            else:
                self.say("No group known yet: n adds one, f finds one by name.")
        group = self.selected_group()
        await self._load_members(group.name if group is not None else "")

    async def _load_members(self, group: str) -> None:
        rows: list[MemberRow] = []
        if group:
            try:
                rows = await self.admin.members(group)
            except AdminReadError as exc:
                self.say(f"Members of {group} not read: {exc}")
        self.show_members(group, rows)

    def show_groups(self, groups: list[GroupRow]) -> None:
        table = self.query_one("#groups", DataTable)
        keep = self.selected_group()
        self.groups = groups
        table.clear()
        for row in groups:
            ident = "" if row.id is None else str(row.id)
            table.add_row(clean(row.name), ident, group_status_words(row.status), key=row.name)
        if keep is not None and any(row.name == keep.name for row in groups):
            table.move_cursor(row=table.get_row_index(keep.name))

    def show_members(self, group: str, rows: list[MemberRow]) -> None:
        table = self.query_one("#members", DataTable)
        keep = self.selected_member()
        self.members_of = group
        self.member_rows = rows
        table.clear()
        for row in rows:
            table.add_row(
                row.extnumber,
                member_call_words(row.call),
                member_state_words(row.state),
                key=row.extnumber,
            )
        if keep is not None and any(row.extnumber == keep.extnumber for row in rows):
            table.move_cursor(row=table.get_row_index(keep.extnumber))

    def selected_group(self) -> GroupRow | None:
        table = self.query_one("#groups", DataTable)
        if not self.groups or not 0 <= table.cursor_row < len(self.groups):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.groups if row.name == key), None)

    def selected_member(self) -> MemberRow | None:
        table = self.query_one("#members", DataTable)
        if not self.member_rows or not 0 <= table.cursor_row < len(self.member_rows):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.member_rows if row.extnumber == key), None)

    @on(DataTable.RowHighlighted, "#groups")
    def _group_highlighted(self) -> None:
        group = self.selected_group()
        if group is not None and group.name != self.members_of:
            self._members_worker(group.name)

    @work(exclusive=True, group="admin-members")
    async def _members_worker(self, group: str) -> None:
        await self._load_members(group)

    # ------------------------------------------------------------------ changes

    def action_find_group(self) -> None:
        def named(answer: TextAnswer | None) -> None:
            if answer is not None:
                self._find(answer.text)

        dialog = TextDialog("Find a group", "Group name", ok="Find")
        self.app.push_screen(dialog, named)

    @work(group="admin-read")
    async def _find(self, name: str) -> None:
        try:
            found = await self.admin.look_up_group(name)
        except AdminReadError as exc:
            self.say(f"Group {name} not looked up: {exc}")
            return
        if found is None:
            self.say(f"The server knows no group {name}.")
            return
        self.say(f"Found group {found.name}.")
        self.reload()

    def action_new_group(self) -> None:
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.ADD_GROUP, "a new group"))
            return

        def named(answer: TextAnswer | None) -> None:
            if answer is None:
                self.say("Nothing was sent.")
                return
            state = "enabled" if answer.flag else "disabled"
            self.confirm_then(
                f"Add group {answer.text} ({state})?",
                "Add",
                lambda: self.admin.add_group(answer.text, enabled=answer.flag),
            )

        dialog = TextDialog("New extension group", "Group name", flag="enabled")
        self.app.push_screen(dialog, named)

    def action_add_member(self) -> None:
        group = self.selected_group()
        if group is None:
            self.say("No group chosen: n adds one, f finds one.")
            return
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.ADD_MEMBER, group_words(group.name)))
            return

        def named(answer: TextAnswer | None) -> None:
            if answer is None:
                self.say("Nothing was sent.")
                return
            self.confirm_then(
                f"Add extension {answer.text} to group {group.name}?",
                "Add",
                lambda: self.admin.add_member(group.name, answer.text),
            )

        title = f"Add an extension to group {group.name}"
        self.app.push_screen(TextDialog(title, "Extension", digits=True), named)

    def action_remove_member(self) -> None:
        member = self.selected_member()
        if member is None:
            self.say("No member chosen: tab to the members, then choose one.")
            return
        target = member_words(member.group, member.extnumber)
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.REMOVE_MEMBER, target))
            return
        self.confirm_then(
            f"Take extension {member.extnumber} out of group {member.group}?",
            "Remove",
            lambda: self.admin.remove_member(member.group, member.extnumber),
        )

    def action_member_state(self) -> None:
        member = self.selected_member()
        if member is None:
            self.say("No member chosen: tab to the members, then choose one.")
            return
        target = member_words(member.group, member.extnumber)
        if self.admin.read_only:
            self.show(self.admin.refuse(AdminAction.SET_MEMBER_STATE, target))
            return
        wanted = "idle" if member.state == "busy" else "busy"
        self.confirm_then(
            f"Set extension {member.extnumber} {member_state_words(wanted)} "
            f"in group {member.group}?",
            f"Set {wanted}",
            lambda: self.admin.set_member_state(member.group, member.extnumber, wanted),
        )


__all__ = ["GroupAdmin", "GroupsScreen"]
