"""Soak: the live model on a 2,000-agent simulated floor at high speed, for as long as asked.

A wall dashboard runs for days. Here the simulated floor runs in a process of its own on a
manual clock (so that this process holds only what the dashboard holds), served over real
HTTP on loopback, and moves `STEP` simulated seconds before every poll: the floor changes
far faster than a wall would see it. The live model polls it as the dashboard does (fast
reads, slow reads, the day's bills), and this checks:

- the poll loop never drifts behind: every cycle ends well inside the poll interval, and
  the late cycles are no slower than the early ones;
- memory stays flat: what the poll loop keeps (allocations still alive, by tracemalloc)
  grows by less than 20 MB per simulated 24 hours. The day's bills are counted apart
  (allocations made while reading them): the bill reader keeps every bill of its window.

The short soak runs in the normal suite (about 20 s). The long one is marked slow (run it
with `pytest --run-slow` or WALLBOARD_SLOW=1); WALLBOARD_SOAK_HOURS sets its length in real
hours (default 0.1: six minutes, a little over a simulated day).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wallboard.api.client import WallboardClient
from wallboard.live.campaigns import STATUS_BY_CODE, CampaignRegistry
from wallboard.live.model import LiveFloor

AGENTS = 2000
STEP = 120.0  # simulated seconds between two polls
INTERVAL = 1.5  # the dashboard's poll interval: a cycle must end well inside it
GOAL_MB_PER_DAY = 20.0
DAY = 86400.0
MB = 1024 * 1024
#: Allocations made under this file are the day's bills.
BILLS = "*/wallboard/live/bills.py"


# ---------------------------------------------------------------------- the floor process


def _serve(argv: list[str]) -> int:
    """In the child: serve a manual-clock floor; `advance N` on stdin moves it N seconds."""
    from wallboard.sim.server import Simulator, serve_in_thread

    options = json.loads(argv[0])
    sim = Simulator.from_scenario(manual_clock=True, **options)
    tasks = [
        {"taskid": t.taskid, "name": t.name, "numbers": list(t.numbers), "status": t.status}
        for t in sim.floor.tasks.values()
    ]
    with serve_in_thread(sim) as url:
        hello = {"url": url, "appid": sim.appid, "accesskey": sim.accesskey, "now": sim.now()}
        print(json.dumps({**hello, "tasks": tasks}), flush=True)
        for line in sys.stdin:
            verb, _, amount = line.partition(" ")
            if verb == "advance":
                sim.advance(float(amount))
                print(f"ok {sim.now()} {len(sim.floor.bills)}", flush=True)
    sim.close()
    return 0


@dataclass
class RemoteFloor:
    """The child's floor, as this process sees it."""

    child: subprocess.Popen[str]
    url: str
    appid: str
    accesskey: str
    now: float
    tasks: list[dict[str, Any]]
    bills: int = 0

    def advance(self, seconds: float) -> None:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(f"advance {seconds}\n")
        self.child.stdin.flush()
        _, now, bills = self.child.stdout.readline().split()
        self.now, self.bills = float(now), int(bills)


@contextmanager
def remote_floor(**options: Any) -> Iterator[RemoteFloor]:
    child = subprocess.Popen(
        [sys.executable, __file__, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        hello = json.loads(child.stdout.readline())
        yield RemoteFloor(child, **hello)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


# ---------------------------------------------------------------------- the soak


@dataclass
class Soak:
    """What one soak run saw."""

    cycles: list[float] = field(default_factory=list)  # seconds per poll cycle
    simulated: list[float] = field(default_factory=list)  # simulated seconds at each sample
    kept: list[int] = field(default_factory=list)  # bytes alive, bills aside
    bills_kept: list[int] = field(default_factory=list)  # bytes alive from reading bills
    rows: int = 0
    bills: int = 0
    stale: list[str] = field(default_factory=list)

    def per_day(self, samples: list[int]) -> float:
        """Growth in MB per simulated 24 hours: the least-squares slope of the samples."""
        return statistics.linear_regression(self.simulated, samples).slope * DAY / MB

    @property
    def hours(self) -> float:
        return (self.simulated[-1] - self.simulated[0]) / 3600 if self.simulated else 0.0

    def summary(self) -> str:
        late = self.cycles[len(self.cycles) // 2 :]
        return (
            f"{len(self.cycles)} cycles over {self.hours:.1f} simulated hours, {self.rows} "
            f"queue rows, {self.bills:,} bills on the floor; cycle median "
            f"{statistics.median(self.cycles) * 1000:.0f} ms, max {max(self.cycles) * 1000:.0f} "
            f"ms, late median {statistics.median(late) * 1000:.0f} ms; kept "
            f"{self.per_day(self.kept):+.1f} MB/day bills aside, bills "
            f"{self.per_day(self.bills_kept):+.1f} MB/day"
        )


def _alive(snapshot: tracemalloc.Snapshot) -> tuple[int, int]:
    """(bytes alive outside the bill reader, bytes alive from inside it)."""
    bills = tracemalloc.Filter(True, BILLS, all_frames=True)
    others = tracemalloc.Filter(False, BILLS, all_frames=True)
    inside = sum(s.size for s in snapshot.filter_traces([bills]).statistics("filename"))
    outside = sum(s.size for s in snapshot.filter_traces([others]).statistics("filename"))
    return outside, inside


async def soak(seconds: float, *, tmp: Path, agents: int = AGENTS, sample_every: int = 5) -> Soak:
    result = Soak()
    with remote_floor(seed=7, agents=agents, queues=20, campaigns=4) as remote:
        registry = CampaignRegistry(tmp / "campaigns.json", clock=lambda: remote.now)
        for task in remote.tasks:
            registry.track(
                task["taskid"],
                name=task["name"],
                numbers=task["numbers"],
                status=STATUS_BY_CODE.get(task["status"]),
            )
        async with WallboardClient(remote.url, remote.appid, remote.accesskey) as client:
            floor = LiveFloor(client, registry=registry, clock=lambda: remote.now, tz=dt.UTC)
            for _ in range(3):  # warm up: log in, first slow reads, the first pages of bills
                await asyncio.to_thread(remote.advance, STEP)
                await floor.refresh()
            gc.collect()
            tracemalloc.start(25)
            try:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    await asyncio.to_thread(remote.advance, STEP)
                    began = time.perf_counter()
                    snap = await floor.refresh()
                    result.cycles.append(time.perf_counter() - began)
                    if snap.stale:
                        result.stale.append(snap.error or "stale")
                    if len(result.cycles) % sample_every == 1:
                        gc.collect()
                        kept, bills = _alive(tracemalloc.take_snapshot())
                        result.simulated.append(remote.now)
                        result.kept.append(kept)
                        result.bills_kept.append(bills)
            finally:
                tracemalloc.stop()
            result.rows = sum(len(q.agents) for q in floor.snapshot.queues)
            result.bills = remote.bills
    return result


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Soak:
    """One short soak, shared by the checks below."""
    return asyncio.run(soak(18.0, tmp=tmp_path_factory.mktemp("soak")))


def check_keeps_up(run: Soak) -> None:
    assert not run.stale, f"polls failed during the soak: {run.stale[:3]}"
    assert len(run.cycles) >= 10, run.summary()
    assert run.rows >= AGENTS, run.summary()
    assert max(run.cycles) < INTERVAL, f"a cycle took longer than the interval: {run.summary()}"
    early = statistics.median(run.cycles[: len(run.cycles) // 4])
    late = statistics.median(run.cycles[-(len(run.cycles) // 4) :])
    assert late < 2 * early + 0.05, f"cycles slow down over time: {run.summary()}"


def test_the_poll_loop_keeps_up_with_2000_agents(short: Soak) -> None:
    check_keeps_up(short)


def test_memory_stays_flat_bills_aside(short: Soak) -> None:
    assert len(short.kept) >= 3, short.summary()
    assert short.per_day(short.kept) < GOAL_MB_PER_DAY, short.summary()


@pytest.mark.xfail(
    strict=True,
    reason="the bill reader keeps every bill of its window (today, or back to the oldest "
    "running campaign, up to 7 days) as a full model: about 3.6 KB a bill",
)
def test_the_days_bills_fit_the_memory_goal(short: Soak) -> None:
    assert short.per_day(short.bills_kept) < GOAL_MB_PER_DAY, short.summary()


@pytest.mark.slow
def test_long_soak(tmp_path: Path) -> None:
    """WALLBOARD_SOAK_HOURS real hours (0.1 by default) of the same, bills included."""
    hours = float(os.environ.get("WALLBOARD_SOAK_HOURS", "0.1"))
    run = asyncio.run(soak(hours * 3600, tmp=tmp_path, sample_every=20))
    print(run.summary())
    check_keeps_up(run)
    assert run.per_day(run.kept) < GOAL_MB_PER_DAY, run.summary()


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
