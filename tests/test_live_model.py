"""The live model against a scripted server: what a cycle asks for, what the snapshot says,
and how failures look (stale with the last good data, words for a supervisor, backoff,
recovery on its own)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
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
from wallboard.live import campaigns, model
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import CALL_SWEEP, ON_CALL_SWEEP_ROUNDS, LiveFloor
from wallboard.live.snapshot import AgentState, CampaignStatus, FloorSnapshot

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


class ServerTime(httpx.AsyncBaseTransport):
    """Stamps every answer's `reqtime`/`rsptime` with the test's clock: the scripted server's
    clock is the test's (the fake's examples carry the documents' 2020 stamps)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: Clock) -> None:
        self.inner = inner
        self.clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner.handle_async_request(request)
        body = await answer.aread()
        try:
            envelope = json.loads(body)
        except ValueError:
            return httpx.Response(answer.status_code, headers=answer.headers, content=body)
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if isinstance(data, dict) and "rsptime" in data:
            data["reqtime"] = data["rsptime"] = int(self.clock())
        return httpx.Response(answer.status_code, json=envelope)


class Server:
    """A scripted floor of agents on the fake server, whose clock is `clock`."""

    def __init__(self, agents: int = 4, queues: int = 2, clock: Clock | None = None) -> None:
        self.fake = FakeApi()
        self.clock = clock or Clock()
        self.faults = FaultTransport(ServerTime(self.fake.transport(), self.clock))
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
        """GetBill by dial time (like the server); callmethod is not filtered, so that the
        model's own filter is what the tests see."""
        page, per = int(fields["currentpage"]), int(fields["itemsperpage"])
        rows = [
            row
            for row in self.bill_rows
            if fields["starttime"] <= row["starttime"] <= fields["endtime"]
        ]
        chosen = rows[(page - 1) * per : page * per]
        return ok(
            {
                "totalitems": len(rows),
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
async def server(clock: Clock) -> AsyncIterator[Server]:
    yield Server(clock=clock)


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
    assert not snap.stale and snap.error is None
    # On the server's clock, learnt from whole-second stamps: within a second.
    assert snap.taken_at == pytest.approx(START, abs=1)
    assert [q.name for q in snap.queues] == ["queue-1", "queue-2"]
    talking = snap.queues[1].agents[0]
    assert (talking.extnumber, talking.state, talking.number) == (
        "1002",
        AgentState.TALKING,
        "13800000001",
    )
    assert talking.since == pytest.approx(snap.taken_at - 42) and not talking.at_least
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
    server = Server(agents=agents, queues=5, clock=clock)
    async with server.client() as client:  # the client's own batch size is smaller
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()  # logs in, and reads the slow lists and the bills once
        first = server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")
        assert len(first) == agents  # the first cycle reads every call state
        swept: set[str] = set()
        for _ in range(CALL_SWEEP):
            clock.now += 1.5
            mark = server.count()
            snap = await floor.refresh()
            assert sorted(server.since(mark)) == ["GetQueueSipStatus", "GetSipCallStatus"]
            asked = server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")
            # Nothing changed on this floor: a share of it in turn, never the whole.
            assert 0 < len(asked) <= agents // CALL_SWEEP + 1
            swept.update(asked)
    assert len(swept) == agents  # every call state read again within CALL_SWEEP cycles
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


async def test_a_slow_read_that_brings_nothing_new_makes_no_facts(
    server: Server, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 30 s the slow reads bring each extension again (2,000 on a big floor): when
    their rows are the ones of the last read, the facts are the last ones, made again only
    when a row changed (here an extension unplugged)."""
    made: list[int] = []
    real = model.extension_facts

    def counted(*rows: Any) -> Any:
        made.append(1)
        return real(*rows)

    monkeypatch.setattr(model, "extension_facts", counted)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        assert len(made) == 1
        clock.now += 30
        mark = server.count()
        await floor.refresh()
        assert "GetSipnumberInfo" in server.since(mark)
        assert len(made) == 1
        server.fake.handlers[REGISTER] = lambda fields: ok(
            [
                {"extnumber": ext, "code": 1014 if ext == "1001" else 1017}
                for ext in fields["extnumber"].split(",")
            ]
        )
        clock.now += 30
        await floor.refresh()
        assert len(made) == 2


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
    assert not snap.stale and snap.error is None
    assert snap.taken_at == pytest.approx(clock.now, abs=1)
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
        # One malformed answer is read again (a read is idempotent): no stale screen.
        server.fake.queue(QUEUE_STATUS, Raw(b"<html>502 Bad Gateway</html>"))
        clock.now += 1.5
        assert not (await floor.refresh()).stale
        # The read again malformed too: the whole cycle failed, and it says which read.
        server.fake.queue(QUEUE_STATUS, *[Raw(b"<html>502 Bad Gateway</html>")] * 2)
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
        server_offset = None

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


async def test_a_new_agent_gets_its_call_state_in_the_same_cycle(
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
        mark = server.count()
        snap = await floor.refresh()
    assert snap.queues[0].agents[-1].state is AgentState.TALKING
    # The queues' agents first: the call states asked are those the new rows call for.
    assert server.since(mark) == ["GetQueueSipStatus", "GetSipCallStatus"]
    assert "2001" in server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")


async def test_a_call_read_again_as_it_goes_on_is_the_reading_already_built_from(
    server: Server, clock: Clock
) -> None:
    # The builder passes by the very reading it built from: a call or an idle spell read
    # again with its durations counted on is that reading, and what the screen shows of it
    # stays the server's. Another spell, or durations that stand still, make a new reading.
    whole = dict.fromkeys(("caller", "callee", "disnumber", "direction", "channel"), "")
    server.calls["1001"] = whole | {"status": 1204, "callee": "13800000001", "callduration": 30}
    server.calls["1002"] = whole | {"status": 1201, "idleduration": 40, "callduration": 12}
    server.calls["1003"] = whole | {"status": 1201, "idleduration": 5}
    server.calls["1004"] = whole  # the fake's idle 60 and call 0, standing still
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, call_sweep=1)  # all read each cycle
        await floor.refresh()
        first = dict(floor._readings)
        clock.now += 3.0
        server.calls["1001"]["callduration"] = 33  # counted on
        server.calls["1002"]["idleduration"] = 43  # counted on; the last call's length stands
        server.calls["1003"]["idleduration"] = 1  # a new idle spell
        snap = await floor.refresh()
    assert floor._readings["1001"] is first["1001"]
    assert floor._readings["1002"] is first["1002"]
    assert floor._readings["1003"] is not first["1003"]
    assert floor._readings["1004"] is not first["1004"]
    agents = {agent.extnumber: agent for queue in snap.queues for agent in queue.agents}
    assert agents["1001"].state is AgentState.TALKING
    assert agents["1001"].since == pytest.approx(clock.now - 33, abs=1)
    assert agents["1003"].since == pytest.approx(clock.now - 1, abs=1)


async def test_a_changed_queue_row_has_its_call_state_read_at_once(
    server: Server, clock: Clock
) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        server.queue_rows[2]["state"] = 1215  # 1003 answers a queue call
        server.calls["1003"] = {"status": 1204, "callee": "13800000003", "callduration": 2}
        clock.now += 1.5
        snap = await floor.refresh()
    talking = next(a for q in snap.queues for a in q.agents if a.extnumber == "1003")
    assert (talking.state, talking.number) == (AgentState.TALKING, "13800000003")
    assert talking.since == pytest.approx(snap.taken_at - 2, abs=1)


async def test_a_changed_row_whose_call_state_failed_is_read_on_the_next_cycle(
    server: Server, clock: Clock
) -> None:
    """The call states failing after the queue rows changed: the cycle is stale, and the
    next one still reads the call states of the rows that changed (not only the sweep's)."""
    async with server.client(read_retries=0) as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, call_sweep=1000)
        await floor.refresh()
        server.queue_rows[3]["state"] = 1215  # 1004 answers a queue call (not the sweep's turn)
        server.calls["1004"] = {"status": 1204, "callee": "13800000004", "callduration": 1}
        server.fake.handlers[CALL_STATUS] = lambda _: refused(500, "busy")
        clock.now += 1.5
        assert (await floor.refresh()).stale
        server.fake.handlers[CALL_STATUS] = server._call_status
        clock.now += 1.5
        snap = await floor.refresh()
    assert not snap.stale
    assert "1004" in server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")
    talking = next(a for q in snap.queues for a in q.agents if a.extnumber == "1004")
    assert (talking.state, talking.number) == (AgentState.TALKING, "13800000004")


async def test_the_sweep_reads_agents_on_a_queue_call_one_round_in_several(
    clock: Clock,
) -> None:
    """An agent on a queue call has a queue row that tells when the call ends: the sweep's
    turns leave it out but one round in ON_CALL_SWEEP_ROUNDS, while every other agent
    (who could place a call by hand) is still read every round."""
    server = Server(agents=20, queues=1, clock=clock)
    on_call = set()
    for row in server.queue_rows[:8]:
        ext = row["extnumber"]
        row["state"] = 1215
        server.calls[ext] = {"status": 1204, "callee": f"1380000{ext}", "callduration": 5}
        on_call.add(ext)
    others = {row["extnumber"] for row in server.queue_rows} - on_call
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        rounds: list[set[str]] = []
        for _ in range(ON_CALL_SWEEP_ROUNDS + 1):
            read: set[str] = set()
            for _ in range(CALL_SWEEP):
                clock.now += 1.0
                await floor.refresh()
                read.update(server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(","))
            rounds.append(read)
    assert all(others <= read for read in rounds)  # every round
    assert on_call <= rounds[0] and on_call <= rounds[ON_CALL_SWEEP_ROUNDS]
    assert all(not (on_call & read) for read in rounds[1:ON_CALL_SWEEP_ROUNDS])


async def test_a_call_placed_by_hand_shows_within_the_sweep_and_its_end_at_once(
    server: Server, clock: Clock
) -> None:
    """No queue row tells of a call placed by hand: the sweep finds it within CALL_SWEEP
    cycles; from then on its extension is read every cycle, so that its end shows at once."""

    def state_of(snap: FloorSnapshot) -> AgentState:
        return next(a.state for q in snap.queues for a in q.agents if a.extnumber == "1001")

    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        server.calls["1001"] = {"status": 1204, "callee": "13800000009", "callduration": 0}
        states = []
        for _ in range(CALL_SWEEP):
            clock.now += 1.5
            states.append(state_of(await floor.refresh()))
        assert states[-1] is AgentState.TALKING
        assert states.count(AgentState.TALKING) >= 1
        del server.calls["1001"]  # hung up
        clock.now += 1.5
        assert state_of(await floor.refresh()) is AgentState.IDLE


async def test_an_unread_call_state_counts_on_from_its_reading(
    server: Server, clock: Clock
) -> None:
    """Between two readings of an extension, its durations count on from the last one: a
    talking agent's time in state stays put, and a wrap-up runs out on time."""
    server.queue_rows[2]["state"] = 1215  # 1003 on a queue call
    server.calls["1003"] = {"status": 1204, "callee": "13800000001", "callduration": 30}
    server.calls["1004"] = {"status": 1201, "idleduration": 3}  # 10 s of wrap-up: 7 left
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, call_sweep=1000)
        first = await floor.refresh()
        talking = next(a for q in first.queues for a in q.agents if a.extnumber == "1003")
        wrapping = next(a for q in first.queues for a in q.agents if a.extnumber == "1004")
        assert (talking.state, wrapping.state) == (AgentState.TALKING, AgentState.WRAPUP)
        asked_before = len(server.fake.sent(CALL_STATUS))
        clock.now += 8.0
        snap = await floor.refresh()
    asked = [f["extnumber"].split(",") for f in server.fake.sent(CALL_STATUS)[asked_before:]]
    assert not {"1003", "1004"} & {ext for batch in asked for ext in batch}  # not read again
    now_talking = next(a for q in snap.queues for a in q.agents if a.extnumber == "1003")
    now_idle = next(a for q in snap.queues for a in q.agents if a.extnumber == "1004")
    assert now_talking.state is AgentState.TALKING and now_talking.since == talking.since
    assert now_idle.state is AgentState.IDLE
    assert now_idle.since == pytest.approx(wrapping.since + 10, abs=1)  # when wrap-up ended


def _bill(
    i: int,
    number: str,
    *,
    answered: bool,
    ext: str,
    day: str = "2026-01-05",
    method: int = 5,
) -> dict[str, Any]:
    return {
        "id": i,
        "extnumber": ext,
        "destnumber": number,
        "starttime": f"{day} 08:30:00",
        "answertime": f"{day} 08:30:10" if answered else None,
        "endtime": f"{day} 08:31:00",
        "direction": "callout",
        "callmethod": method,
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


async def test_the_header_counts_predictive_calls_only(server: Server, clock: Clock) -> None:
    """Manual (2) and extension-to-extension (1) calls always have an agent on them: counted,
    they would dilute the abandon rate that the 3% rule is about."""
    server.bill_rows = [
        _bill(1, "13800000001", answered=True, ext="1001"),
        _bill(2, "13800000002", answered=True, ext=""),  # a predictive call dropped
        _bill(3, "13800000003", answered=True, ext="1002", method=2),  # an agent dialled
        _bill(4, "1003", answered=True, ext="1002", method=1),  # agent to agent
    ]
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
    assert (snap.totals.answered_today, snap.totals.dropped_today) == (2, 1)
    assert snap.totals.abandon_rate == pytest.approx(0.5)
    assert {fields["callmethod"] for fields in server.fake.sent(BILLS)} == {"5"}


async def test_a_campaign_keeps_its_figures_when_it_ends(
    server: Server, clock: Clock, tmp_path: Path
) -> None:
    yesterday = Clock(START - 86400 - 3600)  # created here yesterday at 08:00
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=yesterday)
    registry.record_created("T1", numbers=["13800000001", "13800000002"], name="two days")
    server.bill_rows = [
        _bill(1, "13800000001", answered=True, ext="", day="2026-01-04"),  # dropped
        _bill(2, "13800000002", answered=True, ext="1001"),
    ]
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC, bills_interval=10)
        running = (await floor.refresh()).campaigns[0]
        assert (running.answered, running.dropped) == (2, 1)
        assert running.abandon_rate == pytest.approx(0.5)

        yesterday.now = clock.now
        registry.apply_taskset("T1", 3)  # it ends
        clock.now += 10
        mark = server.count()
        ended = (await floor.refresh()).campaigns[0]
        assert ended.status is CampaignStatus.OVER
        assert (ended.dialled, ended.answered, ended.dropped) == (2, 2, 1)
        assert ended.abandon_rate == pytest.approx(0.5)
        asked = server.fake.sent(BILLS)[-1]
        assert "GetBill" in server.since(mark) and asked["starttime"] == "2026-01-04 08:00:00"

        clock.now += 8 * 86400  # ended over a week ago: its bills are out of reach anyway
        await floor.refresh()
        assert server.fake.sent(BILLS)[-1]["starttime"] == "2026-01-13 00:00:00"


async def test_a_tracked_campaign_counts_the_bills_from_before_it_was_tracked(
    server: Server, clock: Clock, tmp_path: Path
) -> None:
    """`wallboard track` does not know when the task started: its bills are read the whole
    look-back (a week) before today."""
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=clock)
    registry.track("T1", numbers=["13800000001", "13800000002", "13800000003"])
    server.bill_rows = [
        _bill(1, "13800000001", answered=True, ext="", day="2026-01-02"),  # dropped
        _bill(2, "13800000002", answered=True, ext="1001", day="2026-01-04"),
        _bill(3, "13800000003", answered=True, ext="1001", day="2025-12-28"),  # too old
    ]
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC)
        snap = await floor.refresh()
    assert server.fake.sent(BILLS)[0]["starttime"] == "2025-12-29 00:00:00"
    (task,) = snap.campaigns
    assert (task.dialled, task.answered, task.dropped) == (2, 2, 1)
    assert (snap.totals.answered_today, snap.totals.dropped_today) == (0, 0)  # not today's


async def test_the_server_time_zone_sets_the_bill_window(server: Server, clock: Clock) -> None:
    """20:00 UTC is already tomorrow on a server in Shanghai: "today" is the server's day."""
    clock.now = dt.datetime(2026, 1, 5, 20, 0, tzinfo=dt.UTC).timestamp()
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=zoneinfo.ZoneInfo("Asia/Shanghai"))
        await floor.refresh()
    asked = server.fake.sent(BILLS)[0]
    assert (asked["starttime"], asked["endtime"]) == ("2026-01-06 00:00:00", "2026-01-06 23:59:59")


async def test_the_client_batches_the_call_states(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One batching path, the client's: the model asks for batches of CALL_BATCH extensions
    (whatever the client's own default) and the client splits the list into them."""
    monkeypatch.setattr("wallboard.live.model.CALL_BATCH", 3)
    server = Server(agents=7, queues=2, clock=clock)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, call_sweep=1)  # all, every cycle
        await floor.refresh()
        clock.now += 1.5
        mark = server.count()
        snap = await floor.refresh()
    assert sorted(server.since(mark)) == ["GetQueueSipStatus"] + ["GetSipCallStatus"] * 3
    sizes = [len(f["extnumber"].split(",")) for f in server.fake.sent(CALL_STATUS)[-3:]]
    assert sizes == [3, 3, 1]
    assert sum(len(q.agents) for q in snap.queues) == 7 and not snap.stale


async def test_campaign_figures_follow_new_numbers_and_new_bills(
    server: Server, clock: Clock, tmp_path: Path
) -> None:
    """Each campaign's numbers are reduced once and reused: a change of its numbers, or new
    bills for numbers it already had, must still show in its figures."""
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=clock)
    registry.record_created("T1", numbers=["+86 138-0000-0001"], name="spring")
    server.bill_rows = [
        _bill(1, "8613800000001", answered=True, ext="1001"),
        _bill(2, "8613800000002", answered=True, ext=""),
    ]
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC, bills_interval=1)
        first = await floor.refresh()
        registry.add_numbers("T1", ["8613800000002"])
        clock.now += 1.5
        added = await floor.refresh()
        server.bill_rows.append(_bill(3, "86 138 0000 0001", answered=True, ext=""))
        clock.now += 1.5
        billed = await floor.refresh()
    figures = [
        (c.total, c.dialled, c.answered, c.dropped)
        for c in (first, added, billed)
        for c in c.campaigns
    ]
    assert figures == [(1, 1, 1, 0), (2, 2, 2, 1), (2, 2, 3, 2)]


async def test_building_a_snapshot_writes_nothing(
    server: Server, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing is pure: the snapshot shows at once what the bills teach (both campaigns are
    dialling); the registry learns it after the snapshot is out, in one write, once."""
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=clock)
    registry.record_created("T1", numbers=["13800000001"])
    registry.record_created("T2", numbers=["13800000002"])
    server.bill_rows = [
        _bill(1, "13800000001", answered=True, ext="1001"),
        _bill(2, "13800000002", answered=False, ext=""),
    ]
    writes: list[tuple[CampaignStatus, ...]] = []
    write = campaigns.write_private

    def watched(path: Path, text: str) -> None:
        writes.append(tuple(c.status for c in floor.snapshot.campaigns))  # what was out then
        write(path, text)

    monkeypatch.setattr(campaigns, "write_private", watched)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC, bills_interval=1)
        snap = await floor.refresh()
        assert [c.status for c in snap.campaigns] == [CampaignStatus.RUNNING] * 2
        assert writes == [(CampaignStatus.RUNNING,) * 2]  # after the snapshot, one write
        assert {t.status for t in registry.tasks()} == {CampaignStatus.RUNNING}
        for _ in range(3):
            clock.now += 1.5
            snap = await floor.refresh()
    assert len(writes) == 1 and [c.status for c in snap.campaigns] == [CampaignStatus.RUNNING] * 2


async def test_a_registry_that_cannot_be_written_leaves_the_snapshot_alone(
    server: Server,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CampaignRegistry(tmp_path / "campaigns.json", clock=clock)
    registry.record_created("T1", numbers=["13800000001"])
    server.bill_rows = [_bill(1, "13800000001", answered=True, ext="1001")]
    tries: list[Path] = []

    def full(path: Path, text: str) -> None:
        tries.append(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(campaigns, "write_private", full)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, registry=registry, tz=dt.UTC, bills_interval=1)
        for _ in range(3):
            snap = await floor.refresh()
            clock.now += 1.5
    assert not snap.stale and snap.error is None
    assert snap.campaigns[0].status is CampaignStatus.RUNNING  # what the bills say
    assert registry.get("T1").status is CampaignStatus.NOT_STARTED  # type: ignore[union-attr]
    assert len(tries) == 1  # tried once, not every cycle
    assert "campaign registry not updated" in caplog.text


async def test_the_first_bills_are_read_on_the_servers_day(clock: Clock) -> None:
    """A server whose clock is two days and five hours ahead of this machine's: the very
    first bills read is of the server's day, and every time is on the server's clock."""
    server_clock = Clock(START + 2 * 86400 + 5 * 3600 + 17)
    server = Server(clock=server_clock)
    server.queue_rows[0] |= {"state": 1217, "seatschangetime": "2026-01-07 13:55:17"}
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
    (first, *_) = server.fake.sent(BILLS)
    assert (first["starttime"], first["endtime"]) == ("2026-01-07 00:00:00", "2026-01-07 23:59:59")
    assert snap.taken_at == pytest.approx(server_clock.now, abs=1)
    assert snap.clock_offset == pytest.approx(server_clock.now - clock.now, abs=1)
    assert snap.age(clock.now) < 1 and floor.server_now() == pytest.approx(snap.taken_at)
    paused = snap.queues[0].agents[0]
    assert paused.state is AgentState.PAUSED and not paused.at_least
    assert snap.taken_at - paused.since == pytest.approx(5 * 60, abs=1)


async def test_a_failure_streak_logs_one_line_when_it_starts_and_one_when_it_ends(
    server: Server, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with server.client(read_retries=0) as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        await floor.refresh()
        server.faults.refuse = 10**6
        with caplog.at_level("INFO", logger="wallboard.live"):
            for _ in range(5):
                clock.now += floor.next_delay()
                assert (await floor.refresh()).stale
            server.faults.refuse = 0
            clock.now += floor.next_delay()
            assert not (await floor.refresh()).stale
    lines = [r.getMessage() for r in caplog.records if r.name == "wallboard.live"]
    assert lines == [
        "polls failing: server unreachable",
        "polls answered again after 5 failed (46 s)",
    ]


async def test_stale_only_after_a_failed_cycle_or_two_refresh_periods(
    server: Server, clock: Clock
) -> None:
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        snap = await floor.refresh()
    assert snap.stale_after == pytest.approx(2 * 1.5)  # the fake answers at once
    assert not snap.looks_stale(clock.now + 2.9)  # one slow poll is no alarm
    assert snap.looks_stale(clock.now + 3.1)  # nothing new for two refresh periods


async def test_a_bills_failure_streak_is_one_line_each_way(
    server: Server, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    server.fake.queue(BILLS, *[refused(500, "busy")] * 3)
    async with server.client(read_retries=0) as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC, bills_interval=1.0)
        with caplog.at_level("INFO", logger="wallboard.live"):
            for _ in range(6):
                snap = await floor.refresh()
                assert not snap.stale  # the agents stay fresh
                clock.now += 1.5
    lines = [r.getMessage() for r in caplog.records if r.name == "wallboard.live"]
    assert len(lines) == 2 and lines[0].startswith("bills not read: ")
    assert lines[1] == "bills read again after 3 failures"
    assert snap.error is None and floor.bills_read


def _asked_as_the_rule_says(
    rows: list[Any],
    shown: list[str],
    last: dict[str, Any],
    known: dict[int, Any],
    turn: int,
    buckets: dict[str, int],
    sweep: int,
    whole_round: bool = True,
) -> list[str]:
    """The sweep's rule, counted over the whole floor: what a cycle must ask for (in a
    round that is not `whole_round`, the turn leaves out extensions on a queue call)."""
    from wallboard.live.model import CALL_ON_LINE_CODES, QUEUE_CALL_CODES

    wanted = {row.extnumber.strip() for row in rows if known.get(id(row)) is not row}
    queue_calls = {
        row.extnumber.strip()
        for row in rows
        if (row.state if row.state is not None else row.status) in QUEUE_CALL_CODES
    }
    wanted.update(
        ext
        for ext, reading in last.items()
        if reading.status in CALL_ON_LINE_CODES and ext not in queue_calls
    )
    for extnumber in shown:
        if extnumber not in buckets:
            buckets[extnumber] = len(buckets) % sweep
    in_turn = {e for e in shown if buckets[e] == turn and (whole_round or e not in queue_calls)}
    return [e for e in shown if e in in_turn or e in wanted or e not in last]


async def test_a_cycle_asks_what_the_sweep_rule_over_the_whole_floor_asks(clock: Clock) -> None:
    """Rows changing, agents joining and leaving, calls placed by hand and ended: each cycle
    reads the call states the rule says (counted here over every row), and the header's
    figures are those counted over the snapshot's queues."""
    import random

    from wallboard.live.build import floor_totals

    rng = random.Random(8)
    server = Server(agents=30, queues=4, clock=clock)
    async with server.client() as client:
        floor = LiveFloor(client, clock=clock, tz=dt.UTC)
        handed: list[list[Any]] = []
        queue_agents = client.queue_agents

        async def remembered() -> Any:
            rows = await queue_agents()
            handed.append(list(rows))
            return rows

        client.queue_agents = remembered  # type: ignore[method-assign]
        await floor.refresh()
        for _ in range(40):
            for _ in range(rng.randint(0, 4)):
                row = rng.choice(server.queue_rows)
                row["state"] = rng.choice((1213, 1214, 1215, 1217))
                row["callsanswered"] += 1
            if rng.random() < 0.2:
                ext = str(1001 + rng.randrange(30))
                server.calls[ext] = {"status": 1204, "callee": f"1380000{ext}", "callduration": 3}
            if rng.random() < 0.2 and server.calls:
                server.calls.pop(rng.choice(sorted(server.calls)))
            if rng.random() < 0.1:  # the server lists the same rows in another order
                rng.shuffle(server.queue_rows)
            if rng.random() < 0.2:  # someone joins another queue, or leaves one
                if rng.random() < 0.5:
                    joining = dict(rng.choice(server.queue_rows))
                    joining["queuename"] = "queue-9"
                    server.queue_rows.append(joining)
                elif len(server.queue_rows) > 20:
                    server.queue_rows.pop(rng.randrange(len(server.queue_rows)))
            last, known = dict(floor._readings), dict(floor._rows)
            turn, buckets = (floor._sweep_turn + 1) % CALL_SWEEP, dict(floor._buckets)
            whole = (floor._sweep_cycles // CALL_SWEEP) % ON_CALL_SWEEP_ROUNDS == 0
            clock.now += 1.0
            snap = await floor.refresh()
            rows = handed[-1]
            shown = list(dict.fromkeys(r.extnumber.strip() for r in rows if r.extnumber.strip()))
            expected = _asked_as_the_rule_says(
                rows, shown, last, known, turn, buckets, CALL_SWEEP, whole
            )
            asked = server.fake.sent(CALL_STATUS)[-1]["extnumber"].split(",")
            assert asked == expected
            assert snap.totals == floor_totals(
                snap.queues,
                recent_drops=(snap.totals.dropped_15m, snap.totals.dropped_60m),
                today=floor._bills.today,
                trend=snap.totals.trend,
            )
