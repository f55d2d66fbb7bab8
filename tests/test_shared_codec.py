"""The shared floor's encoding: a snapshot survives the bytes exactly, a change applied to
the snapshot it was taken from gives the new one exactly, and bytes that are not either are
refused with `WireError`, never another exception. A real floor from the simulator goes
through too, and through Redis's bytes (fakeredis: these are encoding tests only).
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import fields, replace
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api.client import WallboardClient
from wallboard.live.model import LiveFloor
from wallboard.live.shared import codec
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    FloorTotals,
    QueueView,
    Trend,
    TrendBucket,
)
from wallboard.sim.server import Simulator, create_app

words = st.text(alphabet=string.ascii_letters + string.digits + " é…", max_size=12)
small = st.integers(min_value=0, max_value=10_000)
times = st.floats(min_value=1.7e9, max_value=1.8e9, allow_nan=False)
codes = st.none() | st.integers(min_value=1000, max_value=1300)
trends = st.builds(
    Trend,
    st.lists(st.builds(TrendBucket, times, small, small), max_size=4).map(tuple),
)


#: A strategy for each field type the views use: every field, new ones too, is exercised.
BY_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "str": words,
    "int": small,
    "float": st.floats(-1e4, 1.8e9, allow_nan=False),
    "bool": st.booleans(),
    "str | None": st.none() | words,
    "int | None": st.none() | small,
    "float | None": st.none() | st.floats(0, 1.8e9, allow_nan=False),
    "Trend": trends,
    "AgentState": st.sampled_from(AgentState),
    "CampaignStatus": st.sampled_from(CampaignStatus),
    "tuple[str, ...] | None": st.none() | st.lists(words, max_size=2).map(tuple),
}


def every_field(cls: type, **given: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`cls` with every field drawn by its declared type (`given` wins)."""
    drawn = {f.name: BY_TYPE[str(f.type)] for f in fields(cls) if f.name not in given}
    return st.builds(cls, **drawn, **given)


def agents_of(queue: str) -> st.SearchStrategy[tuple[AgentView, ...]]:
    agent = every_field(
        AgentView,
        extnumber=st.text(alphabet=string.digits, min_size=4, max_size=8),
        queue=st.just(queue),
        since=times,
        queue_code=codes,
        call_code=codes,
    )
    return st.lists(agent, max_size=6, unique_by=lambda a: a.extnumber).map(tuple)


@st.composite
def queue_views(draw: st.DrawFn, name: str) -> QueueView:
    return QueueView(
        name=name,
        remark=draw(words),
        strategy=draw(st.none() | st.integers(0, 9)),
        autocall=draw(st.sampled_from(["", "busy", "idle"])),
        wrapuptime=draw(st.integers(0, 60)),
        agents=draw(agents_of(name)),
    )


@st.composite
def snapshots(draw: st.DrawFn) -> FloorSnapshot:
    names = draw(st.lists(st.sampled_from(["sales", "support", "renewals", "x"]), unique=True))
    return draw(
        every_field(
            FloorSnapshot,
            queues=st.just(tuple(draw(queue_views(name)) for name in names)),
            campaigns=st.lists(every_field(CampaignView), max_size=3).map(tuple),
            totals=every_field(FloorTotals),
        )
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_a_snapshot_survives_its_bytes(snapshot: FloorSnapshot) -> None:
    assert codec.decode(codec.encode(snapshot)) == snapshot


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(), snapshots())
def test_a_change_applied_gives_the_new_snapshot(old: FloorSnapshot, new: FloorSnapshot) -> None:
    change = orjson.loads(orjson.dumps(codec.diff(old, new)))
    assert codec.apply(old, change) == new
    assert codec.diff(new, new) == {}


def test_a_change_carries_only_what_moved() -> None:
    agents = tuple(
        AgentView(str(8000 + n), "sales", f"A{n}", AgentState.IDLE, 1.7e9) for n in range(200)
    )
    before = FloorSnapshot(taken_at=1.7e9, queues=(QueueView("sales", agents=agents),))
    moved = replace(agents[7], state=AgentState.TALKING, number="13800000001")
    after = replace(
        before,
        taken_at=1.7e9 + 1.5,
        queues=(QueueView("sales", agents=(*agents[:7], moved, *agents[8:])),),
    )
    change = codec.diff(before, after)
    assert change == {
        "meta": {"taken_at": 1.7e9 + 1.5},
        "queues": {"sales": {"agents": {"8007": codec.agent_wire(moved)}}},
    }
    assert len(orjson.dumps(change)) < len(codec.encode(after)) // 50
    assert codec.apply(before, change) == after


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b'{"meta": {}}',
        b'{"meta": {"taken_at": "soon"}, "queues": [], "campaigns": [], "totals": {}}',
        b'{"meta": {"taken_at": 1.0, "colour": 1}, "queues": [], "campaigns": [], "totals": {}}',
        b'{"meta": {"taken_at": 1.0}, "queues": [{"name": "q", "head": ["", null, "", 0],'
        b' "agents": [["1", "q", "n", "asleep", 1.0, null, 0, 0, "", null, null, false]]}],'
        b' "campaigns": [], "totals": {}}',
    ],
)
def test_bytes_that_are_not_a_snapshot_are_refused(data: bytes) -> None:
    with pytest.raises(codec.WireError):
        codec.decode(data)


def test_a_change_that_does_not_fit_is_refused() -> None:
    floor = FloorSnapshot(taken_at=1.0, queues=(QueueView("sales"),))
    for change in (
        {"order": ["support"]},
        {"queues": {"sales": {"exts": ["8001"]}}},
        {"queues": {"sales": {"agents": {"8001": [1, 2]}}}},
        [],
    ):
        with pytest.raises(codec.WireError):
            codec.apply(floor, change)


async def test_a_real_floor_survives_redis() -> None:
    import fakeredis

    sim = Simulator.from_scenario(agents=60, queues=3, campaigns=2, manual_clock=True)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport
    ) as api:
        floor = LiveFloor(api, clock=sim.now, tz=dt.UTC)
        first = await floor.refresh()
        sim.advance(30)
        second = await floor.refresh()
    assert sum(len(q.agents) for q in second.queues) >= 60
    redis = fakeredis.FakeAsyncRedis()
    await redis.set("floor", codec.encode(first))
    await redis.xadd("changes", {"change": orjson.dumps(codec.diff(first, second))})
    stored = await redis.get("floor")
    ((_, [(_, fields)]),) = await redis.xread({"changes": "0-0"})
    assert codec.apply(codec.decode(stored), codec.loads(fields[b"change"])) == second
    await redis.aclose()
