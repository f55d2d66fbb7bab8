"""The Redis client must end a cancelled command with the cancel.

The shared collector stops by being cancelled (its lock renewal, its request desk, its
publishing all wait on Redis). redis-py 8.0 and 8.1 lose a cancellation that lands in the
first few turns of an asyncio command: the command returns as if never cancelled, the
collector's renewal goes on keeping the lock, and whatever waits for the collector to stop
waits for ever. pyproject.toml keeps redis-py below 8 for this; this test says why, against
a real redis-server, and fails on a client that has the fault.
"""

from __future__ import annotations

import asyncio

from fixtures.redis_server import RedisServer, redis_server_fixture  # noqa: F401
from redis.asyncio import Redis

#: The lock's renewal as the collector sends it: a script, one key.
RENEW = "return redis.call('pexpire', KEYS[1], ARGV[1])"


async def renew(redis: Redis, started: asyncio.Event) -> None:
    started.set()
    await redis.eval(RENEW, 1, "lock", "1000")  # type: ignore[misc]


async def test_a_command_cancelled_at_any_turn_of_the_loop_ends_cancelled(
    redis_server: RedisServer,
) -> None:
    redis = Redis.from_url(redis_server.url, socket_connect_timeout=1.0)
    try:
        await redis.set("lock", "me")
        lost: list[int] = []
        for turns in range(12):  # from the command's start until well after its answer
            started = asyncio.Event()
            task = asyncio.ensure_future(renew(redis, started))
            await started.wait()
            for _ in range(turns):
                await asyncio.sleep(0)
            if task.done():
                break  # answered before the cancel: nothing more to learn
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=5)
            assert done, f"a command cancelled after {turns} turns did not end"
            if not task.cancelled():
                lost.append(turns)
        assert not lost, f"cancels lost by the Redis client after {lost} turns of the loop"
    finally:
        await redis.aclose()
