"""Many viewers, one poll: 50 headless viewers on one collector at 2,000 agents.

Serves a 2,000-agent floor in a process of its own (`benchmarks.rig`), starts a redis-server
of its own on loopback and `wallboard collect` as a process, then measures:

- requests per fast cycle at the simulator (`/_sim/stats`), for one dashboard's live model
  alone and for the collector with 50 viewers following it: the same, since viewers poll
  nothing (slow reads and bills are in both, spread over the cycles of the window);
- the viewers' CPU: all 50 run in this process (each a `SharedFloor` following Redis, no
  screen), so their CPU time over the window, per viewer, is an upper bound of one
  viewer's; the collector's own CPU is given too;
- event-to-viewer latency: extension callbacks (a ring, each for another idle agent) are
  posted to the collector's receiver one at a time, and each viewer notes when its floor
  first shows that agent ringing: p50 and p95 over every (event, viewer) pair.

    python -m benchmarks.bench_collector [--agents 2000] [--viewers 50] [--window 60]
                                         [--events 60] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from benchmarks.rig import ROOT, served_floor

RUN_COLLECT = (
    "import argparse, sys\n"
    "from wallboard.commands import collect\n"
    "parser = argparse.ArgumentParser(prog='wallboard')\n"
    "collect.add_parser(parser.add_subparsers(dest='command'))\n"
    "sys.exit(collect.run(parser.parse_args(sys.argv[1:])))\n"
)
CALLBACK_PATH = "/bench-callbacks-0123456789abcdef"


@dataclass(frozen=True)
class Result:
    agents: int
    viewers: int
    window_s: float
    dashboard_requests_per_cycle: float
    collector_requests_per_cycle: float
    dashboard_fast_per_cycle: float  # GetQueueSipStatus + GetSipCallStatus
    collector_fast_per_cycle: float
    dashboard_cycles: int
    collector_cycles: int
    viewer_cpu_percent_each: float  # % of one core, per viewer
    collector_cpu_percent: float
    events: int
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_max: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise SystemExit("redis-server is missing: install the Debian package redis-server")
    port = free_port()
    child = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        child.terminate()
        child.wait(10)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FAST = ("App.Sip_Queue.GetQueueSipStatus", "App.Sip_Status.GetSipCallStatus")


def requests_now(url: str) -> tuple[int, int]:
    """(all requests, fast-cycle requests) the simulator has answered so far."""
    stats = httpx.get(url + "/_sim/stats", timeout=10).json()
    return int(stats["requests"]), sum(int(stats["services"].get(name, 0)) for name in FAST)


def per_cycle(before: tuple[int, int], after: tuple[int, int], cycles: int) -> tuple[float, float]:
    cycles = max(1, cycles)
    return (after[0] - before[0]) / cycles, (after[1] - before[1]) / cycles


async def dashboard_requests_per_cycle(
    url: str, appid: str, key: str, window: float
) -> tuple[float, float, int]:
    """One dashboard's live model alone: (requests, fast requests) per cycle over `window`
    after a warm-up, and the cycles."""
    from wallboard.api.client import WallboardClient
    from wallboard.commands.dashboard import live_floor
    from wallboard.settings import Settings

    async with WallboardClient(url, appid, key) as client:
        floor = live_floor(client, Settings())
        for _ in range(3):
            await floor.refresh()
        before, cycles, end = requests_now(url), 0, time.monotonic() + window
        while time.monotonic() < end:
            await floor.refresh()
            cycles += 1
            await asyncio.sleep(floor.next_delay())
        return (*per_cycle(before, requests_now(url), cycles), cycles)


async def measure(args: argparse.Namespace) -> Result:
    from redis.asyncio import Redis

    from wallboard.api.client import WallboardClient
    from wallboard.live.shared.keys import FloorKeys
    from wallboard.live.shared.viewer import SharedFloor
    from wallboard.live.snapshot import AgentState

    with (
        tempfile.TemporaryDirectory(prefix="wallboard-bench-") as scratch_name,
        served_floor(agents=args.agents, queues=5, campaigns=2) as floor,
        redis_server(Path(scratch_name)) as redis_url,
    ):
        scratch = Path(scratch_name)
        info = floor.info
        alone, alone_fast, alone_cycles = await dashboard_requests_per_cycle(
            info.url, info.appid, info.accesskey, args.window
        )
        async with WallboardClient(info.url, info.appid, info.accesskey) as probe:
            company = (await probe.login()).companycode
        port = free_port()
        config = scratch / "config.toml"
        config.write_text(
            f'[profiles.bench]\nurl = "{info.url}"\nappid = "{info.appid}"\n'
            f'accesskey = "{info.accesskey}"\ncallback_listen = "127.0.0.1:{port}"\n'
            f'callback_path = "{CALLBACK_PATH}"\n[redis]\nurl = "{redis_url}"\n'
        )
        config.chmod(0o600)
        env = {
            **os.environ,
            "WALLBOARD_CONFIG_DIR": str(scratch / "cfg"),
            "WALLBOARD_DATA_DIR": str(scratch / "data"),
        }
        collector = subprocess.Popen(
            [sys.executable, "-c", RUN_COLLECT, "collect", "--config", str(config),
             "--profile", "bench"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        keys = FloorKeys("wallboard", "bench")
        redis = Redis.from_url(redis_url)
        viewers = [SharedFloor(redis, keys) for _ in range(args.viewers)]
        pending: dict[str, float] = {}  # extension -> when its ring was posted
        seen: list[dict[str, float]] = [{} for _ in viewers]

        async def follow(index: int, viewer: SharedFloor) -> None:
            while True:
                await viewer.refresh()
                if pending:
                    now = time.monotonic()
                    mine = seen[index]
                    for queue in viewer.snapshot.queues:
                        for agent in queue.agents:
                            ext = agent.extnumber
                            if (
                                ext in pending
                                and ext not in mine
                                and agent.state is AgentState.RINGING
                            ):
                                mine[ext] = now - pending[ext]
                await asyncio.sleep(viewer.next_delay())

        try:
            tasks = [asyncio.ensure_future(follow(i, v)) for i, v in enumerate(viewers)]
            deadline = time.monotonic() + 60
            while any(v.version < 3 for v in viewers):
                if collector.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the collector did not publish")
                await asyncio.sleep(0.1)
            # The CPU and requests window: no events, every version is a poll.
            first_version = viewers[0].version
            before = requests_now(info.url)
            cpu_before, collector_before = time.process_time(), cpu_seconds(collector.pid)
            await asyncio.sleep(args.window)
            cpu = time.process_time() - cpu_before
            collector_cpu = cpu_seconds(collector.pid) - collector_before
            cycles = viewers[0].version - first_version
            shared, shared_fast = per_cycle(before, requests_now(info.url), cycles)

            latencies: list[float] = []
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as poster:
                for _ in range(args.events):
                    idle = [
                        a.extnumber
                        for q in viewers[0].snapshot.queues
                        for a in q.agents
                        if a.state is AgentState.IDLE and a.extnumber not in pending
                    ]
                    if not idle:
                        break
                    ext = idle[len(pending) * 7 % len(idle)]
                    body = {"extnumber": ext, "caller": ext, "callee": "13800000000",
                            "status": "ring", "companycode": company, "type": "call",
                            "direction": "callout", "isbleg": "false"}  # fmt: skip
                    pending[ext] = time.monotonic()
                    answer = await poster.post(CALLBACK_PATH, json=body)
                    answer.raise_for_status()
                    end = time.monotonic() + 3
                    while time.monotonic() < end and not all(ext in s for s in seen):
                        await asyncio.sleep(0.005)
                    latencies += [s[ext] for s in seen if ext in s]
                    await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            collector.terminate()
            collector.wait(15)
            await redis.aclose()
    latencies.sort()
    ms = [1000 * value for value in latencies] or [float("nan")]
    return Result(
        agents=args.agents,
        viewers=args.viewers,
        window_s=args.window,
        dashboard_requests_per_cycle=round(alone, 2),
        collector_requests_per_cycle=round(shared, 2),
        dashboard_fast_per_cycle=round(alone_fast, 2),
        collector_fast_per_cycle=round(shared_fast, 2),
        dashboard_cycles=alone_cycles,
        collector_cycles=cycles,
        viewer_cpu_percent_each=round(100 * cpu / args.window / args.viewers, 3),
        collector_cpu_percent=round(100 * collector_cpu / args.window, 1),
        events=len(pending),
        latency_ms_p50=round(statistics.median(ms), 1),
        latency_ms_p95=round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        latency_ms_max=round(ms[-1], 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args))
    print(json.dumps(asdict(result), indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
