"""Requests and milliseconds per fast poll cycle at 100, 500 and 2,000 agents.

Runs the simulator on loopback (real uvicorn, real HTTP), points a `LiveFloor` at it, and
measures steady-state fast cycles (after the first cycle, which also logs in and reads the
slow lists and the bills). The goal is the same request count for every floor size: the
fast cycle asks for all queues' agents in one call and all their extensions' call state in
one comma list (the live model asks for batches of `CALL_BATCH`).

    python -m benchmarks.bench_poll [--agents 100,500,2000] [--cycles 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from wallboard.api.client import WallboardClient
from wallboard.live.model import LiveFloor
from wallboard.sim.server import Simulator, serve_in_thread


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests that go out (each one is a service call)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True)
class Result:
    agents: int
    queue_rows: int  # agent rows on the floor (an agent in two queues counts twice)
    cycles: int
    requests_min: int
    requests_max: int
    ms_median: float
    ms_p95: float
    note: str = ""


def _simulator(agents: int, campaigns: int, seed: int) -> tuple[Simulator, str]:
    try:
        sim = Simulator.from_scenario(seed=seed, agents=agents, queues=5, campaigns=campaigns)
        return sim, ""
    except Exception as exc:  # a scenario the simulator cannot build: measure without campaigns
        sim = Simulator.from_scenario(seed=seed, agents=agents, queues=5, campaigns=0)
        return sim, f"no campaigns ({type(exc).__name__}: {exc})"


async def measure(agents: int, *, cycles: int, campaigns: int = 2, seed: int = 7) -> Result:
    sim, note = _simulator(agents, campaigns, seed)
    with sim, serve_in_thread(sim, host="127.0.0.1", port=0) as url:
        transport = CountingTransport()
        async with WallboardClient(url, sim.appid, sim.accesskey, transport=transport) as client:
            # Slow reads and bills once, in the first cycle; then fast cycles only.
            floor = LiveFloor(
                client, clock=sim.now, tz=dt.UTC, slow_interval=3600, bills_interval=3600
            )
            first = await floor.refresh()
            if first.stale:
                raise RuntimeError(f"the first poll failed: {first.error}")
            counts: list[int] = []
            times: list[float] = []
            for _ in range(cycles):
                before = transport.requests
                started = time.perf_counter()
                snap = await floor.refresh()
                times.append((time.perf_counter() - started) * 1000)
                counts.append(transport.requests - before)
                if snap.stale:
                    raise RuntimeError(f"a poll failed: {snap.error}")
            rows = sum(len(q.agents) for q in snap.queues)
    times.sort()
    return Result(
        agents=agents,
        queue_rows=rows,
        cycles=cycles,
        requests_min=min(counts),
        requests_max=max(counts),
        ms_median=round(statistics.median(times), 1),
        ms_p95=round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        note=note,
    )


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("give agent counts like 100,500,2000") from None
    if not sizes or any(size < 1 or size > 20_000 for size in sizes):
        raise argparse.ArgumentTypeError("agent counts must be between 1 and 20,000")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_poll", description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=_sizes, default=[100, 500, 2000], metavar="N,N")
    parser.add_argument("--cycles", type=int, default=20, help="fast cycles per floor size")
    parser.add_argument("--campaigns", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.cycles <= 1000:
        parser.error("--cycles must be between 1 and 1000")
    results = []
    print(f"{'agents':>7} {'rows':>6} {'requests/cycle':>15} {'ms median':>10} {'ms p95':>8}")
    for agents in args.agents:
        result = asyncio.run(measure(agents, cycles=args.cycles, campaigns=args.campaigns))
        results.append(result)
        span = (
            str(result.requests_min)
            if result.requests_min == result.requests_max
            else f"{result.requests_min}-{result.requests_max}"
        )
        print(
            f"{result.agents:>7} {result.queue_rows:>6} {span:>15} "
            f"{result.ms_median:>10.1f} {result.ms_p95:>8.1f}"
            + (f"  {result.note}" if result.note else "")
        )
    same = len({(r.requests_min, r.requests_max) for r in results}) == 1
    print("same request count at every size" if same else "request count DIFFERS by size")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
