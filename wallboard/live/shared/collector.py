"""The collector: one poller for a floor that any number of viewers follow through Redis.

It polls exactly as a dashboard does (the same `LiveFloor`, the same cadences) and publishes
every snapshot: the whole floor under the snapshot key, with its version and the collector's
server time at publishing, and the change from the previous one on the changes stream, the
entry id being the version (`{version}-0`). The whole floor also carries the server's time
minus Redis's clock, so that a viewer reading it long after (the collector died) still
knows the server's time now, and how old the floor is. A viewer that finds a version
missing (it fell behind and the stream was trimmed, or it was away) reloads the whole floor
from the key.

Live callbacks (`on_event`, called from the receiver's thread) are applied to the last
snapshot as soon as they arrive and published as a change of their own; the next poll is
the truth again. An event that arrives while a poll is under way is applied again to that
poll's snapshot, which was read before it.

Only the holder of the floor's lock polls and publishes; a second collector for the same
floor waits as a standby and takes over when the lock expires. Whoever takes over publishes
a reload first (versions go on from the highest seen), so viewers start from its floor.
Redis going away costs the lock: the collector keeps trying, and publishes a reload when it
holds the lock again. A clean stop publishes the last snapshot marked stale, so viewers say
so at once, and gives the lock up, so the standby need not wait for it to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import orjson

from wallboard.live.shared import codec
from wallboard.live.shared.events import ANSWER, CallEvent, LiveEvent, apply_event
from wallboard.live.shared.keys import FloorKeys
from wallboard.live.shared.lock import RENEW_EVERY, CollectorLock
from wallboard.live.shared.requests import RequestDesk
from wallboard.live.snapshot import FloorSnapshot

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from wallboard.live.history.feed import HistoryFeed

log = logging.getLogger("wallboard.live.shared")

#: Changes kept on the stream: a viewer further behind than this reloads the whole floor.
CHANGES_KEPT = 1000
#: Seconds between tries while Redis cannot be reached.
REDIS_RETRY = 1.0


class PolledFloor(Protocol):
    """What the collector needs of `wallboard.live.model.LiveFloor`."""

    @property
    def snapshot(self) -> FloorSnapshot: ...

    async def refresh(self) -> FloorSnapshot: ...

    def next_delay(self) -> float: ...

    def server_now(self) -> float: ...

    @property
    def history(self) -> HistoryFeed | None: ...


def version_of(entry_id: bytes | str) -> int:
    """The version a changes-stream entry id carries (`{version}-0`)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


class Collector:
    """Polls one floor while it holds the floor's lock, and publishes it to Redis."""

    def __init__(
        self,
        floor: PolledFloor,
        redis: Redis,
        keys: FloorKeys,
        *,
        desk: RequestDesk | None = None,
        lock: CollectorLock | None = None,
        keep: int = CHANGES_KEPT,
        renew_every: float = RENEW_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.floor = floor
        self.keys = keys
        self.lock = lock or CollectorLock(redis, keys.lock)
        self._redis = redis
        self._desk = desk
        self._keep = keep
        self._renew_every = renew_every
        self._clock = clock
        self.version = 0
        self.leading = False
        self.published = 0  # snapshots and changes published, for tests and the log
        self._last: FloorSnapshot | None = None  # the floor as last published
        self._current: FloorSnapshot | None = None  # ... and with the live events since
        self._publishing = asyncio.Lock()  # one publication at a time: versions in order
        self._flushing: asyncio.Future[None] | None = None
        self._redis_offset = 0.0  # the server's time minus Redis's, at the last whole publish
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._polling_since: float | None = None
        self._during_poll: list[LiveEvent] = []
        self._led = asyncio.Event()

    def __repr__(self) -> str:
        role = "leading" if self.leading else "standby"
        return f"Collector(floor={self.keys.base!r}, {role}, version={self.version})"

    def holding(self) -> bool:
        """This collector holds the floor's lock (as far as its last renewal said)."""
        return self.leading

    # ------------------------------------------------------------------ events

    def on_event(self, event: LiveEvent) -> None:
        """A live callback, from any thread (the receiver's): applied on the collector's loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._apply_event, event)

    def _apply_event(self, event: LiveEvent) -> None:
        if not self.leading or self._current is None:
            return
        if self._polling_since is not None:
            self._during_poll.append(event)
        self._note_agent_joined(event)
        changed = apply_event(self._current, event, self.floor.server_now())
        if changed is self._current:
            return
        self._current = changed
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush())
            self._flushing.add_done_callback(_log_failure)

    def _note_agent_joined(self, event: LiveEvent) -> None:
        """An agent's own leg answered: when the agent joined the customer, to the second,
        for the 2-second test of the history store (polling sees it later, or not at all)."""
        history = self.floor.history
        if (
            history is None
            or not isinstance(event, CallEvent)
            or event.status != ANSWER
            or event.bleg
            or not event.number
        ):
            return
        joined = asyncio.ensure_future(history.agent_joined(event.number, self.floor.server_now()))
        joined.add_done_callback(_log_failure)

    async def _flush(self) -> None:
        """Publish the events applied since the last publication (one change for a burst)."""
        from redis.exceptions import RedisError

        try:
            async with self._publishing:  # events that come meanwhile go out next round
                while self._current is not None and self._current is not self._last:
                    await self._publish(self._current)
        except RedisError as exc:
            log.warning("a live event was not published: %s", exc)

    # ------------------------------------------------------------------ running

    async def wait_leading(self, timeout: float) -> None:
        """Wait until this collector has published as the floor's collector (for tests)."""
        await asyncio.wait_for(self._led.wait(), timeout)

    async def run(self, stop: asyncio.Event) -> None:
        """Stand by, lead, stand by again, until `stop` is set; then leave cleanly. Being
        cancelled is a crash: nothing is released (the standby waits for the lock's ttl)."""
        from redis.exceptions import RedisError

        self._loop = asyncio.get_running_loop()
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: self._wake.set())
        failing = False  # Redis is failing: said once a streak, not every second
        try:
            while not stop.is_set():
                try:
                    acquired = await self.lock.acquire()
                    if failing:
                        log.warning("shared floor %s: Redis answers again", self.keys.base)
                        failing = False
                    if acquired:
                        await self._lead(stop)
                except RedisError as exc:
                    if not failing:
                        log.warning("shared floor %s: Redis: %s", self.keys.base, exc)
                    failing = True
                self.leading = False
                await asyncio.wait({stopping}, timeout=self._renew_every)
        finally:
            stopping.cancel()
            self.leading = False

    async def _lead(self, stop: asyncio.Event) -> None:
        from redis.exceptions import RedisError

        log.info("shared floor %s: collecting (%s)", self.keys.base, self.lock.owner)
        self.leading = True
        await self._catch_up_versions()
        renewing = asyncio.ensure_future(self._renew(stop))
        desk = asyncio.ensure_future(self._desk.serve(self.holding)) if self._desk else None
        reload = True
        try:
            while self.holding() and not stop.is_set():
                self._polling_since = self._clock()
                self._during_poll = []
                snapshot = await self.floor.refresh()
                for event in self._during_poll:
                    snapshot = apply_event(snapshot, event, self.floor.server_now())
                self._polling_since = None
                if not self.holding():
                    break
                await self.publish(snapshot, reload=reload)
                reload = False
                self._led.set()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.floor.next_delay())
            if stop.is_set() and self.holding():
                await self._leave()
        finally:
            self._polling_since = None
            self.leading = False
            renewing.cancel()
            jobs = [renewing] + ([desk] if desk is not None else [])
            if desk is not None:
                desk.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            if renewing.done() and not renewing.cancelled():
                failure = renewing.exception()
                if isinstance(failure, RedisError):
                    raise failure
            log.info("shared floor %s: no longer collecting", self.keys.base)

    async def _renew(self, stop: asyncio.Event) -> None:
        """Keep the lock; when it is lost, stop leading (and wake the poll loop)."""
        from redis.exceptions import RedisError

        try:
            while not stop.is_set():
                await asyncio.sleep(self._renew_every)
                if not await self.lock.renew():
                    log.warning("shared floor %s: the lock was lost", self.keys.base)
                    break
        except RedisError as exc:
            log.warning("shared floor %s: cannot renew the lock: %s", self.keys.base, exc)
        finally:
            self.leading = False
            self._wake.set()

    async def _catch_up_versions(self) -> None:
        """Go on from the highest version anybody published (a collector before this one)."""
        stored = await self._redis.get(self.keys.snapshot)
        if stored is not None:
            with contextlib.suppress(codec.WireError, ValueError, TypeError):
                data = codec.loads(stored)
                if isinstance(data, dict) and isinstance(data.get("version"), int):
                    self.version = max(self.version, int(data["version"]))
        last = await self._redis.xrevrange(self.keys.changes, count=1)
        if last and last[0][0] is not None:
            self.version = max(self.version, version_of(last[0][0]))

    async def _leave(self) -> None:
        """A clean stop: viewers see the floor stale at once, the standby takes over now."""
        if self._current is not None:
            stopped = replace(self._current, stale=True, error="the floor's collector stopped")
            await self.publish(stopped, reload=True)
        self.leading = False
        await self.lock.release()

    # ------------------------------------------------------------------ publishing

    async def publish(self, snapshot: FloorSnapshot, *, reload: bool = False) -> int:
        """Publish `snapshot` as the next version: the change on the stream, and the whole
        floor under the snapshot key after a poll (`reload`, or a new `taken_at`); returns
        the version. A reload tells viewers to read the whole floor again."""
        async with self._publishing:
            version = await self._publish(snapshot, reload=reload)
            self._current = snapshot  # a poll is the truth again
            return version

    async def _publish(self, snapshot: FloorSnapshot, *, reload: bool = False) -> int:
        previous = self._last
        version = self.version + 1
        whole = reload or previous is None or previous.taken_at != snapshot.taken_at
        if whole:  # Redis's clock, for a viewer that reads the floor later (see the viewer)
            seconds, micros = await self._redis.time()
            self._redis_offset = self.floor.server_now() - (seconds + micros / 1e6)
        published = self.floor.server_now()
        fields: dict[bytes, bytes] = {b"published": repr(published).encode()}
        if reload or previous is None:
            fields[b"reload"] = b"1"
        else:
            fields[b"change"] = orjson.dumps(codec.diff(previous, snapshot))
        pipe = self._redis.pipeline(transaction=True)
        if whole:
            document = {
                "format": codec.FORMAT,
                "version": version,
                "published": published,
                "redis_offset": self._redis_offset,
                "snapshot": codec.snapshot_wire(snapshot),
            }
            pipe.set(self.keys.snapshot, orjson.dumps(document))
        pipe.xadd(
            self.keys.changes,
            fields,  # type: ignore[arg-type]
            id=f"{version}-0",
            maxlen=self._keep,
            approximate=False,
        )
        await pipe.execute()
        self.version = version
        self._last = snapshot
        self.published += 1
        return version


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("publishing a live event failed", exc_info=task.exception())


__all__ = ["CHANGES_KEPT", "Collector", "PolledFloor", "version_of"]
