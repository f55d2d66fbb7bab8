"""The simulator's contract, service by service, on the wire: raw form posts, as a client
written from the documents (or the documents' own PHP) would send them.

Each service gets its happy path, its answer's shape checked against the documents' own
example (tests/fixtures/examples), and each documented error: `ret 400` naming the field,
`ret 600` for a bad token, and the business codes (1011-1028, 1210-1218) in `errors.code`.
The floor here is a small hand-built one, so that every condition is known; the default
scenario is used where a living floor is needed (bills, recordings).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wallboard.api.services import SERVICES
from wallboard.sim.entities import QUEUE_SETTINGS
from wallboard.sim.floor import Floor
from wallboard.sim.server import Simulator, create_app

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
START = 1767603600.0  # 2026-01-05 09:00:00
DAY = ("2026-01-05 00:00:00", "2026-01-06 00:00:00")

# The hand-built floor: who is where.
SALES = "sales"
AGENT = "90170001"  # enabled, registered, checked into sales as crmid 1001, in group leads
SPARE = "90170002"  # enabled, registered, in no queue
DISABLED = "90170003"
OFFLINE = "90170004"  # enabled, not registered
MISSING = "90179999"  # the company's range, but no such extension
FOREIGN = "55550001"  # not the company's number at all
CALLER_ID = "2190170001"
CALLER_ID_OFF = "2190170009"


def contract_floor() -> Floor:
    floor = Floor(seed=3, start=START)
    floor.add_caller_id(CALLER_ID)
    floor.add_caller_id(CALLER_ID_OFF, enabled=False)
    floor.add_extension(AGENT, "pw-agent-secret", clientip="10.0.0.1")
    floor.add_extension(SPARE, "pw-spare-secret", clientip="10.0.0.2")
    floor.add_extension(DISABLED, "pw-disabled-secret", enabled=False)
    floor.add_extension(OFFLINE, "pw-offline-secret", registered=False)
    floor.add_queue(SALES, True, "Sales team", 1)
    floor.add_queue("manual", False, "No dialler", 1)
    floor.sign_in(SALES, AGENT, "1001")
    floor.add_group("leads")
    floor.add_group_ext("leads", AGENT)
    return floor


def example(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def example_rows(name: str) -> list[dict[str, Any]]:
    result = example(name)["data"]
    result = result["result"] if isinstance(result, dict) else result
    return result if isinstance(result, list) else [result]


def assert_shaped_like(row: dict[str, Any], documented: dict[str, Any]) -> None:
    """Same fields as the documents' example; where the example shows an int or a string,
    ours is one too (or null, which the documents use for "none")."""
    assert set(row) == set(documented)
    for key, shown in documented.items():
        if shown is None or row[key] is None:
            continue
        assert type(row[key]) is type(shown), (key, row[key], shown)


class Wire:
    """Raw form posts to the simulator, multipart (as PHP curl sends) or urlencoded."""

    def __init__(self, http: httpx.AsyncClient, sim: Simulator) -> None:
        self.http = http
        self.sim = sim
        self.token = ""

    async def post(self, fields: dict[str, Any], *, encoding: str = "multipart") -> Any:
        form = {name: str(value) for name, value in fields.items()}
        if encoding == "multipart":
            response = await self.http.post("/", files={k: (None, v) for k, v in form.items()})
        else:
            response = await self.http.post("/", data=form)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        return json.loads(response.content, parse_constant=not_json)

    async def login(self) -> str:
        answer = await self.post(
            {
                "service": "App.Sip_Auth.Login",
                "appid": self.sim.appid,
                "accesskey": self.sim.accesskey,
            }
        )
        self.token = ok(answer)["token"]
        return self.token

    async def call(self, service: str, *, encoding: str = "multipart", **fields: Any) -> Any:
        if not self.token:
            await self.login()
        form = {"service": service, "token": self.token, **fields}
        return await self.post(form, encoding=encoding)


def not_json(constant: str) -> Any:
    """Every answer is strict JSON: a client in another language could not read NaN."""
    raise AssertionError(f"the answer holds {constant}, which is not JSON")


def ok(answer: Any, desc: str | None = None) -> Any:
    """The result of a successful answer (None for status-only answers)."""
    assert answer["ret"] == 200, answer
    assert answer["msg"] == ""
    data = answer["data"]
    assert data["status"] == 0, data
    assert isinstance(data["reqtime"], int) and isinstance(data["rsptime"], int)
    if desc is not None:
        assert data["desc"] == desc
    return data.get("result")


def business(answer: Any, code: int) -> str:
    assert answer["ret"] == 200, answer
    data = answer["data"]
    assert data["status"] == 1, data
    assert data["errors"]["code"] == str(code), data
    assert data["errors"]["codemsg"] and data["desc"]
    assert isinstance(data["reqtime"], int)
    return str(data["errors"]["codemsg"])


def refused(answer: Any, ret: int, *, names: str | None = None) -> str:
    assert answer["ret"] == ret, answer
    assert answer["data"] == []
    assert answer["msg"]
    if names is not None:
        assert names in answer["msg"], answer["msg"]
    return str(answer["msg"])


@pytest.fixture
def sim() -> Simulator:
    return Simulator(contract_floor(), manual_clock=True)


@pytest.fixture
async def wire(sim: Simulator) -> AsyncIterator[Wire]:
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        yield Wire(http, sim)


@pytest.fixture
async def living() -> AsyncIterator[Wire]:
    """The default scenario after an hour of work: bills, recordings, busy agents."""
    sim = Simulator.from_scenario(seed=7, manual_clock=True)
    sim.advance(3600)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        yield Wire(http, sim)


# -- the envelope, service names, encodings, tokens ----------------------------------------
#: What each service says to a call with a token and nothing else: the first required field
#: it misses, or None for a service whose every field is optional (or has a documented
#: default, as GetSipnumberInfo's status has) and so answers with a success.
FIRST_REQUIRED: dict[str, str | None] = {
    "App.Sip_Auth.Login": "appid",  # the token is no credential for a login
    "App.Sip_Auth.Logout": None,  # the token is all it needs
    "App.Sip_Cdr.GetBill": "starttime",
    "App.Sip_Cdr.GetRecodeFile": "filename",
    "App.Sip_Yccall.TaskCreat": "assigntype",
    "App.Sip_Yccall.TaskAdd": "taskid",
    "App.Sip_Yccall.taskDelPhone": "taskid",
    "App.Sip_Yccall.TaskSet": "taskid",
    "App.Sip_Queue.AddQueue": "queuename",
    "App.Sip_Queue.EditQueue": "queuename",
    "App.Sip_Queue.DelQueue": "queuename",
    "App.Sip_Queue.GetQueueList": None,
    "App.Sip_Queue.GetQueueSipStatus": None,
    "App.Sip_Queue.SetSeatsStatus": "settype",
    "App.Sip_Queue.SipSignIn": "queuename",
    "App.Sip_Queue.SipSignOut": "queuename",
    "App.Sip_Extgroup.AddExtgroup": "name",
    "App.Sip_Extgroup.AddExtnumber": "name",
    "App.Sip_Extgroup.DelExtnumber": "name",
    "App.Sip_Extgroup.EditExtnumber": "name",
    "App.Sip_Extgroup.GetGroupExt": "name",
    "App.Sip_Extgroup.GetExtgroupInfo": "name",
    "App.Sip_Sipnum.GetSipnumberInfo": None,
    "App.Sip_Status.GetSipCallStatus": "extnumber",
    "App.Sip_Status.GetSipValidStatus": "extnumber",
    "App.Sip_Status.GetSipRegisterStatus": "extnumber",
}


async def test_every_documented_service_names_its_first_missing_field(wire: Wire) -> None:
    assert set(FIRST_REQUIRED) == {service.wire for service in SERVICES}
    for service, field in FIRST_REQUIRED.items():
        await wire.login()  # afresh: Logout is one of them
        answer = await wire.call(service)
        if field is None:
            ok(answer)
        else:
            message = refused(answer, 400, names=field)
            assert message == f"Illegal request: missing required parameter {field}", service
    # Logout with its token ends it: the next call with that token is ret 600.
    await wire.login()
    ok(await wire.call("App.Sip_Auth.Logout"), "logout successful")
    refused(await wire.call("App.Sip_Queue.GetQueueList"), 600)


async def test_unknown_service_is_ret_400(wire: Wire) -> None:
    refused(await wire.call("App.Sip_Queue.GetEverything"), 400, names="GetEverything")
    refused(await wire.post({"service": "nonsense"}), 400)
    refused(await wire.post({"appid": "x"}), 400, names="service")


async def test_method_part_matches_in_any_case(wire: Wire) -> None:
    for name in ("App.Sip_Queue.getqueuelist", "App.Sip_Queue.GETQUEUELIST"):
        rows = ok(await wire.call(name))
        assert [row["queuename"] for row in rows] == [SALES, "manual"]
    # The documents' Logout example has a leading space in the service name.
    assert ok(await wire.call("  App.Sip_Queue.GetQueueList")) is not None
    refused(await wire.call("App.sip_queue.GetQueueList"), 400)


async def test_both_body_encodings(wire: Wire) -> None:
    for encoding in ("multipart", "urlencoded"):
        answer = await wire.call(
            "App.Sip_Queue.GetQueueSipStatus", encoding=encoding, queuename=SALES
        )
        assert [row["extnumber"] for row in ok(answer)] == [AGENT]
        answer = await wire.call(
            "App.Sip_Queue.SipSignIn",
            encoding=encoding,
            queuename="manual",
            extnumber=SPARE if encoding == "multipart" else AGENT,
            crmid="7",
        )
        ok(answer, "check in successful")


async def test_a_body_that_is_not_a_form_is_ret_400(wire: Wire) -> None:
    response = await wire.http.post("/", json={"service": "App.Sip_Auth.Login"})
    refused(response.json(), 400, names="form")
    response = await wire.http.post(
        "/", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"}
    )
    refused(response.json(), 400)


async def test_token_missing_bad_and_expired(wire: Wire, sim: Simulator) -> None:
    refused(await wire.post({"service": "App.Sip_Queue.GetQueueList"}), 400, names="token")
    bad = {"service": "App.Sip_Queue.GetQueueList", "token": "0" * 32}
    refused(await wire.post(bad), 600)
    await wire.login()
    sim.advance(12 * 3600 - 1)
    ok(await wire.call("App.Sip_Queue.GetQueueList"))
    sim.advance(1)
    message = refused(await wire.call("App.Sip_Queue.GetQueueList"), 600)
    assert wire.token not in message
    await wire.login()
    ok(await wire.call("App.Sip_Queue.GetQueueList"))


# -- Sip_Auth ----------------------------------------------------------------------------
async def test_login(wire: Wire, sim: Simulator) -> None:
    answer = await wire.post(
        {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey},
        encoding="urlencoded",
    )
    result = ok(answer, "Authorization successful")
    assert_shaped_like(result, example_rows("Login")[0])
    assert result["companycode"] == "9017" and result["authtime"] == "2026-01-05 09:00:00"
    assert len(result["token"]) == 32


async def test_login_errors(wire: Wire, sim: Simulator) -> None:
    login = {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}
    refused(await wire.post({**login, "appid": ""}), 400, names="appid")
    refused(await wire.post({k: v for k, v in login.items() if k != "accesskey"}), 400)
    refused(await wire.post({**login, "appid": "nobody"}), 601)
    wrong = await wire.post({**login, "accesskey": "not-the-key"})
    assert business(wrong, 1003) == "Authorization failed"
    assert "not-the-key" not in json.dumps(wrong)
    sim.gate.add_account("lapsed", "lapsed-key", expired=True)
    refused(await wire.post({**login, "appid": "lapsed", "accesskey": "lapsed-key"}), 602)


async def test_logout_kills_the_token(wire: Wire) -> None:
    token = await wire.login()
    answer = await wire.call("App.Sip_Auth.Logout")
    assert ok(answer, "logout successful") is None
    assert set(answer["data"]) == set(example("Logout")["data"])
    refused(await wire.post({"service": "App.Sip_Queue.GetQueueList", "token": token}), 600)
    refused(await wire.post({"service": "App.Sip_Auth.Logout", "token": token}), 600)


# -- Sip_Status and Sip_Sipnum: extensions ---------------------------------------------------
async def test_get_sip_call_status(wire: Wire) -> None:
    extnumbers = f"{AGENT}, {DISABLED},{OFFLINE},{MISSING},{AGENT}"
    rows = ok(await wire.call("App.Sip_Status.GetSipCallStatus", extnumber=extnumbers))
    for row in rows:
        assert_shaped_like(row, example_rows("GetSipCallStatus")[0])
    codes = {row["extnumber"]: row["status"] for row in rows}
    assert codes == {AGENT: 1201, DISABLED: 1013, OFFLINE: 1014, MISSING: 1012}
    assert [row["extnumber"] for row in rows] == [AGENT, DISABLED, OFFLINE, MISSING]
    refused(await wire.call("App.Sip_Status.GetSipCallStatus"), 400, names="extnumber")
    refused(await wire.call("App.Sip_Status.GetSipCallStatus", extnumber=" , "), 400)


async def test_get_sip_valid_status(wire: Wire) -> None:
    rows = ok(
        await wire.call(
            "App.Sip_Status.GetSipValidStatus", extnumber=f"{AGENT},{DISABLED},{MISSING}"
        )
    )
    for row in rows:
        assert_shaped_like(row, example_rows("GetSipValidStatus")[0])
    assert [(row["extnumber"], row["code"]) for row in rows] == [
        (AGENT, 1016),
        (DISABLED, 1013),
        (MISSING, 1012),
    ]
    refused(await wire.call("App.Sip_Status.GetSipValidStatus"), 400, names="extnumber")


async def test_get_sip_register_status(wire: Wire) -> None:
    rows = ok(
        await wire.call(
            "App.Sip_Status.GetSipRegisterStatus", extnumber=f"{AGENT},{OFFLINE},{MISSING}"
        )
    )
    for row in rows:
        assert_shaped_like(row, example_rows("GetSipRegisterStatus")[0])
    by_ext = {row["extnumber"]: row for row in rows}
    assert by_ext[AGENT]["code"] == 1017 and by_ext[AGENT]["clientip"] == "10.0.0.1"
    assert by_ext[AGENT]["serverip"]
    assert by_ext[OFFLINE]["code"] == 1014 and by_ext[OFFLINE]["clientip"] is None
    assert by_ext[MISSING]["code"] == 1012
    refused(await wire.call("App.Sip_Status.GetSipRegisterStatus"), 400, names="extnumber")


async def test_get_sipnumber_info(wire: Wire) -> None:
    rows = ok(await wire.call("App.Sip_Sipnum.GetSipnumberInfo", status=3))
    for row in rows:
        assert_shaped_like(row, example_rows("GetSipnumberInfo")[0])
    assert {row["extnumber"] for row in rows} == {AGENT, SPARE, DISABLED, OFFLINE}
    by_ext = {row["extnumber"]: row for row in rows}
    assert by_ext[AGENT]["password"] == "pw-agent-secret"  # the real API sends it
    assert by_ext[OFFLINE]["register"] == "nreg" and by_ext[AGENT]["register"] == "reg"
    # status defaults to 1 (enabled), as documented
    enabled = ok(await wire.call("App.Sip_Sipnum.GetSipnumberInfo"))
    assert DISABLED not in {row["extnumber"] for row in enabled}
    disabled = ok(await wire.call("App.Sip_Sipnum.GetSipnumberInfo", status=2))
    assert [(row["extnumber"], row["status"]) for row in disabled] == [(DISABLED, 1013)]
    one = ok(await wire.call("App.Sip_Sipnum.GetSipnumberInfo", status=3, extnumber=SPARE))
    assert [row["extnumber"] for row in one] == [SPARE]
    for status in ("0", "4", "one"):
        answer = await wire.call("App.Sip_Sipnum.GetSipnumberInfo", status=status)
        refused(answer, 400, names="status")


# -- Sip_Queue ---------------------------------------------------------------------------
async def test_get_queue_list(wire: Wire) -> None:
    rows = ok(await wire.call("App.Sip_Queue.GetQueueList"), "get success")
    for row in rows:
        assert_shaped_like(row, example_rows("GetQueueList")[0])
    by_name = {row["queuename"]: row for row in rows}
    assert by_name[SALES]["autocall"] == "idle" and by_name["manual"]["autocall"] == "unavailable"
    one = ok(await wire.call("App.Sip_Queue.GetQueueList", queuename=SALES))
    assert [row["queuename"] for row in one] == [SALES]
    business(await wire.call("App.Sip_Queue.GetQueueList", queuename="nope"), 1211)


async def test_get_queue_sip_status(wire: Wire) -> None:
    rows = ok(await wire.call("App.Sip_Queue.GetQueueSipStatus"), "get success")
    assert len(rows) == 1
    row = rows[0]
    assert_shaped_like(row, example_rows("GetQueueSipStatus")[0])
    assert (row["queuename"], row["extnumber"], row["state"]) == (SALES, AGENT, 1213)
    assert row["seatsname"] == f"1001_{AGENT}_{SALES}"
    assert row["seatschangetime"] == "2026-01-05 09:00:00"
    for state, expected in ((0, 1), (1, 1), (2, 1), (3, 0), (4, 0)):
        answer = await wire.call("App.Sip_Queue.GetQueueSipStatus", state=state)
        assert len(ok(answer)) == expected, state
    answer = await wire.call("App.Sip_Queue.GetQueueSipStatus", queuename=SALES, extnumber=SPARE)
    assert ok(answer) == []
    business(await wire.call("App.Sip_Queue.GetQueueSipStatus", queuename="nope"), 1211)
    for state in ("5", "-1", "idle"):
        answer = await wire.call("App.Sip_Queue.GetQueueSipStatus", state=state)
        refused(answer, 400, names="state")


async def test_sip_sign_in(wire: Wire) -> None:
    answer = await wire.call("App.Sip_Queue.SipSignIn", queuename=SALES, extnumber=SPARE, crmid=7)
    assert ok(answer, "check in successful") is None
    assert set(answer["data"]) == set(example("SipSignIn")["data"])
    rows = ok(await wire.call("App.Sip_Queue.GetQueueSipStatus", queuename=SALES))
    assert [row["extnumber"] for row in rows] == [AGENT, SPARE]
    sign_in = {"queuename": SALES, "crmid": "7"}
    for extnumber, code in (
        (SPARE, 1218),
        (DISABLED, 1013),
        (OFFLINE, 1014),
        (MISSING, 1012),
        (FOREIGN, 1011),
    ):
        answer = await wire.call("App.Sip_Queue.SipSignIn", extnumber=extnumber, **sign_in)
        business(answer, code)
    answer = await wire.call("App.Sip_Queue.SipSignIn", queuename="nope", extnumber=SPARE, crmid=7)
    business(answer, 1211)
    for missing in ("queuename", "extnumber", "crmid"):
        fields = {"queuename": SALES, "extnumber": SPARE, "crmid": "7"}
        del fields[missing]
        refused(await wire.call("App.Sip_Queue.SipSignIn", **fields), 400, names=missing)


async def test_sip_sign_out(wire: Wire) -> None:
    fields = {"queuename": SALES, "extnumber": AGENT, "crmid": "1001"}
    answer = await wire.call("App.Sip_Queue.SipSignOut", **fields)
    assert ok(answer, "checkout successful") is None
    assert ok(await wire.call("App.Sip_Queue.GetQueueSipStatus", queuename=SALES)) == []
    business(await wire.call("App.Sip_Queue.SipSignOut", **fields), 1002)
    business(await wire.call("App.Sip_Queue.SipSignOut", **{**fields, "queuename": "x"}), 1211)
    business(await wire.call("App.Sip_Queue.SipSignOut", **{**fields, "extnumber": MISSING}), 1012)
    refused(await wire.call("App.Sip_Queue.SipSignOut", queuename=SALES), 400, names="extnumber")


async def test_set_seats_status(wire: Wire) -> None:
    fields = {"extnumber": AGENT, "crmid": "1001", "queuename": SALES}
    answer = await wire.call("App.Sip_Queue.SetSeatsStatus", settype=1, **fields)
    assert ok(answer, "successfully set") is None
    rows = ok(await wire.call("App.Sip_Queue.GetQueueSipStatus"))
    assert rows[0]["state"] == 1217
    ok(await wire.call("App.Sip_Queue.SetSeatsStatus", settype=2, **fields))
    assert ok(await wire.call("App.Sip_Queue.GetQueueSipStatus"))[0]["state"] == 1213
    for settype in ("0", "3", "busy"):
        answer = await wire.call("App.Sip_Queue.SetSeatsStatus", settype=settype, **fields)
        refused(answer, 400, names="settype")
    answer = await wire.call("App.Sip_Queue.SetSeatsStatus", settype=1, **fields | {"crmid": ""})
    refused(answer, 400, names="crmid")
    not_in = fields | {"extnumber": SPARE}
    business(await wire.call("App.Sip_Queue.SetSeatsStatus", settype=1, **not_in), 1002)
    no_queue = fields | {"queuename": "nope"}
    business(await wire.call("App.Sip_Queue.SetSeatsStatus", settype=1, **no_queue), 1211)
    disabled = fields | {"extnumber": DISABLED}
    business(await wire.call("App.Sip_Queue.SetSeatsStatus", settype=1, **disabled), 1013)


async def test_add_queue(wire: Wire) -> None:
    fields = {"queuename": "queue-1", "autocall": "yes", "remark": "remark", "strategy": "7"}
    answer = await wire.call("App.Sip_Queue.AddQueue", **fields)
    assert ok(answer, "Added successfully") is None
    row = ok(await wire.call("App.Sip_Queue.GetQueueList", queuename="queue-1"))[0]
    assert (row["remark"], row["strategy"], row["autocall"]) == ("remark", 7, "idle")
    business(await wire.call("App.Sip_Queue.AddQueue", **fields), 1210)
    default = {"queuename": "queue-2", "autocall": "no", "remark": "r"}
    ok(await wire.call("App.Sip_Queue.AddQueue", **default))
    row = ok(await wire.call("App.Sip_Queue.GetQueueList", queuename="queue-2"))[0]
    assert (row["strategy"], row["autocall"]) == (1, "unavailable")
    bad = {"autocall": "maybe", "strategy": "9"}
    for name, value in bad.items():
        answer = await wire.call("App.Sip_Queue.AddQueue", **fields | {name: value})
        refused(answer, 400, names=name)
    for missing in ("queuename", "autocall", "remark"):
        answer = await wire.call(
            "App.Sip_Queue.AddQueue", **{k: v for k, v in fields.items() if k != missing}
        )
        refused(answer, 400, names=missing)


async def test_edit_queue(wire: Wire) -> None:
    settings = {
        "strategy": "4",
        "announcefreq": "31",
        "ringdelay": "12",
        "maxwaittime": "3",
        "withnoagenttime": "4",
        "noagentrejoiningtime": "6",
        "discardtime": "25",
    }
    answer = await wire.call("App.Sip_Queue.EditQueue", queuename=SALES, remark="new", **settings)
    assert ok(answer, "Successfully modified") is None
    row = ok(await wire.call("App.Sip_Queue.GetQueueList", queuename=SALES))[0]
    assert row["remark"] == "new"
    assert {key: str(row[key]) for key in settings} == settings
    # Settings left out stay as they were.
    ok(await wire.call("App.Sip_Queue.EditQueue", queuename=SALES, remark="again"))
    row = ok(await wire.call("App.Sip_Queue.GetQueueList", queuename=SALES))[0]
    assert (row["remark"], row["ringdelay"]) == ("again", 12)
    business(await wire.call("App.Sip_Queue.EditQueue", queuename="nope", remark="r"), 1211)
    for name, value in (("strategy", "0"), ("ringdelay", "abc"), ("discardtime", "-5")):
        answer = await wire.call(
            "App.Sip_Queue.EditQueue", queuename=SALES, remark="r", **{name: value}
        )
        refused(answer, 400, names=name)
    refused(await wire.call("App.Sip_Queue.EditQueue", queuename=SALES), 400, names="remark")


@pytest.mark.parametrize(("setting", "bounds"), sorted(QUEUE_SETTINGS.items()))
async def test_edit_queue_bounds_are_one_table(
    wire: Wire, sim: Simulator, setting: str, bounds: tuple[int, int]
) -> None:
    """Every value the wire lets through the floor takes: a value out of range is ret 400
    naming the field and its range (ringdelay=0 was once a business 1002), never a 1002."""
    low, high = bounds
    for value in (low - 1, high + 1):
        answer = await wire.call(
            "App.Sip_Queue.EditQueue", queuename=SALES, remark="r", **{setting: value}
        )
        message = refused(answer, 400, names=setting)
        assert f"from {low} to {high}" in message
    for value in (low, high):
        answer = await wire.call(
            "App.Sip_Queue.EditQueue", queuename=SALES, remark="r", **{setting: value}
        )
        ok(answer, "Successfully modified")
        assert getattr(sim.floor.queues[SALES], setting) == value


async def test_del_queue(wire: Wire) -> None:
    answer = await wire.call("App.Sip_Queue.DelQueue", queuename="manual")
    assert ok(answer, "successfully deleted") is None
    business(await wire.call("App.Sip_Queue.GetQueueList", queuename="manual"), 1211)
    business(await wire.call("App.Sip_Queue.DelQueue", queuename="manual"), 1211)
    refused(await wire.call("App.Sip_Queue.DelQueue"), 400, names="queuename")


# -- Sip_Extgroup ------------------------------------------------------------------------
async def test_add_extgroup_and_get_extgroup_info(wire: Wire) -> None:
    answer = await wire.call("App.Sip_Extgroup.AddExtgroup", name="queue-1")
    assert ok(answer, "Added successfully") is None
    ok(await wire.call("App.Sip_Extgroup.AddExtgroup", name="off", status=0))
    business(await wire.call("App.Sip_Extgroup.AddExtgroup", name="queue-1"), 1002)
    answer = await wire.call("App.Sip_Extgroup.AddExtgroup", name="x", status=5)
    refused(answer, 400, names="status")
    refused(await wire.call("App.Sip_Extgroup.AddExtgroup"), 400, names="name")

    rows = ok(await wire.call("App.Sip_Extgroup.GetExtgroupInfo", name="queue-1"))
    assert len(rows) == 1
    assert_shaped_like(rows[0], example_rows("GetExtgroupInfo")[0])
    assert rows[0]["name"] == "queue-1"
    assert ok(await wire.call("App.Sip_Extgroup.GetExtgroupInfo", name="off", status=1)) == []
    refused(await wire.call("App.Sip_Extgroup.GetExtgroupInfo"), 400, names="name")
    answer = await wire.call("App.Sip_Extgroup.GetExtgroupInfo", name="off", status=3)
    refused(answer, 400, names="status")


async def test_group_extensions(wire: Wire) -> None:
    answer = await wire.call("App.Sip_Extgroup.AddExtnumber", name="leads", extnumber=SPARE)
    assert ok(answer, "Added successfully") is None
    business(await wire.call("App.Sip_Extgroup.AddExtnumber", name="leads", extnumber=SPARE), 1002)
    business(await wire.call("App.Sip_Extgroup.AddExtnumber", name="none", extnumber=SPARE), 1002)
    answer = await wire.call("App.Sip_Extgroup.AddExtnumber", name="leads", extnumber=MISSING)
    business(answer, 1012)

    answer = await wire.call(
        "App.Sip_Extgroup.EditExtnumber", name="leads", extnumber=SPARE, state="busy"
    )
    assert ok(answer, "edited successfully") is None
    answer = await wire.call(
        "App.Sip_Extgroup.EditExtnumber", name="leads", extnumber=SPARE, state="away"
    )
    refused(answer, 400, names="state")
    answer = await wire.call(
        "App.Sip_Extgroup.EditExtnumber", name="leads", extnumber=OFFLINE, state="idle"
    )
    business(answer, 1002)

    # GetGroupExt: `data` is the bare list, as the document prints it.
    answer = await wire.call("App.Sip_Extgroup.GetGroupExt", name="leads")
    assert answer["ret"] == 200 and answer["msg"] == ""
    assert isinstance(answer["data"], list)
    for row in answer["data"]:
        assert_shaped_like(row, example("GetGroupExt")["data"][0])
    states = {row["extnumber"]: (row["status"], row["state"]) for row in answer["data"]}
    assert states == {AGENT: ("hangup", "idle"), SPARE: ("hangup", "busy")}
    answer = await wire.call("App.Sip_Extgroup.GetGroupExt", name="leads", extnumber=SPARE)
    assert [row["extnumber"] for row in answer["data"]] == [SPARE]
    business(await wire.call("App.Sip_Extgroup.GetGroupExt", name="none"), 1002)
    refused(await wire.call("App.Sip_Extgroup.GetGroupExt"), 400, names="name")

    answer = await wire.call("App.Sip_Extgroup.DelExtnumber", name="leads", extnumber=SPARE)
    assert ok(answer, "successfully deleted") is None
    business(await wire.call("App.Sip_Extgroup.DelExtnumber", name="leads", extnumber=SPARE), 1002)
    answer = await wire.call("App.Sip_Extgroup.DelExtnumber", name="leads")
    refused(answer, 400, names="extnumber")


# -- Sip_Yccall: predictive tasks --------------------------------------------------------
def numbers(*phones: str, time: int | str = "") -> str:
    return json.dumps([{"phone": phone, "time": time, "userid": "u1"} for phone in phones])


async def create_task(wire: Wire, **overrides: Any) -> Any:
    fields = {
        "assigntype": 2,
        "assignagent": SALES,
        "telphone": numbers("13800000001", "13800000002"),
        "taskscale": "1:1",
        "disnumber": "",
        "taskname": "Winter renewals",
    }
    return await wire.call("App.Sip_Yccall.TaskCreat", **fields | overrides)


async def test_task_creat(wire: Wire, sim: Simulator) -> None:
    telphone = example("request_telphone")  # the documents' own entry, a past time
    telphone += [{"phone": "12"}, "not an object", {"phone": "13800000001"}]
    answer = await create_task(wire, telphone=json.dumps(telphone))
    result = ok(answer, "created successfully")
    assert set(result) == set(example_rows("TaskCreat")[0])
    assert isinstance(result["taskid"], str) and result["taskid"]
    assert result["invaliddata"] == [{"phone": "12"}, "not an object"]
    assert sim.floor.task_status(result["taskid"]) == 1025
    # The documents' own PHP example: assign to a queue, random caller id.
    ok(await create_task(wire, assigntype="2", disnumber=CALLER_ID))
    ok(await create_task(wire, assigntype=1, assignagent=AGENT))
    ok(await create_task(wire, assigntype=3, assignagent="leads"))


async def test_task_creat_errors(wire: Wire) -> None:
    for name, value in (
        ("assigntype", "4"),
        ("assigntype", ""),
        ("assignagent", ""),
        ("telphone", "13800000001"),
        ("telphone", '{"phone": "13800000001"}'),
        ("telphone", "[]"),
        ("taskscale", "1-1"),
        ("taskscale", "0:1"),
        ("taskscale", ""),
    ):
        refused(await create_task(wire, **{name: value}), 400, names=name)
    too_many = json.dumps([{"phone": f"138{i:08d}"} for i in range(10_001)])
    message = refused(await create_task(wire, telphone=too_many), 400, names="telphone")
    assert "10,000" in message
    business(await create_task(wire, assignagent="nope"), 1211)
    business(await create_task(wire, assigntype=1, assignagent=MISSING), 1012)
    business(await create_task(wire, assigntype=1, assignagent=FOREIGN), 1011)
    business(await create_task(wire, assigntype=1, assignagent=DISABLED), 1013)
    business(await create_task(wire, assigntype=3, assignagent="nope"), 1002)
    business(await create_task(wire, disnumber="2100000000"), 1021)
    business(await create_task(wire, disnumber=CALLER_ID_OFF), 1019)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_task_numbers_may_not_hold_nan_or_infinity(wire: Wire, constant: str) -> None:
    """Python's JSON parser takes these; JSON does not, and a NaN dial time once broke the
    floor's clock. The whole request is refused, naming the field and the constant."""
    telphone = f'[{{"phone": "13800000001", "time": {constant}}}]'
    message = refused(await create_task(wire, telphone=telphone), 400, names="telphone")
    assert constant in message
    taskid = ok(await create_task(wire))["taskid"]
    answer = await wire.call("App.Sip_Yccall.TaskAdd", taskid=taskid, telphone=telphone)
    assert constant in refused(answer, 400, names="telphone")


async def test_task_number_times_the_clock_cannot_reach_are_invalid(
    wire: Wire, sim: Simulator
) -> None:
    """1e999 is JSON and parses as infinity; a time past year 9999 or a number too big for a
    float is no moment either: each comes back in invaliddata and is never scheduled."""
    telphone = (
        '[{"phone": "13800000001", "time": 1e999},'
        ' {"phone": "13800000002", "time": -1e999},'
        ' {"phone": "13800000003", "time": 1e300},'
        ' {"phone": "13800000004", "time": "' + "9" * 400 + '"},'
        ' {"phone": "13800000005", "time": ' + "9" * 400 + "},"
        ' {"phone": "13800000006", "time": 1767607200}]'
    )
    result = ok(await create_task(wire, telphone=telphone))
    assert [item["time"] for item in result["invaliddata"]] == [
        "1e999",  # as sent, as far as JSON can carry it
        "-1e999",
        1e300,
        "9" * 400,
        int("9" * 400),
    ]
    task = sim.floor.tasks[result["taskid"]]
    assert task.pending == 1 and [n.time for _, _, n in task.scheduled] == [1767607200.0]
    added = ok(
        await wire.call(
            "App.Sip_Yccall.TaskAdd",
            taskid=result["taskid"],
            telphone='[{"phone": "13800000007", "time": 1e999}]',
        )
    )
    assert added["success"] == 0 and len(added["invaliddata"]) == 1


async def test_task_set_runs_pauses_and_ends(wire: Wire, sim: Simulator) -> None:
    taskid = ok(await create_task(wire))["taskid"]
    answer = await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=1)
    assert ok(answer, "successfully set") is None
    assert sim.floor.task_status(taskid) == 1026
    ok(await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=2))
    assert sim.floor.task_status(taskid) == 1027
    ok(await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=3))
    assert sim.floor.task_status(taskid) == 1028
    business(await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=1), 1028)
    business(await wire.call("App.Sip_Yccall.TaskSet", taskid="404", taskstatus=1), 1024)
    for status in ("0", "4", "open"):
        answer = await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=status)
        refused(answer, 400, names="taskstatus")
    refused(await wire.call("App.Sip_Yccall.TaskSet", taskstatus=1), 400, names="taskid")


async def test_task_add(wire: Wire, sim: Simulator) -> None:
    taskid = ok(await create_task(wire))["taskid"]
    telphone = numbers("13800000003", "13800000004", "13800000001", "x1")
    answer = await wire.call("App.Sip_Yccall.TaskAdd", taskid=taskid, telphone=telphone)
    result = ok(answer, "Additional success")
    assert set(result) == set(example_rows("TaskAdd")[0])
    assert result["success"] == 2
    assert [item["phone"] for item in result["invaliddata"]] == ["13800000001", "x1"]
    business(await wire.call("App.Sip_Yccall.TaskAdd", taskid="404", telphone=telphone), 1024)
    answer = await wire.call("App.Sip_Yccall.TaskAdd", taskid=taskid, telphone="13800000005")
    refused(answer, 400, names="telphone")
    too_many = json.dumps([{"phone": f"139{i:08d}"} for i in range(10_001)])
    answer = await wire.call("App.Sip_Yccall.TaskAdd", taskid=taskid, telphone=too_many)
    assert "10,000" in refused(answer, 400, names="telphone")
    assert sim.floor.tasks[taskid].pending == 4
    ok(await wire.call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=3))
    business(await wire.call("App.Sip_Yccall.TaskAdd", taskid=taskid, telphone=telphone), 1028)


async def test_task_del_phone(wire: Wire, sim: Simulator) -> None:
    taskid = ok(await create_task(wire))["taskid"]
    answer = await wire.call(
        "App.Sip_Yccall.taskDelPhone", taskid=taskid, telphone="13800000001,13800000002"
    )
    assert ok(answer, "删除成功") is None
    assert sim.floor.tasks[taskid].pending == 0
    answer = await wire.call("App.Sip_Yccall.TaskDelPhone", taskid="404", telphone="1")
    business(answer, 1024)
    answer = await wire.call("App.Sip_Yccall.taskDelPhone", taskid=taskid)
    refused(answer, 400, names="telphone")


# -- Sip_Cdr: bills and recordings ---------------------------------------------------------
async def all_bills(wire: Wire) -> list[dict[str, Any]]:
    query = {"starttime": DAY[0], "endtime": DAY[1], "syncflag": 3, "itemsperpage": 1000}
    bills: list[dict[str, Any]] = []
    for page in range(1, 100):
        result = ok(await wire.call("App.Sip_Cdr.GetBill", **query, currentpage=page))
        bills += result["bills"]
        if len(bills) >= result["totalitems"]:
            return bills
    raise AssertionError("too many pages")


async def test_get_bill_paging_and_shape(living: Wire) -> None:
    query = {"starttime": DAY[0], "endtime": DAY[1], "syncflag": 3, "callmethod": 0}
    first = ok(await living.call("App.Sip_Cdr.GetBill", **query, itemsperpage=7), "get success")
    assert set(first) == {"totalitems", "currentpage", "itemsperpage", "bills"}
    assert first["currentpage"] == 1 and first["itemsperpage"] == 7
    total = first["totalitems"]
    assert total == len(living.sim.floor.bills) > 20
    for bill in first["bills"]:
        assert_shaped_like(bill, example_rows("GetBill")[0]["bills"][0])
    pages = []
    for page in range(1, total // 500 + 2):
        answer = await living.call(
            "App.Sip_Cdr.GetBill", **query, currentpage=page, itemsperpage=500
        )
        pages.extend(ok(answer)["bills"])
    assert [bill["id"] for bill in pages] == list(range(1, total + 1))
    beyond = ok(await living.call("App.Sip_Cdr.GetBill", **query, currentpage=999))
    assert beyond["bills"] == [] and beyond["totalitems"] == total
    # The documents' PHP example leaves out the filters: they default to "all".
    php = {"starttime": DAY[0], "endtime": DAY[1], "direction": 3, "syncflag": 3}
    assert ok(await living.call("App.Sip_Cdr.GetBill", **php))["totalitems"] == total


async def test_get_bill_filters(living: Wire) -> None:
    query = {"starttime": DAY[0], "endtime": DAY[1], "syncflag": 3, "itemsperpage": 1000}
    every = await all_bills(living)
    talked = next(bill for bill in every if bill["extnumber"])

    async def ids(**fields: Any) -> set[int]:
        found: set[int] = set()
        for page in range(1, 100):
            answer = await living.call("App.Sip_Cdr.GetBill", **query | fields, currentpage=page)
            result = ok(answer)
            found |= {bill["id"] for bill in result["bills"]}
            if not result["bills"]:
                return found
        raise AssertionError("too many pages")

    def expected(predicate: Any) -> set[int]:
        return {bill["id"] for bill in every if predicate(bill)}

    ext = talked["extnumber"]
    assert await ids(extnumber=ext) == expected(lambda b: b["extnumber"] == ext)
    other = next(b["extnumber"] for b in every if b["extnumber"] not in ("", ext))
    assert await ids(extnumber=f"{ext},{other}") == expected(
        lambda b: b["extnumber"] in (ext, other)
    )
    dest = talked["destnumber"]
    assert await ids(destnumber=dest) == expected(lambda b: b["destnumber"] == dest)
    for name in ("userid", "memberid", "customuuid", "chengshudu"):
        value = talked[name]
        assert await ids(**{name: value}) == expected(lambda b, n=name, v=value: b[n] == v)
    methods = sorted({bill["callmethod"] for bill in every})
    assert {2, 5} <= set(methods)
    for method in methods:
        assert await ids(callmethod=method) == expected(lambda b, m=method: b["callmethod"] == m)
    # GetBill: "direction | ... 1 in / 2 out / 3 all" (API-NOTES 14: inbound is "callin").
    assert await ids(direction=1) == expected(lambda b: b["direction"] == "callin")
    assert await ids(direction=2) == expected(lambda b: b["direction"] == "callout")
    assert await ids(direction=3) == expected(lambda b: True)
    window = ("2026-01-05 09:10:00", "2026-01-05 09:20:00")
    in_window = await ids(starttime=window[0], endtime=window[1])
    assert in_window == expected(lambda b: window[0] <= b["starttime"] <= window[1])
    assert in_window


async def test_get_bill_syncflag(living: Wire) -> None:
    query = {"starttime": DAY[0], "endtime": DAY[1], "itemsperpage": 50}
    total = ok(await living.call("App.Sip_Cdr.GetBill", **query, syncflag=3))["totalitems"]
    # syncflag 1 (the default): unqueried records, marked queried once returned.
    first = ok(await living.call("App.Sip_Cdr.GetBill", **query))
    assert first["totalitems"] == total and len(first["bills"]) == 50
    second = ok(await living.call("App.Sip_Cdr.GetBill", **query, syncflag=1))
    assert second["totalitems"] == total - 50
    assert {b["id"] for b in first["bills"]}.isdisjoint({b["id"] for b in second["bills"]})
    answer = await living.call(
        "App.Sip_Cdr.GetBill", **query | {"syncflag": 2, "itemsperpage": 500}
    )
    queried = ok(answer)
    assert queried["totalitems"] == 100
    assert {b["id"] for b in queried["bills"]} == {
        b["id"] for b in first["bills"] + second["bills"]
    }
    assert ok(await living.call("App.Sip_Cdr.GetBill", **query, syncflag=3))["totalitems"] == total


async def test_get_bill_errors(living: Wire) -> None:
    query = {"starttime": DAY[0], "endtime": DAY[1]}
    for name, value in (
        ("starttime", "2026-01-05"),
        ("starttime", "2026-13-05 00:00:00"),
        ("endtime", "yesterday"),
        ("itemsperpage", "0"),
        ("itemsperpage", "1001"),
        ("currentpage", "0"),
        ("syncflag", "4"),
        ("direction", "0"),
        ("callmethod", "7"),
    ):
        answer = await living.call("App.Sip_Cdr.GetBill", **query | {name: value})
        refused(answer, 400, names=name)
    refused(await living.call("App.Sip_Cdr.GetBill", endtime=DAY[1]), 400, names="starttime")


async def test_get_recode_file_links_expire(living: Wire) -> None:
    query = {"starttime": DAY[0], "endtime": DAY[1], "syncflag": 3, "itemsperpage": 1000}
    bills = ok(await living.call("App.Sip_Cdr.GetBill", **query))["bills"]
    filename = next(bill["recordfilename"] for bill in bills if bill["recordfilename"])
    answer = await living.call("App.Sip_Cdr.GetRecodeFile", filename=filename)
    result = ok(answer, "get success")
    assert set(result) == set(example_rows("GetRecodeFile")[0])
    assert result["downurl"].startswith("http://sim.test/")
    five_minutes_on = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(living.sim.now() + 300))
    assert result["expiredtime"] == f"Expiration time:{five_minutes_on}"
    download = await living.http.get(result["downurl"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/wav"
    assert download.content[:4] == b"RIFF" and download.content[8:12] == b"WAVE"
    living.sim.advance(299)
    assert (await living.http.get(result["downurl"])).status_code == 200
    living.sim.advance(2)
    assert (await living.http.get(result["downurl"])).status_code == 404
    assert (await living.http.get("/recordings/unknown.wav")).status_code == 404
    business(await living.call("App.Sip_Cdr.GetRecodeFile", filename="nothing.wav"), 1002)
    refused(await living.call("App.Sip_Cdr.GetRecodeFile"), 400, names="filename")
