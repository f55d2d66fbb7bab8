"""Every documented example parses into its model, through the client for the responses;
and the models are lenient where the server is loose (numbers as text and back, nulls)."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, EXAMPLES, FakeApi, example
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api import services
from wallboard.api.client import WallboardClient
from wallboard.api.models import (
    Ack,
    BillCallback,
    BillPage,
    ExtensionCallEvent,
    PhoneNumber,
    QueueAgent,
    RecordingLink,
    TaskFinished,
)

RESPONSE_EXAMPLES = {s.short for s in services.SERVICES}
OTHER_EXAMPLES = {
    "error_transport_400",
    "error_business_1003",
    "callback_bill",
    "callback_bill_predictive",
    "callback_extension_call",
    "callback_extension_call_predictive",
    "callback_task",
    "request_telphone",
}


def test_there_is_an_example_file_for_every_service_and_no_stray_file() -> None:
    files = {path.stem for path in EXAMPLES.glob("*.json")}
    assert files == RESPONSE_EXAMPLES | OTHER_EXAMPLES


ARGS: dict[str, tuple[Any, ...]] = {
    "bills": ("2019-01-12 00:00:00", "2020-12-12 00:00:00"),
    "recording_link": ("abcdefg",),
    "create_task": (2, "queue-1", ["18012345678"]),
    "add_numbers": ("ADSFNIDJN", ["18012345678"]),
    "remove_numbers": ("ABCDEFG", ["1"]),
    "set_task": ("ABCDEFG", 1),
    "add_queue": ("queue-1", "yes", "remark"),
    "edit_queue": ("queue-1", "remark"),
    "delete_queue": ("queue-1",),
    "set_agent_status": (1, "100001", 10, "queue-1"),
    "sign_in": ("queue-1", "100001", 10),
    "sign_out": ("queue-1", "100001", 10),
    "add_group": ("queue-1",),
    "add_group_extension": ("queue-1", "700000001"),
    "remove_group_extension": ("queue-1", "700000001"),
    "edit_group_extension": ("queue-1", "700000001", "idle"),
    "group_extensions": ("queue-1",),
    "groups": ("queue-1",),
    "call_status": (["90170002"],),
    "valid_status": (["90170002"],),
    "register_status": (["90170002"],),
}


async def _answer(service: services.Service) -> Any:
    """The typed method's result when the server answers with the documents' example."""
    fake = FakeApi()
    fake.queue(service.wire, example(service.short))
    client = WallboardClient("http://pbx.test", APPID, ACCESSKEY, transport=fake.transport())
    async with client:
        if service.method == "login":
            return await client.login()
        if service.method == "logout":
            await client.login()
            return await client.logout()
        return await getattr(client, service.method)(*ARGS.get(service.method, ()))


SERVICES = list(services.SERVICES)


@pytest.mark.parametrize("service", SERVICES, ids=[s.short for s in SERVICES])
async def test_every_response_example_parses_into_its_model(service: services.Service) -> None:
    result = await _answer(service)
    documented = example(service.short)["data"]
    if isinstance(result, Ack):
        assert result.desc == documented["desc"]
        assert result.status == 0
        return
    rows = documented if isinstance(documented, list) else documented["result"]
    if isinstance(result, list):
        assert len(result) == len(rows) >= 1
        for model, row in zip(result, rows, strict=True):
            _same_values(model.model_dump(), row)
    else:
        _same_values(result.model_dump(), rows)


def _same_values(dumped: dict[str, Any], row: dict[str, Any]) -> None:
    """Every documented field arrived, equal to the example's value (coerced as typed)."""
    for key, value in row.items():
        if key in ("password", "token", "bills"):
            continue
        assert key in dumped, key
        got = dumped[key]
        if value is None:
            assert got in ("", None), key
        elif isinstance(got, str):
            assert got == str(value), key
        else:
            assert got == value, key


async def test_the_bill_example_in_detail() -> None:
    page = await _answer(services.find("GetBill"))  # type: ignore[arg-type]
    assert (page.totalitems, page.currentpage, page.itemsperpage) == (8151, 1, 10)
    (bill,) = page.bills
    assert bill.id == 22670
    assert bill.extnumber == ""
    assert bill.answertime == ""  # null: never answered
    assert (bill.duration, bill.billsec) == (28, 0)
    assert bill.hangupcause == 10020  # not in the code table: kept as its number
    assert bill.userkey == "#"


async def test_the_agent_and_extension_examples_in_detail() -> None:
    (agent,) = await _answer(services.find("GetQueueSipStatus"))  # type: ignore[arg-type]
    assert agent.seatsname == "9026004_9026004_autocall-9026"
    assert (agent.status, agent.state, agent.callsanswered) == (1213, 1213, 1)
    (call,) = await _answer(services.find("GetSipCallStatus"))  # type: ignore[arg-type]
    assert call.status == 1014
    assert (call.caller, call.idleduration, call.callduration) == ("", None, None)
    (extension,) = await _answer(services.find("GetSipnumberInfo"))  # type: ignore[arg-type]
    assert (extension.extnumber, extension.status, extension.register) == ("100001", 1016, "nreg")
    login = await _answer(services.find("Login"))  # type: ignore[arg-type]
    assert (login.companycode, login.companyname) == ("1", "test")


def test_the_callback_examples_parse() -> None:
    first = BillCallback.model_validate(example("callback_bill"))
    assert (first.extnumber, first.crmid, first.companycode) == ("7003", "2001", "20000013")
    assert first.userkey == "1"  # a number where text was documented
    assert first.hangupdirection == 10015
    second = BillCallback.model_validate(example("callback_bill_predictive"))
    assert (second.callmethod, second.disnumber, second.hangupcause) == (6, "211040260001", 10020)
    for name in ("callback_extension_call", "callback_extension_call_predictive"):
        event = ExtensionCallEvent.model_validate(example(name))
        assert event.status == "ring"
        assert event.isbleg in ("true", "false")
        assert isinstance(event.starttime, int) and event.starttime > 1_500_000_000
        assert isinstance(event.method, int)
    task = TaskFinished.model_validate(example("callback_task"))
    assert (task.taskid, task.status) == ("20210222110030244314", 3)


def test_the_telphone_example_parses_into_phone_numbers() -> None:
    (number,) = [PhoneNumber.model_validate(entry) for entry in example("request_telphone")]
    assert (number.phone, number.time) == ("18012345678", 1500000000)
    assert number.wire()["phone"] == "18012345678"


def test_the_recording_link_expiry_without_its_prefix() -> None:
    link = RecordingLink.model_validate(example("GetRecodeFile")["data"]["result"])
    assert link.expires == "2020-02-11 17:27:23"
    assert RecordingLink(expiredtime="2020-02-11 17:27:23").expires == "2020-02-11 17:27:23"


@settings(max_examples=150, deadline=None)
@given(number=st.integers(min_value=-(10**12), max_value=10**12))
def test_numbers_as_text_and_text_as_numbers(number: int) -> None:
    as_text = QueueAgent.model_validate(
        {"extnumber": number, "state": str(number), "callsanswered": f" {number} "}
    )
    as_numbers = QueueAgent.model_validate(
        {"extnumber": str(number), "state": number, "callsanswered": float(number)}
    )
    assert as_text == as_numbers
    assert as_text.extnumber == str(number)
    assert as_text.state == number


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.dictionaries(
        st.sampled_from(list(QueueAgent.model_fields)),
        st.one_of(
            st.none(),
            st.text(max_size=8),
            st.integers(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.booleans(),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_any_junk_in_known_fields_never_raises(row: dict[str, Any]) -> None:
    agent = QueueAgent.model_validate({**row, "unexpected": {"x": 1}})
    assert isinstance(agent.extnumber, str)
    assert isinstance(agent.callsanswered, int)
    assert agent.state is None or isinstance(agent.state, int)


def test_nulls_become_defaults() -> None:
    agent = QueueAgent.model_validate({key: None for key in QueueAgent.model_fields})
    assert agent == QueueAgent()
    assert (agent.extnumber, agent.state, agent.noanswercount) == ("", None, 0)


@pytest.mark.parametrize("empty", [None, {}, "", []], ids=["null", "object", "text", "list"])
async def test_a_bill_page_without_bills_is_an_empty_list(empty: Any) -> None:
    fake = FakeApi()
    page = {"totalitems": "0", "currentpage": 1, "itemsperpage": None, "bills": empty}
    fake.queue("App.Sip_Cdr.GetBill", {"ret": 200, "data": {"status": 0, "result": page}})
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        answer = await client.bills("2026-01-05 00:00:00", "2026-01-06 00:00:00")
    assert answer == BillPage(totalitems=0, currentpage=1, itemsperpage=0, bills=[])


def test_bills_as_a_keyed_object_keep_their_order() -> None:
    page = BillPage.model_validate({"bills": {"0": {"id": "7"}, "1": {"id": 8, "billsec": None}}})
    assert [(b.id, b.billsec) for b in page.bills] == [(7, 0), (8, 0)]


@pytest.mark.parametrize(
    "payload",
    [
        {"taskid": "20210222110030244314", "companycode": "9027", "status": 3},
        {"taskid": "20210222110030244314", "companycode": 9027, "status": "3"},
        {"taskid": 20210222110030244314, "companycode": 9027.0, "status": " 3 ", "x": [1]},
    ],
    ids=["documented", "text-status-int-company", "numbers-everywhere"],
)
def test_the_task_callback_parses_leniently(payload: dict[str, Any]) -> None:
    task = TaskFinished.model_validate(payload)
    assert (task.taskid, task.companycode, task.status) == ("20210222110030244314", "9027", 3)


def test_a_task_callback_with_nulls_or_missing_fields_still_parses() -> None:
    assert TaskFinished.model_validate({"taskid": None, "status": None}) == TaskFinished()
    assert TaskFinished.model_validate({}).status is None


def test_values_of_the_documented_type_pass_and_only_the_others_are_coerced() -> None:
    """The strict first choice must not take a bool for a count or a code, nor let a float
    or a null through where text or a counter was documented."""
    agent = QueueAgent.model_validate(
        {
            "extnumber": 1001.0,
            "seatsname": None,
            "status": True,
            "state": "1213",
            "callsanswered": 7,
            "noanswercount": False,
            "wrapuptime": "15.0",
            "queuename": "sales",
        }
    )
    assert (agent.extnumber, agent.seatsname, agent.queuename) == ("1001", "", "sales")
    assert (agent.status, agent.state) == (None, 1213)
    assert (agent.callsanswered, agent.noanswercount, agent.wrapuptime) == (7, 0, 15)
