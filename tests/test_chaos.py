"""Chaos: the dashboard against a simulator that is slow, failing, garbled, cut off and dead.

One headless dashboard (`WallboardApp` in `run_test`) on a simulator served over loopback by
a process of its own (as a real server is elsewhere) goes through the failures of a bad
day, one after another, set while it runs (`--faults`): latency spikes, `ret 500` for
everything, tokens that die within a second, answers that are not JSON, connections closed
without an answer, and the server stopped and started again on the same port. In each, the
supervisor keeps pressing keys and asking for actions. Throughout:

- nothing raises: no unhandled exception, no failed worker, no error logged by wallboard;
- every key press is answered within 200 ms (press, then every widget has processed its
  messages), measured with a monotonic clock;
- while the server fails, the screen keeps the last good data and says it is stale; when
  the failure ends, it recovers by itself (no key pressed);
- every action asked for ends in the audit log exactly once, as done, failed, refused or
  outcome unknown; what the simulator applied agrees with that (done = applied once,
  failed = not applied, unknown = at most once), and no action is ever applied twice or
  sent twice (counted on the wire and at the simulator).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.child import child_process
from textual import events
from textual.worker import Worker, WorkerState

from wallboard.api.client import WallboardClient
from wallboard.api.services import find
from wallboard.live.actions import ActionResult, Outcome, Supervisor
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import STATUS_BY_CODE, CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.live.snapshot import AgentState, AgentView, CampaignStatus, FloorSnapshot
from wallboard.sim.faults import Faults
from wallboard.sim.server import Simulator, serve_in_thread
from wallboard.ui.app import WallboardApp
from wallboard.ui.floor_header import StaleBanner
from wallboard.ui.messages import ActionFinished

KEY_BOUND = 0.2  # seconds: a key press is answered within this, whatever the server does
WAIT = 8.0  # seconds: the longest any one step may take before the test gives up
REFRESH = 0.2  # the dashboard's poll interval here (a wall uses 1.5 s)
MUTATIONS = {"App.Sip_Queue.SetSeatsStatus", "App.Sip_Yccall.TaskSet"}


# ---------------------------------------------------------------------- observers


def _fields(body: bytes) -> dict[str, str]:
    """The form fields of a multipart body (the client sends plain text parts)."""
    pattern = rb'name="([^"]+)"\r\n\r\n(.*?)\r\n--'
    return {k.decode(): v.decode() for k, v in re.findall(pattern, body, flags=re.S)}


def target(fields: dict[str, Any]) -> str:
    """What a mutation acts on: an agent in a queue, or a task."""
    if "taskid" in fields:
        return f"task {fields['taskid']}"
    return f"{fields.get('extnumber')} in {fields.get('queuename')}"


class WireLog(httpx.AsyncBaseTransport):
    """Every request the client puts on the wire, with the `ret` of its answer (None: none)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, dict[str, str], int | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fields = _fields(await request.aread())
        found = find(fields.get("service", ""))
        service = found.wire if found else fields.get("service", "?")
        fields.pop("token", None)
        try:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
        except BaseException:
            self.sent.append((service, fields, None))  # it went out; no answer came back
            raise
        ret = None
        with contextlib.suppress(ValueError, AttributeError):
            ret = json.loads(body).get("ret")
        self.sent.append((service, fields, ret if isinstance(ret, int) else None))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def mutations(self, since: int = 0) -> list[tuple[str, dict[str, str], int | None]]:
        return [entry for entry in self.sent[since:] if entry[0] in MUTATIONS]


def _serve(argv: list[str]) -> int:
    """In the child: serve a scenario floor on loopback and obey the test's commands.

    `faults SPEC` sets the faults; `stop` and `start` take the server down and bring it back
    on the same port; `handled N` answers the mutations the simulator handled from the N-th
    on (what got past the faults: service, target, ret, status)."""
    options = json.loads(argv[0])
    sim = Simulator.from_scenario(**options)
    handled: list[tuple[str, str, int, int | None]] = []
    handle = sim.handle

    def counted(fields: Any, base_url: str = "") -> dict[str, Any]:
        answer = handle(fields, base_url)
        found = find(str(fields.get("service", "")))
        if found is not None and found.wire in MUTATIONS:
            data = answer.get("data")
            status = data.get("status") if isinstance(data, dict) else None
            handled.append((found.wire, target(fields), answer["ret"], status))
        return answer

    sim.handle = counted  # type: ignore[method-assign]
    port = free_port()
    server = contextlib.ExitStack()
    server.enter_context(serve_in_thread(sim, port=port))
    tasks = [
        {"taskid": t.taskid, "name": t.name, "assigned_to": t.assignagent,
         "numbers": list(t.numbers), "status": t.status}
        for t in sim.floor.tasks.values()
    ]  # fmt: skip
    hello = {
        "url": f"http://127.0.0.1:{port}",
        "appid": sim.appid,
        "accesskey": sim.accesskey,
        "sim_origin": sim.now(),
        "wall_origin": time.time(),
        "speed": sim.speed,
        "tasks": tasks,
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        verb, _, rest = line.strip().partition(" ")
        reply: Any = "ok"
        if verb == "faults":
            sim.faults = Faults.parse(rest, seed=5)
        elif verb == "stop":
            server.close()
        elif verb == "start":
            server = contextlib.ExitStack()
            server.enter_context(serve_in_thread(sim, port=port))
        elif verb == "handled":
            reply = {"total": len(handled), "since": handled[int(rest or 0) :]}
        print(json.dumps(reply), flush=True)
    server.close()
    sim.close()
    return 0


@dataclass
class RemoteSim:
    """The simulator in its own process (as a real server would be), driven by commands."""

    child: subprocess.Popen[str]
    url: str
    appid: str
    accesskey: str
    sim_origin: float
    wall_origin: float
    speed: float
    tasks: list[dict[str, Any]]

    def now(self) -> float:
        """The simulated floor's clock."""
        return self.sim_origin + self.speed * (time.time() - self.wall_origin)

    def command(self, text: str) -> Any:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(text + "\n")
        self.child.stdin.flush()
        line = self.child.stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator process died on {text!r}")
        return json.loads(line)

    async def ask(self, text: str) -> Any:
        return await asyncio.to_thread(self.command, text)

    async def applied(self, since: int) -> tuple[int, list[str]]:
        """(mutations handled so far, targets of those since `since` the floor accepted)."""
        answer = await self.ask(f"handled {since}")
        accepted = [what for _, what, ret, status in answer["since"] if (ret, status) == (200, 0)]
        return answer["total"], accepted


@contextlib.contextmanager
def remote_sim(**options: Any) -> Iterator[RemoteSim]:
    with child_process(__file__, options, "the simulator") as (child, about):
        yield RemoteSim(child, **about)


class ChaosApp(WallboardApp):
    """The dashboard as shipped, plus notes of what it did (observation only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results: list[ActionResult] = []
        self.finished = asyncio.Event()
        self.worker_failures: list[str] = []
        self.refusals: list[str] = []

    def on_action_finished(self, message: ActionFinished) -> None:
        super().on_action_finished(message)
        self.results.append(message.result)
        self.finished.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failures.append(f"{event.worker.name}: {event.worker.error!r}")

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("title") == "Refused":
            self.refusals.append(message)
        super().notify(message, *args, **kwargs)


# ---------------------------------------------------------------------- the rig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def processed(app: WallboardApp) -> None:
    """Every node on screen has handled the messages queued before this call."""
    nodes = [app, *app.screen.walk_children(with_self=True)]
    done = [asyncio.get_running_loop().create_future() for _ in nodes]
    for node, future in zip(nodes, done, strict=True):
        if not node.call_later(future.set_result, None):
            future.set_result(None)  # a node that is closing handles nothing more
    await asyncio.wait_for(asyncio.gather(*done), WAIT)


@dataclass
class Rig:
    sim: RemoteSim
    app: ChaosApp
    wire: WireLog
    audit: AuditLog
    phase: str = "calm"
    presses: list[tuple[str, str, float]] = field(default_factory=list)  # (phase, key, s)
    agent: tuple[str, str] | None = None  # (queue, extnumber) that b and i act on

    async def press(self, pilot: Any, *keys: str) -> None:
        """Press keys as the terminal driver would, timing each from the key's arrival until
        every widget on screen has processed what it caused (three rounds of messages: the
        key, the binding's action, what the action posted).

        Not `pilot.press`: it also waits until this whole process is idle, which includes the
        simulator's server thread and the retries in flight; the bound is about the app."""
        app = self.app
        for key in keys:
            char = key if len(key) == 1 else None
            event = events.Key(key, char)
            event.set_sender(app)
            began = time.monotonic()
            app.post_message(event)
            for _ in range(3):
                await processed(app)
            self.presses.append((self.phase, key, time.monotonic() - began))

    async def snapshot(self, *, stale: bool) -> FloorSnapshot:
        """Wait, pressing nothing, for a snapshot that is (or is not) stale."""
        deadline = time.monotonic() + WAIT
        while True:
            snap = await self.app.next_snapshot(timeout=WAIT)
            if snap.stale == stale:
                return snap
            assert time.monotonic() < deadline, f"still stale={snap.stale}: {snap.error}"

    async def faults(self, spec: str) -> None:
        await self.sim.ask(f"faults {spec}")


@contextlib.asynccontextmanager
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    with remote_sim(seed=11, agents=16, queues=2, campaigns=2, speed=10.0) as sim:
        wire = WireLog()
        registry = CampaignRegistry(tmp_path / "campaigns.json", clock=sim.now)
        for task in sim.tasks:  # tracked as `wallboard track` would
            registry.track(
                task["taskid"],
                name=task["name"],
                assigned_to=task["assigned_to"],
                numbers=task["numbers"],
                status=STATUS_BY_CODE.get(task["status"]),
            )
        audit = AuditLog(tmp_path / "audit.jsonl", clock=sim.now)
        async with WallboardClient(
            sim.url, sim.appid, sim.accesskey, transport=wire, timeout=1.0, backoff=0.05
        ) as client:
            floor = LiveFloor(
                client,
                registry=registry,
                clock=sim.now,
                fast_interval=REFRESH,
                slow_interval=5.0,
                bills_interval=2.0,
                tz=dt.UTC,
                max_backoff=0.8,
            )
            supervisor = Supervisor(client, audit, read_only=False, user="chaos", registry=registry)
            app = ChaosApp(floor, supervisor, clock=sim.now)
            yield Rig(sim, app, wire, audit)


# ---------------------------------------------------------------------- the actions


@dataclass
class Asked:
    """One action the supervisor asked for, and what the wire and the floor saw."""

    phase: str
    key: str
    target: str
    result: ActionResult | None = None
    sent: list[int | None] = field(default_factory=list)  # the answers' ret, per send
    applied: int = 0


def agent_with_id(snapshot: FloorSnapshot) -> AgentView:
    """The first agent with a known agent id who is not paused: b applies to them (a
    paused agent's b is refused unsent, as it cannot apply)."""
    for queue in snapshot.queues:
        for view in queue.agents:
            if view.crmid and view.state is not AgentState.PAUSED:
                return view
    raise AssertionError("no agent on the floor has a known agent id")


def campaign_key_that_applies(app: WallboardApp, key: str) -> str:
    """p or r, whichever applies to the selected campaign as the dashboard knows it (its
    registry learns of a pause or a resume as soon as the server accepts it): after a
    pause that failed, the campaign is still running, and a resume would be refused
    unsent, as it cannot apply."""
    campaign = app.campaigns.selected
    registry = app.supervisor.registry
    tracked = registry.get(campaign.taskid) if campaign is not None and registry else None
    if tracked is None:
        return key
    return "r" if tracked.status is CampaignStatus.PAUSED else "p"


async def ask(r: Rig, pilot: Any, phase: str, key: str, *, twice: bool = False) -> Asked:
    """Select the target, press the action's key (twice if asked), wait for its result."""
    app = r.app
    assert app.snapshot is not None
    if key in "bi":
        if r.agent is None or not app.grid.select(*r.agent):
            view = agent_with_id(app.snapshot)
            r.agent = (view.queue, view.extnumber)
            assert app.grid.select(view.queue, view.extnumber)
        queue, ext = r.agent
        what = f"{ext} in {queue}"
    else:
        key = campaign_key_that_applies(app, key)
        campaign = app.campaigns.selected
        assert campaign is not None, "no campaign on the screen"
        what = f"task {campaign.taskid}"
    wire_mark, done = len(r.wire.sent), len(app.results)
    sim_mark, _ = await r.sim.applied(0)
    app.finished.clear()
    await r.press(pilot, *([key, key] if twice else [key]))
    expected = done + (2 if twice else 1)  # a second press comes back refused, by itself
    while len(app.results) < expected:
        await asyncio.wait_for(app.finished.wait(), WAIT)
        app.finished.clear()
    await pilot.pause(0)
    sent = [one for one in app.results[done:] if one.outcome is not Outcome.REFUSED]
    asked = Asked(phase, key, what, (sent or app.results[done:])[-1])
    asked.sent = [ret for _, fields, ret in r.wire.mutations(wire_mark) if target(fields) == what]
    asked.applied = (await r.sim.applied(sim_mark))[1].count(what)
    return asked


# ---------------------------------------------------------------------- the day


@dataclass(frozen=True)
class Phase:
    name: str
    faults: str  # the simulator's --faults spec; with `stopped` the server is down instead
    stale: bool  # the screen must say its data is stale
    stopped: bool = False


PHASES = (
    Phase("latency spikes", "latency=0.35", stale=False),
    Phase("ret 500 for everything", "error500=1", stale=True),
    Phase("tokens dying early", "expire=0.3", stale=False),
    Phase("answers that are not JSON", "malformed=1", stale=True),
    Phase("connections dropped", "drop=1", stale=True),
    Phase("server stopped", "", stale=True, stopped=True),
)
#: What each outcome allows the floor to have done.
APPLIED = {
    Outcome.DONE: {1},
    Outcome.FAILED: {0},
    Outcome.REFUSED: {0},
    Outcome.UNKNOWN: {0, 1},
}


def check_action(asked: Asked) -> None:
    result = asked.result
    assert result is not None
    where = f"{asked.phase}: {result.action} {asked.target} -> {result.outcome.value}"
    assert asked.applied <= 1, f"{where}: applied {asked.applied} times"
    allowed = APPLIED[result.outcome]
    assert asked.applied in allowed, f"{where}, yet the simulator applied it {asked.applied}x"
    refused_token = sum(1 for ret in asked.sent if ret == 600)
    assert len(asked.sent) <= 1 + refused_token, f"{where}: sent {len(asked.sent)} times"


@pytest.fixture
def own_heap() -> Iterator[None]:
    """The key-press bound is about the dashboard, whose process holds only its own objects.
    This pytest process still holds what hundreds of earlier tests left, and a full garbage
    collection over that heap can stall the loop for longer than the bound: set it aside
    (the app's own garbage is still collected as usual)."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


async def test_a_bad_day_on_the_wire(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    own_heap: None,
) -> None:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path))
    caplog.set_level(logging.WARNING)
    asked: list[Asked] = []
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 36)) as pilot:
        app = r.app
        good = await r.snapshot(stale=False)
        rows = sum(len(q.agents) for q in good.queues)
        assert rows > 0 and good.campaigns
        asked.append(await ask(r, pilot, "calm", "b"))
        asked.append(await ask(r, pilot, "calm", "i"))

        for phase in PHASES:
            r.phase = phase.name
            await r.sim.ask("stop" if phase.stopped else f"faults {phase.faults}")
            await r.press(pilot, "down", "up")
            snap = await r.snapshot(stale=phase.stale)
            if phase.stale:
                await pilot.pause(0)
                assert sum(len(q.agents) for q in snap.queues) == rows, "the last data went"
                banner = app.query_one(StaleBanner)
                assert banner.has_class("-shown") and snap.error and snap.error in banner.text
            asked.append(await ask(r, pilot, phase.name, "b", twice=phase.name.startswith("lat")))
            await r.press(pilot, "right", "left")
            asked.append(await ask(r, pilot, phase.name, "p"))
            asked.append(await ask(r, pilot, phase.name, "i"))
            asked.append(await ask(r, pilot, phase.name, "r"))

            await r.sim.ask("start" if phase.stopped else "faults ")
            await r.press(pilot, "down")
            fresh = await r.snapshot(stale=False)  # recovers by itself: no key asks it to
            while fresh.error:  # and the slow reads and the bills catch up right after
                fresh = await r.snapshot(stale=False)
            await pilot.pause(0)
            assert sum(len(q.agents) for q in fresh.queues) >= rows - 2
            assert not app.query_one(StaleBanner).has_class("-shown")

        assert app.is_running and not app.worker_failures, app.worker_failures

    slow = [(phase, key, round(took, 3)) for phase, key, took in r.presses if took >= KEY_BOUND]
    assert not slow, f"key presses answered later than {KEY_BOUND * 1000:.0f} ms: {slow}"
    logged = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert not logged, logged

    for one in asked:
        check_action(one)
    # Alerts raised by the bad day (the server unreadable) share the log; they are not actions.
    everything = [entry for entry in r.audit.entries() if entry["action"] != "alert"]
    # The double press's second press is in the log too, as refused, and was never sent.
    refused = [entry for entry in everything if entry["outcome"] == "refused"]
    assert [entry["action"] for entry in refused] == ["set busy"]
    entries = [entry for entry in everything if entry["outcome"] != "refused"]
    assert len(entries) == len(asked), "an action is missing from the audit log, or extra"
    for one, entry in zip(asked, entries, strict=True):
        assert one.result is not None
        assert entry["outcome"] == one.result.outcome.value
        assert entry["action"] == one.result.action
    outcomes: dict[str, set[str]] = {}
    for one in asked:
        assert one.result is not None
        outcomes.setdefault(one.phase, set()).add(one.result.outcome.value)
    # Each failure shows as what it is (not only "no crash").
    assert outcomes["calm"] == {"done"}
    assert outcomes["latency spikes"] == {"done"}
    assert outcomes["ret 500 for everything"] == {"failed"}
    assert outcomes["tokens dying early"] == {"done"}
    assert outcomes["answers that are not JSON"] == {"unknown"}  # applied, answer garbled
    assert outcomes["connections dropped"] == {"unknown"}
    assert outcomes["server stopped"] == {"failed"}
    # The double press under latency: the second press was refused on screen, not sent.
    assert any("in progress" in text for text in r.app.refusals)


async def test_a_garbled_answer_to_an_action_is_outcome_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator applied it, then its answer was cut short: the supervisor must not be
    told that it failed (they would do it again), but that the outcome is unknown."""
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path))
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 36)) as pilot:
        await r.snapshot(stale=False)
        await r.faults("malformed=1")
        asked = await ask(r, pilot, "garbled", "b")
        assert asked.result is not None and asked.applied == 1
        assert asked.result.outcome is Outcome.UNKNOWN, asked.result.message


async def test_a_second_press_refused_while_in_flight_is_in_the_audit_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path))
    async with rig(tmp_path) as r, r.app.run_test(size=(120, 36)) as pilot:
        await r.snapshot(stale=False)
        await r.faults("latency=0.4")
        asked = await ask(r, pilot, "double", "b", twice=True)
        assert asked.sent == [200] and asked.applied == 1  # sent once, applied once
        assert r.app.refusals, "the second press was not refused"
        outcomes = sorted(entry["outcome"] for entry in r.audit.entries())
        assert outcomes == ["done", "refused"]


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
