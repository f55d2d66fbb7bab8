"""The server's clock as an offset from the host's (`WallboardClient.server_offset`): read off
every answer's reqtime/rsptime, steady although the stamps have whole seconds, following a
clock that is set, and right against a simulator days away from the host's clock, in process
and over loopback HTTP."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.api.errors import BusinessError
from wallboard.api.server_clock import ServerClock, stamp
from wallboard.sim.server import Simulator, create_app, serve_in_thread

#: Two days and seven hours: a server in another zone with a clock set wrong, or a demo.
AWAY = -(2 * 86400 + 7 * 3600)


class Floor:
    """A host and a server whose clocks differ by `offset` and run at rates `1 + skew` apart;
    the server stamps whole seconds, as the documents show."""

    def __init__(self, offset: float, *, skew: float = 0.0, seed: int = 1) -> None:
        self.host = 1_767_600_000.25
        self.offset = offset
        self.skew = skew
        self.dice = random.Random(seed)

    def server(self, host: float) -> float:
        return host + self.offset + self.skew * (host - 1_767_600_000.25)

    def answer(self, clock: ServerClock, wait: float) -> None:
        """One poll `wait` s after the last: a round trip of a few milliseconds."""
        self.host += wait
        sent = self.host
        arrives = sent + self.dice.uniform(0.001, 0.004)
        answered = arrives + self.dice.uniform(0.001, 0.050)
        received = answered + self.dice.uniform(0.001, 0.004)
        clock.observe(
            sent,
            received,
            rsptime=float(int(self.server(answered))),
            reqtime=float(int(self.server(arrives))),
        )
        self.host = received

    def truth(self) -> float:
        return self.server(self.host) - self.host


def test_no_offset_before_an_answer() -> None:
    clock = ServerClock()
    assert clock.offset is None
    clock.observe_envelope({"status": 0}, 10.0, 10.1)  # an envelope without stamps
    assert clock.offset is None


@pytest.mark.parametrize("offset", [AWAY + 0.37, 0.0, 0.999, 3600.5])
def test_polls_every_second_give_a_steady_offset_within_the_stamps_resolution(
    offset: float,
) -> None:
    floor, clock = Floor(offset), ServerClock()
    estimates = []
    for _ in range(600):
        floor.answer(clock, floor.dice.uniform(0.9, 1.1))
        estimate = clock.offset
        assert estimate is not None
        assert abs(estimate - floor.truth()) < 1.0
        estimates.append(estimate)
    # `rsptime - received` alone flips between two values a second apart; this never does.
    steps = [abs(b - a) for a, b in itertools.pairwise(estimates)]
    assert max(steps) < 0.5
    assert sum(steps[60:]) < 0.1  # settled after the first minute
    assert abs(estimates[-1] - floor.truth()) < 0.1  # the phases slid past: it narrowed


def test_a_clock_that_is_set_is_followed_at_the_next_answer() -> None:
    floor, clock = Floor(AWAY), ServerClock()
    for _ in range(30):
        floor.answer(clock, 1.0)
    floor.offset += 3600.0  # the server's clock is set an hour ahead
    floor.answer(clock, 1.0)
    assert clock.offset == pytest.approx(floor.truth(), abs=1.0)
    floor.offset -= 7200.0  # and back past where it was
    floor.answer(clock, 1.0)
    assert clock.offset == pytest.approx(floor.truth(), abs=1.0)


def test_clocks_running_at_different_rates_are_tracked_without_jumps() -> None:
    floor, clock = Floor(AWAY, skew=50e-6), ServerClock()
    estimates = []
    for _ in range(24 * 360):  # a day of polls every 10 s: the clocks drift 4.3 s apart
        floor.answer(clock, 10.0)
        assert clock.offset == pytest.approx(floor.truth(), abs=1.0)
        estimates.append(clock.offset)
    steps = [abs(b - a) for a, b in itertools.pairwise(estimates)]
    assert max(steps[30:]) < 0.05  # after the first five minutes' narrowing


def test_an_answer_received_before_it_was_sent_proves_nothing() -> None:
    clock = ServerClock()
    clock.observe(100.0, 99.0, rsptime=1_767_600_000.0)  # the host's clock was set back
    assert clock.offset is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_767_600_000, 1_767_600_000.0),
        ("1767600000", 1_767_600_000.0),
        (" 1767600000 ", 1_767_600_000.0),
        (1_767_600_000.5, 1_767_600_000.5),
        (True, None),
        (0, None),
        ("", None),
        ("soon", None),
        (None, None),
        (float("nan"), None),
        ([1_767_600_000], None),
    ],
)
def test_stamps_are_read_leniently(value: object, expected: float | None) -> None:
    assert stamp(value) == expected


# -- against the simulator -----------------------------------------------------------------


def _expected_offset(sim: Simulator) -> float:
    return sim.now() - time.time()


async def test_offset_against_a_simulator_days_away_in_process(
    make_simulator: Callable[..., Any],
) -> None:
    sim: Simulator = make_simulator(agents=6, queues=1, campaigns=0, start=time.time() + AWAY)
    client = WallboardClient(
        "http://sim.test",
        sim.appid,
        sim.accesskey,
        transport=httpx.ASGITransport(app=create_app(sim)),
    )
    async with client:
        assert client.server_offset is None
        await client.queues()
        first = client.server_offset
        assert first is not None
        assert first == pytest.approx(_expected_offset(sim), abs=1.0)
        assert abs(first - AWAY) < 5  # days away, as the simulator was started

        sim.advance(7 * 3600)  # the server's clock moves 7 hours while the host's does not
        await client.queue_agents()
        moved = client.server_offset
        assert moved is not None
        assert moved == pytest.approx(_expected_offset(sim), abs=1.0)
        assert moved - first == pytest.approx(7 * 3600, abs=1.0)


async def test_a_refused_call_still_tells_the_servers_time(
    make_simulator: Callable[..., Any],
) -> None:
    sim: Simulator = make_simulator(agents=4, queues=1, campaigns=0, start=time.time() + AWAY)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport
    ) as client:
        await client.login()  # Login's answer is stamped too
        assert client.server_offset == pytest.approx(_expected_offset(sim), abs=1.0)
        sim.advance(3 * 86400)
        with pytest.raises(BusinessError):  # 1024: no such task; the envelope has stamps
            await client.set_task("no-such-task", 2)
        assert client.server_offset == pytest.approx(_expected_offset(sim), abs=1.0)


async def test_offset_against_a_running_simulator_over_loopback(
    make_simulator: Callable[..., Any],
) -> None:
    """A simulator on its real-time clock, started two days and seven hours behind the host,
    served by uvicorn: every poll gives the same offset, to within the stamps' second."""
    sim: Simulator = make_simulator(
        agents=8, queues=1, campaigns=1, manual_clock=False, start=time.time() + AWAY
    )
    with serve_in_thread(sim) as url:
        async with WallboardClient(url, sim.appid, sim.accesskey, timeout=5) as client:
            estimates = []
            for _ in range(8):
                agents = await client.queue_agents()
                await client.call_status([agent.extnumber for agent in agents])
                offset = client.server_offset
                assert offset is not None
                assert offset == pytest.approx(_expected_offset(sim), abs=1.0)
                estimates.append(offset)
    assert max(estimates) - min(estimates) < 1.0
    assert abs(estimates[-1] - AWAY) < 5
