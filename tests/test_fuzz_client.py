"""Fuzzing the client's parsing: whatever a server answers, every service ends in its model or
in an `ApiError`, never in another exception, a leaked secret or a repeated mutation.

A wall dashboard talks to servers it does not control, through proxies that rewrite, cut
and replace answers. The answers here are drawn from everything JSON can say (and bytes
that are not JSON), from envelopes shaped like the documents' with junk where the values
go, and from the documents' own examples with parts replaced, dropped or truncated.
`WALLBOARD_FUZZ_EXAMPLES` raises the number of examples per service for a longer hunt.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fixtures.fake_api import example
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api import services
from wallboard.api.client import WallboardClient
from wallboard.api.errors import ApiError, TokenInvalid
from wallboard.api.models import (
    Ack,
    ApiModel,
    Bill,
    BillPage,
    Extension,
    ExtensionCallStatus,
    ExtensionRegistration,
    ExtensionValidity,
    Group,
    GroupExtension,
    LoginResult,
    NumbersAdded,
    Queue,
    QueueAgent,
    RecordingLink,
    TaskCreated,
)

EXAMPLES = int(os.environ.get("WALLBOARD_FUZZ_EXAMPLES", "15"))
APPID = "fuzz-appid"
ACCESSKEY = "fuzz-accesskey-S3CRET"
TOKEN = "fuzz-token-S3CRET"
LOGIN_OK = {
    "ret": 200,
    "data": {"status": 0, "desc": "ok", "result": {"companycode": "1", "token": TOKEN}},
    "msg": "",
}

Call = Callable[[WallboardClient], Awaitable[Any]]


@dataclass(frozen=True)
class Expect:
    """How to make one service call, and the shape of a successful answer."""

    call: Call
    model: type[ApiModel]
    many: bool  # a list of `model`


async def _logout(client: WallboardClient) -> Any:
    await client.login()  # Logout without a token sends nothing; log in first
    return await client.logout()


EXPECT: dict[str, Expect] = {
    "App.Sip_Auth.Login": Expect(lambda c: c.login(), LoginResult, False),
    "App.Sip_Auth.Logout": Expect(_logout, Ack, False),
    "App.Sip_Cdr.GetBill": Expect(
        lambda c: c.bills("2026-01-05 00:00:00", "2026-01-05 23:59:59"), BillPage, False
    ),
    "App.Sip_Cdr.GetRecodeFile": Expect(lambda c: c.recording_link("a.wav"), RecordingLink, False),
    "App.Sip_Yccall.TaskCreat": Expect(
        lambda c: c.create_task(2, "sales", ["13800000000"]), TaskCreated, False
    ),
    "App.Sip_Yccall.TaskAdd": Expect(
        lambda c: c.add_numbers("t1", ["13800000001"]), NumbersAdded, False
    ),
    "App.Sip_Yccall.taskDelPhone": Expect(
        lambda c: c.remove_numbers("t1", ["13800000001"]), Ack, False
    ),
    "App.Sip_Yccall.TaskSet": Expect(lambda c: c.set_task("t1", 2), Ack, False),
    "App.Sip_Queue.AddQueue": Expect(lambda c: c.add_queue("q", "yes", "r"), Ack, False),
    "App.Sip_Queue.EditQueue": Expect(lambda c: c.edit_queue("q", "r", ringdelay=5), Ack, False),
    "App.Sip_Queue.DelQueue": Expect(lambda c: c.delete_queue("q"), Ack, False),
    "App.Sip_Queue.GetQueueList": Expect(lambda c: c.queues(), Queue, True),
    "App.Sip_Queue.GetQueueSipStatus": Expect(lambda c: c.queue_agents(), QueueAgent, True),
    "App.Sip_Queue.SetSeatsStatus": Expect(
        lambda c: c.set_agent_status(1, "1001", "7", "q"), Ack, False
    ),
    "App.Sip_Queue.SipSignIn": Expect(lambda c: c.sign_in("q", "1001", "7"), Ack, False),
    "App.Sip_Queue.SipSignOut": Expect(lambda c: c.sign_out("q", "1001", "7"), Ack, False),
    "App.Sip_Extgroup.AddExtgroup": Expect(lambda c: c.add_group("g"), Ack, False),
    "App.Sip_Extgroup.AddExtnumber": Expect(
        lambda c: c.add_group_extension("g", "1001"), Ack, False
    ),
    "App.Sip_Extgroup.DelExtnumber": Expect(
        lambda c: c.remove_group_extension("g", "1001"), Ack, False
    ),
    "App.Sip_Extgroup.EditExtnumber": Expect(
        lambda c: c.edit_group_extension("g", "1001", "idle"), Ack, False
    ),
    "App.Sip_Extgroup.GetGroupExt": Expect(lambda c: c.group_extensions("g"), GroupExtension, True),
    "App.Sip_Extgroup.GetExtgroupInfo": Expect(lambda c: c.groups("g"), Group, True),
    "App.Sip_Sipnum.GetSipnumberInfo": Expect(lambda c: c.extensions(), Extension, True),
    # Three extensions in batches of one: three concurrent requests, one failing cancels all.
    "App.Sip_Status.GetSipCallStatus": Expect(
        lambda c: c.call_status(["1001", "1002", "1003"]), ExtensionCallStatus, True
    ),
    "App.Sip_Status.GetSipValidStatus": Expect(
        lambda c: c.valid_status(["1001", "1002"]), ExtensionValidity, True
    ),
    "App.Sip_Status.GetSipRegisterStatus": Expect(
        lambda c: c.register_status("1001,1002"), ExtensionRegistration, True
    ),
}
WIRES = [service.wire for service in services.SERVICES]


def test_every_service_is_fuzzed() -> None:
    assert set(EXPECT) == set(WIRES)


# ---------------------------------------------------------------------- what a server says

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " ", "0", "1", "200", "1.5", "1e400", "null", "NaN", "-0"]),
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RET = st.one_of(
    st.sampled_from([200, "200", 200.0, " 200", 400, 500, 600, "600", 601, 602, 603, 604, 999]),
    JSON,
)
STATUS = st.one_of(st.sampled_from([0, "0", 0.0, 1, "1", 2, -1]), JSON)
CODE = st.one_of(st.sampled_from(["1003", 1024, "1218", "99999", "", None]), JSON)


def row_of(model: type[ApiModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A row with the model's documented keys (and stray ones), junk for values."""
    keys = st.one_of(st.sampled_from(sorted(model.model_fields)), st.text(max_size=6))
    return st.dictionaries(keys, JSON, max_size=len(model.model_fields) + 2)


BILL_PAGE = st.fixed_dictionaries(
    {},
    optional={
        "totalitems": JSON,
        "currentpage": JSON,
        "itemsperpage": JSON,
        "bills": st.one_of(JSON, st.lists(row_of(Bill), max_size=3)),
    },
)


def result_for(expect: Expect) -> st.SearchStrategy[Any]:
    row = BILL_PAGE if expect.model is BillPage else row_of(expect.model)
    return st.one_of(
        JSON,
        row,
        st.lists(row, max_size=3),
        st.dictionaries(st.text(max_size=3), row, max_size=3),  # PHP's keyed array
    )


def data_for(expect: Expect) -> st.SearchStrategy[Any]:
    errors = st.one_of(JSON, st.fixed_dictionaries({}, optional={"code": CODE, "codemsg": JSON}))
    shaped = st.fixed_dictionaries(
        {"status": STATUS},
        optional={"desc": JSON, "result": result_for(expect), "errors": errors, "reqtime": JSON},
    )
    return st.one_of(JSON, shaped, st.lists(row_of(expect.model), max_size=3))


def envelope_for(expect: Expect) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({}, optional={"ret": RET, "data": data_for(expect), "msg": JSON})


@st.composite
def mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """The value with parts replaced by junk, dropped, or (for text) cut short."""
    move = draw(st.integers(0, 9))
    if move == 0:
        return draw(JSON)
    if isinstance(value, dict):
        keys = [k for k in value if move != 1 or draw(st.booleans())]  # move 1: drop some keys
        return {k: draw(mutated(value[k], depth + 1)) for k in keys}
    if isinstance(value, list):
        items = [draw(mutated(item, depth + 1)) for item in value]
        return items * draw(st.integers(0, 2)) if move == 1 else items
    if isinstance(value, str) and move == 1:
        return value[: draw(st.integers(0, len(value)))]
    if move == 2:
        return str(value) if not isinstance(value, str) else value  # numbers as text
    return value


def example_of(wire: str) -> Any:
    found = services.find(wire)
    assert found is not None
    return example(found.short)


def answer_for(wire: str) -> st.SearchStrategy[tuple[int, bytes]]:
    """(HTTP status, body): mostly 200 with JSON, sometimes a proxy's page or a cut body."""
    expect = EXPECT[wire]
    documented = example_of(wire)
    text = json.dumps(documented)
    as_json = st.one_of(JSON, envelope_for(expect), mutated(documented)).map(
        lambda value: json.dumps(value).encode()
    )
    body = st.one_of(
        as_json,
        as_json,
        as_json,
        st.binary(max_size=40),
        st.integers(0, len(text)).map(lambda cut: text[:cut].encode()),
    )
    status = st.one_of(st.just(200), st.sampled_from([200, 204, 404, 500, 502, 503, 504]))
    return st.tuples(status, body)


# ---------------------------------------------------------------------- one fuzzed call


def _service_of(request: httpx.Request) -> str:
    marker = b'name="service"\r\n\r\n'
    body = request.content
    start = body.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return body[start : body.find(b"\r\n", start)].decode()


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None
    sent: int = 0  # requests of the service under test


async def _no_sleep(_: float) -> None:
    return None


async def _run(wire: str, status: int, body: bytes) -> Outcome:
    outcome = Outcome()

    def answer(request: httpx.Request) -> httpx.Response:
        service = _service_of(request)
        if service == "App.Sip_Auth.Login" and wire != service:
            return httpx.Response(200, json=LOGIN_OK)
        if service == wire:
            outcome.sent += 1
        return httpx.Response(status, content=body)

    client = WallboardClient(
        "http://fuzz.test",
        APPID,
        ACCESSKEY,
        transport=httpx.MockTransport(answer),
        batch_size=1,
        sleep=_no_sleep,
    )
    async with client:
        try:
            outcome.result = await EXPECT[wire].call(client)
        except Exception as exc:  # judged by the caller: only ApiError may come out
            outcome.error = exc
    return outcome


def check(wire: str, status: int, body: bytes) -> None:
    expect = EXPECT[wire]
    outcome = asyncio.run(_run(wire, status, body))
    error = outcome.error
    if error is not None:
        assert isinstance(error, ApiError), f"{wire} raised {type(error).__name__}: {error}"
        assert error.service == wire
        shown = f"{error} {error!r} {error.meaning}"
        assert ACCESSKEY not in shown and TOKEN not in shown
    elif expect.many:
        assert isinstance(outcome.result, list)
        assert all(isinstance(item, expect.model) for item in outcome.result)
    else:
        assert isinstance(outcome.result, expect.model)
        assert TOKEN not in repr(outcome.result)
    if services.find(wire).mutation:  # type: ignore[union-attr]
        # Sent once; a second time only after the server refused the token (ret 600).
        assert outcome.sent == (2 if isinstance(error, TokenInvalid) else 1)
    else:
        assert outcome.sent >= 1


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("wire", WIRES)
@FUZZ
@given(data=st.data())
def test_any_answer_ends_in_the_model_or_an_api_error(wire: str, data: st.DataObject) -> None:
    status, body = data.draw(answer_for(wire), label="answer")
    check(wire, status, body)


@pytest.mark.parametrize("wire", WIRES)
def test_the_documented_example_parses(wire: str) -> None:
    """The fuzzing starts from the documents' examples: they must parse cleanly."""
    if wire == "App.Sip_Auth.Login":
        check(wire, 200, json.dumps(example_of(wire)).encode())
        return
    outcome = asyncio.run(_run(wire, 200, json.dumps(example_of(wire)).encode()))
    assert outcome.error is None, outcome.error


DEEP = {
    "a list nested beyond the parser's stack": b"[" * 100_000,
    "an object nested beyond the parser's stack": b'{"a":' * 50_000,
    "a result nested deep inside a valid envelope": (
        b'{"ret":200,"data":{"status":0,"result":' + b"[" * 50_000 + b"]" * 50_000 + b'},"msg":""}'
    ),
}


@pytest.mark.parametrize("body", DEEP.values(), ids=list(DEEP))
@pytest.mark.parametrize(
    "wire", ["App.Sip_Queue.GetQueueSipStatus", "App.Sip_Queue.SipSignIn", "App.Sip_Auth.Login"]
)
def test_answers_nested_too_deep_are_a_protocol_error(wire: str, body: bytes) -> None:
    check(wire, 200, body)
