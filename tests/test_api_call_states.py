"""`call_states`: GetSipCallStatus with the durations apart, so that a state that did not
change but for its durations is the same object as in the last reading, while the figures
are those `call_status` reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, ok

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ProtocolError
from wallboard.api.models import ExtensionCallState
from wallboard.sim.server import Simulator, create_app

CALLS = "App.Sip_Status.GetSipCallStatus"


def call(ext: str, status: Any = 1201, idle: Any = 5, talk: Any = 0, **more: Any) -> dict[str, Any]:
    return {
        "extnumber": ext,
        "status": status,
        "caller": "",
        "callee": "",
        "disnumber": "",
        "direction": "",
        "channel": "",
        "idleduration": idle,
        "callduration": talk,
    } | more


async def readings(*answers: Any, **options: Any) -> list[Any]:
    fake = FakeApi()
    fake.queue(CALLS, *answers)
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), **options
    ) as client:
        return [await client.call_states(["1001", "1002", "1003"]) for _ in answers]


async def test_the_same_figures_as_call_status_against_the_simulator(
    make_simulator: Callable[..., Any],
) -> None:
    # Two reads of one moment compared field by field: no drift, whose dice differ per answer
    # (a 0 may come as "", read as None); loose rows are `test_loose_rows_...`'s.
    sim: Simulator = make_simulator(agents=30, queues=2, campaigns=2, drift=0.0)
    sim.advance(120)  # calls under way
    transport = httpx.ASGITransport(app=create_app(sim))
    async with WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport
    ) as client:
        extensions = sorted({agent.extnumber for agent in await client.queue_agents()})
        rows = await client.call_status(extensions)
        first = await client.call_states(extensions)
        assert len(first) == len(rows) == len(extensions)
        for row, (state, idle, talk) in zip(rows, first, strict=True):
            assert state.model_dump() == row.model_dump(exclude={"idleduration", "callduration"})
            assert (idle, talk) == (row.idleduration, row.callduration)
        assert {row.status for row in rows} != {1201}  # some talk or ring: a real floor

        sim.advance(1)
        second = await client.call_states(extensions)
        again = await client.call_status(extensions)
    kept = [
        index
        for index, (before, after) in enumerate(zip(first.states, second.states, strict=True))
        if after is before
    ]
    assert len(kept) >= len(extensions) // 2  # most states go on from one second to the next
    ticking = [i for i in kept if first.idleduration[i] != second.idleduration[i]]
    ticking += [i for i in kept if first.callduration[i] != second.callduration[i]]
    assert ticking  # kept the same object while its durations counted on
    for row, (state, idle, talk) in zip(again, second, strict=True):
        assert state.model_dump() == row.model_dump(exclude={"idleduration", "callduration"})
        assert (idle, talk) == (row.idleduration, row.callduration)


async def test_a_changed_state_is_a_new_object_and_an_unchanged_one_is_kept() -> None:
    first, second = await readings(
        ok([call("1001"), call("1002"), call("1003")]),
        ok([call("1001", idle=6), call("1002", status=1204, idle=0, talk=1), call("1003")]),
    )
    assert second.states[0] is first.states[0]
    assert second.idleduration[0] == 6
    assert second.states[1] is not first.states[1] and second.states[1].status == 1204
    assert (second.idleduration[1], second.callduration[1]) == (0, 1)
    assert second.states[2] is first.states[2]


async def test_batches_give_one_reading_in_order() -> None:
    fake = FakeApi()
    fake.handlers[CALLS] = lambda fields: ok(
        [call(ext, idle=int(ext) - 1000) for ext in fields["extnumber"].split(",")]
    )
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), batch_size=2
    ) as client:
        asked = [str(1001 + n) for n in range(5)]
        first = await client.call_states(asked)
        second = await client.call_states(asked)
    assert [state.extnumber for state in first.states] == asked
    assert first.idleduration == [1, 2, 3, 4, 5]
    assert fake.hits[CALLS] == 6
    assert all(a is b for a, b in zip(first.states, second.states, strict=True))


async def test_json_true_is_not_taken_for_the_1_it_equals_in_python() -> None:
    first, second = await readings(ok([call("1001", status=1)]), ok([call("1001", status=True)]))
    assert first.states[0].status == 1
    assert second.states[0] is not first.states[0]
    assert second.states[0].status is None


async def test_loose_rows_are_read_as_call_status_reads_them() -> None:
    first, second = await readings(
        ok({"0": call(1001, status="1204", idle=None, talk="12", caller=None)}),
        ok([{"extnumber": "1001", "status": 1204}]),  # no durations at all
    )
    state = first.states[0]
    assert (state.extnumber, state.status, state.caller) == ("1001", 1204, "")
    assert (first.idleduration, first.callduration) == ([None], [12])
    assert second.states[0] == state
    assert (second.idleduration, second.callduration) == ([None], [None])


async def test_a_row_that_is_not_an_object_is_a_protocol_error_naming_its_place() -> None:
    with pytest.raises(ProtocolError, match=r"GetSipCallStatus: the result .*\(1: "):
        await readings(ok([call("1001"), ["not", "a", "row"]]))


async def test_nothing_asked_nothing_sent() -> None:
    fake = FakeApi()
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        states = await client.call_states([])
    assert len(states) == 0 and list(states) == []
    assert fake.requests == []


def test_a_state_has_every_field_of_a_call_status_row_but_the_durations() -> None:
    from wallboard.api.models import ExtensionCallStatus

    durations = {"idleduration", "callduration"}
    assert set(ExtensionCallState.model_fields) == set(ExtensionCallStatus.model_fields) - durations
