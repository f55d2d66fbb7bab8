"""Every service's request on the wire: the documented service name and field names, as
multipart form fields, with the token on every call but Login."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi

from wallboard.api import services
from wallboard.api.call_command import DOCUMENTED_FIELDS
from wallboard.api.client import WallboardClient
from wallboard.api.models import PhoneNumber

Call = Callable[[WallboardClient], Awaitable[Any]]

PHONES = [PhoneNumber(phone="13800000001", time=1500000000, userid="u1"), "13800000002"]
PHONES_JSON = json.dumps(
    [
        {
            "phone": "13800000001",
            "time": 1500000000,
            "userid": "u1",
            "memberid": "",
            "chengshudu": "",
            "customuuid": "",
        },
        {"phone": "13800000002", "userid": "", "memberid": "", "chengshudu": "", "customuuid": ""},
    ],
    separators=(",", ":"),
)


async def _login_then_logout(client: WallboardClient) -> None:
    await client.login()
    await client.logout()


# (service, the typed call, the exact fields it must send besides service and token)
CASES: list[tuple[str, Call, dict[str, str]]] = [
    ("App.Sip_Auth.Logout", lambda c: _login_then_logout(c), {}),
    (
        "App.Sip_Cdr.GetBill",
        lambda c: c.bills("2026-01-05 09:00:00", "2026-01-05 10:00:00", extnumber=["1001", "1002"]),
        {
            "starttime": "2026-01-05 09:00:00",
            "endtime": "2026-01-05 10:00:00",
            "syncflag": "3",
            "direction": "3",
            "callmethod": "0",
            "currentpage": "1",
            "itemsperpage": "1000",
            "extnumber": "1001,1002",
            "destnumber": "",
            "userid": "",
            "memberid": "",
        },
    ),
    (
        "App.Sip_Cdr.GetRecodeFile",
        lambda c: c.recording_link("abcdefg"),
        {"filename": "abcdefg"},
    ),
    (
        "App.Sip_Yccall.TaskCreat",
        lambda c: c.create_task(2, "queue-1", PHONES, "2:3", taskname="morning"),
        {
            "assigntype": "2",
            "assignagent": "queue-1",
            "telphone": PHONES_JSON,
            "taskscale": "2:3",
            "disnumber": "",
            "taskname": "morning",
        },
    ),
    (
        "App.Sip_Yccall.TaskAdd",
        lambda c: c.add_numbers("T1", PHONES),
        {"taskid": "T1", "telphone": PHONES_JSON},
    ),
    (
        "App.Sip_Yccall.taskDelPhone",
        lambda c: c.remove_numbers("T1", ["13800000001", "13800000002"]),
        {"taskid": "T1", "telphone": "13800000001,13800000002"},
    ),
    (
        "App.Sip_Yccall.TaskSet",
        lambda c: c.set_task("T1", 2),
        {"taskid": "T1", "taskstatus": "2"},
    ),
    (
        "App.Sip_Queue.AddQueue",
        lambda c: c.add_queue("queue-1", True, "remark", strategy=1),
        {"queuename": "queue-1", "autocall": "yes", "remark": "remark", "strategy": "1"},
    ),
    (
        "App.Sip_Queue.EditQueue",
        lambda c: c.edit_queue("queue-1", "remark", ringdelay=30, discardtime=90),
        {"queuename": "queue-1", "remark": "remark", "ringdelay": "30", "discardtime": "90"},
    ),
    ("App.Sip_Queue.DelQueue", lambda c: c.delete_queue("queue-1"), {"queuename": "queue-1"}),
    ("App.Sip_Queue.GetQueueList", lambda c: c.queues(), {}),
    (
        "App.Sip_Queue.GetQueueSipStatus",
        lambda c: c.queue_agents("queue-1", "100001", 0),
        {"queuename": "queue-1", "extnumber": "100001", "state": "0"},
    ),
    (
        "App.Sip_Queue.SetSeatsStatus",
        lambda c: c.set_agent_status(1, "100001", 10, "queue-1"),
        {"settype": "1", "extnumber": "100001", "crmid": "10", "queuename": "queue-1"},
    ),
    (
        "App.Sip_Queue.SipSignIn",
        lambda c: c.sign_in("queue-1", "100001", 10),
        {"queuename": "queue-1", "extnumber": "100001", "crmid": "10"},
    ),
    (
        "App.Sip_Queue.SipSignOut",
        lambda c: c.sign_out("queue-1", "100001", "10"),
        {"queuename": "queue-1", "extnumber": "100001", "crmid": "10"},
    ),
    ("App.Sip_Extgroup.AddExtgroup", lambda c: c.add_group("g1", 1), {"name": "g1", "status": "1"}),
    (
        "App.Sip_Extgroup.AddExtnumber",
        lambda c: c.add_group_extension("g1", "700000001"),
        {"name": "g1", "extnumber": "700000001"},
    ),
    (
        "App.Sip_Extgroup.DelExtnumber",
        lambda c: c.remove_group_extension("g1", "700000001"),
        {"name": "g1", "extnumber": "700000001"},
    ),
    (
        "App.Sip_Extgroup.EditExtnumber",
        lambda c: c.edit_group_extension("g1", "700000001", "busy"),
        {"name": "g1", "extnumber": "700000001", "state": "busy"},
    ),
    ("App.Sip_Extgroup.GetGroupExt", lambda c: c.group_extensions("g1"), {"name": "g1"}),
    (
        "App.Sip_Extgroup.GetExtgroupInfo",
        lambda c: c.groups("g1", status=2),
        {"name": "g1", "status": "2"},
    ),
    (
        "App.Sip_Sipnum.GetSipnumberInfo",
        lambda c: c.extensions(3, "100001"),
        {"status": "3", "extnumber": "100001"},
    ),
    (
        "App.Sip_Status.GetSipCallStatus",
        lambda c: c.call_status(["100001", "100002"]),
        {"extnumber": "100001,100002"},
    ),
    (
        "App.Sip_Status.GetSipValidStatus",
        lambda c: c.valid_status("100001, 100002"),
        {"extnumber": "100001,100002"},
    ),
    (
        "App.Sip_Status.GetSipRegisterStatus",
        lambda c: c.register_status([100001]),
        {"extnumber": "100001"},
    ),
]


def test_every_service_has_a_wire_case_and_a_client_method() -> None:
    covered = {wire for wire, _, _ in CASES} | {"App.Sip_Auth.Login"}
    assert covered == {s.wire for s in services.SERVICES}
    assert len(services.SERVICES) == 26
    for service in services.SERVICES:
        method = getattr(WallboardClient, service.method)
        assert inspect.iscoroutinefunction(method), service.method


@pytest.mark.parametrize(("wire", "call", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_request_fields_on_the_wire(wire: str, call: Call, expected: dict[str, str]) -> None:
    fake = FakeApi()
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as c:
        await call(c)
    login, sent = fake.requests
    assert login.service == "App.Sip_Auth.Login"
    assert login.fields == {"appid": APPID, "accesskey": ACCESSKEY}
    assert sent.service == wire
    assert sent.content_type.startswith("multipart/form-data; boundary=")
    token = sent.fields.pop("token")
    assert token in fake.valid_tokens or wire == "App.Sip_Auth.Logout"
    assert sent.fields == expected
    documented = DOCUMENTED_FIELDS[wire]
    assert set(sent.fields) <= set(documented.all)
    # Required fields may only be missing where the client has no value to send for them.
    assert set(documented.required) <= set(sent.fields)


async def test_fields_are_plain_form_parts_without_filenames() -> None:
    seen: list[bytes] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        body = request.read()
        seen.append(body)
        if b"App.Sip_Auth.Login" in body:
            return httpx.Response(
                200, json={"ret": 200, "data": {"status": 0, "result": {"token": "t"}}}
            )
        return httpx.Response(200, json={"ret": 200, "data": {"status": 0, "result": []}})

    transport = httpx.MockTransport(answer)
    async with WallboardClient("http://pbx.test", APPID, ACCESSKEY, transport=transport) as c:
        await c.queues("q1")
    body = seen[1].decode()
    assert (
        'Content-Disposition: form-data; name="service"\r\n\r\nApp.Sip_Queue.GetQueueList' in body
    )
    assert 'name="queuename"\r\n\r\nq1' in body
    assert 'name="token"\r\n\r\nt\r\n' in body
    assert "filename" not in body
    assert "Content-Type" not in body  # no per-part content type: plain fields


async def test_create_task_refuses_more_than_ten_thousand_numbers_before_sending() -> None:
    fake = FakeApi()
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as c:
        with pytest.raises(ValueError, match="at most 10,000"):
            await c.create_task(2, "queue-1", [str(n) for n in range(10_001)])
    assert fake.requests == []
