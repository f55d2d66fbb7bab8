"""`wallboard sim`: run the simulator on a port and print how to reach it.

The first three lines are `url: ...`, `appid: ...` and `accesskey: ...` so that a person can
copy them and a script can read them; everything after them is for people. Bad arguments get
one line on stderr and exit code 2; Ctrl+C stops the server cleanly with exit code 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import urllib.parse

from wallboard.sim.callbacks import CallbackTargets
from wallboard.sim.entities import FloorError
from wallboard.sim.faults import Faults, FaultSpecError
from wallboard.sim.server import Simulator, bind, url_of, uvicorn_server

MAX_AGENTS = 20_000
MAX_QUEUES = 500


def _problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in one line, or None."""
    if not 1 <= args.agents <= MAX_AGENTS:
        return f"--agents must be from 1 to {MAX_AGENTS:,}"
    if not 1 <= args.queues <= MAX_QUEUES:
        return f"--queues must be from 1 to {MAX_QUEUES}"
    if args.campaigns < 0:
        return "--campaigns must be 0 or more"
    if not args.speed > 0 or args.speed == float("inf"):
        return "--speed must be a number above 0 (simulated seconds per real second)"
    if not 0 <= args.port <= 65535:
        return "--port must be from 0 to 65535 (0 picks a free port)"
    for option in ("callback_url", "ext_callback_url", "bill_callback_url", "task_callback_url"):
        url = getattr(args, option, None)
        if url is not None:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                flag = "--" + option.replace("_", "-")
                return f"{flag} must be an http:// or https:// address, got {url!r}"
    return None


def run_sim(args: argparse.Namespace) -> int:
    began = time.monotonic()
    problem = _problem(args)
    if problem is None:
        try:
            faults = Faults.parse(args.faults, seed=args.seed)
        except FaultSpecError as exc:
            problem = f"--faults: {exc}"
    if problem is not None:
        print(f"wallboard sim: {problem}", file=sys.stderr)
        return 2
    targets = CallbackTargets(
        all=args.callback_url,
        ext=args.ext_callback_url,
        bill=args.bill_callback_url,
        task=args.task_callback_url,
    )
    try:
        sim = Simulator.from_scenario(
            seed=args.seed,
            agents=args.agents,
            queues=args.queues,
            campaigns=args.campaigns,
            speed=args.speed,
            faults=faults,
            callbacks=targets,
        )
    except (ValueError, FloorError) as exc:
        print(f"wallboard sim: cannot build the floor: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        sim.close()
        reason = exc.strerror or str(exc)
        print(f"wallboard sim: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    print(f"url: {url_of(sock)}")
    print(f"appid: {sim.appid}")
    print(f"accesskey: {sim.accesskey}")
    floor = f"{args.agents} agents in {args.queues} queues, {args.campaigns} campaigns"
    print(f"# {floor}, seed {args.seed}, {args.speed:g}x real time", end="")
    shown_faults = faults.describe()
    print(f", faults {shown_faults}" if shown_faults else "", end="")
    print(f"; ready in {time.monotonic() - began:.2f} s. Ctrl+C stops.", flush=True)
    server = uvicorn_server(sim)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
        sock.close()
    print("# simulator stopped", flush=True)
    return 0
