"""A viewer's floor: the app's `Floor`, fed from the collector through Redis, never polling.

`refresh()` waits (at most `wait` seconds) for the next change on the floor's changes
stream and applies it, so a change reaches the screen as soon as Redis hands it over; with
no change it returns the floor as it was, and the screen's age goes on counting. The whole
floor is read from the snapshot key at the start, whenever a version is missing (this
viewer fell behind and the stream was trimmed), when the collector says to (a new collector
took over), and after Redis failed (it may have restarted empty).

The data's age is the collector's: every change carries the collector's server time, and
the whole floor the server's time minus Redis's clock; the viewer keeps the offset between
the server's time and its own clock, measured at a reload (from Redis's clock) and whenever
it is up to date with the stream. A collector that dies publishes nothing more, the age
grows, and the floor shows STALE after two refresh periods exactly as a dashboard whose
poll hangs. Redis failing marks the floor stale at once, with the reason, and the viewer
retries with a backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from wallboard.live.shared import codec
from wallboard.live.shared.collector import version_of
from wallboard.live.shared.keys import FloorKeys
from wallboard.live.snapshot import FloorSnapshot

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("wallboard.live.shared")

#: Seconds one refresh waits for a change before it returns the floor unchanged.
WAIT = 1.0
#: Changes read at once at most (a viewer far behind reads on at the next refresh).
READ_AT_ONCE = 500
MAX_BACKOFF = 10.0
NO_COLLECTOR = "no collector has published this floor yet"

Entry = tuple[bytes, dict[bytes, bytes]]


class SharedFloor:
    """The floor as the collector publishes it (see the module's docstring)."""

    def __init__(
        self,
        redis: Redis,
        keys: FloorKeys,
        *,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
        wait: float = WAIT,
    ) -> None:
        self._redis = redis
        self.keys = keys
        self._clock = clock
        self.read_only = read_only
        self._wait_ms = max(1, int(wait * 1000))
        self.version = 0
        self.reloads = 0  # whole floors read, for tests and the log
        self._data: FloorSnapshot | None = None  # the floor as the collector has it
        self._offset = 0.0  # the collector's server time minus this machine's clock
        self._problem: str | None = None  # why the floor cannot be followed now
        self._need_reload = True
        self._failures = 0
        self._snapshot = self._shown()

    def __repr__(self) -> str:
        return f"SharedFloor(floor={self.keys.base!r}, version={self.version})"

    @property
    def snapshot(self) -> FloorSnapshot:
        return self._snapshot

    def next_delay(self) -> float:
        """At once while Redis answers (the refresh itself waits for a change); a backoff
        while it does not; a second while no collector has published the floor."""
        if self._failures == 0:
            return self._wait_ms / 1000 if self._need_reload else 0.0
        return min(MAX_BACKOFF, 0.5 * 2.0 ** (self._failures - 1))

    async def refresh(self) -> FloorSnapshot:
        """The floor after the next change (or after `wait` without one). Never raises."""
        from redis.exceptions import RedisError

        try:
            if self._need_reload:
                await self._reload()
            else:
                await self._follow()
            self._failures = 0
        except RedisError as exc:
            if self._failures == 0:
                log.warning("shared floor %s: Redis: %s", self.keys.base, exc)
            self._failures += 1
            self._problem = f"the shared floor's Redis cannot be reached ({type(exc).__name__})"
            self._need_reload = True
        except codec.WireError as exc:
            log.warning("shared floor %s: unreadable data (%s); reloading", self.keys.base, exc)
            self._need_reload = True
        self._snapshot = self._shown()
        return self._snapshot

    async def _reload(self) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self.keys.snapshot)
        pipe.time()
        stored, (seconds, micros) = await pipe.execute()
        now = self._clock()
        if stored is None:
            self._problem = NO_COLLECTOR if self._data is None else "waiting for the collector"
            return
        document = codec.loads(stored)
        if not isinstance(document, dict) or document.get("format") != codec.FORMAT:
            raise codec.WireError("not a snapshot of this wallboard's format")
        version, redis_offset = document.get("version"), document.get("redis_offset")
        if not isinstance(version, int) or not isinstance(redis_offset, int | float):
            raise codec.WireError("a snapshot without its version")
        self._data = codec.snapshot_of(document.get("snapshot"))
        self.version = version
        self._offset = float(seconds) + float(micros) / 1e6 + float(redis_offset) - now
        self._problem = None
        self._need_reload = False
        self.reloads += 1

    async def _follow(self) -> None:
        found = cast(
            list[tuple[bytes, list[Entry]]],
            await self._redis.xread(
                {self.keys.changes: f"{self.version}-0"}, count=READ_AT_ONCE, block=self._wait_ms
            ),
        )
        now = self._clock()
        entries = [entry for _stream, batch in found or [] for entry in batch]
        for entry_id, fields in entries:
            version = version_of(entry_id)
            if version != self.version + 1 or b"reload" in fields or b"change" not in fields:
                await self._reload()
                return
            assert self._data is not None  # a reload came first
            self._data = codec.apply(self._data, codec.loads(fields[b"change"]))
            self.version = version
        if entries and len(entries) < READ_AT_ONCE:  # up to date: the collector's time is now
            published = entries[-1][1].get(b"published", b"")
            try:
                self._offset = float(published) - now
            except ValueError:
                raise codec.WireError("a change without its time") from None

    def _shown(self) -> FloorSnapshot:
        """The collector's floor on this viewer's clock, read-only if this viewer is."""
        data = self._data
        if data is None:
            return FloorSnapshot(
                taken_at=self._clock(),
                stale=True,
                error=self._problem or NO_COLLECTOR,
                read_only=self.read_only,
                bills_read=False,
            )
        error = self._problem or data.error
        return replace(
            data,
            clock_offset=self._offset,
            read_only=self.read_only or data.read_only,
            stale=data.stale or self._problem is not None,
            error=error,
        )


__all__ = ["NO_COLLECTOR", "WAIT", "SharedFloor"]
