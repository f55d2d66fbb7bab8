"""Running the simulator as a program: build it from `SimOptions`, listen, say how to reach it.

The first lines are `url: ...`, `appid: ...`, `accesskey: ...` and one `task: ...` per
campaign the simulated CRM created, so that a person can copy them and a script can read
them; every line after them starts with `#` and is for people. The command line that fills
`SimOptions` lives in the composition root (`wallboard.commands.sim`); this module knows no
arguments.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from wallboard.serving import bind, serve_forever, url_of
from wallboard.sim.callbacks import CallbackTargets
from wallboard.sim.entities import FloorError
from wallboard.sim.faults import Faults
from wallboard.sim.server import DEMO_APPID, Simulator, create_app

MAX_AGENTS = 20_000
MAX_QUEUES = 500


@dataclass(frozen=True)
class SimOptions:
    """Everything `wallboard sim` can be told. `start` None: now; `tz` None: this machine's
    zone; `accesskey` None: a fresh random one."""

    host: str = "127.0.0.1"
    port: int = 8080
    agents: int = 40
    queues: int = 3
    campaigns: int = 2
    seed: int = 7
    scenario: str = "default"
    speed: float = 1.0
    faults: Faults | None = None
    callbacks: CallbackTargets = field(default_factory=CallbackTargets)
    start: float | None = None
    tz: dt.tzinfo | None = None
    drift: float = 0.0
    appid: str = DEMO_APPID
    accesskey: str | None = None


def build_simulator(options: SimOptions) -> Simulator:
    """The simulator these options describe (ValueError/FloorError when they cannot be)."""
    return Simulator.from_scenario(
        seed=options.seed,
        scenario=options.scenario,
        agents=options.agents,
        queues=options.queues,
        campaigns=options.campaigns,
        speed=options.speed,
        faults=options.faults or Faults(seed=options.seed),
        start=options.start,
        callbacks=options.callbacks,
        tz=options.tz,
        drift=options.drift,
        appid=options.appid,
        accesskey=options.accesskey,
    )


def banner(sim: Simulator, url: str, options: SimOptions) -> list[str]:
    """What the started simulator prints: the lines for scripts, then one for people."""
    lines = [f"url: {url}", f"appid: {sim.appid}", f"accesskey: {sim.accesskey}"]
    lines += [f"task: {task.taskid}" for task in sim.tasks()]
    zone = options.tz if options.tz is not None else dt.datetime.now().astimezone().tzinfo
    clock = f"{options.speed:g}x real time from {sim.format_time(sim.now())} ({zone})"
    floor = f"{options.agents} agents in {options.queues} queues, {options.campaigns} campaigns"
    extras = []
    shown_faults = sim.faults.describe()
    if shown_faults:
        extras.append(f"faults {shown_faults}")
    if sim.drift.active:
        extras.append(f"drift {sim.drift.rate:g}")
    extra = "".join(f", {part}" for part in extras)
    lines.append(f"# {options.scenario} scenario: {floor}, seed {options.seed}, {clock}{extra}")
    return lines


def run_sim(options: SimOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Serve the simulator until Ctrl+C: 0 when stopped, 1 when it cannot listen, 2 when the
    options cannot make a floor. Problems are one line on `err` (default stderr), never a
    traceback; the banner goes to `out` (default stdout)."""
    out = out or sys.stdout
    err = err or sys.stderr
    began = time.monotonic()
    try:
        sim = build_simulator(options)
    except (ValueError, FloorError) as exc:
        print(f"wallboard sim: cannot build the floor: {exc}", file=err)
        return 2
    try:
        sock = bind(options.host, options.port)
    except OSError as exc:
        sim.close()
        reason = exc.strerror or str(exc)
        print(f"wallboard sim: cannot listen on {options.host}:{options.port}: {reason}", file=err)
        return 1
    try:
        for line in banner(sim, url_of(sock), options):
            print(line, file=out)
        print(f"# ready in {time.monotonic() - began:.2f} s. Ctrl+C stops.", file=out, flush=True)
        serve_forever(create_app(sim), sock)
    finally:
        sim.close()
        sock.close()
    print("# simulator stopped", file=out, flush=True)
    return 0
