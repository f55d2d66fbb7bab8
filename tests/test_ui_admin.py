"""Every administrative service through its screen against the simulator (Pilot): the
queues (GetQueueList, AddQueue, EditQueue, DelQueue), the groups (GetExtgroupInfo,
GetGroupExt, AddExtgroup, AddExtnumber, DelExtnumber, EditExtnumber) and the extensions
(GetSipnumberInfo, GetSipRegisterStatus). Every change is asked about first, a cancelled
question sends nothing, read-only refuses without asking, esc returns, and no extension
password reaches the screen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from test_admin_support import Desk, passwords
from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from wallboard.sim.server import Simulator
from wallboard.ui.admin_dialogs import QueueFormDialog, TextDialog
from wallboard.ui.admin_extensions import ExtensionsScreen
from wallboard.ui.admin_groups import GroupsScreen
from wallboard.ui.admin_menu import AdminMenu
from wallboard.ui.admin_queues import QueuesScreen
from wallboard.ui.dialogs import ConfirmDialog

Make = Callable[..., Simulator]
SIZE = (110, 40)


class Host(App[None]):
    """A bare app with one administration screen (or the menu) pushed on its own."""

    def __init__(self, first: Screen[Any]) -> None:
        super().__init__()
        self.first = first

    def on_mount(self) -> None:
        self.push_screen(self.first)


@pytest.fixture
def sim(make_simulator: Make) -> Simulator:
    return make_simulator(seed=11, agents=12, queues=2, campaigns=1)


@pytest.fixture
async def desk(sim: Simulator, tmp_path: Path) -> AsyncIterator[Desk]:
    made = Desk(sim, tmp_path)
    yield made
    await made.close()


@pytest.fixture
async def read_only_desk(sim: Simulator, tmp_path: Path) -> AsyncIterator[Desk]:
    made = Desk(sim, tmp_path, read_only=True)
    yield made
    await made.close()


async def settle(pilot: Any) -> None:
    """Until no worker runs: a change's worker starts the read that follows it."""
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def status(screen: Screen[Any]) -> str:
    return str(screen.query_one("#admin-status", Label).render())


def column(screen: Screen[Any], table_id: str, index: int = 0) -> list[str]:
    table = screen.query_one(table_id, DataTable)
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


def idle_queue(sim: Simulator) -> str:
    busy = {task.assignagent for task in sim.floor.tasks.values()}
    return next(name for name in sim.floor.queues if name not in busy)


async def choose(pilot: Any, screen: Screen[Any], table_id: str, key: str) -> None:
    table = screen.query_one(table_id, DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


# ------------------------------------------------------------------ queues


async def test_get_queue_list_shows_every_queue_with_its_settings_in_words(
    sim: Simulator, desk: Desk
) -> None:
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert column(screen, "#queues") == sorted(sim.floor.queues)
        queue = sim.floor.queues[sorted(sim.floor.queues)[0]]
        shown = [str(label.render()) for label in screen.query("#settings Label")]
        assert f"{queue.discardtime} s" in shown
        assert "an answered customer no agent takes in this time is dropped (abandoned)" in shown
        assert status(screen) == "2 queues. Highlight one to see its settings."
    assert desk.transport.sent["App.Sip_Queue.GetQueueList"] == 1


async def test_add_queue_through_the_form_and_a_confirmation(sim: Simulator, desk: Desk) -> None:
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, QueueFormDialog)
        form.query_one("#name", Input).value = "night"
        form.query_one("#remark", Input).value = "Night team"
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == (
            "Add queue night (remark 'Night team'; takes predictive calls; "
            "ringing 1 longest idle rings first)?"
        )
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueuesScreen)
        assert status(screen) == "added queue night (server: Added successfully)"
        assert "night" in column(screen, "#queues")
    assert sim.floor.queues["night"].autocall
    (line,) = desk.lines()
    assert (line["action"], line["outcome"], line["answer"]) == (
        "add queue",
        "done",
        "Added successfully",
    )


async def test_edit_queue_shows_old_and_new_values_before_sending(
    sim: Simulator, desk: Desk
) -> None:
    name = idle_queue(sim)
    old = sim.floor.queues[name].ringdelay
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await choose(pilot, app.screen, "#queues", name)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, QueueFormDialog)
        form.query_one("#ringdelay", Input).value = str(old + 7)
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == f"Change queue {name}: ring delay {old} s → {old + 7} s?"
        await pilot.press("y")
        await settle(pilot)
        assert status(app.screen) == f"changed queue {name} (server: Successfully modified)"
    assert sim.floor.queues[name].ringdelay == old + 7
    assert desk.transport.sent["App.Sip_Queue.EditQueue"] == 1


async def test_delete_queue_after_yes_and_not_after_no(sim: Simulator, desk: Desk) -> None:
    name = idle_queue(sim)
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await choose(pilot, app.screen, "#queues", name)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert status(app.screen) == "Nothing was sent."
        assert desk.transport.sent["App.Sip_Queue.DelQueue"] == 0
        await pilot.press("d")
        await pilot.press("y")
        await settle(pilot)
        assert status(app.screen) == f"deleted queue {name} (server: successfully deleted)"
        assert name not in column(app.screen, "#queues")
    assert name not in sim.floor.queues


async def test_delete_of_a_queue_a_campaign_uses_is_refused_on_screen(
    sim: Simulator, desk: Desk
) -> None:
    name = idle_queue(sim)
    desk.registry.track("T7", name="Renewals", assigned_to=name)
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await choose(pilot, app.screen, "#queues", name)
        shown = [str(label.render()) for label in app.screen.query("#settings Label")]
        assert "dialling for it: Renewals (unknown)" in shown
        await pilot.press("d", "y")
        await settle(pilot)
        assert status(app.screen) == (
            f"queue {name} is used by campaign Renewals (unknown): end it first; not sent"
        )
    assert name in sim.floor.queues
    assert desk.transport.sent["App.Sip_Queue.DelQueue"] == 0


# ------------------------------------------------------------------ groups


async def test_get_extgroup_info_finds_a_group_by_name_and_get_group_ext_lists_members(
    sim: Simulator, desk: Desk
) -> None:
    app = Host(GroupsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status(app.screen) == "No group known yet: n adds one, f finds one by name."
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one("#text", Input).value = "team-leads"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert column(screen, "#groups") == ["team-leads"]
        assert column(screen, "#groups", 2) == ["enabled"]
        members = sorted(sim.floor.groups["team-leads"].members)
        assert column(screen, "#members") == members
    assert desk.transport.sent["App.Sip_Extgroup.GetExtgroupInfo"] >= 1
    assert desk.transport.sent["App.Sip_Extgroup.GetGroupExt"] >= 1


async def test_add_extgroup_through_a_confirmation(sim: Simulator, desk: Desk) -> None:
    app = Host(GroupsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one("#text", Input).value = "closers"
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == "Add group closers (enabled)?"
        await pilot.press("y")
        await settle(pilot)
        assert status(app.screen) == "added group closers (server: Added successfully)"
        assert column(app.screen, "#groups") == ["closers"]
    assert sim.floor.groups["closers"].status == 1


async def group_screen(desk: Desk, pilot: Any, app: Host) -> None:
    await settle(pilot)
    assert column(app.screen, "#groups") == ["team-leads"]


async def test_add_extnumber_puts_an_extension_into_the_highlighted_group(
    sim: Simulator, desk: Desk
) -> None:
    desk.groups.add("team-leads")
    ext = sorted(sim.floor.extensions)[8]
    assert ext not in sim.floor.groups["team-leads"].members
    app = Host(GroupsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await group_screen(desk, pilot, app)
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one("#text", Input).value = ext
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == f"Add extension {ext} to group team-leads?"
        await pilot.press("y")
        await settle(pilot)
        assert status(app.screen) == f"added {ext} to group team-leads (server: Added successfully)"
        assert ext in column(app.screen, "#members")
    assert ext in sim.floor.groups["team-leads"].members


async def test_edit_extnumber_sets_the_highlighted_member_busy(sim: Simulator, desk: Desk) -> None:
    desk.groups.add("team-leads")
    ext = sorted(sim.floor.groups["team-leads"].members)[1]
    app = Host(GroupsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await group_screen(desk, pilot, app)
        await choose(pilot, app.screen, "#members", ext)
        await pilot.press("s")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == f"Set extension {ext} busy (takes none) in group team-leads?"
        await pilot.press("y")
        await settle(pilot)
        assert (
            status(app.screen) == f"{ext} is busy in group team-leads (server: edited successfully)"
        )
        table = app.screen.query_one("#members", DataTable)
        assert str(table.get_row(ext)[2]) == "busy (takes none)"
    assert sim.floor.groups["team-leads"].members[ext].paused


async def test_del_extnumber_takes_the_highlighted_member_out(sim: Simulator, desk: Desk) -> None:
    desk.groups.add("team-leads")
    ext = sorted(sim.floor.groups["team-leads"].members)[0]
    app = Host(GroupsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await group_screen(desk, pilot, app)
        await choose(pilot, app.screen, "#members", ext)
        await pilot.press("x")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == f"Take extension {ext} out of group team-leads?"
        await pilot.press("y")
        await settle(pilot)
        assert ext not in column(app.screen, "#members")
    assert ext not in sim.floor.groups["team-leads"].members
    assert desk.lines()[-1]["action"] == "remove from group"


# ------------------------------------------------------------------ extensions


async def test_extensions_show_state_registration_and_client_ip_never_a_password(
    sim: Simulator, desk: Desk
) -> None:
    app = Host(ExtensionsScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert column(screen, "#extensions") == sorted(sim.floor.extensions)
        table = screen.query_one("#extensions", DataTable)
        for extnumber, ext in sim.floor.extensions.items():
            row = [str(cell) for cell in table.get_row(extnumber)]
            assert row[1] == ("enabled" if ext.enabled else "disabled")
            assert row[2] == ("registered" if ext.registered else "not registered")
            assert row[3] == (ext.clientip or "–")
        assert status(screen).startswith(f"{len(sim.floor.extensions)} extensions: ")
        picture = app.export_screenshot()
        assert not any(secret in picture for secret in passwords(sim))
    assert desk.transport.sent["App.Sip_Sipnum.GetSipnumberInfo"] == 1
    assert desk.transport.sent["App.Sip_Status.GetSipRegisterStatus"] == 1


# ------------------------------------------------------------------ the rules


async def test_read_only_refuses_every_change_without_asking_and_audits_it(
    sim: Simulator, read_only_desk: Desk
) -> None:
    desk = read_only_desk
    desk.groups.add("team-leads")
    app = Host(QueuesScreen(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("a", "e", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, QueuesScreen)  # no form, no question
            assert status(app.screen).endswith("not sent: this dashboard is read-only")
        app.push_screen(GroupsScreen(desk.admin))
        await settle(pilot)
        await choose(
            pilot, app.screen, "#members", sorted(sim.floor.groups["team-leads"].members)[0]
        )
        for key in ("n", "a", "x", "s"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, GroupsScreen)
            assert status(app.screen).endswith("not sent: this dashboard is read-only")
    assert desk.transport.changes() == 0
    lines = desk.lines()
    assert [line["action"] for line in lines] == [
        "add queue",
        "edit queue",
        "delete queue",
        "add group",
        "add to group",
        "remove from group",
        "set group member state",
    ]
    assert {line["outcome"] for line in lines} == {"refused"}


async def test_esc_returns_from_every_screen_and_the_menu_opens_each(desk: Desk) -> None:
    app = Host(AdminMenu(desk.admin))
    async with app.run_test(size=SIZE) as pilot:
        for key, kind in (("1", QueuesScreen), ("2", GroupsScreen), ("3", ExtensionsScreen)):
            assert isinstance(app.screen, AdminMenu)
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, kind | AdminMenu)  # back where it was opened
            app.push_screen(AdminMenu(desk.admin))
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AdminMenu)


async def test_the_floors_keys_do_nothing_on_an_administration_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The floor's bindings are the app's: on an administration screen `o`, `p`, `b`, `c`
    must not check out, pause or check in whatever the floor had selected."""
    from test_ui_support import agent, campaign, scripted_app, snapshot

    floor = snapshot({"sales": [agent("1001", crmid="501")]}, [campaign("T1", "Spring")])
    app, _floor, client = scripted_app(tmp_path, [floor])

    class NoExtensions:
        async def extension_rows(self) -> list[Any]:
            return []

    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.grid.select("sales", "1001")
        app.push_screen(ExtensionsScreen(NoExtensions()))
        await settle(pilot)
        for key in ("o", "b", "i", "c", "p", "r", "e", "v", "g", "s", "a"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ExtensionsScreen), key
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExtensionsScreen)
    assert client.calls == []
