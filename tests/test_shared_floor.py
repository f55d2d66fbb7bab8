"""The shared floor against a real redis-server and the simulator over loopback: one
collector polls, viewers follow Redis and cost the server nothing, a dead collector shows
STALE and its standby takes over, Redis restarting and a viewer falling behind end in a
reload, and an action two viewers send at once is sent once.

Every wait is on a condition with a deadline (`eventually`), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.redis_server import RedisServer, redis_server_fixture  # noqa: F401
from redis.asyncio import Redis

from wallboard.api.client import WallboardClient
from wallboard.commands.collect import build_collector
from wallboard.commands.dashboard import live_floor
from wallboard.live.audit import AuditLog
from wallboard.live.shared.collector import Collector
from wallboard.live.shared.keys import FloorKeys
from wallboard.live.shared.viewer import SharedFloor
from wallboard.live.snapshot import FloorSnapshot
from wallboard.settings import Settings
from wallboard.sim.server import Simulator, serve_in_thread

KEYS = FloorKeys("test", "floor")
#: The viewers' comparison ignores what each viewer sets for itself.
OWN = {"clock_offset": 0.0, "read_only": False}


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str
) -> None:
    """Wait until `check()` holds, or fail after `timeout` seconds saying `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.02)  # a turn of the loop for the tasks under test


def same_floor(a: FloorSnapshot, b: FloorSnapshot) -> bool:
    return replace(a, **OWN) == replace(b, **OWN)  # type: ignore[arg-type]


@dataclass
class Rig:
    """The simulator served over loopback, a Redis, and what the test starts on them."""

    sim: Simulator
    url: str
    redis_server: RedisServer
    tmp: Path
    redis: list[Redis] = field(default_factory=list)
    clients: list[WallboardClient] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    followers: list[asyncio.Task[None]] = field(default_factory=list)
    refreshes: dict[int, int] = field(default_factory=dict)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def connect(self) -> Redis:
        made = Redis.from_url(self.redis_server.url, socket_connect_timeout=1.0)
        self.redis.append(made)
        return made

    def client(self) -> WallboardClient:
        made = WallboardClient(self.url, self.sim.appid, self.sim.accesskey)
        self.clients.append(made)
        return made

    def collector(self, refresh: float = 0.3, **options: Any) -> Collector:
        options.setdefault("lock_ttl", 1.0)
        options.setdefault("renew_every", 0.2)
        return build_collector(
            self.client(),
            Settings(refresh=refresh),
            self.connect(),
            KEYS,
            audit=AuditLog(self.tmp / "audit.jsonl", user="collector"),
            **options,
        )

    def run(self, collector: Collector) -> tuple[asyncio.Task[None], asyncio.Event]:
        stop = asyncio.Event()
        task = asyncio.ensure_future(collector.run(stop))
        self.tasks.append(task)
        return task, stop

    def viewer(self, **options: Any) -> SharedFloor:
        return SharedFloor(self.connect(), KEYS, wait=0.2, **options)

    def follow(self, viewer: SharedFloor) -> asyncio.Task[None]:
        """A viewer's refresh loop, as the app runs it; it ends between two refreshes when
        the rig closes (a refresh waits 0.2 s at most)."""

        async def loop() -> None:
            while not self.closing.is_set():
                await viewer.refresh()
                self.refreshes[id(viewer)] = self.refreshes.get(id(viewer), 0) + 1
                await asyncio.sleep(viewer.next_delay())

        task = asyncio.ensure_future(loop())
        self.followers.append(task)
        return task

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(self.url + "/_sim/stats", timeout=5.0)
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data

    async def close(self) -> None:
        self.closing.set()
        if self.followers:
            _, alive = await asyncio.wait(self.followers, timeout=10)
            assert not alive, f"viewers that did not stop: {alive}"
        for task in self.tasks:
            task.cancel()
        _, alive = await asyncio.wait(self.tasks, timeout=10) if self.tasks else (set(), set())
        assert not alive, f"tasks that did not stop: {alive}"
        for client in self.clients:
            await client.aclose()
        for redis in self.redis:
            with contextlib.suppress(Exception):
                await redis.aclose()


@pytest.fixture
def served(make_simulator: Callable[..., Simulator]) -> Iterator[tuple[Simulator, str]]:
    sim = make_simulator(agents=40, queues=3)
    with serve_in_thread(sim) as url:
        yield sim, url


@pytest.fixture
async def rig(
    served: tuple[Simulator, str],
    redis_server: RedisServer,
    tmp_path: Path,
) -> AsyncIterator[Rig]:
    sim, url = served
    made = Rig(sim, url, redis_server, tmp_path)
    try:
        yield made
    finally:
        await made.close()


class StopsAfter:
    """The live model, stopped after `cycles` refreshes: the requests of exactly so many
    cycles can then be counted, however many viewers follow."""

    def __init__(self, floor: Any, cycles: int) -> None:
        self.floor = floor
        self.cycles = cycles
        self.done = 0
        self._never = asyncio.Event()

    @property
    def snapshot(self) -> FloorSnapshot:
        return self.floor.snapshot  # type: ignore[no-any-return]

    async def refresh(self) -> FloorSnapshot:
        if self.done >= self.cycles:
            await self._never.wait()
        self.done += 1
        return await self.floor.refresh()  # type: ignore[no-any-return]

    def next_delay(self) -> float:
        return 0.05

    def server_now(self) -> float:
        return self.floor.server_now()  # type: ignore[no-any-return]


async def settled(rig: Rig) -> dict[str, int]:
    """The simulator's requests per service once none is in flight (a live model's slow
    reads and bills run beside its cycle and may end after it)."""
    seen: list[dict[str, int]] = [{}]

    def quiet() -> bool:
        now = dict(rig.stats()["services"])
        quiet, seen[0] = now == seen[0], now
        return quiet

    await eventually(quiet, 10, "the simulator quiet")
    return seen[0]


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


async def test_one_collector_and_twenty_viewers_cost_the_server_what_one_dashboard_does(
    rig: Rig,
) -> None:
    cycles = 5
    # One dashboard's live model alone: its requests for `cycles` polls.
    before = await settled(rig)
    dashboard = live_floor(rig.client(), Settings())
    for _ in range(cycles):
        await dashboard.refresh()
    alone = spent(before, await settled(rig))
    assert alone["App.Sip_Queue.GetQueueSipStatus"] == cycles  # the count means something

    viewers = [rig.viewer() for _ in range(20)]
    for viewer in viewers:
        rig.follow(viewer)
    collector = rig.collector()
    counted = StopsAfter(collector.floor, cycles)
    collector.floor = counted
    before = await settled(rig)
    rig.run(collector)
    await eventually(lambda: counted.done == cycles, 15, "the collector's polls")
    await eventually(
        lambda: all(v.version == collector.version for v in viewers), 10, "every viewer caught up"
    )
    after = await settled(rig)
    assert spent(before, after) == alone
    for viewer in viewers:
        assert same_floor(viewer.snapshot, counted.snapshot)
        assert not viewer.snapshot.looks_stale(time.time())
    assert len(viewers[0].snapshot.queues) == 3
    # Viewers following on cost nothing at all.
    counts = {id(v): rig.refreshes.get(id(v), 0) for v in viewers}
    await eventually(
        lambda: all(rig.refreshes[id(v)] >= counts[id(v)] + 3 for v in viewers),
        10,
        "three more refreshes of every viewer",
    )
    assert rig.stats()["services"] == after


async def test_a_dead_collector_shows_stale_and_the_standby_takes_over(rig: Rig) -> None:
    first, standby = rig.collector(lock_ttl=2.0), rig.collector(lock_ttl=2.0)
    crashed, _ = rig.run(first)
    await first.wait_leading(10)
    rig.run(standby)
    viewer = rig.viewer()
    rig.follow(viewer)
    await eventually(lambda: viewer.version == first.version > 0, 10, "the viewer follows")
    assert not standby.leading and await first.lock.holder() == first.lock.owner
    stale_after = viewer.snapshot.stale_after
    assert stale_after > 0

    crashed.cancel()  # a crash: no goodbye, the lock stays until it expires
    died = time.monotonic()
    await eventually(lambda: viewer.snapshot.looks_stale(time.time()), 10, "STALE on the viewer")
    assert time.monotonic() - died <= stale_after + 0.5  # two refresh periods, and a turn

    await standby.wait_leading(10)
    assert time.monotonic() - died < 5.0  # the lock's ttl (2 s here), and a poll
    await eventually(
        lambda: viewer.version == standby.version and not viewer.snapshot.looks_stale(time.time()),
        5,
        "the viewer fresh again on the standby's floor",
    )
    assert viewer.snapshot.error is None


async def test_a_collector_that_stops_says_so_and_a_new_one_goes_on(rig: Rig) -> None:
    first = rig.collector()
    task, stop = rig.run(first)
    await first.wait_leading(10)
    viewer = rig.viewer()
    rig.follow(viewer)
    await eventually(lambda: viewer.version == first.version > 0, 10, "the viewer follows")
    stop.set()
    await asyncio.wait_for(task, 10)
    assert await first.lock.holder() is None  # handed over at once
    await eventually(lambda: viewer.snapshot.stale, 5, "the viewer told the collector stopped")
    assert viewer.snapshot.error == "the floor's collector stopped"
    reloads, last = viewer.reloads, viewer.version

    second = rig.collector()
    rig.run(second)
    await second.wait_leading(10)
    assert second.version > last  # versions go on: no viewer mistakes the new floor for old
    await eventually(
        lambda: viewer.version == second.version and not viewer.snapshot.stale,
        5,
        "the viewer on the new collector's floor",
    )
    assert viewer.reloads > reloads


async def test_redis_restarting_costs_a_reload_and_nothing_else(rig: Rig) -> None:
    collector = rig.collector()
    rig.run(collector)
    await collector.wait_leading(10)
    viewer = rig.viewer()
    rig.follow(viewer)
    await eventually(lambda: viewer.version == collector.version > 0, 10, "the viewer follows")
    reloads = viewer.reloads

    rig.redis_server.stop()
    await eventually(lambda: viewer.snapshot.stale, 5, "the viewer says Redis is gone")
    assert "Redis" in (viewer.snapshot.error or "")
    rig.redis_server.start()  # empty: no lock, no floor, no stream
    await eventually(
        lambda: not viewer.snapshot.stale and viewer.reloads > reloads,
        15,
        "the viewer reconnected and reloaded",
    )
    assert collector.leading
    assert same_floor(viewer.snapshot, collector.floor.snapshot)


async def test_a_viewer_that_fell_behind_the_stream_reloads(rig: Rig) -> None:
    collector = rig.collector(refresh=0.05, keep=5)
    rig.run(collector)
    await collector.wait_leading(10)
    viewer = rig.viewer()
    await viewer.refresh()
    assert viewer.reloads == 1
    behind = viewer.version
    await eventually(lambda: collector.version > behind + 10, 15, "the stream moves on")
    await viewer.refresh()  # its next change was trimmed away: a gap
    assert viewer.reloads == 2
    assert viewer.version > behind + 10


def first_agent(sim: Simulator) -> tuple[str, str, str]:
    """(queue, extension, agent id) of a checked-in agent of the simulated floor."""
    with sim.lock:
        queue = next(iter(sim.floor.queues.values()))
        member = next(iter(queue.pool.members.values()))
        return queue.name, member.ext.extnumber, str(member.crmid)


async def test_an_action_two_viewers_send_at_once_is_sent_once_and_audited_for_both(
    rig: Rig,
) -> None:
    from wallboard.api.errors import ApiError, ConnectError
    from wallboard.live.actions import Outcome, Supervisor
    from wallboard.live.shared.requests import SharedFloorClient

    collector = rig.collector()
    rig.run(collector)
    await collector.wait_leading(10)
    queue, ext, crmid = first_agent(rig.sim)
    ana = SharedFloorClient(rig.connect(), KEYS, who="ana@desk-1")
    bo = SharedFloorClient(rig.connect(), KEYS, who="bo@desk-2")
    sent_before = rig.stats()["services"].get("App.Sip_Queue.SipSignOut", 0)

    results = await asyncio.gather(
        Supervisor(ana, AuditLog(rig.tmp / "ana.jsonl"), read_only=False).act_on_agent(
            _check_out(), ext, queue, crmid=crmid
        ),
        Supervisor(bo, AuditLog(rig.tmp / "bo.jsonl"), read_only=False).act_on_agent(
            _check_out(), ext, queue, crmid=crmid
        ),
    )
    assert [r.outcome for r in results] == [Outcome.DONE, Outcome.DONE]
    assert rig.stats()["services"].get("App.Sip_Queue.SipSignOut", 0) == sent_before + 1
    lines = AuditLog(rig.tmp / "audit.jsonl").entries()
    assert sorted(line["user"] for line in lines) == ["ana@desk-1", "bo@desk-2"]
    assert {line["action"] for line in lines} == {"check out"}
    assert sum("joined" in str(line["message"]) for line in lines) == 1

    # The same request id again (a viewer retrying) is executed once too; the server's
    # refusal crosses to the viewer with its code.
    args = {"queuename": queue, "extnumber": "00000000", "crmid": crmid}
    with pytest.raises(ApiError) as refused:  # no such extension: the server says why
        await ana.ask("sign_out", args, request_id="retry-1")
    before = rig.stats()["services"]["App.Sip_Queue.SipSignOut"]
    with pytest.raises(ApiError) as again:
        await ana.ask("sign_out", args, request_id="retry-1")
    assert rig.stats()["services"]["App.Sip_Queue.SipSignOut"] == before
    assert again.value.code == refused.value.code
    assert refused.value.code is not None

    # A read-only viewer sends nothing at all.
    length = await rig.connect().xlen(KEYS.requests)
    reader = SharedFloorClient(rig.connect(), KEYS, read_only=True)
    with pytest.raises(ConnectError):
        await reader.sign_out(queue, ext, crmid)
    assert await rig.connect().xlen(KEYS.requests) == length


def _check_out() -> Any:
    from wallboard.live.actions import SupervisorAction

    return SupervisorAction.CHECK_OUT


async def test_a_call_event_reaches_every_viewer_before_the_next_poll(
    make_simulator: Callable[..., Simulator],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    from wallboard.commands.dashboard import callback_receiver
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.shared.events import ANSWER, RING, CallEvent, LiveEvent
    from wallboard.live.snapshot import AgentState
    from wallboard.sim.callbacks import CallbackTargets

    arrived: list[tuple[float, LiveEvent]] = []
    handlers: list[Callable[[LiveEvent], None]] = []

    def on_event(event: LiveEvent) -> None:
        arrived.append((time.monotonic(), event))
        handlers[0](event)

    company: list[Callable[[], str | None]] = []
    with callback_receiver(
        CampaignRegistry(tmp_path / "campaigns.json"),
        ("127.0.0.1", 0),
        company_code=lambda: company[0]() if company else None,
        on_event=on_event,
    ) as receiver:
        assert receiver is not None
        sim = make_simulator(agents=30, queues=2, callbacks=CallbackTargets(all=receiver.url))
        with serve_in_thread(sim) as url:
            rig = Rig(sim, url, redis_server, tmp_path)
            try:
                from wallboard.commands.report import history_feed
                from wallboard.live.campaigns import phone_key

                history = history_feed(tmp_path / "history.sqlite3", tz=sim.tz, source="sim")
                assert history is not None
                # No second poll during the test: what the history learns, it learns from events.
                collector = rig.collector(refresh=30.0, history=history)
                client = rig.clients[-1]
                company.append(lambda: client.company_code)
                handlers.append(collector.on_event)
                rig.run(collector)
                await collector.wait_leading(10)
                viewers = [rig.viewer() for _ in range(5)]
                for viewer in viewers:
                    rig.follow(viewer)
                polls = rig.stats()["services"]["App.Sip_Queue.GetQueueSipStatus"]

                await asyncio.to_thread(sim.advance, 20.0)  # calls ring, are answered, end
                assert sim.callbacks is not None
                assert await asyncio.to_thread(
                    sim.callbacks.wait_until, lambda s: s.pending == 0, 10.0
                )
                calls = [e for _, e in arrived if isinstance(e, CallEvent)]
                assert calls, "the simulator sent no extension callback"
                last = {e.extnumber: e for e in calls}

                def shows_last_events(viewer: SharedFloor) -> bool:
                    for queue in viewer.snapshot.queues:
                        for agent in queue.agents:
                            event = last.get(agent.extnumber)
                            if event is None or agent.state is AgentState.DISABLED:
                                continue
                            want = {RING: AgentState.RINGING, ANSWER: AgentState.TALKING}.get(
                                event.status
                            )
                            on_call = agent.state in (AgentState.RINGING, AgentState.TALKING)
                            if (want is not None and agent.state is not want) or (
                                want is None and on_call
                            ):
                                return False
                    return True

                await eventually(
                    lambda: all(shows_last_events(v) for v in viewers), 5, "the events on screen"
                )
                # A later event may still be on its way to a viewer: each catches up by
                # itself, without a poll.
                await eventually(
                    lambda: all(v.version == collector.version for v in viewers),
                    5,
                    "every viewer on the collector's last version",
                )
                assert rig.stats()["services"]["App.Sip_Queue.GetQueueSipStatus"] == polls
                # Each agent's own leg answering told the history store when the agent joined
                # (the 2-second test), a customer leg's did not.
                joined = [e for e in calls if e.status == ANSWER and not e.bleg and e.number]
                assert joined, "no agent answered a call in 20 simulated seconds"
                connects = history.store.connects
                await eventually(
                    lambda: all(
                        connects.connected(phone_key(e.number), 0.0, sim.now()) is not None
                        for e in joined
                    ),
                    5,
                    "the agents' joins in the history store",
                )
                history.close()
            finally:
                await rig.close()
