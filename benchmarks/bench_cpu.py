"""What the dashboard costs while it polls a big floor: CPU of its own process, and bytes.

    python -m benchmarks.bench_cpu [--agents 2000] [--queues 50] [--campaigns 50]
                                   [--refresh 1] [--size 200x50] [--speed 1] [--settle 120]
                                   [--warmup 10] [--seconds 30] [--quick] [--drift RATE]
                                   [--json FILE] [--profile FILE] [--phases]

Measured from outside: the simulated floor (`--agents` agents in `--queues` queues, with
`--campaigns` predictive campaigns, one per queue by default, so that every agent takes
calls; all tracked on the campaigns pane) is served by a process of its own, pinned to one
core, once it has run through its first `--settle` simulated seconds (120); the dashboard,
built as `wallboard` builds it, runs on a real pseudo-terminal of `--size` in another
process, pinned to the other core; this process (which reads the terminal and samples the
floor's churn) stays on the floor's core, off the dashboard's. After `--warmup` seconds, a
window of `--seconds`: the CPU seconds of the dashboard process alone (utime + stime from
/proc/<pid>/stat) per wall second, and the bytes it wrote to the terminal per second.
Goals (issue 8): under 2% of a core at 2,000 agents in 50 queues, 1 s refresh, 200x50;
under 2 KB/s written.

The floor settles first because a simulated floor starts with every agent idle and every
campaign's dialer ramping up: on the default 2,000-agent floor, some 300 queue rows change
in a second at first, 130 ten seconds later, 60 at twenty, and 30-40 from about the first
minute on, as long as it runs. A dashboard watches a floor in service far longer than a
floor starting: the window measures that. `--settle 0` measures a floor just started, as
this benchmark did before (its window then fell in the ramp).

Meanwhile this process reads the floor every few seconds, twice one second apart, and counts
the extensions whose queue state or call state changed within that second: the churn the
screen had to show (the median is reported). The simulated floor in real time changes about
2% of its agents a second; `--speed` makes it busier, but the dashboard then runs on the
floor's clock, whose tile clocks tick `--speed` times faster too, which the screen shows
(so the bytes at a speed above 1 overstate what the same churn costs in real time).

A run counts only if the dashboard kept getting fresh data (enough snapshots, none stale)
and nothing on its screen said STALE. `--profile FILE` runs the dashboard under cProfile
from the end of the warm-up (the steady state) and leaves its statistics in FILE (its
figures are then inflated by the profiler: use it to see where the time goes). `--phases`
prints the dashboard's CPU by phase (the poll, the builder, the alerts, each pane, Textual's
compositor), each timed on its own at a few calls a cycle, and who asked for new layouts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

from benchmarks.rig import (
    FLOOR_SETTLE,
    FloorInfo,
    check_screen,
    cores,
    on_core,
    run_screen,
    served_floor,
    terminal_size,
    write_figures,
)

GOAL_CPU = 0.02
GOAL_BYTES = 2048
FLOOR_WARMUP = 8.0  # the floor runs this long before the dashboard starts (calls get up)
CHURN_EVERY = 4.0  # seconds between two churn samples (each a pair of reads 1 s apart)


class ChurnWatch:
    """Reads the floor now and then, in a thread of this process, and keeps the share of
    agents whose queue state or call state changed within one second."""

    def __init__(self, info: FloorInfo) -> None:
        self._info = info
        self._stop = threading.Event()
        self._recording = threading.Event()
        self.shares: list[float] = []
        self.agents = 0
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._run, name="churn", daemon=True)

    def __enter__(self) -> ChurnWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(20)

    def record(self, on: bool) -> None:
        """Keep samples only while on (the measured window)."""
        if on:
            self._recording.set()
        else:
            self._recording.clear()

    def _run(self) -> None:
        try:
            asyncio.run(self._watch())
        except Exception as exc:  # reported with the figures
            self.failure = f"{type(exc).__name__}: {exc}"

    async def _watch(self) -> None:
        from wallboard.api.client import WallboardClient

        info = self._info
        async with WallboardClient(info.url, info.appid, info.accesskey) as client:
            while not self._stop.is_set():
                before = await _floor_codes(client)
                await asyncio.sleep(1.0)
                after = await _floor_codes(client)
                if self._recording.is_set() and after:
                    changed = sum(1 for ext, codes in after.items() if before.get(ext) != codes)
                    self.shares.append(changed / len(after))
                    self.agents = len(after)
                await asyncio.to_thread(self._stop.wait, CHURN_EVERY - 1.0)


async def _floor_codes(client: Any) -> dict[str, tuple[object, ...]]:
    """Per extension: its queue states (sorted) and its call state, as the server gives them."""
    rows = await client.queue_agents()
    extensions = sorted({row.extnumber for row in rows if row.extnumber})
    calls = {row.extnumber: row.status for row in await client.call_status(extensions, 2500)}
    queues: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        code = row.state if row.state is not None else row.status
        queues.setdefault(row.extnumber, []).append((row.queuename, str(code)))
    return {ext: (*sorted(queues[ext]), calls.get(ext)) for ext in extensions}


def run_once(
    *,
    agents: int,
    queues: int,
    campaigns: int,
    speed: float,
    refresh: float,
    size: tuple[int, int],
    warmup: float,
    seconds: float,
    drift: float,
    profile: Path | None,
    phases: bool = False,
    settle: float = FLOOR_SETTLE,
) -> dict[str, Any]:
    """One floor, one dashboard: its CPU share, bytes per second, and the floor's churn
    (and, with `phases`, the dashboard's CPU by phase: `rig.PhaseClock`)."""
    import time

    sim_core, screen_core = cores()
    with (
        on_core(sim_core),
        served_floor(
            agents=agents,
            queues=queues,
            campaigns=campaigns,
            speed=speed,
            core=sim_core,
            drift=drift,
            settle=settle,
        ) as floor,
        ChurnWatch(floor.info) as churn,
    ):
        time.sleep(FLOOR_WARMUP)
        timer = threading.Timer(warmup, churn.record, (True,))
        timer.start()
        try:
            trace = run_screen(
                "dashboard",
                floor.path,
                seconds=warmup + seconds,
                refresh=refresh,
                size=size,
                core=screen_core,
                profile=profile,
                profile_after=warmup,
                phases=phases,
                keep_tail=65536,
            )
        finally:
            timer.cancel()
            churn.record(False)
    check_screen(trace, seconds=warmup + seconds, refresh=refresh)
    if b"STALE" in trace.tail:
        raise RuntimeError("the dashboard showed STALE data during the run")
    if not churn.shares:
        raise RuntimeError(f"the floor's churn could not be read: {churn.failure or 'no sample'}")
    share = trace.cpu_share(warmup, warmup + seconds)
    if share is None:
        raise RuntimeError("the dashboard's CPU time could not be read (/proc is needed)")
    return {
        "cpu": share,
        "bytes": trace.bytes_per_second(warmup, warmup + seconds),
        "churn": statistics.median(churn.shares),
        "samples": len(churn.shares),
        "extensions": churn.agents,
        "snapshots": trace.report.get("snapshots", 0),
        "phases": trace.report.get("phases"),
    }


def measure(
    *,
    agents: int,
    queues: int,
    campaigns: int,
    refresh: float,
    size: tuple[int, int],
    speed: float,
    warmup: float,
    seconds: float,
    drift: float = 0.0,
    profile: Path | None = None,
    phases: bool = False,
    settle: float = FLOOR_SETTLE,
) -> list[dict[str, Any]]:
    columns, lines = size
    result = run_once(
        agents=agents,
        queues=queues,
        campaigns=campaigns,
        speed=speed,
        refresh=refresh,
        size=size,
        warmup=warmup,
        seconds=seconds,
        drift=drift,
        profile=profile,
        phases=phases,
        settle=settle,
    )
    if result["phases"]:
        print_phases(result["phases"])
    churn = 100 * result["churn"]
    floor = "in real time" if speed == 1 else f"at {speed:g}x (tile clocks {speed:g}x too)"
    note = (
        f"{agents:,} agents in {queues} queues {floor}, {campaigns} campaigns tracked, "
        + (f"its first {settle:g} simulated s run through" if settle else "a floor just started")
        + f"{f', drift {drift:g}' if drift else ''}; {refresh:g} s refresh, {columns}x{lines}; "
        f"{seconds:g} s after {warmup:g} s warm-up; {churn:.1f}% of {result['extensions']:,} "
        f"extensions changing per second (median of {result['samples']}); "
        f"{result['snapshots']} snapshots"
        + ("; under cProfile: figures inflated" if profile is not None else "")
    )
    where = (
        f"{agents:,} agents in {queues} queues on the simulator, {refresh:g} s, {columns}x{lines}"
    )
    real = speed == 1
    return [
        {
            "name": f"dashboard CPU (polling + drawing), {where}",
            "value": round(100 * result["cpu"], 2),
            "unit": "%",
            "goal": "< 2 %" if real else "",
            "met": result["cpu"] < GOAL_CPU if real else None,
            "note": note,
        },
        {
            "name": f"terminal bytes, {where}, {churn:.0f}% changing per second",
            "value": round(result["bytes"]),
            "unit": "B/s",
            "goal": "< 2,048 B/s" if real else "",
            "met": result["bytes"] < GOAL_BYTES if real else None,
            "note": note,
        },
        {
            "name": f"floor churn during the CPU run, {where}",
            "value": round(churn, 1),
            "unit": "%",
            "goal": "",
            "met": None,
            "note": "extensions whose queue state or call state changed within 1 s",
        },
    ]


def print_phases(report: dict[str, Any]) -> None:
    """The dashboard's CPU by phase over the window (`--phases`): share of a core, time per
    call, calls. Phases nest (the cycle holds the build), so the shares do not add up."""
    wall = max(1e-9, float(report.get("wall", 0.0)))
    print(f"process CPU over the window: {100 * report.get('process_cpu', 0.0) / wall:.2f} %")
    spent = sorted(report.get("phases", {}).items(), key=lambda item: -item[1][0])
    for name, (seconds, calls) in spent:
        each = 1000 * seconds / max(1, calls)
        print(f"  {100 * seconds / wall:6.2f} %  {each:8.2f} ms x{calls:<6} {name}")
    layouts = report.get("layouts") or {}
    if layouts:
        print("  layouts asked for: " + ", ".join(f"{k} {v}" for k, v in layouts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_cpu", description=__doc__.strip().splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--campaigns", type=int, default=None, help="default: one per queue")
    parser.add_argument("--refresh", type=float, default=1.0)
    parser.add_argument("--size", type=terminal_size, default=(200, 50), metavar="COLSxLINES")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    parser.add_argument(
        "--settle",
        type=float,
        default=FLOOR_SETTLE,
        help="simulated seconds the floor runs through before it serves (0: just started)",
    )
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=None, help="the window (30; quick 15)")
    parser.add_argument("--quick", action="store_true", help="a 15 s window")
    parser.add_argument("--drift", type=float, default=0.0, help="share of drifted fields")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE")
    parser.add_argument("--phases", action="store_true", help="CPU by phase, without a profiler")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (15.0 if args.quick else 30.0)
    campaigns = args.queues if args.campaigns is None else args.campaigns
    if not 1 <= args.agents <= 20_000 or not 1 <= args.queues <= 500 or campaigns < 0:
        parser.error("--agents from 1 to 20,000, --queues from 1 to 500, --campaigns 0 or more")
    if not 5 <= seconds <= 600 or not 0 <= args.warmup <= 120:
        parser.error("--seconds from 5 to 600, --warmup up to 120")
    if not 0.2 <= args.refresh <= 60 or not 0 < args.speed <= 100:
        parser.error("--refresh from 0.2 to 60, --speed above 0 and up to 100")
    if not 0 <= args.drift <= 1:
        parser.error("--drift is a share of fields from 0 to 1")
    if not 0 <= args.settle <= 3600:
        parser.error("--settle from 0 to 3,600 simulated seconds")
    try:
        figures = measure(
            agents=args.agents,
            queues=args.queues,
            campaigns=campaigns,
            refresh=args.refresh,
            size=args.size,
            speed=args.speed,
            warmup=args.warmup,
            seconds=seconds,
            drift=args.drift,
            profile=args.profile,
            phases=args.phases,
            settle=args.settle,
        )
    except RuntimeError as exc:
        print(f"bench_cpu: {exc}", file=sys.stderr)
        return 2
    for figure in figures:
        print(f"{figure['name']:<100} {figure['value']!s:>8} {figure['unit']}")
    print(f"  {figures[0]['note']}")
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
