"""The live model against a scripted server: what a cycle asks for, what the snapshot says,
and how failures look (stale with the last good data, words for a supervisor, backoff,
recovery on its own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_api import (
    ACCESSKEY,
    APPID,
    FakeApi,
    FaultTransport,
    Raw,
    failed,
    ok,
    refused,
)

from wallboard.api.client import WallboardClient
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.live.snapshot import AgentState, CampaignStatus

QUEUE_STATUS = "App.Sip_Queue.GetQueueSipStatus"
CALL_STATUS = "App.Sip_Status.GetSipCallStatus"
QUEUE_LIST = "App.Sip_Queue.GetQueueList"
EXTENSIONS = "App.Sip_Sipnum.GetSipnumberInfo"
REGISTER = "App.Sip_Status.GetSipRegisterStatus"
BILLS = "App.Sip_Cdr.GetBill"
LOGIN = "App.Sip_Auth.Login"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC).timestamp()


async def _no_sleep(_: float) -> None:
    return None


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Server:
    """A scripted floor of agents on the fake server."""

    def __init__(self, agents: int = 4, queues: int = 2) -> None:
        self.fake = FakeApi()
        self.faults = FaultTransport(self.fake.transport())
        self.queue_rows = [
            {
                "queuename": f"queue-{i % queues + 1}",
                "seatsname": f"{100 + i}_{1001 + i}_queue-{i % queues + 1}",
                "extnumber": str(1001 + i),
                "status": 1213,
                "state": 1213,
                "callsanswered": i,
                "wrapuptime": 10,
            }
            for i in range(agents)
        ]
        self.calls: dict[str, dict[str, Any]] = {}
        self.bill_rows: list[dict[str, Any]] = []
        self.fake.handlers[QUEUE_STATUS] = lambda _: ok(self.queue_rows)
        self.fake.handlers[CALL_STATUS] = self._call_status
        self.fake.handlers[QUEUE_LIST] = lambda _: ok(
            [{"queuename": f"queue-{q + 1}", "autocall": "busy"} for q in range(queues)]
        )
        self.fake.handlers[EXTENSIONS] = lambda _: ok(
            [
                {
                    "extnumber": r["extnumber"],
                    "password": "pw-s3cr3t",
                    "status": 1016,
                    "register": "reg",
                }
                for r in self.queue_rows
            ]
        )
        self.fake.handlers[BILLS] = self._bills

    def _call_status(self, fields: dict[str, str]) -> dict[str, Any]:
        rows = []
        for ext in fields["extnumber"].split(","):
            row = {"extnumber": ext, "status": 1201, "idleduration": 60, "callduration": 0}
            rows.append(row | self.calls.get(ext, {}))
        return ok(rows)

    def _bills(self, fields: dict[str, str]) -> dict[str, Any]:
        page, per = int(fields["currentpage"]), int(fields["itemsperpage"])
        chosen = self.bill_rows[(page - 1) * per : page * per]
        return ok(
            {
                "totalitems": len(self.bill_rows),
                "currentpage": page,
                "itemsperpage": per,
                "bills": chosen,
            }
        )

    def client(self, **options: Any) -> WallboardClient:
        return WallboardClient(
            "http://pbx.test", APPID, ACCESSKEY, transport=self.faults, sleep=_no_sleep, **options
        )

    def count(self) -> int:
        return len(self.fake.requests)

    def since(self, mark: int) -> list[str]:
        return [r.service.rsplit(".", 1)[-1] for r in self.fake.requests[mark:]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    yield Server()


async def test_a_first_refresh_builds_the_floor(server: Server, clock: Clock) -> None:
    server.calls["1002"] = {
        "status": 1204,
        "caller": "1002",
        "callee": "13800000001",
        "callduration": 42,
    }
    server.queue_rows[1]["state"] = 1215
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
    assert not snap.stale and snap.error is None and snap.taken_at == START
    assert [q.name for q in snap.queues] == ["queue-1", "queue-2"]
    talking = snap.queues[1].agents[0]
    assert (talking.extnumber, talking.state, talking.number) == (
        "1002",
        AgentState.TALKING,
        "13800000001",
    )
    assert talking.since == START - 42
    assert talking.crmid == "101"  # from the seat name <crmid>_<ext>_<queue>
    assert snap.totals.talking == 1 and snap.totals.idle == 3
    assert floor.snapshot is snap and floor.next_delay() == 1.5
    # The first cycle asks for the queues' agents first, then their extensions' call state.
    order = server.since(0)
    assert order.index("GetQueueSipStatus") < order.index("GetSipCallStatus")


@pytest.mark.parametrize("agents", [100, 500, 2000])
async def test_a_fast_cycle_costs_two_requests_whatever_the_floor(
    agents: int, clock: Clock
) -> None:
    server = Server(agents=agents, queues=5)
    async with server.client() as client:  # the client's own default batch size (200)
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()  # logs in, and reads the slow lists and the bills once
        for _ in range(3):
            clock.now += 1.5
            mark = server.count()
            snap = await floor.refresh()
            assert sorted(server.since(mark)) == ["GetQueueSipStatus", "GetSipCallStatus"]
    asked = server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")
    assert len(asked) == agents
    assert sum(len(q.agents) for q in snap.queues) == agents


async def test_slow_reads_come_every_30_seconds(server: Server, clock: Clock) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, bills_interval=10)
        await floor.refresh()
        assert {"GetQueueList", "GetSipnumberInfo", "GetBill"} <= set(server.since(0))
        clock.now += 10
        mark = server.count()
        await floor.refresh()
        assert sorted(server.since(mark)) == ["GetBill", "GetQueueSipStatus", "GetSipCallStatus"]
        clock.now += 20
        mark = server.count()
        await floor.refresh()
        assert {"GetQueueList", "GetSipnumberInfo", "GetSipRegisterStatus"} <= set(
            server.since(mark)
        )
    assert all(fields["syncflag"] == "3" for fields in server.fake.sent(BILLS))


async def test_a_dead_server_leaves_the_last_good_data_stale(server: Server, clock: Clock) -> None:
    async with server.client(read_retries=0) as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        good = await floor.refresh()
        server.faults.refuse = 10**6  # nothing gets through any more
        delays = []
        for _ in range(7):
            clock.now += floor.next_delay()
            snap = await floor.refresh()
            delays.append(floor.next_delay())
            assert snap.stale and snap.error == "server unreachable"
            assert snap.queues == good.queues and snap.taken_at == good.taken_at
            assert snap.age(clock.now) > 0
        assert delays == [1.5, 3.0, 6.0, 12.0, 24.0, 30.0, 30.0]
        server.faults.refuse = 0  # the server is back: recovery without anyone doing anything
        clock.now += floor.next_delay()
        snap = await floor.refresh()
    assert not snap.stale and snap.error is None and snap.taken_at == clock.now
    assert floor.next_delay() == 1.5


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            refused(601, "appid is not authorized"),
            "login refused: check appid/accesskey in profile floor (601 appid is not authorized)",
        ),
        (refused(602), "login refused: check appid/accesskey in profile floor (602"),
        (refused(604), "login refused: this machine's IP address is not authorised"),
        (
            failed("1003", "Authorization failed"),
            "login refused: check appid/accesskey in profile floor (1003 Authorization failed)",
        ),
    ],
)
async def test_a_login_failure_says_which_setting_is_wrong(
    server: Server, clock: Clock, answer: Any, words: str
) -> None:
    server.fake.queue(LOGIN, answer)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, profile="floor")
        snap = await floor.refresh()
    assert snap.stale and snap.error is not None and snap.error.startswith(words)
    assert ACCESSKEY not in snap.error and "token" not in snap.error


async def test_a_malformed_answer_names_the_service(server: Server, clock: Clock) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        server.fake.queue(QUEUE_STATUS, Raw(b"<html>502 Bad Gateway</html>"))
        clock.now += 1.5
        snap = await floor.refresh()
        assert snap.stale and snap.error == "malformed answer from GetQueueSipStatus"
        clock.now += floor.next_delay()
        assert not (await floor.refresh()).stale


async def test_a_failed_slow_read_keeps_the_agents_fresh(server: Server, clock: Clock) -> None:
    server.fake.queue(QUEUE_LIST, refused(603, "module not licensed"))
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
        assert not snap.stale and len(snap.queues) == 2
        assert snap.error is not None and "not licensed for GetQueueList" in snap.error
        clock.now += 1.5  # tried again soon, not in 30 s
        mark = server.count()
        snap = await floor.refresh()
    assert "GetQueueList" in server.since(mark)
    assert snap.error is None and snap.queues[0].autocall == "busy"


async def test_refresh_never_raises(clock: Clock) -> None:
    class Broken:
        async def queue_agents(self) -> Any:
            raise RuntimeError("a bug")

        async def queues(self) -> Any:
            return []

        async def extensions(self, status: int = 3) -> Any:
            raise KeyError("another")

        async def bills(self, *args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError

    floor = LiveFloor(Broken(), clock=clock)
    snap = await floor.refresh()
    assert snap.stale and snap.error == "internal error (RuntimeError); see the log"


async def test_scope_asks_only_for_the_scoped_agents(server: Server, clock: Clock) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, queues=["queue-2"], tz=dt.UTC)
        snap = await floor.refresh()
    assert [q.name for q in snap.queues] == ["queue-2"]
    assert server.fake.sent(QUEUE_STATUS)[0].get("queuename") is None  # all queues, one call
    assert server.fake.sent(CALL_STATUS)[0]["extnumber"] == "1002,1004"


async def test_a_new_agent_gets_its_call_state_on_the_next_cycle(
    server: Server, clock: Clock
) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        server.queue_rows.append(
            {"queuename": "queue-1", "extnumber": "2001", "state": 1213, "seatsname": "x"}
        )
        server.calls["2001"] = {"status": 1204, "callduration": 5}
        clock.now += 1.5
        snap = await floor.refresh()
        assert snap.queues[0].agents[-1].state is AgentState.IDLE  # queue state only, for now
        clock.now += 1.5
        snap = await floor.refresh()
    assert snap.queues[0].agents[-1].state is AgentState.TALKING


def _bill(i: int, number: str, *, answered: bool, ext: str) -> dict[str, Any]:
    return {
        "id": i,
        "extnumber": ext,
        "destnumber": number,
        "starttime": "2026-01-05 08:30:00",
        "answertime": "2026-01-05 08:30:10" if answered else None,
        "endtime": "2026-01-05 08:31:00",
        "direction": "callout",
        "callmethod": 5,
    }


async def test_day_figures_and_campaigns_from_the_bills(
    server: Server, clock: Clock, tmp_path: Path
) -> None:
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=clock)
    registry.record_created(
        "T1",
        numbers=["13800000001", "13800000002", "13800000003"],
        name="spring",
        assigned_to="queue-1",
    )
    registry.track("T2", name="unknown numbers")
    server.bill_rows = [
        _bill(1, "13800000001", answered=True, ext="1001"),
        _bill(2, "13800000002", answered=True, ext=""),  # dropped
        _bill(3, "13900000000", answered=True, ext="1002"),  # not a campaign number
        _bill(4, "13900000001", answered=False, ext=""),
    ]
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC)
        snap = await floor.refresh()
    assert (snap.totals.answered_today, snap.totals.dropped_today) == (3, 1)
    spring, unknown = snap.campaigns
    assert (spring.taskid, spring.name, spring.assigned_to) == ("T1", "spring", "queue-1")
    assert (spring.total, spring.dialled, spring.answered, spring.dropped) == (3, 2, 2, 1)
    assert (spring.remaining, spring.drop_budget) == (1, 0)
    assert spring.abandon_rate == pytest.approx(0.5)
    assert spring.status is CampaignStatus.RUNNING  # its numbers are being dialled
    assert registry.get("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]
    assert (unknown.name, unknown.total, unknown.status) == (
        "unknown numbers",
        0,
        CampaignStatus.UNKNOWN,
    )


async def test_no_password_reaches_a_snapshot(server: Server, clock: Clock) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
    assert "pw-s3cr3t" not in repr(snap) and "pw-s3cr3t" not in repr(floor.__dict__)
