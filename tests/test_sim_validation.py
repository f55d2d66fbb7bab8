"""The simulator refuses and accepts exactly what the vendor's documents say.

Each test quotes the line of the documents (the full set, `seeds/003`) it holds the
simulator to; where the documents are silent, the test name says that API-NOTES decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from wallboard.sim.scenario import DEFAULT_START
from wallboard.sim.server import Simulator


@pytest.fixture
def sim(make_simulator: Callable[..., Simulator]) -> Simulator:
    """The shared fixture: a manual clock from the reference Monday, never drifting here."""
    made = make_simulator(seed=7, agents=12)
    assert made.now() == DEFAULT_START and not made.drift.active
    return made


@pytest.fixture
def token(sim: Simulator) -> str:
    answer = sim.handle(
        {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}
    )
    return str(answer["data"]["result"]["token"])


def call(sim: Simulator, token: str, service: str, **fields: str) -> dict[str, Any]:
    return sim.handle({"service": service, "token": token, **fields})


def refused_400(answer: dict[str, Any], field: str) -> None:
    assert answer["ret"] == 400 and answer["data"] == [], answer
    assert field in answer["msg"]


def failed_with(answer: dict[str, Any], code: int) -> None:
    assert answer["ret"] == 200 and answer["data"]["status"] == 1, answer
    assert answer["data"]["errors"]["code"] == str(code)


def succeeded(answer: dict[str, Any]) -> None:
    assert answer["ret"] == 200 and answer["data"]["status"] == 0, answer


def a_free_extension(sim: Simulator, queue: str) -> str:
    return next(
        e.extnumber
        for e in sim.floor.extensions.values()
        if e.enabled and e.registered and e.extnumber not in sim.floor.queues[queue].members
    )


# -- AddExtgroup -------------------------------------------------------------------------
def test_add_extgroup_takes_status_2_all_and_creates_the_group_enabled_as_api_notes_are_silent(
    sim: Simulator, token: str
) -> None:
    """AddExtgroup: "| status | string | no | Whether to enable: 1 enable 0 disable 2 all |".
    What "all" means for a new group neither page says: it is created enabled (the
    default); the status 2 itself must not be refused."""
    succeeded(call(sim, token, "App.Sip_Extgroup.AddExtgroup", name="night-shift", status="2"))
    info = call(sim, token, "App.Sip_Extgroup.GetExtgroupInfo", name="night-shift", status="1")
    assert [row["name"] for row in info["data"]["result"]] == ["night-shift"]
    succeeded(call(sim, token, "App.Sip_Extgroup.AddExtgroup", name="closed", status="0"))
    refused_400(call(sim, token, "App.Sip_Extgroup.AddExtgroup", name="x", status="3"), "status")


# -- crmid is an int ------------------------------------------------------------------------
@pytest.mark.parametrize("crmid", ["abc", "12a", "-5", "1.5", "１２"])
def test_sip_sign_in_refuses_a_crmid_that_is_not_a_whole_number(
    sim: Simulator, token: str, crmid: str
) -> None:
    """SipSignIn: "| crmid | int | yes | Employee seat number |"."""
    queue = next(iter(sim.floor.queues))
    extnumber = a_free_extension(sim, queue)
    answer = call(
        sim, token, "App.Sip_Queue.SipSignIn", queuename=queue, extnumber=extnumber, crmid=crmid
    )
    refused_400(answer, "crmid")
    assert extnumber not in sim.floor.queues[queue].members
    succeeded(
        call(
            sim, token, "App.Sip_Queue.SipSignIn", queuename=queue, extnumber=extnumber, crmid="10"
        )
    )


def test_set_seats_status_refuses_a_crmid_that_is_not_a_whole_number(
    sim: Simulator, token: str
) -> None:
    """SetSeatsStatus: "| crmid | int | yes | agent id |"."""
    queue = next(iter(sim.floor.queues))
    member = next(iter(sim.floor.queues[queue].members.values()))
    form = {"settype": "1", "extnumber": member.extnumber, "queuename": queue}
    refused_400(call(sim, token, "App.Sip_Queue.SetSeatsStatus", **form, crmid="abc"), "crmid")
    succeeded(call(sim, token, "App.Sip_Queue.SetSeatsStatus", **form, crmid=member.crmid))


# -- SipSignOut: the agent who checked in ----------------------------------------------------
def test_sip_sign_out_refuses_a_crmid_other_than_the_sign_ins_as_api_notes_decide_1002(
    sim: Simulator, token: str
) -> None:
    """SipSignOut: "| crmid | int | yes | Employee seat number |": the seat number that
    checked the extension in. The code for another one is not documented: 1002, "Abnormal
    operation | Generally, it is a check exception"."""
    queue = next(iter(sim.floor.queues))
    extnumber = a_free_extension(sim, queue)
    form = {"queuename": queue, "extnumber": extnumber}
    succeeded(call(sim, token, "App.Sip_Queue.SipSignIn", **form, crmid="10"))
    failed_with(call(sim, token, "App.Sip_Queue.SipSignOut", **form, crmid="11"), 1002)
    assert extnumber in sim.floor.queues[queue].members
    refused_400(call(sim, token, "App.Sip_Queue.SipSignOut", **form, crmid="abc"), "crmid")
    succeeded(call(sim, token, "App.Sip_Queue.SipSignOut", **form, crmid="10"))
    assert extnumber not in sim.floor.queues[queue].members


# -- TaskCreat: disnumber is required, empty allowed ----------------------------------------
def test_task_creat_refuses_a_missing_disnumber_but_takes_an_empty_one(
    sim: Simulator, token: str
) -> None:
    """TaskCreat: "| disnumber | string | yes | Calling number, multiple numbers separated
    by commas (empty means random) |"."""
    form = {
        "assigntype": "2",
        "assignagent": next(iter(sim.floor.queues)),
        "telphone": json.dumps([{"phone": "13800000001"}]),
        "taskscale": "1:1",
    }
    tasks_before = len(sim.tasks())
    refused_400(call(sim, token, "App.Sip_Yccall.TaskCreat", **form), "disnumber")
    assert len(sim.tasks()) == tasks_before
    succeeded(call(sim, token, "App.Sip_Yccall.TaskCreat", **form, disnumber=""))
    assert len(sim.tasks()) == tasks_before + 1


# -- GetExtgroupInfo: an unknown group --------------------------------------------------------
def test_get_extgroup_info_answers_1002_for_an_unknown_group_as_get_group_ext_does(
    sim: Simulator, token: str
) -> None:
    """GetExtgroupInfo: "| name | string | yes | group name |"; GetGroupExt answers 1002
    ("Abnormal operation") for a group that does not exist, and so does this call now."""
    failed_with(call(sim, token, "App.Sip_Extgroup.GetGroupExt", name="no-such-group"), 1002)
    failed_with(call(sim, token, "App.Sip_Extgroup.GetExtgroupInfo", name="no-such-group"), 1002)
    group = next(iter(sim.floor.groups))
    succeeded(call(sim, token, "App.Sip_Extgroup.GetExtgroupInfo", name=group))


# -- TaskSet: 1026 and 1027 ---------------------------------------------------------------
def test_task_set_answers_1026_for_opening_a_running_task_and_1027_for_pausing_a_paused_one(
    sim: Simulator, token: str
) -> None:
    """The table of codes: "| 1026 | in progress | Predictive task interface return status |"
    and "| 1027 | pause | Predictive task interface return status |"; TaskSet: "| taskstatus |
    int | yes | Set task status 1: open, 2: pause, 3: end |". Asking for the state the task
    is already in is what those codes answer."""
    running = next(task for task in sim.tasks() if task.status == 1026)
    form = {"taskid": running.taskid}
    failed_with(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="1"), 1026)
    succeeded(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="2"))
    failed_with(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="2"), 1027)
    succeeded(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="1"))
    succeeded(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="3"))
    failed_with(call(sim, token, "App.Sip_Yccall.TaskSet", **form, taskstatus="1"), 1028)
