"""Callbacks: the simulator posts extension states, bills and task completions to receivers.

The vendor pushes these to addresses the customer configures, as a form post whose one
field `detail` holds the JSON text. A receiver that is slow or down must never hold up the
floor, so the floor only drops events into a bounded queue (the oldest go when it is full,
and are counted) and a thread of its own delivers them, retrying with backoff.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from wallboard.sim.drift import Drift

log = logging.getLogger(__name__)

KINDS = ("ext", "bill", "task")


@dataclass(frozen=True)
class CallbackTargets:
    """Where each kind of callback goes: its own address, else the common one, else nowhere."""

    all: str | None = None
    ext: str | None = None
    bill: str | None = None
    task: str | None = None

    def url_for(self, kind: str) -> str | None:
        specific = {"ext": self.ext, "bill": self.bill, "task": self.task}.get(kind)
        return specific or self.all or None

    @property
    def any(self) -> bool:
        return any(self.url_for(kind) for kind in KINDS)


@dataclass(frozen=True)
class CallbackStats:
    """Counts since start. `dropped`: pushed out of a full queue before delivery."""

    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    pending: int = 0


@dataclass(frozen=True)
class _Item:
    kind: str
    url: str
    detail: str  # the JSON text, encoded when queued so later changes cannot leak in


class CallbackDispatcher:
    """A bounded queue of callbacks and the thread that delivers them.

    `offer` is what the floor calls: it never blocks and never raises. Delivery is in order,
    one at a time, each with `attempts` tries; between tries it waits `backoff`, doubling up
    to `max_backoff`. A receiver's 2xx/3xx is delivered, 5xx/429 and network errors are
    retried, any other 4xx fails at once.
    """

    def __init__(
        self,
        targets: CallbackTargets,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        capacity: int = 1_000,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 5.0,
        drift: Drift | None = None,
    ) -> None:
        if capacity < 1 or attempts < 1:
            raise ValueError("capacity and attempts must be at least 1")
        self.targets = targets
        self._transport = transport
        self._queue: collections.deque[_Item] = collections.deque()
        self._capacity = capacity
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._timeout = timeout
        self._drift = drift if drift is not None and drift.active else None
        self._counts = dict.fromkeys(("queued", "delivered", "retried", "failed", "dropped"), 0)
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._idle = False  # the thread waits for work: the next offer must wake it
        self._stopping = False

    def __repr__(self) -> str:
        return f"CallbackDispatcher({self.stats})"

    @property
    def stats(self) -> CallbackStats:
        with self._changed:
            return self._snapshot()

    def _snapshot(self) -> CallbackStats:
        return CallbackStats(**self._counts, pending=len(self._queue))

    # -- the floor's side -------------------------------------------------------------
    def offer(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Queue one callback (a no-op for a kind with no address)."""
        url = self.targets.url_for(kind)
        if url is None or self._stopping:
            return
        if self._drift is not None:
            payload = self._drift.payload(payload)
        try:
            detail = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            log.warning("callback %s not sent: its payload is not JSON", kind)
            return
        with self._changed:
            if len(self._queue) >= self._capacity:
                self._queue.popleft()
                self._counts["dropped"] += 1
            self._queue.append(_Item(kind, url, detail))
            self._counts["queued"] += 1
            self._changed.notify_all()
            # Wake the thread only when it sleeps: one wake-up per burst, not per event.
            wake, self._idle = self._idle, False
        if wake:
            self._wake_up(self._wake)

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="wallboard-sim-callbacks", daemon=True
        )
        self._thread.start()
        ready.wait(timeout=5.0)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop delivering (what is still queued is abandoned) and end the thread."""
        self._stopping = True
        self._wake_up(self._wake)
        self._wake_up(self._stop_event)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def wait_until(self, predicate: Callable[[CallbackStats], bool], timeout: float) -> bool:
        """Block until `predicate(stats)` holds or `timeout` passes (for tests and tools)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self._snapshot()), timeout)

    # -- the delivery thread ----------------------------------------------------------
    def _wake_up(self, event: asyncio.Event | None) -> None:
        loop = self._loop
        if loop is not None and event is not None:
            # RuntimeError: the loop has just closed, stop() is under way.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._deliver_all(ready))
        finally:
            self._loop = None
            loop.close()

    async def _deliver_all(self, ready: threading.Event) -> None:
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        ready.set()
        # TCP_NODELAY: a form post goes out as two writes; without it the second waits for
        # the receiver's delayed ACK.
        transport = self._transport or httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        async with httpx.AsyncClient(transport=transport, timeout=self._timeout) as http:
            while not self._stopping:
                with self._changed:
                    item = self._queue.popleft() if self._queue else None
                    if item is None:
                        self._idle = True
                        self._wake.clear()
                if item is None:
                    await self._wake.wait()
                    continue
                await self._deliver(http, item)

    async def _deliver(self, http: httpx.AsyncClient, item: _Item) -> None:
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                self._count(retried=1)
                if await self._sleep_or_stop(delay):
                    return
                delay = min(delay * 2, self._max_backoff)
            try:
                response = await http.post(item.url, files={"detail": (None, item.detail)})
            except httpx.HTTPError as exc:
                log.debug("callback %s to receiver failed: %s", item.kind, type(exc).__name__)
                continue
            status = response.status_code
            if status < 400:
                self._count(delivered=1)
                return
            if status < 500 and status != 429:
                break
        self._count(failed=1)
        log.info("callback %s not delivered after %d attempt(s)", item.kind, attempt)

    async def _sleep_or_stop(self, delay: float) -> bool:
        """Wait out a backoff; True when the dispatcher is stopping instead."""
        assert self._stop_event is not None
        try:
            await asyncio.wait_for(self._stop_event.wait(), timeout=delay)
        except TimeoutError:
            return False
        return True

    def _count(self, **deltas: int) -> None:
        with self._changed:
            for name, value in deltas.items():
                self._counts[name] += value
            self._changed.notify_all()
