"""The administrator against the simulator: queues with their settings in words, changes
audited with the server's answer, read-only and local refusals sending nothing, a queue a
campaign uses kept, groups remembered, and extensions without their passwords."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_admin_support import SERVICE, Desk, passwords

from wallboard.api.client import WallboardClient
from wallboard.api.models import Ack
from wallboard.live.actions import Outcome
from wallboard.live.admin import (
    AdminAction,
    Administrator,
    AdminReadError,
    ExtensionRow,
    extension_rows,
)
from wallboard.live.admin_groups import KnownGroups
from wallboard.live.admin_words import QUEUE_SETTINGS, setting_words, strategy_words
from wallboard.live.audit import AuditLog
from wallboard.live.snapshot import CampaignStatus
from wallboard.sim.server import Simulator
from wallboard.sim.wire import BusinessFailure, encode, failure

Make = Callable[..., Simulator]


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


def idle_queue(sim: Simulator) -> str:
    """A queue no task dials for (the scenario's campaign uses the first)."""
    busy = {task.assignagent for task in sim.floor.tasks.values()}
    return next(name for name in sim.floor.queues if name not in busy)


# ------------------------------------------------------------------ words


def test_every_documented_setting_has_words_and_the_documents_default() -> None:
    # EditQueue's table: strategy default 1, announcefreq 30, ringdelay 30, maxwaittime 0,
    # withnoagenttime 0, noagentrejoiningtime 5, discardtime 90.
    defaults = {setting.key: setting.default for setting in QUEUE_SETTINGS}
    assert defaults == {
        "strategy": 1,
        "announcefreq": 30,
        "ringdelay": 30,
        "maxwaittime": 0,
        "withnoagenttime": 0,
        "noagentrejoiningtime": 5,
        "discardtime": 90,
    }
    assert all(setting.meaning for setting in QUEUE_SETTINGS)
    assert strategy_words(7) == "7 fewest answered rings first"
    assert strategy_words(12) == "12"  # undocumented: its number, never a failure
    assert setting_words("discardtime", 25) == "25 s"
    assert setting_words("ringdelay", None) == "–"


# ------------------------------------------------------------------ queues


async def test_queue_rows_carry_every_setting_as_the_server_has_it(
    sim: Simulator, desk: Desk
) -> None:
    rows = await desk.admin.queue_rows()
    assert [row.name for row in rows] == sorted(sim.floor.queues)
    for row in rows:
        queue = sim.floor.queues[row.name]
        assert row.remark == queue.remark
        assert row.value("ringdelay") == queue.ringdelay
        assert row.value("discardtime") == queue.discardtime
        assert row.words("strategy") == strategy_words(queue.strategy)
        assert row.autocall == queue.autocall_state
    assert desk.transport.changes() == 0


async def test_add_edit_delete_a_queue_each_audited_with_the_servers_answer(
    sim: Simulator, desk: Desk
) -> None:
    added = await desk.admin.add_queue("night", autocall=True, remark="Night team", strategy=4)
    assert added.ok, added.message
    assert added.message == "added queue night (server: Added successfully)"
    assert sim.floor.queues["night"].strategy == 4

    edited = await desk.admin.edit_queue(
        "night", remark="Night shift", settings={"ringdelay": 12, "discardtime": 25}
    )
    assert edited.ok, edited.message
    assert edited.answer == "Successfully modified"
    queue = sim.floor.queues["night"]
    assert (queue.remark, queue.ringdelay, queue.discardtime) == ("Night shift", 12, 25)

    deleted = await desk.admin.delete_queue("night")
    assert deleted.ok, deleted.message
    assert "night" not in sim.floor.queues

    lines = desk.lines()
    assert [(line["action"], line["outcome"]) for line in lines] == [
        ("add queue", "done"),
        ("edit queue", "done"),
        ("delete queue", "done"),
    ]
    assert [line["answer"] for line in lines] == [
        "Added successfully",
        "Successfully modified",
        "successfully deleted",
    ]
    assert lines[1]["ringdelay"] == 12
    assert lines[2]["service"] == "App.Sip_Queue.DelQueue"
    assert {line["user"] for line in lines} == {"sup1"}


async def test_a_refusal_by_the_server_is_failed_with_its_code_and_audited(
    sim: Simulator, desk: Desk
) -> None:
    taken = next(iter(sim.floor.queues))
    result = await desk.admin.add_queue(taken, autocall=True, remark="again")
    assert result.outcome is Outcome.FAILED
    assert result.code == 1210  # "| 1210 | Queue exception |"
    assert result.message.startswith(f"could not add queue {taken}: AddQueue refused: 1210")
    (line,) = desk.lines()
    assert (line["outcome"], line["code"]) == ("failed", 1210)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda a: a.add_queue("", autocall=True, remark="r"), "a queue needs a name"),
        (
            lambda a: a.add_queue("q", autocall=True, remark=" "),
            "a queue needs a remark (the service requires one)",
        ),
        (
            lambda a: a.add_queue("q", autocall=True, remark="r", strategy=9),
            "ringing must be from 1 to 8",
        ),
        (
            lambda a: a.edit_queue("q", remark="r", settings={"ringdelay": 0}),
            "ring delay must be from 1 to 600",
        ),
        (
            lambda a: a.edit_queue("q", remark="r", settings={"wrapup": 3}),
            "wrapup is not a queue setting",
        ),
        (lambda a: a.add_member("g", "80a1"), "an extension is a number: type its digits"),
        (lambda a: a.set_member_state("g", "8001", "away"), "a member's state is idle or busy"),
        (lambda a: a.add_group("   "), "a group needs a name"),
    ],
)
async def test_what_can_be_checked_here_is_refused_before_sending(
    desk: Desk, change: Callable[[Any], Any], why: str
) -> None:
    result = await change(desk.admin)
    assert (result.outcome, result.message) == (Outcome.REFUSED, why)
    assert desk.transport.changes() == 0
    (line,) = desk.lines()
    assert (line["outcome"], line["message"]) == ("refused", why)


async def test_a_queue_a_tracked_campaign_uses_is_not_deleted(sim: Simulator, desk: Desk) -> None:
    queue = idle_queue(sim)
    desk.registry.track(
        "T9", name="Spring", assigned_to=queue, status=CampaignStatus.PAUSED, created_here=True
    )
    result = await desk.admin.delete_queue(queue)
    assert result.outcome is Outcome.REFUSED
    assert result.message == (
        f"queue {queue} is used by campaign Spring (paused): end it first; not sent"
    )
    assert desk.transport.sent["App.Sip_Queue.DelQueue"] == 0
    assert queue in sim.floor.queues
    (line,) = desk.lines()
    assert line["taskids"] == ["T9"]

    desk.registry.apply_taskset("T9", 3)  # ended: the queue is free to go
    assert (await desk.admin.delete_queue(queue)).ok
    assert queue not in sim.floor.queues


async def test_a_queue_the_server_shows_busy_with_predictive_calls_is_not_deleted(
    sim: Simulator, desk: Desk
) -> None:
    """The scenario's campaign dials for its queue: GetQueueList says autocall busy ("busy:
    indicates busy"), though this dashboard does not track that campaign."""
    (task,) = sim.floor.tasks.values()
    assert sim.floor.queues[task.assignagent].autocall_state == "busy"
    result = await desk.admin.delete_queue(task.assignagent)
    assert result.outcome is Outcome.REFUSED
    assert "has predictive calls running on it (autocall busy)" in result.message
    assert desk.transport.sent["App.Sip_Queue.DelQueue"] == 0
    assert desk.transport.sent["App.Sip_Queue.GetQueueList"] == 1  # read just before


async def test_read_only_refuses_every_change_sends_nothing_and_audits_each(
    read_only_desk: Desk,
) -> None:
    admin = read_only_desk.admin
    results = [
        await admin.add_queue("q", autocall=True, remark="r"),
        await admin.edit_queue("q", remark="r", settings={}),
        await admin.delete_queue("q"),
        await admin.add_group("g"),
        await admin.add_member("g", "8001"),
        await admin.remove_member("g", "8001"),
        await admin.set_member_state("g", "8001", "busy"),
    ]
    assert {r.outcome for r in results} == {Outcome.REFUSED}
    assert [r.action for r in results] == list(AdminAction)
    assert all(r.message.endswith("not sent: this dashboard is read-only") for r in results)
    assert read_only_desk.transport.changes() == 0
    assert read_only_desk.transport.sent["App.Sip_Queue.GetQueueList"] == 0
    lines = read_only_desk.lines()
    assert [line["action"] for line in lines] == [action.value for action in AdminAction]
    assert {line["outcome"] for line in lines} == {"refused"}


async def test_a_change_whose_answer_is_lost_is_unknown_and_one_never_sent_failed(
    sim: Simulator, desk: Desk
) -> None:
    await desk.admin.queue_rows()  # logged in
    desk.faults.drop = 1  # AddQueue reaches the server; its answer is lost
    lost = await desk.admin.add_queue("lost", autocall=True, remark="r")
    assert lost.outcome is Outcome.UNKNOWN
    assert "may or may not have happened" in lost.message
    assert "lost" in sim.floor.queues  # it did happen: the screen must not say it failed
    assert desk.transport.sent["App.Sip_Queue.AddQueue"] == 1  # and it was not repeated

    desk.faults.refuse = 10  # the server cannot be reached at all
    unsent = await desk.admin.delete_queue("lost")
    assert unsent.outcome is Outcome.REFUSED  # the check before deleting could not be made
    assert unsent.message.startswith("could not check that no campaign uses queue lost")
    desk.faults.refuse = 10
    failed = await desk.admin.add_group("nobody")
    assert failed.outcome is Outcome.FAILED
    assert failed.message == "could not add group nobody: server unreachable (nothing was sent)"
    assert [line["outcome"] for line in desk.lines()] == ["unknown", "refused", "failed"]


class Held:
    """A client whose AddQueue waits until the test lets it answer."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent = 0

    async def add_queue(self, *args: object) -> Ack:
        self.sent += 1
        await self.release.wait()
        return Ack(status=0, desc="Added successfully")


async def test_the_same_change_twice_at_once_is_sent_once(tmp_path: Path) -> None:
    held = Held()
    admin = Administrator(held, AuditLog(tmp_path / "audit.jsonl"), user="sup1")  # type: ignore[arg-type]
    first = asyncio.ensure_future(admin.add_queue("twice", autocall=False, remark="r"))
    await asyncio.sleep(0)  # the first is now waiting for the server's answer
    second = await admin.add_queue("twice", autocall=False, remark="r")
    assert (second.outcome, second.message) == (
        Outcome.REFUSED,
        "add queue twice is already in progress",
    )
    held.release.set()
    assert (await first).ok
    assert held.sent == 1


# ------------------------------------------------------------------ groups


async def test_groups_added_found_and_their_members_changed(
    sim: Simulator, desk: Desk, tmp_path: Path
) -> None:
    assert await desk.admin.group_rows() == []  # nothing known yet: no call lists groups
    found = await desk.admin.look_up_group("team-leads")
    assert found is not None and found.status == 1
    assert await desk.admin.look_up_group("no-such-group") is None

    added = await desk.admin.add_group("closers")
    assert added.ok and added.answer == "Added successfully"
    assert [row.name for row in await desk.admin.group_rows()] == ["team-leads", "closers"]
    # Remembered across runs, in a file only its owner reads.
    assert KnownGroups(tmp_path / "groups.json").names() == ("team-leads", "closers")
    assert stat.S_IMODE((tmp_path / "groups.json").stat().st_mode) == 0o600

    ext = sorted(sim.floor.extensions)[5]
    assert (await desk.admin.add_member("closers", ext)).ok
    (member,) = await desk.admin.members("closers")
    assert (member.extnumber, member.state) == (ext, "idle")
    state = await desk.admin.set_member_state("closers", ext, "busy")
    assert state.ok and state.message.startswith(f"{ext} is busy in group closers")
    assert sim.floor.groups["closers"].members[ext].paused
    assert (await desk.admin.remove_member("closers", ext)).ok
    assert await desk.admin.members("closers") == []

    del sim.floor.groups["closers"]  # gone on the server: forgotten at the next read
    assert [row.name for row in await desk.admin.group_rows()] == ["team-leads"]
    assert [line["action"] for line in desk.lines()] == [
        "add group",
        "add to group",
        "set group member state",
        "remove from group",
    ]


class RefuseGroupInfo(httpx.AsyncBaseTransport):
    """Answers GetExtgroupInfo with a business refusal of `code` while it is set (the
    simulator's own answer for an unknown name is 1002); other calls pass through."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.code = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = SERVICE.search(await request.aread())
        if self.code and found and found.group(1) == b"App.Sip_Extgroup.GetExtgroupInfo":
            refused = failure(BusinessFailure(self.code, "get failed"), now=1767603600.0)
            return httpx.Response(200, content=encode(refused))
        return await self.inner.handle_async_request(request)


async def test_a_group_is_forgotten_only_when_the_server_says_it_does_not_exist(
    sim: Simulator, tmp_path: Path
) -> None:
    desk = Desk(sim, tmp_path)
    refusing = RefuseGroupInfo(desk.transport)
    client = WallboardClient("http://sim.test", sim.appid, sim.accesskey, transport=refusing)
    admin = Administrator(client, desk.audit, user="sup1", groups=desk.groups)
    try:
        assert await admin.look_up_group("team-leads") is not None
        refusing.code = 1003  # "operation failed": says nothing of whether the group exists
        with pytest.raises(AdminReadError, match="1003"):
            await admin.group_rows()
        with pytest.raises(AdminReadError, match="1003"):
            await admin.look_up_group("team-leads")
        assert desk.groups.names() == ("team-leads",)  # still known
        refusing.code = 0
        del sim.floor.groups["team-leads"]  # now the server says it does not exist (1002)
        assert await admin.group_rows() == []
        assert desk.groups.names() == ()
    finally:
        await client.aclose()
        await desk.close()


async def test_a_group_read_that_fails_says_why_in_one_line(sim: Simulator, desk: Desk) -> None:
    with pytest.raises(AdminReadError, match="GetGroupExt refused: 1002"):
        await desk.admin.members("no-such-group")


# ------------------------------------------------------------------ extensions


async def test_extension_rows_have_state_registration_and_ip_but_no_password(
    sim: Simulator, desk: Desk
) -> None:
    rows = await desk.admin.extension_rows()
    assert [row.extnumber for row in rows] == sorted(sim.floor.extensions)
    for row in rows:
        ext = sim.floor.extensions[row.extnumber]
        assert row.enabled is ext.enabled
        assert row.registered is ext.registered
        assert row.clientip == (ext.clientip or "")
    assert any(row.enabled is False for row in rows)  # the scenario disables one
    assert "password" not in ExtensionRow.__dataclass_fields__
    shown = repr(rows) + json.dumps([row.__repr__() for row in rows])
    assert not any(secret in shown for secret in passwords(sim))
    assert desk.transport.sent["App.Sip_Status.GetSipRegisterStatus"] == 1


def test_unknown_extension_codes_are_shown_as_numbers() -> None:
    from wallboard.api.models import Extension, ExtensionRegistration

    (row,) = extension_rows(
        [Extension.model_validate({"extnumber": "8001", "status": 1099, "password": "s3cret"})],
        [ExtensionRegistration(extnumber="8001", code=1017, clientip="10.0.0.5")],
    )
    assert (row.enabled_words, row.registered_words, row.clientip) == (
        "status 1099",
        "registered",
        "10.0.0.5",
    )
    assert "s3cret" not in repr(row)
