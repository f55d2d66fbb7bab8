"""Bytes per second the dashboard writes to a real pseudo-terminal, against a plain redraw.

    python -m benchmarks.bench_terminal [--agents 500] [--seconds 15] [--size 200x60]
                                        [--refresh 1] [--speed 1] [--quick] [--json FILE]

A wall screen is often a spare machine showing the dashboard over SSH all day, so what the
dashboard writes is what the link carries. Here a simulated floor of `--agents` agents runs
in its own process, in real time (`--speed` runs it faster, for a busier floor), with its
own churn: calls ringing, answered, ended, agents on breaks. Two screens are run on a
pseudo-terminal of `--size`, one after the other, each for a warm-up and then `--seconds`
of steady state, counting every byte read from the terminal's master side:

- the dashboard, built as `wallboard` builds it, polling every `--refresh` seconds;
- the baseline: the same live model and the same tile text, written as plain ANSI text,
  the whole screen cleared and written again after every poll (as simple wallboards do).

Goal (issue 4): the dashboard under 4 KB/s. The figures are printed as a table and, with
`--json`, written as a list of {name, value, unit, goal, met, note}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.rig import (
    check_screen,
    cores,
    run_screen,
    served_floor,
    terminal_size,
    write_figures,
)

GOAL_BYTES = 4096
WARMUP = 5.0


def measure(
    *, agents: int, seconds: float, size: tuple[int, int], refresh: float, speed: float = 1.0
) -> list[dict[str, Any]]:
    sim_core, screen_core = cores()
    rates: dict[str, float] = {}
    churn = 0.0
    shown = 0
    with served_floor(agents=agents, speed=speed, core=sim_core) as floor:
        for kind in ("dashboard", "baseline"):
            trace = run_screen(
                kind,
                floor.path,
                seconds=WARMUP + seconds,
                refresh=refresh,
                size=size,
                core=screen_core,
            )
            check_screen(trace, seconds=WARMUP + seconds, refresh=refresh)
            rates[kind] = trace.bytes_per_second(WARMUP, WARMUP + seconds)
            if kind == "baseline":
                churn = float(trace.report.get("changes_per_snapshot", 0.0))
                shown = int(trace.report.get("agents", 0))
    terminal = f"{size[0]}x{size[1]}"
    note = (
        f"{agents} agents ({shown} queue rows) at {speed:g}x, {churn:.0f} state changes per poll, "
        f"{refresh:g} s refresh, {terminal}, {seconds:g} s after {WARMUP:g} s warm-up"
    )
    dashboard, baseline = rates["dashboard"], rates["baseline"]
    return [
        {
            "name": f"terminal bytes, dashboard, {agents} agents",
            "value": round(dashboard),
            "unit": "B/s",
            "goal": "< 4,096 B/s",
            "met": dashboard < GOAL_BYTES,
            "note": note,
        },
        {
            "name": f"terminal bytes, plain full redraw (baseline), {agents} agents",
            "value": round(baseline),
            "unit": "B/s",
            "goal": "",
            "met": None,
            "note": "the same tiles as ANSI text, whole screen rewritten every poll",
        },
        {
            "name": "terminal bytes, dashboard as a share of the baseline",
            "value": round(100 * dashboard / baseline, 1) if baseline else None,
            "unit": "%",
            "goal": "",
            "met": None,
            "note": "",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_terminal", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=None, help="steady state per screen")
    parser.add_argument("--size", type=terminal_size, default=(200, 60), metavar="COLSxLINES")
    parser.add_argument("--refresh", type=float, default=1.0)
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    parser.add_argument("--quick", action="store_true", help="a short run (8 s per screen)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (8.0 if args.quick else 15.0)
    if not 1 <= args.agents <= 20_000:
        parser.error("--agents must be from 1 to 20,000")
    if not 3 <= seconds <= 600 or not 0.2 <= args.refresh <= 60 or not 0 < args.speed <= 100:
        parser.error("--seconds from 3 to 600, --refresh from 0.2 to 60, --speed up to 100")
    try:
        figures = measure(
            agents=args.agents,
            seconds=seconds,
            size=args.size,
            refresh=args.refresh,
            speed=args.speed,
        )
    except RuntimeError as exc:
        print(f"bench_terminal: {exc}", file=sys.stderr)
        return 2
    for figure in figures:
        print(f"{figure['name']:<62} {figure['value']!s:>8} {figure['unit']:<4} {figure['note']}")
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
