"""The server's clock and the real start of each state, against the simulator: "today" is
the server's day in its zone however far its clock is from this machine's; the snapshot's
times are the server's; a paused agent's time in state survives a restart of the dashboard;
names come from the agents file."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.live.bills import day_start
from wallboard.live.model import LiveFloor
from wallboard.live.names import AgentName, AgentNames
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot
from wallboard.sim.server import Simulator, create_app

#: A zone 5:45 from UTC: no whole-hour mistake can pass for it.
FAR_ZONE = zoneinfo.ZoneInfo("Asia/Kathmandu")


async def _no_sleep(_: float) -> None:
    return None


def far_start() -> float:
    """10:00 in FAR_ZONE on the day 2 days and 7 hours before this machine's now: a server
    clock days and hours away from this machine's (and in another zone)."""
    day = dt.datetime.fromtimestamp(time.time() - 2 * 86400 - 7 * 3600, FAR_ZONE).date()
    return dt.datetime.combine(day, dt.time(10), FAR_ZONE).timestamp()


def client_of(sim: Simulator) -> WallboardClient:
    return WallboardClient(
        "http://sim.test",
        sim.appid,
        sim.accesskey,
        transport=httpx.ASGITransport(app=create_app(sim)),
        sleep=_no_sleep,
    )


@pytest.fixture
async def far(make_simulator: Callable[..., Simulator]) -> AsyncIterator[tuple[Simulator, Any]]:
    """A floor that has worked for an hour of its own day, far from this machine's clock."""
    sim = make_simulator(start=far_start(), tz=FAR_ZONE, agents=60)
    sim.advance(3600)
    async with client_of(sim) as client:
        yield sim, client


async def read_all(floor: LiveFloor, rounds: int = 20) -> FloorSnapshot:
    """Refresh until the day's bills are all counted (a few pages a cycle)."""
    snap = await floor.refresh()
    for _ in range(rounds):
        if floor.bills_read:
            break
        snap = await floor.refresh()
    assert floor.bills_read
    return snap


def every_agent(snap: FloorSnapshot) -> list[AgentView]:
    return [agent for queue in snap.queues for agent in queue.agents]


async def test_today_is_the_servers_day_in_its_zone(far: tuple[Simulator, Any]) -> None:
    sim, client = far
    assert abs(sim.now() - time.time()) > 86400  # the point of the test
    floor = LiveFloor(client, tz=FAR_ZONE)  # this machine's clock: no simulator clock given
    snap = await read_all(floor)

    assert snap.server_time is not None
    assert snap.taken_at == pytest.approx(sim.now(), abs=2)
    assert snap.clock_offset == pytest.approx(sim.now() - time.time(), abs=2)
    assert snap.age(time.time()) < 2  # the age is this machine's now on the server's clock

    midnight = day_start(sim.now(), FAR_ZONE)
    today = [b for b in sim.floor.bills if b.start >= midnight and b.callmethod == 5]
    assert sum(b.answer_after is not None for b in today) > 0
    assert snap.totals.answered_today == sum(b.answer_after is not None for b in today)
    assert snap.totals.dropped_today == sum(b.abandoned for b in today)


async def test_states_start_on_the_servers_clock(far: tuple[Simulator, Any]) -> None:
    sim, client = far
    snap = await LiveFloor(client, tz=FAR_ZONE).refresh()
    talking = 0
    for agent in every_agent(snap):
        row = sim.floor.call_state(agent.extnumber)
        assert agent.since <= snap.taken_at
        if agent.state is AgentState.TALKING and row["status"] == 1204:
            talking += 1
            assert agent.since == pytest.approx(sim.now() - row["callduration"], abs=2)
            assert not agent.at_least
        if agent.state in (AgentState.OFFLINE, AgentState.DISABLED):
            assert agent.at_least  # nothing gives their start
    assert talking > 0


def _free_agents(sim: Simulator, most: int) -> list[tuple[str, str, str]]:
    """Agents in a queue, registered, enabled, not paused, not in a call."""
    found = []
    for name, queue in sim.floor.queues.items():
        for ext, member in queue.members.items():
            ok = member.ext.enabled and member.ext.registered and member.ext.call is None
            if ok and not member.paused:
                found.append((ext, name, member.crmid))
    assert found, "no free agent on the floor"
    return found[:most]


def _agent(snap: FloorSnapshot, queue: str, ext: str) -> AgentView:
    (view,) = [a for q in snap.queues if q.name == queue for a in q.agents if a.extnumber == ext]
    return view


async def test_a_paused_agents_time_survives_a_restart(
    make_simulator: Callable[..., Simulator],
) -> None:
    sim = make_simulator(start=far_start(), tz=FAR_ZONE)
    sim.advance(600)
    async with client_of(sim) as client:
        before = LiveFloor(client, tz=FAR_ZONE)
        await before.refresh()
        chosen = _free_agents(sim, 5)
        for ext, queue, crmid in chosen:  # SetSeatsStatus: busy
            assert (await client.set_agent_status(1, ext, crmid, queue)).status == 0
        sim.advance(60)
        old = await before.refresh()
        restarted = LiveFloor(client, tz=FAR_ZONE)  # the dashboard started again
        snap = await restarted.refresh()
    shown = 0
    for ext, queue, _ in chosen:
        paused = _agent(snap, queue, ext)
        if paused.state is not AgentState.PAUSED:
            continue  # a call already on its line when the pause came shows first
        shown += 1
        assert not paused.at_least
        assert snap.taken_at - paused.since >= 60  # seatschangetime: the pause's real start
        # The same start as the dashboard that saw it all: nothing moved on a restart.
        assert paused.since == pytest.approx(_agent(old, queue, ext).since, abs=1.5)
    assert shown


async def test_a_restart_changes_no_time_by_more_than_a_refresh(
    make_simulator: Callable[..., Simulator],
) -> None:
    """Every agent whose start the server gives shows the same start after a restart;
    those it does not are marked "at least" (and only those)."""
    sim = make_simulator(start=far_start(), tz=FAR_ZONE, agents=60)
    sim.advance(900)
    async with client_of(sim) as client:
        running = LiveFloor(client, tz=FAR_ZONE)
        await running.refresh()
        sim.advance(120)
        kept = {(a.queue, a.extnumber): a for a in every_agent(await running.refresh())}
        fresh = every_agent(await LiveFloor(client, tz=FAR_ZONE).refresh())
    compared = 0
    for agent in fresh:
        old = kept[(agent.queue, agent.extnumber)]
        if agent.state is old.state and not agent.at_least:
            compared += 1
            assert agent.since == pytest.approx(old.since, abs=1.5), agent
    assert compared > len(fresh) // 2


async def test_names_come_from_the_agents_file(far: tuple[Simulator, Any]) -> None:
    sim, client = far
    ext = next(iter(sorted(sim.floor.extensions)))
    names = AgentNames.of([AgentName(extnumber=ext, name="Li Wei")])
    floor = LiveFloor(client, tz=FAR_ZONE, names=names)
    snap = await floor.refresh()
    shown = {a.extnumber: a.name for a in every_agent(snap)}
    assert shown[ext] == "Li Wei"
    others = [a for a in every_agent(snap) if a.extnumber != ext]
    assert others and all(a.name for a in others)  # the server's seatsname otherwise
    # The file changes: the builder's cached views follow its version.
    names._agents = {ext: AgentName(extnumber=ext, name="Wei Li")}
    names.version += 1
    sim.advance(1.5)
    again = await floor.refresh()
    assert {a.name for a in every_agent(again) if a.extnumber == ext} == {"Wei Li"}
