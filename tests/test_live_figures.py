"""Every figure on the screen agrees with every other, at every poll, on any simulated floor:
a property test over the simulator's seeds, sizes and speeds (bounded examples).

The figures are defined once each (`wallboard.live.snapshot`): the header counts people (an
agent in two queues once, in its most pressing state), a queue panel counts its members, a
campaign's dialled and answered are its finished calls plus those in progress, and its
abandon rate is over finished calls. Whatever the floor does, those definitions must hold
together."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import tempfile
from pathlib import Path

import httpx
import pytest
from conftest import SIM_START
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api.client import WallboardClient
from wallboard.live.bills import day_start
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.live.snapshot import AgentState, FloorSnapshot
from wallboard.live.states import TOTALS_PRIORITY
from wallboard.sim.server import Simulator, create_app

UTC = dt.UTC
POLLS = 6


async def _no_sleep(_: float) -> None:
    return None


def check_agreement(snap: FloorSnapshot, *, campaigns_from_today: bool) -> None:
    """The invariants that tie the header, the queue panels and the campaigns together."""
    totals = snap.totals
    rank = {state: index for index, state in enumerate(TOTALS_PRIORITY)}
    people: dict[str, AgentState] = {}
    ringing_or_talking = 0
    for queue in snap.queues:
        members = [agent.extnumber for agent in queue.agents]
        assert len(members) == len(set(members)), queue.name  # a member once per queue
        for agent in queue.agents:
            assert agent.queue == queue.name
            assert agent.since <= snap.taken_at
            seen = people.get(agent.extnumber)
            if seen is None or rank[agent.state] < rank[seen]:
                people[agent.extnumber] = agent.state
    by_state = {state: 0 for state in AgentState}
    for state in people.values():
        by_state[state] += 1
    ringing_or_talking = by_state[AgentState.RINGING] + by_state[AgentState.TALKING]
    # The header: every state counted, people once each, adding up to the people.
    assert totals.people == len(people)
    assert (
        totals.idle,
        totals.ringing,
        totals.talking,
        totals.wrapup,
        totals.paused,
        totals.missed,
        totals.offline,
        totals.disabled,
    ) == (
        by_state[AgentState.IDLE],
        by_state[AgentState.RINGING],
        by_state[AgentState.TALKING],
        by_state[AgentState.WRAPUP],
        by_state[AgentState.PAUSED],
        by_state[AgentState.MISSED],
        by_state[AgentState.OFFLINE],
        by_state[AgentState.DISABLED],
    )
    # A queue panel counts its members: never fewer than the people it holds.
    for queue in snap.queues:
        assert len(queue.agents) == len({a.extnumber for a in queue.agents})
    # Calls in progress are calls: never more than the agents ringing or talking.
    assert totals.calls_in_progress <= ringing_or_talking
    # The day's finished calls, and the drops of the last hour within them.
    assert totals.answered_today >= totals.dropped_today >= totals.dropped_60m
    assert totals.dropped_60m >= totals.dropped_15m >= 0
    live_total = 0
    for view in snap.campaigns:
        assert 0 <= view.talking <= view.live <= totals.calls_in_progress
        assert 0 <= view.live_first <= view.live
        assert view.unbilled_first >= 0 and view.unbilled_answered >= 0
        assert view.dialled == view.finished_dialled + view.live_first + view.unbilled_first
        assert view.answered == view.finished_answered + view.talking + view.unbilled_answered
        assert view.dialled >= view.answered - view.talking >= 0
        assert view.finished_answered >= view.dropped >= 0
        assert view.remaining == max(0, view.total - view.dialled)
        rate = view.dropped / view.finished_answered if view.finished_answered else 0.0
        assert view.abandon_rate == pytest.approx(rate)  # over finished calls
        live_total += view.live
    assert live_total <= totals.calls_in_progress  # a call belongs to one campaign at most
    if campaigns_from_today and snap.bills_read:
        assert totals.answered_today >= sum(v.finished_answered for v in snap.campaigns)
        assert totals.dropped_today >= sum(v.dropped for v in snap.campaigns)
    # The trends: the day per 15 minutes adds up to the day, a campaign's to its day's calls.
    trend = totals.trend
    assert (trend.answered, trend.dropped) == (totals.answered_today, totals.dropped_today)
    assert len(trend.buckets) <= 96
    starts = [bucket.start for bucket in trend.buckets]
    assert all(b - a == 900 for a, b in itertools.pairwise(starts))
    for view in snap.campaigns:
        assert view.trend.answered <= view.finished_answered
        assert view.trend.dropped <= view.dropped
        if campaigns_from_today and snap.bills_read:
            assert (view.trend.answered, view.trend.dropped) == (
                view.finished_answered,
                view.dropped,
            )


def check_never_back(snaps: list[FloorSnapshot]) -> None:
    """A campaign's dialled and answered never go back from one poll to the next: a call
    that ended counts on until the bills that count it are read."""
    last: dict[str, tuple[int, int]] = {}
    for snap in snaps:
        for view in snap.campaigns:
            before = last.get(view.taskid)
            if before is not None:
                assert view.dialled >= before[0], (view.taskid, before, view)
                assert view.answered >= before[1], (view.taskid, before, view)
            last[view.taskid] = (view.dialled, view.answered)


async def _watch(
    sim: Simulator, step: float, scope: list[str] | None, folder: Path
) -> list[FloorSnapshot]:
    registry = CampaignRegistry(folder / "campaigns.json")
    for taskid, task in sim.floor.tasks.items():
        registry.track(taskid, name=task.name, numbers=list(task.numbers))
    transport = httpx.ASGITransport(app=create_app(sim))
    snaps = []
    async with WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport, sleep=_no_sleep
    ) as client:
        floor = LiveFloor(client, registry=registry, queues=scope, tz=UTC, bills_interval=1.0)
        for _ in range(POLLS):
            sim.advance(step)
            snap = await floor.refresh()
            assert not snap.stale, snap.error
            snaps.append(snap)
    return snaps


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    seed=st.integers(0, 10_000),
    agents=st.integers(8, 120),
    queues=st.integers(1, 4),
    step=st.sampled_from([0.5, 1.5, 5.0, 30.0]),
    warm=st.sampled_from([60.0, 900.0, 3600.0]),
    scoped=st.booleans(),
)
def test_figures_agree_at_every_poll(
    seed: int, agents: int, queues: int, step: float, warm: float, scoped: bool
) -> None:
    sim = Simulator.from_scenario(
        seed=seed, agents=agents, queues=queues, manual_clock=True, start=SIM_START
    )
    try:
        sim.advance(warm)
        midnight = day_start(sim.now(), UTC)
        from_today = all(bill.start >= midnight for bill in sim.floor.bills)
        scope = [sorted(sim.floor.queues)[0]] if scoped else None
        with tempfile.TemporaryDirectory() as folder:
            snaps = asyncio.run(_watch(sim, step, scope, Path(folder)))
    finally:
        sim.close()
    for snap in snaps:
        check_agreement(snap, campaigns_from_today=from_today)
        assert snap.totals.scoped is scoped
        if scope:
            assert [q.name for q in snap.queues] == scope
    check_never_back(snaps)
