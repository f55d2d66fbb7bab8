"""The client against the simulator: in-process through ASGITransport on a manual clock, and
over real HTTP on loopback with the simulator's faults switched on."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.api.errors import BusinessError, OutcomeUnknown, ProtocolError, ServerError
from wallboard.sim.server import Simulator, create_app, serve_in_thread

SERVICE = re.compile(rb'name="service"\r\n\r\n([A-Za-z_.]+)\r\n')


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests per service on the client's side of any transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = SERVICE.search(await request.aread())
        self.sent[found.group(1).decode() if found else "?"] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class RealClock:
    """The simulator's "real" clock, moved by hand (for its `expire` fault)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _no_wait(_: float) -> None:
    return None


@pytest.fixture
def real_clock() -> RealClock:
    return RealClock()


@pytest.fixture
def sim(real_clock: RealClock) -> Simulator:
    return Simulator.from_scenario(
        seed=11, agents=12, queues=2, campaigns=1, manual_clock=True, real_clock=real_clock
    )


@pytest.fixture
async def counted(sim: Simulator) -> AsyncIterator[tuple[WallboardClient, Counting]]:
    transport = Counting(httpx.ASGITransport(app=create_app(sim)))
    client = WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport, batch_size=5
    )
    async with client:
        yield client, transport


async def test_the_floor_reads(counted: tuple[WallboardClient, Counting]) -> None:
    client, transport = counted
    queues = await client.queues()
    agents = await client.queue_agents()
    extensions = await client.extensions()
    numbers = [e.extnumber for e in extensions]
    calls = await client.call_status(numbers)
    valid = await client.valid_status(numbers)
    registered = await client.register_status(numbers)

    assert len(queues) == 2
    assert {a.queuename for a in agents} <= {q.queuename for q in queues}
    assert {a.extnumber for a in agents} <= set(numbers)
    assert all(a.state is not None and 1212 <= a.state <= 1218 for a in agents)
    assert len(extensions) == 12
    assert [c.extnumber for c in calls] == numbers  # three batches of five, in order
    assert transport.sent["App.Sip_Status.GetSipCallStatus"] == 3
    assert {v.code for v in valid} <= {1012, 1013, 1016}
    assert {r.code for r in registered} <= {1014, 1017}
    assert transport.sent["App.Sip_Auth.Login"] == 1


async def test_bills_after_the_floor_ran(
    sim: Simulator, counted: tuple[WallboardClient, Counting]
) -> None:
    client, _ = counted
    sim.advance(600)
    page = await client.bills("2026-01-05 00:00:00", "2026-01-06 00:00:00", itemsperpage=50)
    assert page.totalitems > 0
    assert 0 < len(page.bills) <= 50

    def at(text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")

    for bill in page.bills:
        assert bill.duration == (at(bill.endtime) - at(bill.starttime)).total_seconds()
        if bill.answertime:
            assert bill.billsec == (at(bill.endtime) - at(bill.answertime)).total_seconds()
        else:
            assert bill.billsec == 0


async def test_a_campaign_from_creation_to_pause(counted: tuple[WallboardClient, Counting]) -> None:
    client, _ = counted
    queue = (await client.queues())[0].queuename
    created = await client.create_task(2, queue, ["13800000001", "13800000002"], "1:1")
    assert created.taskid
    assert (await client.set_task(created.taskid, 1)).status == 0
    assert (await client.set_task(created.taskid, 2)).status == 0
    added = await client.add_numbers(created.taskid, ["13800000003"])
    assert added.success == 1
    with pytest.raises(BusinessError) as caught:
        await client.set_task("no-such-task", 2)
    assert caught.value.code == 1024
    assert caught.value.meaning == "task does not exist: predictive task status"


async def test_an_agent_checked_out_and_in(counted: tuple[WallboardClient, Counting]) -> None:
    client, _ = counted
    agent = (await client.queue_agents())[0]
    crmid = agent.seatsname.split("_", 1)[0]  # the seat is named <crmid>_<extnumber>_<queue>
    await client.sign_out(agent.queuename, agent.extnumber, crmid)
    left = await client.queue_agents(agent.queuename)
    assert agent.extnumber not in {a.extnumber for a in left}
    await client.sign_in(agent.queuename, agent.extnumber, crmid)
    back = await client.queue_agents(agent.queuename)
    assert agent.extnumber in {a.extnumber for a in back}


async def test_fifty_calls_meeting_a_token_the_simulator_expired_log_in_once(
    sim: Simulator, real_clock: RealClock, counted: tuple[WallboardClient, Counting]
) -> None:
    client, transport = counted
    await client.queues()
    sim.faults.expire = 60
    real_clock.now += 61  # the simulator now refuses the token with ret 600
    answers = await asyncio.gather(*(client.queue_agents() for _ in range(50)))
    assert all(answers)
    assert transport.sent["App.Sip_Auth.Login"] == 2


async def test_extension_passwords_stay_at_the_simulator(
    counted: tuple[WallboardClient, Counting],
) -> None:
    client, _ = counted
    extensions = await client.extensions()
    assert extensions
    assert all("password" not in e.model_dump() for e in extensions)


# -- over loopback --------------------------------------------------------------------------


async def test_over_loopback_with_faults() -> None:
    sim = Simulator.from_scenario(seed=5, agents=8, queues=1, campaigns=1, manual_clock=True)
    with serve_in_thread(sim) as url:
        transport = Counting(httpx.AsyncHTTPTransport())
        client = WallboardClient(
            url, sim.appid, sim.accesskey, transport=transport, sleep=_no_wait, timeout=5
        )
        async with client:
            agents = await client.queue_agents()
            assert agents
            states = await client.call_status([a.extnumber for a in agents])
            assert [s.extnumber for s in states] == [a.extnumber for a in agents]
            queue = agents[0].queuename

            sim.faults.error500 = 1.0
            with pytest.raises(ServerError):
                await client.queues()
            assert transport.sent["App.Sip_Queue.GetQueueList"] == 3  # retried twice
            with pytest.raises(ServerError):
                await client.create_task(2, queue, ["13800000009"])
            assert transport.sent["App.Sip_Yccall.TaskCreat"] == 1  # never repeated
            sim.faults.error500 = 0.0

            sim.faults.drop = 1.0
            with pytest.raises(OutcomeUnknown, match="may have reached the server"):
                await client.sign_out(queue, agents[0].extnumber, 1)
            assert transport.sent["App.Sip_Queue.SipSignOut"] == 1
            sim.faults.drop = 0.0

            sim.faults.malformed = 1.0
            with pytest.raises(ProtocolError, match="GetQueueList: the answer is not JSON"):
                await client.queues()
            sim.faults.malformed = 0.0

            assert await client.queues()


async def test_a_mutation_whose_answer_breaks_is_outcome_unknown_though_it_took_effect() -> None:
    """The simulator's `malformed` and `drop` faults strike after the call was carried out:
    the client must not call that a failure. Its `error500` strikes before: that one did."""
    sim = Simulator.from_scenario(seed=5, agents=8, queues=1, campaigns=0, manual_clock=True)
    with serve_in_thread(sim) as url:
        transport = Counting(httpx.AsyncHTTPTransport())
        client = WallboardClient(
            url, sim.appid, sim.accesskey, transport=transport, sleep=_no_wait, timeout=5
        )
        async with client:
            queue = (await client.queues())[0].queuename
            taskid = (await client.create_task(2, queue, ["13800000001", "13800000002"])).taskid
            await client.set_task(taskid, 1)
            assert sim.floor.task_status(taskid) == 1026  # running

            sim.faults.malformed = 1.0
            with pytest.raises(OutcomeUnknown, match=r"TaskSet: HTTP 200 .*may have reached"):
                await client.set_task(taskid, 2)
            sim.faults.malformed = 0.0
            assert sim.floor.task_status(taskid) == 1027  # it was paused all the same

            sim.faults.error500 = 1.0
            with pytest.raises(ServerError):  # the server said it failed: it did nothing
                await client.set_task(taskid, 1)
            sim.faults.error500 = 0.0
            assert sim.floor.task_status(taskid) == 1027

            sim.faults.drop = 1.0
            with pytest.raises(OutcomeUnknown, match="may have reached the server"):
                await client.set_task(taskid, 1)
            sim.faults.drop = 0.0
            assert sim.floor.task_status(taskid) == 1026  # it was opened again all the same
    assert transport.sent["App.Sip_Yccall.TaskSet"] == 4  # none of them was repeated
