"""Fuzzing the simulator's front door: any form fields, for any service, get an envelope.

Integrators point their own clients at `wallboard sim`, so it must answer whatever it is
sent the way the vendor's server would: a `ret 400` naming the field, a business failure,
or the documented result; never a `ret 500` from a crash, and never a floor changed by a
request that was refused. "Changed" is judged on everything the floor holds (agents,
queues, tasks, calls, bills, pending events, the random generator), not only on what the
Get* services show.

Each example builds a fresh small floor, runs a short sequence of requests on it, and
checks every answer. The fields are drawn from each service's documented names (plus
strays), with values that are sometimes right (a real queue, extension, task, date,
number list) and sometimes anything at all. `WALLBOARD_FUZZ_EXAMPLES` raises the count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
from array import array
from collections import deque
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wallboard.api import services
from wallboard.api.call_command import DOCUMENTED_FIELDS
from wallboard.sim.floor import Floor
from wallboard.sim.server import Simulator, create_app

#: Examples per service; the mixed and HTTP tests run four times as many.
EXAMPLES = int(os.environ.get("WALLBOARD_FUZZ_EXAMPLES", "12"))
SEED = 3
LOGIN = "App.Sip_Auth.Login"

#: Each service's documented fields: the same table `wallboard call` checks fields against.
FIELDS: dict[str, tuple[str, ...]] = {
    wire: fields.required + fields.optional for wire, fields in DOCUMENTED_FIELDS.items()
}
WIRES = [service.wire for service in services.SERVICES]


def new_sim() -> Simulator:
    return Simulator.from_scenario(
        seed=SEED, agents=8, queues=2, campaigns=1, manual_clock=True, accesskey="fuzz-key"
    )


def _names() -> dict[str, list[str]]:
    floor = new_sim().floor
    return {
        "queue": list(floor.queues),
        "ext": list(floor.extensions),
        "group": list(floor.groups),
        "task": list(floor.tasks),
        "caller": list(floor.disnumbers),
    }


NAMES = _names()


def test_every_service_is_fuzzed() -> None:
    assert set(FIELDS) == set(WIRES)


# ---------------------------------------------------------------------- the floor's state


def floor_state(floor: Floor) -> Any:
    """Everything the floor holds, as nested tuples: equal before and after means unchanged.

    Objects that appear twice (an agent in its queue and on its extension) are written the
    second time as a reference to the first, so cycles end and sharing is compared too.
    """
    seen: dict[int, int] = {}

    def walk(value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str | bytes):
            return value
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, bytearray | array):
            return ("bytes", bytes(value))
        if isinstance(value, random.Random):
            return ("rng", value.getstate())
        if isinstance(value, dict):
            return ("dict", tuple((walk(k), walk(v)) for k, v in value.items()))
        if isinstance(value, list | tuple | deque):
            return (type(value).__name__, tuple(walk(item) for item in value))
        if isinstance(value, set | frozenset):
            return ("set", tuple(sorted(repr(walk(item)) for item in value)))
        if callable(value) and not dataclasses.is_dataclass(value):
            bound = getattr(value, "__self__", None)
            name = getattr(value, "__qualname__", type(value).__name__)
            return ("call", name, walk(bound) if bound is not None else None)
        key = id(value)
        if key in seen:
            return ("ref", seen[key])
        seen[key] = len(seen)
        return (type(value).__name__, tuple((name, walk(v)) for name, v in _attributes(value)))

    return walk(floor)


def _attributes(value: Any) -> Iterator[tuple[str, Any]]:
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield field.name, getattr(value, field.name)
        return
    for name, item in sorted(vars(value).items()):
        if name != "_listeners":  # who listens is not the floor's state
            yield name, item


_LEAVES = frozenset({"bytes", "rng", "set", "ref", "call"})


def changes(before: Any, after: Any, path: str = "floor", limit: int = 6) -> list[str]:
    """Where two `floor_state`s differ, as readable paths (for the failure message)."""
    found: list[str] = []

    def short(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."

    def compare(a: Any, b: Any, where: str) -> None:
        if a == b or len(found) >= limit:
            return
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or a[:1] != b[:1] or a[:1] == ():
            found.append(f"{where}: {short(a)} -> {short(b)}")
            return
        kind = a[0]
        if kind in _LEAVES or len(a) != 2:
            found.append(f"{where}: {kind} changed")
        elif kind == "dict":
            left, right = dict(a[1]), dict(b[1])
            for key in [*left, *(k for k in right if k not in left)]:
                compare(left.get(key, "(absent)"), right.get(key, "(absent)"), f"{where}[{key!r}]")
        elif kind in ("list", "tuple", "deque"):
            if len(a[1]) != len(b[1]):
                found.append(f"{where}: {len(a[1])} items -> {len(b[1])}")
            for index, (x, y) in enumerate(zip(a[1], b[1], strict=False)):
                compare(x, y, f"{where}[{index}]")
        else:  # an object: (type name, ((attribute, value), ...))
            for (name, x), (_, y) in zip(a[1], b[1], strict=False):
                compare(x, y, f"{where}.{name}")

    compare(before, after, path)
    return found


def assert_unchanged(before: Any, sim: Simulator, answer: Any) -> None:
    diff = changes(before, floor_state(sim.floor))
    assert not diff, f"refused, yet the floor changed: {answer}\n" + "\n".join(diff)


# ---------------------------------------------------------------------- requests


def _digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(str)


DATE = st.builds(
    lambda day, hour, minute: f"2026-01-{day:02d} {hour:02d}:{minute:02d}:00",
    st.integers(1, 31),
    st.integers(0, 23),
    st.integers(0, 59),
)
#: Values that trip up parsers: blanks, other notations of numbers, other digits, nulls.
_ODD_WORDS = (
    "-1 0 1e3 0x10 +5 1.0 99999999999999999999 ١٢ null [] {} a:b 1:0 0:1 , ,,, yes no IDLE %"
)
ODD = st.sampled_from(["", " ", "\x00", *_ODD_WORDS.split()])
#: Just outside the documented ranges, and past the limits of the simulator's checks.
EDGE = st.sampled_from(["-1", "0", "4", "7", "9", "101", "1001", "86401", "2147483648", "0:5"])
PHONE = st.one_of(st.from_regex(r"\+?1[0-9]{10}", fullmatch=True), st.text(max_size=8))
ENTRY = st.one_of(
    PHONE.map(lambda phone: {"phone": phone}),
    st.fixed_dictionaries(
        {"phone": PHONE},
        optional={
            "time": st.one_of(st.integers(-(2**40), 2**40), st.text(max_size=5), st.none()),
            "userid": st.text(max_size=4),
            "customuuid": st.one_of(st.integers(), st.text(max_size=4)),
        },
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=6), st.lists(st.integers(), max_size=2)),
)
NUMBERS = st.lists(ENTRY, min_size=1, max_size=6).map(json.dumps)  # TaskCreat and TaskAdd
PHONE_CSV = st.lists(PHONE, min_size=1, max_size=6).map(",".join)  # taskDelPhone


def _from(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(NAMES[kind])


def _csv_of(kind: str) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(_from(kind), st.text(max_size=4)), max_size=4).map(",".join)


#: Plausible values by field name; every field also gets odd and arbitrary text.
PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "starttime": DATE,
    "endtime": DATE,
    "syncflag": _digits(1, 3),
    "direction": _digits(1, 3),
    "callmethod": _digits(0, 6),
    "currentpage": _digits(1, 3),
    "itemsperpage": _digits(1, 1000),
    "extnumber": st.one_of(_from("ext"), _csv_of("ext")),
    "assignagent": st.one_of(_from("queue"), _from("ext"), _from("group")),
    "assigntype": _digits(1, 3),
    "telphone": NUMBERS,
    "taskscale": st.builds(lambda a, b: f"{a}:{b}", st.integers(1, 100), st.integers(1, 100)),
    "disnumber": st.one_of(_from("caller"), _csv_of("caller")),
    "taskid": _from("task"),
    "taskstatus": _digits(1, 3),
    "queuename": _from("queue"),
    "autocall": st.sampled_from(["yes", "no", "YES"]),
    "strategy": _digits(1, 8),
    "settype": _digits(1, 2),
    "crmid": _digits(0, 99999),
    "name": _from("group"),
    "status": _digits(0, 3),
    "state": st.one_of(_digits(0, 4), st.sampled_from(["idle", "busy"])),
    "filename": st.text(max_size=12),
}
for _setting in (
    "announcefreq",
    "ringdelay",
    "maxwaittime",
    "withnoagenttime",
    "noagentrejoiningtime",
    "discardtime",
):
    PLAUSIBLE[_setting] = _digits(0, 86_400)


def value_for(wire: str, name: str, *, sane: bool) -> st.SearchStrategy[str]:
    """A sane request has plausible values (to reach the floor's own rules); the others
    mix in odd and arbitrary text (to test the checks in front of them)."""
    if wire == "App.Sip_Yccall.taskDelPhone" and name == "telphone":
        plausible = PHONE_CSV
    else:
        plausible = PLAUSIBLE.get(name, st.text(max_size=10))
    if sane:
        return plausible
    return st.one_of(plausible, EDGE, ODD, st.text(max_size=30))


@st.composite
def service_name(draw: st.DrawFn) -> str:
    wire = draw(st.sampled_from(WIRES))
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return draw(st.text(max_size=30))
    if roll == 1:  # the method part in another case: the same call
        klass, _, method = wire.rpartition(".")
        return f"{klass}.{draw(st.sampled_from([method.lower(), method.upper()]))}"
    return wire


@st.composite
def request(draw: st.DrawFn, token: str, accesskey: str) -> dict[str, str]:
    service = draw(service_name())
    found = services.find(service.rpartition(".")[2]) if "." in service else None
    names = FIELDS.get(found.wire, ()) if found else ()
    sane = draw(st.booleans())
    fields = {
        name: draw(value_for(found.wire, name, sane=sane))  # type: ignore[union-attr]
        for name in names
        if sane or draw(st.integers(0, 5)) > 0  # a documented field is left out now and then
    }
    for _ in range(draw(st.integers(0, 2))):  # and a stray one sent
        fields[draw(st.text(min_size=1, max_size=8))] = draw(st.text(max_size=8))
    if found is not None and found.wire == LOGIN and draw(st.booleans()):
        fields.update(appid="wallboard-demo", accesskey=accesskey)
    fields["service"] = service
    roll = draw(st.integers(0, 9))
    if roll > 1:
        fields["token"] = token
    elif roll == 1:
        fields["token"] = draw(st.text(max_size=40))
    return fields


# ---------------------------------------------------------------------- the checks


def check_envelope(answer: Any, service: str) -> None:
    """The envelope the documents print, for every answer; a crash would be ret 500."""
    json.dumps(answer, ensure_ascii=False).encode("utf-8")  # it can be sent
    assert isinstance(answer, dict) and set(answer) == {"ret", "data", "msg"}, answer
    assert answer["ret"] != 500, f"the simulator crashed on {service!r}: {answer['msg']}"
    assert isinstance(answer["msg"], str)
    if answer["ret"] != 200:
        assert answer["ret"] in (400, 600, 601, 602, 603, 604), answer
        assert answer["data"] == [] and answer["msg"]
        return
    data = answer["data"]
    if isinstance(data, list):  # GetGroupExt
        assert services.find(service.rpartition(".")[2]).short == "GetGroupExt"  # type: ignore[union-attr]
        return
    assert data["status"] in (0, 1), answer
    if data["status"] == 1:
        code = data["errors"]["code"]
        assert isinstance(code, str) and code.isdigit(), answer
        assert isinstance(data["errors"]["codemsg"], str)


def failed(answer: dict[str, Any]) -> bool:
    data = answer["data"]
    return answer["ret"] != 200 or (isinstance(data, dict) and data.get("status") != 0)


def outcome(answer: dict[str, Any]) -> str:
    """How an answer ended, for `--hypothesis-show-statistics` (is the fuzz reaching deep?)."""
    data = answer["data"]
    if answer["ret"] != 200:
        return f"ret {answer['ret']}"
    if isinstance(data, dict) and data.get("status") == 1:
        return f"business {data['errors']['code']}"
    return "success"


def token_of(sim: Simulator) -> str:
    answer = sim.handle({"service": LOGIN, "appid": sim.appid, "accesskey": sim.accesskey})
    return str(answer["data"]["result"]["token"])


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(FUZZ, max_examples=4 * EXAMPLES)
@given(data=st.data(), warmup=st.sampled_from([0, 0, 120, 900]))
def test_any_fields_get_an_envelope_and_a_refusal_changes_nothing(
    data: st.DataObject, warmup: int
) -> None:
    sim = new_sim()
    if warmup:
        sim.advance(warmup)  # calls in progress, bills to query
    token = token_of(sim)
    for _ in range(data.draw(st.integers(1, 4), label="requests")):
        fields = data.draw(request(token, sim.accesskey), label="fields")
        before = floor_state(sim.floor)
        answer = sim.handle(fields)
        check_envelope(answer, fields["service"])
        event(outcome(answer))
        if failed(answer):
            assert_unchanged(before, sim, answer)


#: TaskCreat's assignagent by assigntype (1 extension, 2 queue, 3 group).
AGENT_KIND = {"1": "ext", "2": "queue", "3": "group"}


@st.composite
def one_bad_field(draw: st.DrawFn, wire: str) -> dict[str, str]:
    """Plausible fields with one of them wrong or missing: the classic way to catch a
    service that changes the floor before it has checked everything."""
    fields = {name: draw(value_for(wire, name, sane=True)) for name in FIELDS[wire]}
    if "assignagent" in fields and fields.get("assigntype") in AGENT_KIND:
        fields["assignagent"] = draw(_from(AGENT_KIND[fields["assigntype"]]))
    if fields:
        bad = draw(st.sampled_from(sorted(fields)))
        if draw(st.integers(0, 4)) == 4:
            del fields[bad]
        else:
            fields[bad] = draw(st.one_of(EDGE, ODD, st.text(max_size=12)))
    return fields


@pytest.mark.parametrize("wire", WIRES)
@FUZZ
@given(data=st.data())
def test_each_service_with_one_field_wrong(wire: str, data: st.DataObject) -> None:
    """Every service gets its share (the mixed test above picks services at random)."""
    sim = new_sim()
    fields = data.draw(one_bad_field(wire), label="fields")
    fields.update(service=wire, token=token_of(sim))
    before = floor_state(sim.floor)
    answer = sim.handle(fields)
    check_envelope(answer, wire)
    if failed(answer):
        assert_unchanged(before, sim, answer)


def test_a_refused_task_for_an_extension_leaves_the_floor_alone() -> None:
    """Found by the fuzzing above: TaskCreat for an extension made the extension's dialling
    pool before it checked the caller ids."""
    sim = new_sim()
    before = floor_state(sim.floor)
    fields = {
        "service": "App.Sip_Yccall.TaskCreat",
        "token": token_of(sim),
        "assigntype": "1",
        "assignagent": NAMES["ext"][0],
        "telphone": json.dumps([{"phone": "13800000000"}]),
        "taskscale": "1:1",
        "disnumber": "999",  # not one of the company's caller ids: 1021
    }
    answer = sim.handle(fields)
    assert answer["data"]["errors"]["code"] == "1021"
    assert_unchanged(before, sim, answer)


def test_the_floor_state_sees_a_change() -> None:
    """The unchanged-floor check must be able to fail: a real change shows in it."""
    sim = new_sim()
    before = floor_state(sim.floor)
    assert floor_state(sim.floor) == before
    queue, ext = NAMES["queue"][0], NAMES["ext"][0]
    answer = sim.handle(
        {
            "service": "App.Sip_Queue.SetSeatsStatus",
            "token": token_of(sim),
            "settype": "1",
            "extnumber": ext,
            "crmid": "1",
            "queuename": queue,
        }
    )
    assert not failed(answer), answer
    assert floor_state(sim.floor) != before


# ---------------------------------------------------------------------- over HTTP

PRINTABLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
CONTENT_TYPES = st.sampled_from(
    [
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "",
    ]
)


@st.composite
def raw_body(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:  # a multipart body with broken or missing parts
        parts = draw(st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=30)), max_size=3))
        chunks = [
            b'--xyz\r\nContent-Disposition: form-data; name="'
            + name.encode()
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
            for name, value in parts
        ]
        return b"".join(chunks) + draw(st.sampled_from([b"--xyz--\r\n", b"--xyz", b""]))
    if kind == 2:
        service = draw(service_name())
        extra = draw(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3))
        return httpx.QueryParams({"service": service, **extra}).__str__().encode()
    return json.dumps({"service": draw(st.sampled_from(WIRES))}).encode()


async def _post(sim: Simulator, content_type: str, body: bytes, query: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        headers = {"content-type": content_type} if content_type else {}
        return await http.post("/" + query, content=body, headers=headers)


@settings(FUZZ, max_examples=4 * EXAMPLES)
@given(
    content_type=CONTENT_TYPES,
    body=raw_body(),
    query=st.one_of(st.just(""), st.text(PRINTABLE, max_size=30).map(lambda q: "?" + q)),
)
def test_any_body_over_http_gets_an_envelope(content_type: str, body: bytes, query: str) -> None:
    sim = new_sim()
    before = floor_state(sim.floor)
    response = asyncio.run(_post(sim, content_type, body, query))
    assert response.status_code == 200
    answer = response.json()
    check_envelope(answer, "")  # without a token nothing but Login can succeed
    if failed(answer):
        assert_unchanged(before, sim, answer)
