"""The New campaign screen with Pilot, against the simulator on loopback: a campaign from a
small CSV (preview counts, confirm, progress, tracked, audited), an upload stopped with
ctrl+c and finished from the screen's offer with nothing sent twice, the refusal in
read-only, numbers taken out by selection; and its pictures (snap_compare).

The screen is pushed on a small host app and given a `LiveCampaignSource` over a real
client, registry and audit log in a temp dir."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, ProgressBar, Select, Static

from wallboard.api.client import WallboardClient
from wallboard.live.audit import AuditLog
from wallboard.live.campaign_source import LiveCampaignSource
from wallboard.live.campaigns import CampaignRegistry
from wallboard.sim.server import Simulator, create_app, serve_app_in_thread
from wallboard.ui.campaign_screen import NewCampaignScreen
from wallboard.ui.dialogs import ConfirmDialog

QUEUE = "autocall-sales"
ACCESSKEY = "campaign-screen-accesskey-012345678"
TASKCREAT = "App.Sip_Yccall.TaskCreat"
TASKADD = "App.Sip_Yccall.TaskAdd"
TASKDEL = "App.Sip_Yccall.taskDelPhone"
TASKSET = "App.Sip_Yccall.TaskSet"
WAIT = 30.0


class HoldTaskAdd:
    """Around the simulator's app: when armed, holds back the answer to the first TaskAdd
    (after the simulator carried it out) until released."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim
        self.armed = False
        self.held = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_or_hold(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and self.armed
                and not self.held.is_set()
                and self.sim.stats()["services"].get(TASKADD, 0) >= 1
            ):
                self.held.set()
                await asyncio.to_thread(self.release.wait, WAIT)
            await send(message)

        await self.app(scope, receive, send_or_hold if scope["type"] == "http" else send)


@dataclass
class Floor:
    sim: Simulator
    url: str
    holder: HoldTaskAdd
    dir: Path
    before: frozenset[str]  # the scenario's own tasks

    def source(self, *, read_only: bool = False) -> LiveCampaignSource:
        import datetime as dt

        client = WallboardClient(self.url, self.sim.appid, ACCESSKEY)
        return LiveCampaignSource(
            client,
            CampaignRegistry(self.dir / "campaigns.json"),
            AuditLog(self.dir / "audit.jsonl"),
            read_only=read_only,
            tz=dt.UTC,
            region="GB",
            folder=self.dir / "uploads",
        )

    def calls(self) -> dict[str, int]:
        services: dict[str, int] = self.sim.stats()["services"]
        return {name: services.get(name, 0) for name in (TASKCREAT, TASKADD, TASKDEL, TASKSET)}

    def audit(self) -> list[dict[str, object]]:
        return AuditLog(self.dir / "audit.jsonl").entries()


@pytest.fixture
def floor(
    tmp_path: Path, make_simulator: Callable[..., Simulator], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Floor]:
    monkeypatch.chdir(tmp_path)  # lists are named by a relative path: pictures stay the same
    sim = make_simulator(agents=4, queues=1, accesskey=ACCESSKEY)
    holder = HoldTaskAdd(create_app(sim), sim)
    with serve_app_in_thread(holder) as url:
        try:
            yield Floor(sim, url, holder, tmp_path, frozenset(t.taskid for t in sim.tasks()))
        finally:
            holder.release.set()


class Host(App[None]):
    """A bare app that opens the screen on its source."""

    def __init__(self, source: LiveCampaignSource) -> None:
        super().__init__()
        self.source = source

    def on_mount(self) -> None:
        self.push_screen(NewCampaignScreen(self.source))

    async def on_unmount(self) -> None:
        await self.source.client.aclose()


def small_list(path: Path) -> Path:
    path.write_text(
        "telphone,userid\n07400 100001,a\n07400 100002,b\n+44 7400 100001,dup\nnope,x\n"
        "+1 212 555 0100,c\n",
        encoding="utf-8",
    )
    return path


def screen(pilot: Pilot[None]) -> NewCampaignScreen:
    found = pilot.app.screen
    assert isinstance(found, NewCampaignScreen), found
    return found


async def fill(pilot: Pilot[None], name: str, file: str, queue: str = QUEUE) -> None:
    s = screen(pilot)
    s.query_one("#name", Input).value = name
    s.query_one("#file", Input).value = file
    s.query_one("#target", Input).value = queue
    await pilot.pause()


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def status(pilot: Pilot[None]) -> str:
    return str(screen(pilot).query_one("#campaign-status", Label).render())


async def send_and_confirm(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConfirmDialog)
    await pilot.press("y")
    await settle(pilot)


def new_tasks(floor: Floor) -> dict[str, frozenset[str]]:
    return {
        task.taskid: frozenset(task.numbers)
        for task in floor.sim.tasks()
        if task.taskid not in floor.before
    }


async def test_a_campaign_from_a_small_csv(floor: Floor) -> None:
    small_list(floor.dir / "small.csv")
    source = floor.source()
    async with Host(source).run_test(size=(110, 60)) as pilot:
        await fill(pilot, "spring", "small.csv")
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = str(screen(pilot).query_one("#preview-text", Static).render())
        assert "valid               3   to send in 1 TaskCreat + 0 TaskAdd" in text
        assert "invalid             1" in text and "duplicate           1" in text
        # 09:00 UTC: London is open, New York (04:00) is not.
        assert "outside now         1   outside their local calling hours" in text
        assert "opens 2026-01-05 13:00:00" in text
        assert floor.calls()[TASKCREAT] == 0  # a preview sends nothing

        await send_and_confirm(pilot)
        assert status(pilot).startswith("Task "), status(pilot)
        bar = screen(pilot).query_one("#progress", ProgressBar)
        assert (bar.progress, bar.total) == (3, 3)
        line = str(screen(pilot).query_one("#progress-line", Label).render())
        assert line == "Sent 3 of 3 numbers (1 of 1 calls)."
    assert floor.calls() == {TASKCREAT: 1, TASKADD: 0, TASKDEL: 0, TASKSET: 1}
    ((taskid, numbers),) = new_tasks(floor).items()
    assert numbers == {"07400100001", "07400100002", "0012125550100"}
    tracked = source.registry.get(taskid)
    assert tracked is not None and tracked.name == "spring"  # on the campaigns pane at once
    (entry,) = floor.audit()
    assert (entry["action"], entry["outcome"], entry["target"]) == (
        "create campaign",
        "ok",
        f"task {taskid}",
    )
    invalid = (floor.dir / "small.csv.invalid.csv").read_text(encoding="utf-8")
    assert "nope" in invalid


async def test_an_upload_stopped_with_ctrl_c_is_finished_from_the_offer(floor: Floor) -> None:
    path = floor.dir / "big.csv"
    path.write_text(
        "telphone\n" + "\n".join(f"07400 {n:06d}" for n in range(10_050)) + "\n",
        encoding="utf-8",
    )
    expected = frozenset(f"07400{n:06d}" for n in range(10_050))
    floor.holder.armed = True
    source = floor.source()
    async with Host(source).run_test(size=(110, 60)) as pilot:
        await fill(pilot, "big", "big.csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        for _ in range(int(WAIT / 0.05)):  # the TaskAdd was carried out; its answer is held
            if floor.holder.held.is_set():
                break
            await asyncio.sleep(0.05)
        assert floor.holder.held.is_set()
        await pilot.pause()
        line = str(screen(pilot).query_one("#progress-line", Label).render())
        assert line == "Sent 10,000 of 10,050 numbers (1 of 2 calls)."
        await pilot.press("ctrl+c")
        floor.holder.release.set()
        await settle(pilot)
        assert status(pilot).startswith("Stopped: what was sent is journaled")

        # Closed and opened again: the screen offers to finish it.
        await pilot.press("escape")
        await pilot.pause()
        pilot.app.push_screen(NewCampaignScreen(source))
        await pilot.pause()
        note = str(screen(pilot).query_one("#unfinished-note", Label).render())
        assert "campaign 'big', 10,050 numbers" in note
        await pilot.click("#resume")
        await settle(pilot)
        assert screen(pilot).query_one("#name", Input).value == "big"
        await send_and_confirm(pilot)
        assert "An unfinished upload was finished." in status(pilot), status(pilot)
    # The chunk of unknown outcome was taken out and sent again; nothing else twice.
    assert floor.calls() == {TASKCREAT: 1, TASKADD: 2, TASKDEL: 1, TASKSET: 1}
    ((_, numbers),) = new_tasks(floor).items()
    assert numbers == expected


async def test_read_only_refuses_and_audits(floor: Floor) -> None:
    small_list(floor.dir / "small.csv")
    async with Host(floor.source(read_only=True)).run_test(size=(110, 60)) as pilot:
        assert screen(pilot).query_one("#read-only-note", Label).display
        await fill(pilot, "spring", "small.csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert status(pilot) == "Refused: read-only: a new campaign changes the floor."
    assert floor.calls()[TASKCREAT] == 0
    (entry,) = floor.audit()
    assert (entry["action"], entry["outcome"]) == ("create campaign", "refused")


async def test_numbers_taken_out_by_selection(floor: Floor) -> None:
    small_list(floor.dir / "small.csv")
    source = floor.source()
    async with Host(source).run_test(size=(110, 60)) as pilot:
        await fill(pilot, "spring", "small.csv")
        await send_and_confirm(pilot)
        ((taskid, _),) = new_tasks(floor).items()
        s = screen(pilot)
        s.query_one("#remove-campaign", Select).value = taskid
        await pilot.pause()
        table = s.query_one("#remove-numbers", DataTable)
        assert table.row_count == 3
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("space")
        first = str(table.get_cell_at((0, 1)))
        s.remove_pressed()
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert status(pilot) == "1 numbers taken out of campaign 'spring'."
        assert table.row_count == 2
    ((_, numbers),) = new_tasks(floor).items()
    assert first not in numbers and len(numbers) == 2
    assert floor.calls()[TASKDEL] == 1
    removal = floor.audit()[-1]
    assert (removal["action"], removal["outcome"], removal["numbers"]) == (
        "remove numbers",
        "ok",
        1,
    )


def test_the_empty_screen_110x50(snap_compare: Any, floor: Floor) -> None:
    async def still(pilot: Any) -> None:
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(Host(floor.source()), terminal_size=(110, 50), run_before=still)


def test_a_preview_110x60(snap_compare: Any, floor: Floor) -> None:
    small_list(floor.dir / "small.csv")

    async def previewed(pilot: Any) -> None:
        await fill(pilot, "spring", "small.csv")
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        pilot.app.screen.query_one("#campaign-body").scroll_to(y=22, animate=False)
        await pilot.pause()

    assert snap_compare(Host(floor.source()), terminal_size=(110, 60), run_before=previewed)


async def test_pasted_numbers_left_paused(floor: Floor) -> None:
    from textual.widgets import Switch, TextArea

    source = floor.source()
    async with Host(source).run_test(size=(110, 60)) as pilot:
        s = screen(pilot)
        s.query_one("#name", Input).value = "pasted"
        s.query_one("#pasted", TextArea).text = "07400 200001\n07400 200002\n12\n"
        s.query_one("#target", Input).value = QUEUE
        s.query_one("#running", Switch).value = False
        await pilot.pause()
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = str(s.query_one("#preview-text", Static).render())
        assert text.startswith("campaign 'pasted' from pasted text")
        assert "valid               2" in text and "invalid             1" in text
        assert "the task is then left not started" in text
        await send_and_confirm(pilot)
        assert "not started" in status(pilot), status(pilot)
        saved = next((floor.dir / "uploads").glob("task-*.invalid.csv"))
        assert "12" in saved.read_text(encoding="utf-8")
    assert floor.calls()[TASKSET] == 0  # left paused: never opened
    ((_, numbers),) = new_tasks(floor).items()
    assert numbers == {"07400200001", "07400200002"}


async def test_q_is_a_letter_in_a_field_and_goes_back_elsewhere(floor: Floor) -> None:
    """As in every dialog: `q` types itself into a text field, and goes back otherwise."""
    async with Host(floor.source()).run_test(size=(110, 60)) as pilot:
        name = screen(pilot).query_one("#name", Input)
        name.focus()
        await pilot.press("q")
        assert name.value == "q" and isinstance(pilot.app.screen, NewCampaignScreen)
        screen(pilot).set_focus(None)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, NewCampaignScreen)
