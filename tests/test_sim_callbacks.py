"""Callbacks: extension states, bills and task completions posted to receivers as the form
field `detail` holding the JSON, in the documented formats; retried with backoff; and a slow
or dead receiver changes nothing on the floor and does not slow it down."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from wallboard.sim import bills as bills_module
from wallboard.sim import core as core_module
from wallboard.sim.callbacks import CallbackDispatcher, CallbackStats, CallbackTargets
from wallboard.sim.server import Simulator, serve_app_in_thread

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"


def documented_keys(name: str) -> set[str]:
    return set(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))


class Receiver:
    """An httpx transport that records what the simulator posts, and answers as told."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.posts: list[tuple[str, str, dict[str, Any]]] = []  # (path, content type, detail)
        self.answers = list(answers or [])
        self.attempts = 0
        self.gate: threading.Event | None = None
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            self.gate.wait(10)
        with self.lock:
            self.attempts += 1
            status = self.answers.pop(0) if self.answers else 200
            if status == 200:
                detail = _form_field(request, "detail")
                kind = request.headers["content-type"].split(";")[0]
                self.posts.append((request.url.path, kind, json.loads(detail)))
        return httpx.Response(status)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def details(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [detail for where, _, detail in self.posts if where == path]


def _form_field(request: httpx.Request, name: str) -> str:
    """One field of a multipart/form-data body (the simulator sends form-data, as PHP does)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if f'name="{name}"'.encode() in head:
            return body.removesuffix(b"\r\n").decode()
    raise AssertionError(f"no field {name} in the callback")


def delivered_all(stats: CallbackStats) -> bool:
    return (
        stats.queued > 0
        and stats.pending == 0
        and stats.delivered + stats.failed + (stats.dropped) >= stats.queued
    )


def finished(dispatcher: CallbackDispatcher, timeout: float = 10.0) -> CallbackStats:
    assert dispatcher.wait_until(delivered_all, timeout), dispatcher.stats
    return dispatcher.stats


def sim_with(receiver: Receiver, **options: Any) -> Simulator:
    targets = CallbackTargets(
        all="http://receiver.test/all",
        ext="http://receiver.test/ext",
        bill="http://receiver.test/bill",
    )
    dispatcher = CallbackDispatcher(
        targets, transport=receiver.transport(), backoff=0.005, **options
    )
    return Simulator.from_scenario(seed=7, manual_clock=True, callbacks=dispatcher)


def test_callbacks_carry_the_documented_formats_to_each_address() -> None:
    receiver = Receiver()
    with sim_with(receiver, capacity=100_000) as sim:
        sim.advance(15 * 60)
        stats = finished(sim.callbacks)  # type: ignore[arg-type]
    assert stats.delivered == stats.queued and stats.failed == stats.dropped == 0
    kinds = {kind for _, kind, _ in receiver.posts}
    assert kinds == {"multipart/form-data"}

    ext_events = receiver.details("/ext")
    assert {event["status"] for event in ext_events} == {"ring", "answer", "hangup"}
    documented = documented_keys("callback_extension_call_predictive")
    for event in ext_events:
        assert set(event) == documented | {"customuuid"}
        assert event["isbleg"] in ("true", "false") and event["starttime"].isdigit()
        assert event["companycode"] == "9017" and event["type"] == "call"

    bills = receiver.details("/bill")
    assert len(bills) == len(sim.floor.bills) > 0
    documented = documented_keys("callback_bill_predictive") | documented_keys("callback_bill")
    for bill in bills:
        assert set(bill) <= documented
        assert {"type", "starttime", "endtime", "destnumber", "hangupcause", "uuid"} <= set(bill)
    assert [bill["id"] for bill in bills] == [bill.id for bill in sim.floor.bills]


def test_the_task_callback_goes_to_the_common_address_when_it_has_none_of_its_own() -> None:
    receiver = Receiver()
    with sim_with(receiver, capacity=100_000) as sim:
        taskid = next(iter(sim.floor.tasks))
        sim.floor.set_task(taskid, 3)
        finished(sim.callbacks)  # type: ignore[arg-type]
    tasks = receiver.details("/all")
    assert tasks == [{"taskid": taskid, "companycode": "9017", "status": 3}]
    assert set(tasks[0]) == documented_keys("callback_task")


def test_failed_posts_are_retried_with_backoff() -> None:
    receiver = Receiver(answers=[500, 503])
    targets = CallbackTargets(all="http://receiver.test/cb")
    dispatcher = CallbackDispatcher(
        targets, transport=receiver.transport(), attempts=3, backoff=0.01
    )
    dispatcher.start()
    try:
        began = time.monotonic()
        dispatcher.offer("task", {"taskid": "1", "companycode": "9017", "status": 3})
        stats = finished(dispatcher)
        elapsed = time.monotonic() - began
    finally:
        dispatcher.stop()
    assert (stats.delivered, stats.retried, stats.failed, receiver.attempts) == (1, 2, 0, 3)
    assert elapsed >= 0.01 + 0.02  # waited, doubling, between the tries
    assert receiver.details("/cb") == [{"taskid": "1", "companycode": "9017", "status": 3}]


def test_a_refusing_receiver_is_not_retried_and_attempts_are_bounded() -> None:
    receiver = Receiver(answers=[404, 500, 500])
    targets = CallbackTargets(all="http://receiver.test/cb")
    dispatcher = CallbackDispatcher(
        targets, transport=receiver.transport(), attempts=2, backoff=0.001
    )
    dispatcher.start()
    try:
        dispatcher.offer("bill", {"id": 1})
        dispatcher.offer("bill", {"id": 2})
        stats = finished(dispatcher)
    finally:
        dispatcher.stop()
    assert (stats.delivered, stats.failed, stats.retried, receiver.attempts) == (0, 2, 1, 3)


def test_no_address_means_no_queue_and_no_thread() -> None:
    sim = Simulator.from_scenario(seed=7, manual_clock=True, callbacks=CallbackTargets())
    assert sim.callbacks is None
    dispatcher = CallbackDispatcher(CallbackTargets(bill="http://receiver.test/b"))
    dispatcher.offer("ext", {"status": "ring"})  # no ext address: nothing queued
    assert dispatcher.stats.queued == 0


def test_only_the_kinds_with_an_address_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only a bill address, the floor builds no extension payloads (two uuid hashes
    each): one hash per bill is all the work callbacks add."""
    hashed: list[int] = []
    real_uuid = core_module.call_uuid

    def counted_uuid(seed: int, seq: int, leg: str = "a") -> str:
        hashed.append(seq)
        return real_uuid(seed, seq, leg)

    monkeypatch.setattr(core_module, "call_uuid", counted_uuid)  # extension events
    monkeypatch.setattr(bills_module, "call_uuid", counted_uuid)  # bills
    receiver = Receiver()
    dispatcher = CallbackDispatcher(
        CallbackTargets(bill="http://receiver.test/bill"),
        transport=receiver.transport(),
        capacity=100_000,
    )
    with Simulator.from_scenario(seed=7, manual_clock=True, callbacks=dispatcher) as sim:
        sim.advance(10 * 60)
        stats = finished(dispatcher)
    assert stats.delivered == stats.queued == len(sim.floor.bills) > 0
    assert len(hashed) == len(sim.floor.bills)
    bills = receiver.details("/bill")
    assert [bill["uuid"] for bill in bills] == [bill.uuid for bill in sim.floor.bills]


def _bill_rows(sim: Simulator) -> list[dict[str, Any]]:
    return [sim.floor.bill_row(bill) for bill in sim.floor.bills]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_receiver_neither_changes_nor_slows_the_floor() -> None:
    # The baseline reads every event's payload (so the floor builds the same payloads) and
    # drops it; CPU time of this thread is what the floor's work costs, whatever else runs.
    listened = Simulator.from_scenario(seed=11, manual_clock=True)
    listened.floor.subscribe(lambda event: event.payload)
    began = time.thread_time()
    listened.advance(2 * 3600)
    listened_cpu = time.thread_time() - began

    dead = f"http://127.0.0.1:{_closed_port()}/callbacks"
    dispatcher = CallbackDispatcher(
        CallbackTargets(all=dead), capacity=50, attempts=3, backoff=0.05
    )
    with Simulator.from_scenario(seed=11, manual_clock=True, callbacks=dispatcher) as noisy:
        began, wall = time.thread_time(), time.monotonic()
        noisy.advance(2 * 3600)
        noisy_cpu, wall = time.thread_time() - began, time.monotonic() - wall
        assert _bill_rows(noisy) == _bill_rows(listened)
        assert noisy.floor.now == listened.floor.now
        stats = dispatcher.stats
        assert stats.queued > 1000 and stats.dropped > 0 and stats.delivered == 0
        assert dispatcher.wait_until(lambda s: s.failed > 0, 10.0)
    # Queueing a callback costs little next to simulating the call that made it.
    assert noisy_cpu < listened_cpu * 2 + 0.2
    assert wall < 10


def test_a_slow_receiver_fills_the_queue_and_the_oldest_are_dropped() -> None:
    receiver = Receiver()
    receiver.gate = threading.Event()  # the receiver hangs until the gate opens
    dispatcher = CallbackDispatcher(
        CallbackTargets(all="http://receiver.test/cb"),
        transport=receiver.transport(),
        capacity=20,
    )
    with Simulator.from_scenario(seed=7, manual_clock=True, callbacks=dispatcher) as sim:
        emitted: list[dict[str, Any]] = []
        sim.floor.subscribe(lambda event: emitted.append(event.payload))
        began = time.monotonic()
        sim.advance(30 * 60)
        assert time.monotonic() - began < 5.0
        stats = dispatcher.stats
        assert stats.pending == 20
        assert stats.dropped == stats.queued - 20 - 1  # one is in the receiver's hands
        receiver.gate.set()
        stats = finished(dispatcher)
        assert stats.delivered == 21
    # What got through: the one already in the receiver's hands, then the newest 20.
    received = [detail for _, _, detail in receiver.posts]
    assert received[0] in emitted[:-20]
    assert received[1:] == emitted[-20:]


# -- a real receiver on loopback -----------------------------------------------------------
@contextmanager
def receiver_server(store: list[tuple[str, dict[str, Any]]]) -> Iterator[str]:
    async def receive(request: Request) -> PlainTextResponse:
        form = await request.form()
        store.append((request.url.path, json.loads(str(form["detail"]))))
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/{kind}", receive, methods=["POST"])])
    with serve_app_in_thread(app, lifespan="off") as url:  # returns once it is listening
        yield url


def test_callbacks_reach_a_real_receiver_over_loopback() -> None:
    store: list[tuple[str, dict[str, Any]]] = []
    with receiver_server(store) as url:
        targets = CallbackTargets(all=f"{url}/all", bill=f"{url}/bill")
        with Simulator.from_scenario(seed=7, manual_clock=True, callbacks=targets) as sim:
            sim.advance(2 * 60)
            assert sim.callbacks is not None
            stats = finished(sim.callbacks)
    assert stats.delivered == stats.queued > 0
    bills = [detail for path, detail in store if path == "/bill"]
    assert [bill["id"] for bill in bills] == [bill.id for bill in sim.floor.bills]
    assert any(detail.get("status") == "ring" for path, detail in store if path == "/all")


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_dispatcher_needs_room(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity"):
        CallbackDispatcher(CallbackTargets(all="http://x.test/"), capacity=capacity)
