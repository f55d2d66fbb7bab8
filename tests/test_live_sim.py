"""The live model and the supervisor's actions against the simulator: the snapshot agrees
with the simulated floor, a fast cycle costs the same at 100, 500 and 2,000 agents, every
action changes the floor, and a simulator that dies and comes back is survived."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.live.actions import Outcome, Supervisor
from wallboard.live.audit import AuditLog
from wallboard.live.bills import day_start
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.live.snapshot import AgentState, CampaignStatus
from wallboard.sim.server import Simulator, create_app, serve_in_thread

UTC = dt.UTC


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests per service on their way to the simulator's app."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.hits: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        marker = b"App.Sip_"
        start = body.find(marker)
        end = body.find(b"\r\n", start)
        self.hits[body[start:end].decode().rsplit(".", 1)[-1] if start >= 0 else "?"] += 1
        return await self.inner.handle_async_request(request)

    def total(self) -> int:
        return sum(self.hits.values())


async def _no_sleep(_: float) -> None:
    return None


class Setup:
    def __init__(self, sim: Simulator, tmp_path: Path, *, read_only: bool = False) -> None:
        self.sim = sim
        self.transport = CountingTransport(create_app(sim))
        self.client = WallboardClient(
            "http://sim.test",
            sim.appid,
            sim.accesskey,
            transport=self.transport,
            sleep=_no_sleep,
        )
        self.registry = CampaignRegistry(tmp_path / "campaigns.json", clock=sim.now)
        self.floor = LiveFloor(self.client, clock=sim.now, registry=self.registry, tz=UTC)
        self.supervisor = Supervisor(
            self.client,
            AuditLog(tmp_path / "audit.jsonl", clock=sim.now),
            read_only=read_only,
            user="sup1",
            registry=self.registry,
        )


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    made = Setup(Simulator.from_scenario(seed=7, manual_clock=True), tmp_path)
    yield made
    await made.client.aclose()


async def test_the_snapshot_agrees_with_the_simulated_floor(setup: Setup) -> None:
    sim = setup.sim
    for taskid, task in sim.floor.tasks.items():
        setup.registry.track(taskid, name=task.name, numbers=list(task.numbers))
    sim.advance(3000)  # long enough for an agent's manual call to be answered
    snap = await setup.floor.refresh()
    # On the server's clock, from its answers' whole-second stamps: within a second.
    assert not snap.stale and snap.taken_at == pytest.approx(sim.now(), abs=1)

    floor = sim.floor
    assert {q.name for q in snap.queues} == set(floor.queues)
    states: Counter[AgentState] = Counter()
    for view in snap.queues:
        members = floor.queues[view.name].members
        assert [a.extnumber for a in view.agents] == sorted(members, key=int)
        for agent in view.agents:
            member = members[agent.extnumber]
            row = floor.call_state(agent.extnumber)
            assert agent.queue_code == member.state and agent.call_code == row["status"]
            assert agent.crmid == member.crmid
            states[agent.state] += 1
            if not member.ext.enabled:
                assert agent.state is AgentState.DISABLED
            elif not member.ext.registered:
                assert agent.state is AgentState.OFFLINE
            elif row["status"] == 1204:
                assert agent.state is AgentState.TALKING
                assert agent.since == snap.taken_at - row["callduration"]
                assert agent.number == row["callee"]
            elif member.state == 1217:
                assert agent.state is AgentState.PAUSED
    assert states[AgentState.TALKING] > 0 and states[AgentState.OFFLINE] > 0  # a busy floor

    midnight = day_start(sim.now(), UTC)
    manual = [b for b in floor.bills if b.callmethod == 2 and b.answer_after is not None]
    assert manual  # answered, by an agent: not the dialer's, so not in the figures
    today = [b for b in floor.bills if b.start >= midnight and b.callmethod == 5]
    assert snap.totals.answered_today == sum(b.answer_after is not None for b in today)
    assert snap.totals.dropped_today == sum(b.abandoned for b in today)
    assert snap.totals.answered_today > 0

    for view in snap.campaigns:
        numbers = set(setup.registry.get(view.taskid).numbers)  # type: ignore[union-attr]
        bills = [b for b in floor.bills if b.taskid == view.taskid and b.destnumber in numbers]
        assert bills
        finished = {b.destnumber for b in bills}
        assert view.finished_dialled == len(finished)
        assert view.finished_answered == sum(b.answer_after is not None for b in bills)
        assert view.dropped == sum(b.abandoned for b in bills)
        assert view.status is CampaignStatus.RUNNING
        # Its calls in progress, as the simulator's extensions show them: customers of its
        # numbers ringing (1202) or talking (1204) to an agent, each once.
        ringing: set[str] = set()
        talking: set[str] = set()
        for ext in {a.extnumber for q in snap.queues for a in q.agents}:
            row = floor.call_state(ext)
            customer = row["callee"] if row["callee"] != ext else row["caller"]
            if customer in numbers and row["status"] in (1202, 1204):
                (talking if row["status"] == 1204 else ringing).add(customer)
        assert (view.live, view.talking) == (len(talking | ringing), len(talking))
        assert view.dialled == len(finished | talking | ringing)
        assert view.answered == view.finished_answered + len(talking)
    assert sum(view.live for view in snap.campaigns) > 0  # the live part means something


@pytest.mark.parametrize("agents", [100, 500, 2000])
async def test_requests_per_fast_cycle_do_not_grow_with_the_floor(
    agents: int, tmp_path: Path
) -> None:
    sim = Simulator.from_scenario(seed=3, agents=agents, queues=5, campaigns=0, manual_clock=True)
    setup = Setup(sim, tmp_path)
    try:
        await setup.floor.refresh()
        per_cycle = []
        for _ in range(3):
            sim.advance(1.5)
            before = setup.transport.total()
            snap = await setup.floor.refresh()
            per_cycle.append(setup.transport.total() - before)
    finally:
        await setup.client.aclose()
    assert per_cycle == [2, 2, 2]
    assert sum(len(q.agents) for q in snap.queues) == sum(
        len(q.members) for q in sim.floor.queues.values()
    )


def _free_agent(sim: Simulator) -> tuple[str, str, str]:
    """An agent in a queue, registered, enabled, not paused, not in a call."""
    for name, queue in sim.floor.queues.items():
        for ext, member in queue.members.items():
            if (
                member.ext.enabled
                and member.ext.registered
                and member.ext.call is None
                and not member.paused
            ):
                return ext, name, member.crmid
    raise AssertionError("no free agent on the floor")


async def test_every_action_changes_the_simulated_floor(setup: Setup) -> None:
    sim, sup, sim_floor = setup.sim, setup.supervisor, setup.sim.floor
    ext, queue, crmid = _free_agent(sim)
    members = sim_floor.queues[queue].members

    assert (await sup.set_busy(ext, queue, crmid)).outcome is Outcome.DONE
    assert members[ext].paused
    snap = await setup.floor.refresh()
    tile = next(a for q in snap.queues if q.name == queue for a in q.agents if a.extnumber == ext)
    assert tile.state is AgentState.PAUSED

    assert (await sup.set_idle(ext, queue, crmid)).outcome is Outcome.DONE
    assert not members[ext].paused

    assert (await sup.check_out(ext, queue, crmid)).outcome is Outcome.DONE
    assert ext not in members
    sim.advance(1.5)
    snap = await setup.floor.refresh()
    assert ext not in {a.extnumber for q in snap.queues if q.name == queue for a in q.agents}

    assert (await sup.check_in(ext, queue, "4242")).outcome is Outcome.DONE
    assert members[ext].crmid == "4242"
    again = await sup.check_in(ext, queue, "4242")
    assert again.outcome is Outcome.DONE and again.code == 1218  # already there

    taskid = next(iter(sim_floor.tasks))
    setup.registry.track(taskid)
    for action, code, status in [
        (sup.pause_campaign, 1027, CampaignStatus.PAUSED),
        (sup.resume_campaign, 1026, CampaignStatus.RUNNING),
        (sup.end_campaign, 1028, CampaignStatus.OVER),
    ]:
        result = await action(taskid)
        assert result.outcome is Outcome.DONE, result.message
        assert sim_floor.tasks[taskid].status == code
        assert setup.registry.get(taskid).status is status  # type: ignore[union-attr]

    missing = await sup.pause_campaign("no-such-task")
    assert missing.outcome is Outcome.FAILED and missing.code == 1024


async def test_read_only_sends_nothing_to_the_simulator(tmp_path: Path) -> None:
    sim = Simulator.from_scenario(seed=7, manual_clock=True)
    setup = Setup(sim, tmp_path, read_only=True)
    try:
        ext, queue, crmid = _free_agent(sim)
        taskid = next(iter(sim.floor.tasks))
        results = [
            await setup.supervisor.check_out(ext, queue, crmid),
            await setup.supervisor.set_busy(ext, queue, crmid),
            await setup.supervisor.end_campaign(taskid),
        ]
    finally:
        await setup.client.aclose()
    assert {r.outcome for r in results} == {Outcome.REFUSED}
    assert setup.transport.total() == 0
    assert ext in sim.floor.queues[queue].members and sim.floor.tasks[taskid].status == 1026


async def test_a_dead_simulator_and_its_return_on_the_same_port() -> None:
    sim = Simulator.from_scenario(seed=7, manual_clock=True)
    with serve_in_thread(sim, port=0) as url:
        port = httpx.URL(url).port
        client = WallboardClient(url, sim.appid, sim.accesskey, sleep=_no_sleep, timeout=2.0)
        floor = LiveFloor(client, clock=sim.now, tz=UTC)
        good = await floor.refresh()
        assert not good.stale and good.queues
    try:
        delays = []
        for _ in range(3):
            sim.advance(floor.next_delay())
            snap = await floor.refresh()
            delays.append(floor.next_delay())
            assert snap.stale and snap.queues == good.queues
            assert snap.error in (
                "server unreachable",
                "no answer from the server (GetQueueSipStatus)",
            )
            # The age is on the model's clock (here the simulator's): since the good poll.
            assert snap.age(sim.now()) == pytest.approx(
                sim.now() - (good.taken_at - good.clock_offset)
            )
            assert snap.age(sim.now()) > 0
        assert delays == sorted(delays) and delays[-1] > delays[0]
        with serve_in_thread(sim, port=port or 0) as again:
            assert again == url
            sim.advance(floor.next_delay())
            back = await floor.refresh()
            assert not back.stale and back.error is None
            assert back.taken_at == pytest.approx(sim.now(), abs=1)
    finally:
        await client.aclose()
