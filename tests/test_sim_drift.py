"""Drift mode: the payload's fields arrive as a sloppy real server sends them, seeded, and
the envelope that says success or failure stays exact."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallboard.sim.callbacks import CallbackDispatcher, CallbackTargets
from wallboard.sim.drift import Drift
from wallboard.sim.scenario import DEFAULT_START
from wallboard.sim.server import Simulator, create_app

ROWS = {
    "ret": 200,
    "data": {
        "status": 0,
        "desc": "get success",
        "result": [
            {"extnumber": "8001", "status": 1213, "noanswercount": 0, "remark": "", "x": None},
            {"extnumber": "0123", "status": 1217, "noanswercount": 2, "remark": "Sales", "y": 1.5},
        ],
        "reqtime": 1767603600,
        "rsptime": 1767603600,
    },
    "msg": "",
}


def test_at_rate_one_every_field_drifts_the_documented_ways() -> None:
    given = copy.deepcopy(ROWS)
    drifted = Drift(1.0, seed=3).envelope(given)
    assert given == ROWS  # never mutated: the floor caches its rows
    data = drifted["data"]
    assert {k: data[k] for k in ("status", "desc", "reqtime", "rsptime")} == {
        "status": 0,
        "desc": "get success",
        "reqtime": 1767603600,
        "rsptime": 1767603600,
    }
    assert drifted["ret"] == 200 and drifted["msg"] == ""
    result = data["result"]
    assert isinstance(result, dict) and list(result) == ["0", "1"]  # a keyed object
    first, second = result["0"], result["1"]
    assert first["extnumber"] == 8001  # a string of digits as a number
    assert first["status"] == "1213"  # a number as a string
    assert first["noanswercount"] in ("", "0")  # 0 as "" (or its text)
    assert first["remark"] is None  # "" as null
    assert first["x"] is None
    assert second["extnumber"] == "0123"  # a leading zero is never lost
    assert second["y"] == "1.5" and second["remark"] == "Sales"


def test_at_rate_zero_nothing_drifts_and_refusals_never_do() -> None:
    assert Drift(0.0).envelope(ROWS) is ROWS
    refusal = {"ret": 400, "data": [], "msg": "Illegal request"}
    assert Drift(1.0).envelope(refusal) is refusal
    failure = {"ret": 200, "data": {"status": 1, "desc": "x", "errors": {"code": "1002"}}}
    assert Drift(1.0).envelope(failure) is failure  # no result: nothing to drift


def test_drift_is_seeded_and_about_its_rate() -> None:
    rows = {
        "ret": 200,
        "data": {"status": 0, "result": [{"n": i, "s": str(i + 1)} for i in range(500)]},
    }
    once = Drift(0.2, seed=11).envelope(rows)
    assert once == Drift(0.2, seed=11).envelope(rows)
    assert once != Drift(0.2, seed=12).envelope(rows)
    result = once["data"]["result"]
    items = list(result.values()) if isinstance(result, dict) else result
    changed = sum((row["n"] != i) + (row["s"] != str(i + 1)) for i, row in enumerate(items))
    assert 0.15 * 1000 < changed < 0.25 * 1000


def test_a_bare_list_drifts_too() -> None:
    """GetGroupExt's `data` is the list itself."""
    bare = {"ret": 200, "data": [{"name": "g", "extnumber": "8001"}], "msg": ""}
    drifted = Drift(1.0).envelope(bare)
    assert drifted["data"] == {"0": {"name": "g", "extnumber": 8001}}


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="from 0 to 1"):
        Drift(rate)


async def test_the_served_simulator_drifts_its_answers_but_handle_does_not() -> None:
    sim = Simulator.from_scenario(
        seed=7, agents=8, manual_clock=True, start=DEFAULT_START, drift=1.0
    )
    form = {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}
    exact = sim.handle(form)
    assert exact["data"]["result"]["companycode"] == str(sim.floor.companycode)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        answer = (await http.post("/", data=form)).json()
        assert answer["data"]["result"]["companycode"] == int(sim.floor.companycode)  # "1" vs 1
        token = answer["data"]["result"]["token"]
        rows = (
            await http.post("/", data={"service": "App.Sip_Queue.GetQueueList", "token": token})
        ).json()
    assert rows["data"]["status"] == 0 and isinstance(rows["data"]["result"], dict)


def _callbacks(drift: Drift | None) -> list[dict[str, Any]]:
    """The callbacks of five simulated minutes of the same floor, as the receiver read them."""
    posted: list[dict[str, Any]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        text = request.content.decode()
        detail = text.split("\r\n\r\n", 1)[1].rsplit("\r\n--", 1)[0]
        posted.append(json.loads(detail))
        return httpx.Response(200)

    dispatcher = CallbackDispatcher(
        CallbackTargets(all="http://crm.test/"),
        transport=httpx.MockTransport(receive),
        drift=drift,
    )
    with Simulator.from_scenario(
        seed=7, agents=8, manual_clock=True, start=DEFAULT_START, callbacks=dispatcher
    ) as sim:
        sim.advance(300)
        queued = dispatcher.stats.queued
        assert dispatcher.wait_until(lambda stats: stats.delivered == queued, timeout=10)
    return posted


def test_callbacks_drift_with_the_simulator() -> None:
    exact, drifted = _callbacks(None), _callbacks(Drift(1.0, seed=2))
    assert len(exact) == len(drifted) > 5
    pairs = [
        (body[key], sloppy[key])
        for body, sloppy in zip(exact, drifted, strict=True)
        for key in body
    ]
    for value, sloppy in pairs:
        if isinstance(value, bool) or value is None:
            assert sloppy == value
        elif isinstance(value, int | float):
            assert sloppy == str(value) or (value == 0 and sloppy == "")
        elif value == "":
            assert sloppy is None
        elif re.fullmatch(r"0|[1-9][0-9]{0,14}", value):
            assert sloppy == int(value)
        else:
            assert sloppy == value
    assert any(isinstance(v, str) and v.isdigit() for v, _ in pairs)  # some did drift so


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=12)
    | st.from_regex(r"[0-9]{1,18}", fullmatch=True)
)
_JSON = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(result=_JSON, rate=st.floats(0, 1), seed=st.integers(0, 2**32))
def test_drift_never_fails_and_always_encodes(result: Any, rate: float, seed: int) -> None:
    envelope = {"ret": 200, "data": {"status": 0, "desc": "ok", "result": result}, "msg": ""}
    before = json.dumps(envelope)
    drifted = Drift(rate, seed=seed).envelope(envelope)
    assert json.dumps(envelope) == before  # untouched
    json.dumps(drifted, allow_nan=False)
    assert drifted["data"]["status"] == 0 and drifted["ret"] == 200
