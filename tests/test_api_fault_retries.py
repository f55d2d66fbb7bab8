"""One bad answer is not a failed poll: reads answered with broken JSON, a dropped connection
or `ret 500` are asked again (with backoff) before the call fails, so a dashboard's poll
cycle fails far less often than its share of faults; mutations are never asked again.

The simulator's faults are thrown with its own seeded dice, and the client's backoff is not
waited (its jitter seeded), so every run sees the same faults and the same outcome."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ApiError, OutcomeUnknown, ProtocolError
from wallboard.sim.faults import Faults
from wallboard.sim.server import Simulator, create_app, serve_in_thread


async def _no_wait(_: float) -> None:
    return None


class Counting(httpx.AsyncBaseTransport):
    """Counts requests per service on the client's side of any transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        for name in (b"Login", b"Logout", b"TaskSet", b"GetQueueSipStatus", b"GetSipCallStatus"):
            if b"." + name + b"\r\n" in body:
                self.sent[name.decode()] = self.sent.get(name.decode(), 0) + 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _client(sim: Simulator, transport: httpx.AsyncBaseTransport, url: str) -> WallboardClient:
    return WallboardClient(
        url,
        sim.appid,
        sim.accesskey,
        transport=transport,
        sleep=_no_wait,
        jitter=random.Random(5).random,
        timeout=5,
    )


async def _cycles(client: WallboardClient, count: int) -> int:
    """`count` fast poll cycles (the agents' queue rows, then their calls in one request);
    how many of them failed."""
    extensions = sorted({agent.extnumber for agent in await client.queue_agents()})
    failed = 0
    for _ in range(count):
        try:
            await client.queue_agents()
            await client.call_status(extensions, batch_size=2500)
        except ApiError:
            failed += 1
    return failed


async def test_five_percent_broken_answers_rarely_fail_a_poll_cycle(
    make_simulator: Callable[..., Any],
) -> None:
    sim: Simulator = make_simulator(agents=20, queues=2, campaigns=1)
    client = _client(sim, httpx.ASGITransport(app=create_app(sim)), "http://sim.test")
    async with client:
        sim.faults = Faults(malformed=0.05, seed=3)
        failed = await _cycles(client, 300)
    fired = sim.stats()["faults"].get("malformed", 0)
    # 600 reads at 5%: some 30 broken answers, so without a second asking about 10% of the
    # cycles would fail; asked once more, a cycle fails only when both askings break
    # (0.25% per read, about 1.5 cycles in 300).
    assert fired >= 20
    assert failed <= 4
    assert failed < fired / 5


async def test_a_fault_run_over_loopback_rarely_fails_a_poll_cycle(
    make_simulator: Callable[..., Any],
) -> None:
    """Broken JSON, cut connections and `ret 500`, 5% each, through a real socket."""
    sim: Simulator = make_simulator(agents=12, queues=1, campaigns=1)
    with serve_in_thread(sim) as url:
        async with _client(sim, httpx.AsyncHTTPTransport(), url) as client:
            sim.faults = Faults(malformed=0.05, drop=0.05, error500=0.05, seed=8)
            failed = await _cycles(client, 80)
    fired = sum(sim.stats()["faults"].values())
    assert fired >= 15  # some 24 of 160 reads: without retries about 28% of cycles fail
    assert failed <= 3


async def test_broken_answers_to_mutations_are_never_asked_again(
    make_simulator: Callable[..., Any],
) -> None:
    sim: Simulator = make_simulator(agents=6, queues=1, campaigns=1)
    counting = Counting(httpx.ASGITransport(app=create_app(sim)))
    async with _client(sim, counting, "http://sim.test") as client:
        await client.login()
        sim.faults = Faults(malformed=1.0)
        with pytest.raises(OutcomeUnknown):
            await client.set_task("T-1", 2)
        with pytest.raises(ProtocolError, match="GetQueueSipStatus: the answer is not JSON"):
            await client.queue_agents()
        # Logout is not asked twice either: the first may have ended the session.
        with pytest.raises(ProtocolError, match="Logout: the answer is not JSON"):
            await client.logout()
        with pytest.raises(ProtocolError, match="Login: the answer is not JSON"):
            await client.login()
    assert counting.sent["TaskSet"] == 1
    assert counting.sent["GetQueueSipStatus"] == 2  # asked once more, and no more
    assert counting.sent["Logout"] == 1
    assert counting.sent["Login"] == 1 + 2  # the first Login, then one asked twice


async def test_one_broken_answer_is_read_again_and_the_call_succeeds(
    make_simulator: Callable[..., Any],
) -> None:
    sim: Simulator = make_simulator(agents=6, queues=1, campaigns=1)
    counting = Counting(httpx.ASGITransport(app=create_app(sim)))
    async with _client(sim, counting, "http://sim.test") as client:
        expected = await client.queue_agents()
        faults = Faults(malformed=1.0)
        sim.faults = faults
        original = faults.roll
        rolls = iter([True])

        def once(share: float) -> bool:  # the first answer breaks, the next ones do not
            return next(rolls, False) if share == faults.malformed else original(share)

        faults.roll = once  # type: ignore[method-assign]
        again = await client.queue_agents()
    assert again == expected
    assert counting.sent["GetQueueSipStatus"] == 3
    assert sim.stats()["faults"] == {"malformed": 1}
