"""What the dashboard costs the machine it runs on: CPU share at rest, and memory over a day.

    python -m benchmarks.bench_idle [--agents 500] [--seconds 60] [--memory-seconds 30]
                                    [--memory-speed 960] [--quick] [--json FILE]

A wall dashboard runs for days on a spare machine, so its idle cost is what matters. Two
runs, each with the simulated floor in its own process and the dashboard on a real
pseudo-terminal (as `wallboard` builds it), its CPU time and resident memory read from /proc:

1. idle cost: a floor of `--agents` agents in real time, a 1 s refresh; the dashboard's CPU
   share of one core over `--seconds` (60 s; `--quick`: 15 s) after a 5 s warm-up, and its
   resident memory when that window starts;
2. a long accelerated run: the same floor at `--memory-speed` times real time for
   `--memory-seconds` (8 simulated hours by default; `--quick`: 4): resident memory at the
   start and the end, and the growth per simulated 24 hours (goal: under 20 MB, as for the
   soak test).

Goal for the CPU share: under 3% of a core (issue 4's goal for 2,000 synthetic agents).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.rig import check_screen, cores, run_screen, served_floor, write_figures

WARMUP = 5.0
MB = 1024 * 1024


def idle(*, agents: int, seconds: float, refresh: float) -> list[dict[str, Any]]:
    sim_core, screen_core = cores()
    with served_floor(agents=agents, core=sim_core) as floor:
        trace = run_screen(
            "dashboard", floor.path, seconds=WARMUP + seconds, refresh=refresh, core=screen_core
        )
    check_screen(trace, seconds=WARMUP + seconds, refresh=refresh)
    share = trace.cpu_share(WARMUP, WARMUP + seconds)
    rss = trace.rss_at(WARMUP)
    if share is None or rss is None:
        raise RuntimeError("CPU time and memory could not be read (/proc is needed)")
    note = f"{agents} agents in real time, {refresh:g} s refresh, {seconds:g} s window"
    return [
        {
            "name": f"idle cost: dashboard CPU share, {agents} agents",
            "value": round(100 * share, 2),
            "unit": "%",
            "goal": "< 3%",
            "met": share < 0.03,
            "note": note,
        },
        {
            "name": "memory: dashboard RSS at start",
            "value": round(rss / MB, 1),
            "unit": "MB",
            "goal": "",
            "met": None,
            "note": f"{agents} agents, {WARMUP:g} s after start",
        },
    ]


def accelerated(*, agents: int, seconds: float, speed: float) -> list[dict[str, Any]]:
    sim_core, screen_core = cores()
    refresh = 1.0
    with served_floor(agents=agents, speed=speed, core=sim_core) as floor:
        trace = run_screen(
            "dashboard", floor.path, seconds=WARMUP + seconds, refresh=refresh, core=screen_core
        )
    check_screen(trace, seconds=WARMUP + seconds, refresh=refresh)
    start, end = trace.rss_at(WARMUP), trace.rss_at(WARMUP + seconds)
    if start is None or end is None:
        raise RuntimeError("memory could not be read (/proc is needed)")
    hours = speed * seconds / 3600
    per_day = (end - start) / MB * 24 / hours
    note = f"{agents} agents at {speed:g}x: {hours:.1f} simulated hours in {seconds:g} s"
    return [
        {
            "name": "memory: dashboard RSS after the accelerated run",
            "value": round(end / MB, 1),
            "unit": "MB",
            "goal": "",
            "met": None,
            "note": f"{note}; {start / MB:.1f} MB at its start",
        },
        {
            "name": "memory: dashboard growth per simulated 24 h",
            "value": round(per_day, 1),
            "unit": "MB",
            "goal": "< 20 MB",
            "met": per_day < 20,
            "note": note,
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_idle", description=__doc__.strip().splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=None, help="CPU window (60 s)")
    parser.add_argument("--refresh", type=float, default=1.0)
    parser.add_argument("--memory-seconds", type=float, default=None, help="accelerated run")
    parser.add_argument("--memory-speed", type=float, default=960.0)
    parser.add_argument("--quick", action="store_true", help="15 s windows")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (15.0 if args.quick else 60.0)
    memory = args.memory_seconds
    if memory is None:
        memory = 15.0 if args.quick else 30.0
    if not 1 <= args.agents <= 20_000:
        parser.error("--agents must be from 1 to 20,000")
    if not (3 <= seconds <= 3600 and 3 <= memory <= 3600 and 1 <= args.memory_speed <= 5000):
        parser.error("windows from 3 to 3,600 s, --memory-speed from 1 to 5,000")
    try:
        figures = idle(agents=args.agents, seconds=seconds, refresh=args.refresh)
        figures += accelerated(agents=args.agents, seconds=memory, speed=args.memory_speed)
    except RuntimeError as exc:
        print(f"bench_idle: {exc}", file=sys.stderr)
        return 2
    for figure in figures:
        print(f"{figure['name']:<52} {figure['value']!s:>8} {figure['unit']:<3} {figure['note']}")
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
