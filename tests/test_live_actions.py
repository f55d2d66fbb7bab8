"""The supervisor's actions: what is sent, read-only and in-flight refusal, outcomes in words,
what the campaign registry learns, and one audit line per action without any secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_api import (
    ACCESSKEY,
    APPID,
    TOKEN_PREFIX,
    FakeApi,
    FaultTransport,
    failed,
    ok,
)

from wallboard.api.client import WallboardClient
from wallboard.api.codes import SetType, TaskStatus
from wallboard.api.services import find
from wallboard.live.actions import (
    Outcome,
    Subject,
    Supervisor,
    SupervisorAction,
    agent_key,
    campaign_key,
)
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import AgentState, CampaignStatus

SIGN_IN = "App.Sip_Queue.SipSignIn"
SIGN_OUT = "App.Sip_Queue.SipSignOut"
SEATS = "App.Sip_Queue.SetSeatsStatus"
TASKSET = "App.Sip_Yccall.TaskSet"
TASKCREAT = "App.Sip_Yccall.TaskCreat"


async def _no_sleep(_: float) -> None:
    return None


class Floor:
    """A fake server, a client on it, an audit log and a registry in a temporary folder."""

    def __init__(self, tmp_path: Path, *, read_only: bool = False) -> None:
        self.fake = FakeApi()
        self.faults = FaultTransport(self.fake.transport())
        self.client = WallboardClient(
            "http://pbx.test", APPID, ACCESSKEY, transport=self.faults, sleep=_no_sleep
        )
        self.audit = AuditLog(tmp_path / "audit.jsonl", user="sup1", clock=lambda: 1767603600.0)
        self.registry = CampaignRegistry(tmp_path / "campaigns.json")
        self.supervisor = Supervisor(
            self.client, self.audit, read_only=read_only, user="sup1", registry=self.registry
        )

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.audit.path.read_text().splitlines()]

    def sent(self, wire: str) -> list[dict[str, str]]:
        return [
            {k: v for k, v in fields.items() if k != "token"} for fields in self.fake.sent(wire)
        ]


@pytest.fixture
async def floor(tmp_path: Path) -> AsyncIterator[Floor]:
    made = Floor(tmp_path)
    yield made
    await made.client.aclose()


AGENT_ACTIONS: list[tuple[str, str, dict[str, str], str]] = [
    ("check_in", SIGN_IN, {}, "checked 1001 into queue-1"),
    ("check_out", SIGN_OUT, {}, "checked 1001 out of queue-1"),
    ("set_busy", SEATS, {"settype": "1"}, "1001 shows busy in queue-1"),
    ("set_idle", SEATS, {"settype": "2"}, "1001 shows idle in queue-1"),
]


@pytest.mark.parametrize(("method", "wire", "extra", "message"), AGENT_ACTIONS)
async def test_agent_actions_send_the_documented_call(
    floor: Floor, method: str, wire: str, extra: dict[str, str], message: str
) -> None:
    result = await getattr(floor.supervisor, method)("1001", "queue-1", "10")
    assert (result.outcome, result.message) == (Outcome.DONE, message)
    assert floor.sent(wire) == [
        {"queuename": "queue-1", "extnumber": "1001", "crmid": "10", **extra}
    ]
    (line,) = floor.lines()
    assert line["user"] == "sup1" and line["outcome"] == "done"
    assert line["action"] == result.action and line["target"] == "1001 in queue-1"
    assert line["ts"].startswith("2026-01-0")  # ISO time with the zone
    assert (line["extnumber"], line["queue"], line["crmid"]) == ("1001", "queue-1", "10")


CAMPAIGN_ACTIONS = [
    ("pause_campaign", "2", CampaignStatus.PAUSED),
    ("resume_campaign", "1", CampaignStatus.RUNNING),
    ("end_campaign", "3", CampaignStatus.OVER),
]


@pytest.mark.parametrize(("method", "taskstatus", "status"), CAMPAIGN_ACTIONS)
async def test_campaign_actions_update_the_registry(
    floor: Floor, method: str, taskstatus: str, status: CampaignStatus
) -> None:
    floor.registry.track("T1", status=CampaignStatus.UNKNOWN)
    result = await getattr(floor.supervisor, method)("T1")
    assert result.outcome is Outcome.DONE
    assert floor.sent(TASKSET) == [{"taskid": "T1", "taskstatus": taskstatus}]
    assert floor.registry.get("T1").status is status  # type: ignore[union-attr]
    assert floor.lines()[0]["taskid"] == "T1"


async def test_a_task_code_in_a_refusal_is_learnt(floor: Floor) -> None:
    floor.registry.track("T1", status=CampaignStatus.RUNNING)
    floor.fake.queue(TASKSET, failed("1028", "task over"))
    result = await floor.supervisor.pause_campaign("T1")
    assert result.outcome is Outcome.FAILED and result.code == 1028
    assert "1028" in result.message and "task over" in result.message
    assert floor.registry.get("T1").status is CampaignStatus.OVER  # type: ignore[union-attr]
    assert floor.lines()[0]["code"] == 1028


ALL_ACTIONS: list[Callable[[Supervisor], Awaitable[Any]]] = [
    lambda s: s.check_in("1001", "queue-1", "10"),
    lambda s: s.check_out("1001", "queue-1", "10"),
    lambda s: s.set_busy("1001", "queue-1", "10"),
    lambda s: s.set_idle("1001", "queue-1", "10"),
    lambda s: s.pause_campaign("T1"),
    lambda s: s.resume_campaign("T1"),
    lambda s: s.end_campaign("T1"),
    lambda s: s.create_campaign(assigntype=2, assignagent="queue-1", numbers=["13800000001"]),
]


async def test_read_only_refuses_every_action_without_a_request(tmp_path: Path) -> None:
    floor = Floor(tmp_path, read_only=True)
    try:
        results = [await action(floor.supervisor) for action in ALL_ACTIONS]
    finally:
        await floor.client.aclose()
    assert [r.outcome for r in results] == [Outcome.REFUSED] * len(ALL_ACTIONS)
    assert all("read-only" in r.message for r in results)
    assert floor.fake.requests == []  # not even a login
    assert [line["outcome"] for line in floor.lines()] == ["refused"] * len(ALL_ACTIONS)


async def test_an_action_in_flight_is_not_sent_twice(floor: Floor) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow_sign_out(_: dict[str, str]) -> dict[str, Any]:
        arrived.set()
        await release.wait()
        return ok(desc="sign out successful")

    floor.fake.handlers[SIGN_OUT] = slow_sign_out
    first = asyncio.create_task(floor.supervisor.check_out("1001", "queue-1", "10"))
    await asyncio.wait_for(arrived.wait(), 5)
    key = agent_key(queue="queue-1", extnumber="1001")
    assert floor.supervisor.busy(key)

    again = await floor.supervisor.check_out("1001", "queue-1", "10")
    other_action = await floor.supervisor.set_busy("1001", "queue-1", "10")
    other_agent = await floor.supervisor.set_busy("1002", "queue-1", "11")
    assert again.outcome is Outcome.REFUSED and "already in progress" in again.message
    assert other_action.outcome is Outcome.REFUSED
    assert other_agent.outcome is Outcome.DONE

    release.set()
    done = await asyncio.wait_for(first, 5)
    assert done.outcome is Outcome.DONE
    assert not floor.supervisor.busy(key)
    assert floor.fake.hits[SIGN_OUT] == 1
    assert floor.fake.hits[SEATS] == 1
    outcomes = [(line["action"], line["outcome"]) for line in floor.lines()]
    assert outcomes == [
        ("check out", "refused"),
        ("set busy", "refused"),
        ("set busy", "done"),
        ("check out", "done"),
    ]
    # Once it is over, the same action may be sent again.
    assert (await floor.supervisor.check_out("1001", "queue-1", "10")).outcome is Outcome.DONE


async def test_no_answer_is_unknown_not_failed(floor: Floor) -> None:
    await floor.client.login()
    floor.faults.drop = 1  # the request reaches the server, the answer is lost
    result = await floor.supervisor.end_campaign("T1")
    assert result.outcome is Outcome.UNKNOWN
    assert "check the floor" in result.message
    assert floor.fake.hits[TASKSET] == 1  # sent once, never repeated
    assert not floor.supervisor.busy(campaign_key("T1"))
    assert floor.lines()[0]["outcome"] == "unknown"


async def test_unreachable_server_fails_and_says_nothing_was_sent(floor: Floor) -> None:
    await floor.client.login()
    floor.faults.refuse = 1
    result = await floor.supervisor.check_in("1001", "queue-1", "10")
    assert result.outcome is Outcome.FAILED
    assert "server unreachable" in result.message and "nothing was sent" in result.message


async def test_a_business_refusal_is_reported_with_its_code(floor: Floor) -> None:
    floor.fake.queue(SIGN_IN, failed("1211", "illegal queue"))
    result = await floor.supervisor.check_in("1001", "nope", "10")
    assert result.outcome is Outcome.FAILED and result.code == 1211
    assert result.message.startswith("could not check in 1001 in nope: SipSignIn refused: 1211")


async def test_checking_in_an_agent_already_in_the_queue_is_done(floor: Floor) -> None:
    floor.fake.queue(SIGN_IN, failed("1218", "checked in"))
    result = await floor.supervisor.check_in("1001", "queue-1", "10")
    assert result.outcome is Outcome.DONE and result.code == 1218
    assert "already done" in result.message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "queue-1", "10"), "no extension"),
        (("1001", " ", "10"), "no queue"),
        (("1001", "queue-1", ""), "crmid) is needed"),
        (("1001", "queue-1", "ten"), "must be a number"),
    ],
)
async def test_bad_input_is_refused_without_a_request(
    floor: Floor, args: tuple[str, str, str], message: str
) -> None:
    result = await floor.supervisor.set_idle(*args)
    assert result.outcome is Outcome.REFUSED and message in result.message
    assert floor.fake.requests == []
    assert floor.lines()[0]["outcome"] == "refused"


async def test_creating_a_campaign_tracks_it_with_its_valid_numbers(floor: Floor) -> None:
    floor.fake.queue(
        TASKCREAT, ok({"taskid": "T9", "invaliddata": [{"phone": "12"}]}, desc="created")
    )
    result = await floor.supervisor.create_campaign(
        assigntype=2, assignagent="queue-1", numbers=["13800000001", "12"], name="spring"
    )
    assert result.outcome is Outcome.DONE and "T9" in result.message
    task = floor.registry.get("T9")
    assert task is not None
    assert (task.numbers, task.status, task.assigned_to) == (
        ("13800000001",),
        CampaignStatus.NOT_STARTED,
        "queue-1",
    )


async def test_no_secret_reaches_the_audit_log(floor: Floor) -> None:
    floor.fake.queue(SIGN_IN, failed("1003", "operation failed"))
    for action in ALL_ACTIONS:
        await action(floor.supervisor)
    text = floor.audit.path.read_text()
    assert len(text.splitlines()) == len(ALL_ACTIONS)
    assert ACCESSKEY not in text and TOKEN_PREFIX not in text
    assert floor.audit.path.stat().st_mode & 0o077 == 0


async def test_an_unwritable_audit_log_does_not_lose_the_result(
    floor: Floor, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    floor.audit.path = blocker / "audit.jsonl"  # its folder is a file: cannot be written
    result = await floor.supervisor.check_in("1001", "queue-1", "10")
    assert result.outcome is Outcome.DONE
    assert "not written to the audit log" in result.message


def test_audit_entries_can_be_read_back(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "a.jsonl", user="sup1")
    audit.append(action="check in", target="1001 in q", outcome="done", details={"token": "x"})
    with audit.path.open("a") as stream:
        stream.write("half a li")
    audit.append(action="check out", target="1001 in q", outcome="failed", code=1003)
    entries = audit.entries()
    assert [e["action"] for e in entries] == ["check in", "check out"]
    assert "token" not in entries[0]
    assert audit.entries(limit=1)[0]["code"] == 1003


def test_every_action_names_a_documented_service_that_changes_the_floor() -> None:
    for action in SupervisorAction:
        service = find(action.service)
        assert service is not None and service.wire == action.service, action
        assert service.mutation, f"{action.label} calls {service.short}, which changes nothing"
        assert str(action) == action.label and f"{action}" == action.label
    by_value = {a.settype: a for a in SupervisorAction if a.settype is not None}
    assert by_value == {
        SetType.BUSY: SupervisorAction.SET_BUSY,
        SetType.IDLE: SupervisorAction.SET_IDLE,
    }
    statuses = {a.taskstatus: a for a in SupervisorAction if a.taskstatus is not None}
    assert statuses == {
        TaskStatus.OPEN: SupervisorAction.RESUME_CAMPAIGN,
        TaskStatus.PAUSE: SupervisorAction.PAUSE_CAMPAIGN,
        TaskStatus.END: SupervisorAction.END_CAMPAIGN,
    }


@pytest.mark.parametrize("action", [a for a in SupervisorAction if a.subject is Subject.AGENT])
async def test_an_agent_action_by_its_row_is_the_named_call(
    floor: Floor, action: SupervisorAction
) -> None:
    ((wire, extra, message),) = [
        (wire, extra, message)
        for method, wire, extra, message in AGENT_ACTIONS
        if method == action.name.lower()
    ]
    result = await floor.supervisor.act_on_agent(action, "1001", "queue-1", "10")
    assert (result.action, result.outcome, result.message) == (action, Outcome.DONE, message)
    assert floor.sent(wire) == [
        {"queuename": "queue-1", "extnumber": "1001", "crmid": "10", **extra}
    ]
    assert floor.lines()[0]["action"] == action.label


async def test_a_row_on_the_wrong_subject_is_refused_unsent(floor: Floor) -> None:
    wrong = [
        await floor.supervisor.act_on_agent(SupervisorAction.PAUSE_CAMPAIGN, "1001", "q", "10"),
        await floor.supervisor.act_on_campaign(SupervisorAction.CHECK_OUT, "T1"),
    ]
    assert [r.outcome for r in wrong] == [Outcome.REFUSED, Outcome.REFUSED]
    assert floor.fake.requests == []


async def test_the_supervisor_remembers_the_agent_id_typed_for_an_extension(
    floor: Floor,
) -> None:
    assert floor.supervisor.crmid("1001") == ""
    await floor.supervisor.set_busy("1001", "queue-1", "ten")  # refused: not remembered
    assert floor.supervisor.crmid("1001") == ""
    await floor.supervisor.set_busy(" 1001 ", "queue-1", " 10 ")
    assert floor.supervisor.crmid("1001") == "10"
    assert floor.supervisor.crmid("1001", "42") == "42"  # the server's own answer wins
    assert floor.supervisor.crmid("1002") == ""


# ---------------------------------------------------------------------- cannot apply, names


@pytest.mark.parametrize(
    ("status", "method", "why"),
    [
        (
            CampaignStatus.OVER,
            "resume_campaign",
            "campaign Renewals has ended: it cannot be resumed",
        ),
        (CampaignStatus.OVER, "pause_campaign", "campaign Renewals has ended: it cannot be paused"),
        (CampaignStatus.OVER, "end_campaign", "campaign Renewals has ended already"),
        (CampaignStatus.PAUSED, "pause_campaign", "campaign Renewals is paused already"),
        (CampaignStatus.RUNNING, "resume_campaign", "campaign Renewals is running already"),
    ],
)
async def test_a_campaign_action_that_cannot_apply_is_refused_unsent(
    floor: Floor, status: CampaignStatus, method: str, why: str
) -> None:
    """The registry's status decides (it learns of an action at once), and the campaign is
    named by its name, the task id kept as a field of the audit line."""
    floor.registry.track("T1", name="Renewals", status=status)
    result = await getattr(floor.supervisor, method)("T1")
    assert (result.outcome, result.message) == (Outcome.REFUSED, f"{why}: not sent")
    assert floor.fake.hits.get(TASKSET, 0) == 0
    (line,) = floor.lines()
    assert (line["outcome"], line["target"], line["taskid"]) == (
        "refused",
        "campaign Renewals",
        "T1",
    )


@pytest.mark.parametrize(
    ("action", "state", "why"),
    [
        (SupervisorAction.CHECK_IN, AgentState.OFFLINE, "Li Wei (1001) is already in queue-1"),
        (SupervisorAction.SET_BUSY, AgentState.PAUSED, "Li Wei (1001) already shows busy"),
        (SupervisorAction.SET_IDLE, AgentState.IDLE, "Li Wei (1001) already shows idle"),
        (SupervisorAction.SET_IDLE, AgentState.WRAPUP, "Li Wei (1001) already shows idle"),
    ],
)
async def test_an_agent_action_that_cannot_apply_is_refused_unsent(
    floor: Floor, action: SupervisorAction, state: AgentState, why: str
) -> None:
    result = await floor.supervisor.act_on_agent(
        action, "1001", "queue-1", "10", name="Li Wei", state=state
    )
    assert result.outcome is Outcome.REFUSED and result.message.startswith(why)
    assert result.message.endswith("not sent")
    assert sum(floor.fake.hits.get(wire, 0) for wire in (SIGN_IN, SEATS)) == 0
    (line,) = floor.lines()
    assert (line["outcome"], line["name"], line["extnumber"]) == ("refused", "Li Wei", "1001")


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (SupervisorAction.CHECK_IN, None),  # not in the queue (or not known): sent
        (SupervisorAction.SET_BUSY, AgentState.IDLE),
        (SupervisorAction.SET_IDLE, AgentState.PAUSED),
        (SupervisorAction.CHECK_OUT, AgentState.TALKING),
    ],
)
async def test_an_agent_action_that_applies_is_sent_and_names_the_agent(
    floor: Floor, action: SupervisorAction, state: AgentState | None
) -> None:
    result = await floor.supervisor.act_on_agent(
        action, "1001", "queue-1", "10", name="Li Wei", state=state
    )
    assert result.outcome is Outcome.DONE and "Li Wei (1001)" in result.message
    assert floor.lines()[0]["target"] == "Li Wei (1001) in queue-1"


async def test_a_failure_names_the_campaign_not_its_task_id(floor: Floor) -> None:
    floor.registry.track("2026010509", name="Renewals", status=CampaignStatus.PAUSED)
    floor.fake.queue(TASKSET, failed("1024", "task not found"))
    result = await floor.supervisor.resume_campaign("2026010509")
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("could not resume campaign Renewals: TaskSet refused")
    assert "2026010509" not in result.message
    assert floor.lines()[0]["taskid"] == "2026010509"
