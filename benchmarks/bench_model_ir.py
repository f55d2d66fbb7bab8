"""Instructions the live model executes per poll cycle: a figure the machine does not move.

    python -m benchmarks.bench_model_ir [--agents 2000] [--queues 50] [--campaigns 50]
                                        [--cycles 20] [--warmup 10] [--seed 7]
                                        [--settle 120] [--screen]

Why: the CPU benchmark (`bench_cpu`) measures the dashboard's share of a core, which is the
goal, but on a shared virtual machine the same code measures up to 30% apart from one run
to the next (the host's load, not the code), so a change worth a few percent cannot be seen
there. This counts machine instructions instead, with valgrind's callgrind: the same code
on the same floor gives the same count within a few parts in a thousand (the socket's reads
fall a little differently), so two versions are compared in a run or two each.

What: the live model as the dashboard builds it (`commands.dashboard.live_floor`, the real
client on loopback HTTP) polls a simulated floor (the seeded scenario, `--campaigns`
campaigns tracked as `wallboard track` would) served in a thread of the same process, on a
manual clock that moves exactly one second between two cycles (moved by another thread, so
that the floor's own work is not counted), once the floor has run through its first
`--settle` simulated seconds (120, as in `bench_cpu`; 8 is the floor just started that
earlier figures were counted on). After `--warmup` cycles, `--cycles` cycles are
counted: the instructions of the model's thread alone (the event loop, the client, the
decoding, the builder, the campaign figures), per cycle. Not counted: the screen (widgets,
Textual, the terminal) and the simulator. valgrind must be installed (Debian: `valgrind`);
a run takes about a minute.

`--screen`: the dashboard's app as the composition root builds it, headless at 200x50 (no
terminal: what Textual writes is not counted), polls instead of the model alone, and each
cycle counts the model and the screen until the snapshot is drawn: the alerts, the panes,
Textual's compositor. The app's one-second tick (the clocks between two polls, which each
poll draws anyway) is put off: on this machine's clock, which valgrind slows, it would
fall in some cycles and not in others. Alert toasts still come and go on this machine's
clock: three runs of the same code count within 2.5%.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.rig import FLOOR_SETTLE

if TYPE_CHECKING:
    from wallboard.api.client import WallboardClient
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.sim.server import Simulator

ROOT = Path(__file__).resolve().parent.parent


async def _poll(args: argparse.Namespace) -> None:
    """The inner run (under callgrind): warm up, then count `--cycles` cycles."""
    from wallboard.api.client import WallboardClient
    from wallboard.commands.dashboard import live_floor
    from wallboard.commands.demo import track_demo_campaigns
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import Settings
    from wallboard.sim.server import Simulator, serve_in_thread

    sim = Simulator.from_scenario(
        seed=args.seed,
        agents=args.agents,
        queues=args.queues,
        campaigns=args.campaigns,
        manual_clock=True,
    )
    sim.advance(args.settle)  # the floor in service before the first poll, as in `bench_cpu`
    registry = CampaignRegistry.default(clock=sim.now)  # in WALLBOARD_DATA_DIR: the scratch
    track_demo_campaigns(sim, registry)
    with serve_in_thread(sim) as url:
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            if args.screen:
                await _draw(args, sim, client, registry)
                sim.close()
                return
            floor = live_floor(client, Settings(refresh=1.0), registry=registry, clock=sim.now)
            for cycle in range(args.warmup + args.cycles):
                if cycle == args.warmup:
                    _instrument(True)
                await asyncio.to_thread(sim.advance, 1.0)  # another thread: not counted
                snapshot = await floor.refresh()
                if snapshot.stale:
                    raise SystemExit(f"the model's cycle failed: {snapshot.error}")
            _instrument(False)
    sim.close()


async def _draw(
    args: argparse.Namespace, sim: Simulator, client: WallboardClient, registry: CampaignRegistry
) -> None:
    """`--screen`: each cycle a poll asked of the app, counted until its snapshot is drawn."""
    from wallboard.commands.dashboard import build_app
    from wallboard.settings import Settings
    from wallboard.ui import app as screen_app

    # The tick moves the tiles' clocks between two polls; here each cycle's poll draws them.
    # On this machine's clock, which valgrind slows, the tick would fall in some cycles and
    # not others (in real time a snapshot puts it off): the count would wander by some 3%.
    screen_app.TICK_SECONDS = 3600.0
    # An hour between polls: the cycle asks for each one (`poll_now`), after the floor moved.
    app = build_app(client, Settings(refresh=3600.0), registry=registry, clock=sim.now)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.wait_for_snapshot(1, timeout=120)
        await pilot.pause()
        for cycle in range(args.warmup + args.cycles):
            if cycle == args.warmup:
                _instrument(True)
            await asyncio.to_thread(sim.advance, 1.0)
            drawn = asyncio.ensure_future(app.next_snapshot(timeout=120))
            app.poll_now()
            snapshot = await drawn
            await pilot.pause()  # the frame that shows it
            if snapshot.stale:
                raise SystemExit(f"the model's cycle failed: {snapshot.error}")
        _instrument(False)


def _instrument(on: bool) -> None:
    """Switch callgrind's counting on or off for this process."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
    )


def measure(args: argparse.Namespace) -> int:
    """Instructions per cycle of the model's thread, from a callgrind run of `--inner`."""
    with tempfile.TemporaryDirectory(prefix="wallboard-ir-") as scratch:
        out = Path(scratch) / "callgrind.out.%p"
        argv = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out}", sys.executable, "-m", "benchmarks.bench_model_ir",
            "--inner", "--agents", str(args.agents), "--queues", str(args.queues),
            "--campaigns", str(args.campaigns), "--cycles", str(args.cycles),
            "--warmup", str(args.warmup), "--seed", str(args.seed),
            "--settle", str(args.settle), *(["--screen"] if args.screen else []),
        ]  # fmt: skip
        environment = {
            **os.environ,
            "PYTHONHASHSEED": "0",  # the same sets in the same order every run
            "WALLBOARD_DATA_DIR": scratch,
            "WALLBOARD_CONFIG_DIR": scratch,
        }
        done = subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout + done.stderr[-3000:], file=sys.stderr)
            return 1
        # The main thread's file: callgrind names each thread's `<pid>-<thread>`, 01 first.
        main = sorted(Path(scratch).glob("callgrind.out.*-01"))
        found = re.search(r"^totals: (\d+)", main[0].read_text() if main else "", re.M)
        if found is None:
            print("callgrind left no count for the model's thread", file=sys.stderr)
            return 1
    per_cycle = int(found.group(1)) / args.cycles
    what = "live model and screen" if args.screen else "live model"
    print(
        f"{what}, instructions per poll cycle: {per_cycle / 1e6:.2f} million "
        f"({args.agents:,} agents in {args.queues} queues, {args.campaigns} campaigns tracked, "
        f"the floor's first {args.settle:g} simulated s run through; "
        f"{args.cycles} cycles after {args.warmup}, one simulated second apart)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--settle",
        type=float,
        default=FLOOR_SETTLE,
        help="simulated seconds the floor runs through first (8: a floor just started)",
    )
    parser.add_argument("--screen", action="store_true", help="count the screen's drawing too")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        asyncio.run(_poll(args))
        return 0
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)} (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
