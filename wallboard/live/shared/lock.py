"""The collector's lock: one collector per floor polls; a second waits as a standby.

A plain Redis key with an expiry (`SET key owner NX PX ttl`), renewed by its owner well
before it expires and only while it still holds it (a compare-and-renew script): a collector
that dies stops renewing, the key expires after `ttl`, and a standby's next try takes it.
A collector that loses it (Redis restarted, or it stalled past the ttl and another took
over) learns so at its next renewal and stops publishing.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Awaitable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: How long the lock lives unrenewed: the standby takes over this long after a collector died.
LOCK_TTL = 4.0
#: The owner renews (and a standby tries) this often: several times within the ttl.
RENEW_EVERY = 1.0

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def collector_name() -> str:
    """Who holds the lock, for an operator reading it: host, process and a random tail."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class CollectorLock:
    """The lock of one floor's collector, held by `owner`."""

    def __init__(self, redis: Redis, key: str, *, owner: str | None = None, ttl: float = LOCK_TTL):
        if not ttl > 0:
            raise ValueError("the lock's ttl must be above 0 seconds")
        self._redis = redis
        self.key = key
        self.owner = owner or collector_name()
        self.ttl_ms = int(ttl * 1000)

    def __repr__(self) -> str:
        return f"CollectorLock(key={self.key!r}, owner={self.owner!r})"

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it (or renew it if this owner does)."""
        taken = await self._redis.set(self.key, self.owner, nx=True, px=self.ttl_ms)
        return bool(taken) or await self.renew()

    async def renew(self) -> bool:
        """Keep the lock for another ttl; False when this owner no longer holds it."""
        # redis-py types a command for both of its clients (a value or an awaitable).
        renewed = await cast(
            "Awaitable[object]",
            self._redis.eval(_RENEW, 1, self.key, self.owner, str(self.ttl_ms)),
        )
        return bool(renewed)

    async def release(self) -> None:
        """Give the lock up at once (a clean stop), so that a standby need not wait the ttl."""
        await cast("Awaitable[object]", self._redis.eval(_RELEASE, 1, self.key, self.owner))

    async def holder(self) -> str | None:
        """Who holds the lock now, if anybody."""
        value = await self._redis.get(self.key)
        if value is None:
            return None
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


__all__ = ["LOCK_TTL", "RENEW_EVERY", "CollectorLock", "collector_name"]
