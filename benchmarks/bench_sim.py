"""How fast the simulator is: the figures the README quotes (`python -m benchmarks.bench_sim`).

1. The median time of a full GetQueueSipStatus (2,000 agents in 50 queues) on loopback,
   server in its own process (goal: under 30 ms).
2. Mixed small reads per second, the server pinned to one core and the load from another
   process (goal: over 1,500).
3. Simulated hours of a 500-agent floor per wall minute at full speed (goal: over 60).
4. Memory growth of that floor over 8 simulated hours (goal: under 50 MB).

It prints a markdown table and the same figures as JSON (also written to
benchmarks/results/sim.json). Runtime is bounded: about a minute on a laptop.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from wallboard.api.form import multipart_form
from wallboard.sim.scenario import build_floor

RESULTS = Path(__file__).parent / "results"
BOUNDARY = "wallboardbench0123456789"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: str
    met: bool
    note: str = ""


# -- a simulator in its own process ----------------------------------------------------------
class SimProcess:
    """`wallboard sim` as a child process (pinned to one core where the OS allows it)."""

    def __init__(self, *arguments: str, core: int | None = None) -> None:
        def pin() -> None:
            if core is not None and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, {core})

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wallboard.cli", "sim", "--port", "0", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=pin,
        )
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: [lines.put(x) for x in stdout], daemon=True).start()
        found: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while len(found) < 3 and time.monotonic() < deadline:
            try:
                key, _, value = lines.get(timeout=1).strip().partition(": ")
            except queue.Empty:
                continue
            found[key] = value
        if len(found) < 3:
            self.stop()
            raise RuntimeError("the simulator did not start")
        self.url, self.appid, self.accesskey = found["url"], found["appid"], found["accesskey"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def login(http: httpx.Client, sim: SimProcess) -> str:
    form = {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}
    answer = http.post("/", files={k: (None, v) for k, v in form.items()}).json()
    return str(answer["data"]["result"]["token"])


def full_queue_status(sim: SimProcess, rounds: int) -> tuple[Figure, int, int]:
    with httpx.Client(base_url=sim.url, timeout=30) as http:
        token = login(http, sim)
        form = {"service": (None, "App.Sip_Queue.GetQueueSipStatus"), "token": (None, token)}
        times: list[float] = []
        size = rows = 0
        for _ in range(rounds + 3):
            began = time.perf_counter()
            response = http.post("/", files=form)
            times.append(time.perf_counter() - began)
            size = len(response.content)
        rows = len(response.json()["data"]["result"])
    median = statistics.median(times[3:]) * 1000
    figure = Figure(
        "full GetQueueSipStatus, median",
        round(median, 1),
        "ms",
        "< 30 ms",
        median < 30,
        f"{rows:,} rows, {size / 1024:.0f} KiB, {rounds} requests",
    )
    return figure, rows, size


# -- mixed small reads -------------------------------------------------------------------------
def _requests(host: str, token: str, floor_exts: list[str], queue_name: str) -> list[bytes]:
    """A mix of the small reads a dashboard and a CRM make, as raw HTTP requests."""
    a, b, c = floor_exts[:3]
    forms = [
        {"service": "App.Sip_Status.GetSipCallStatus", "extnumber": f"{a},{b}"},
        {"service": "App.Sip_Status.GetSipRegisterStatus", "extnumber": c},
        {"service": "App.Sip_Status.GetSipValidStatus", "extnumber": a},
        {"service": "App.Sip_Queue.GetQueueSipStatus", "extnumber": b},
        {"service": "App.Sip_Queue.GetQueueList", "queuename": queue_name},
        {"service": "App.Sip_Sipnum.GetSipnumberInfo", "status": "3", "extnumber": c},
    ]
    out = []
    for form in forms:
        body, content_type = multipart_form({**form, "token": token}, BOUNDARY)
        head = (
            f"POST / HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


async def _hammer(
    host: str, port: int, requests: list[bytes], seconds: float, connections: int
) -> tuple[int, int]:
    done = bad = 0
    stop_at = time.monotonic() + seconds

    async def one(offset: int) -> None:
        nonlocal done, bad
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        while time.monotonic() < stop_at:
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            done += 1
            if not body.startswith(b'{"ret":200') or b'"status":0' not in body[:40]:
                bad += 1
        writer.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return done, bad


def _hammer_in_child(url: str, requests: list[bytes], seconds: float, core: int | None) -> None:
    """Run in a child process (its own core) so the load does not share the server's."""
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    hostport = url.split("//", 1)[1]
    host, port = hostport.rsplit(":", 1)
    done, bad = asyncio.run(_hammer(host, int(port), requests, seconds, connections=8))
    print(json.dumps({"done": done, "bad": bad}))


def mixed_reads(sim: SimProcess, seconds: float, core: int | None) -> Figure:
    floor_exts = [f"9017{i:04d}" for i in range(1, 4)]
    with httpx.Client(base_url=sim.url, timeout=30) as http:
        token = login(http, sim)
        queues = http.post(
            "/", files={"service": (None, "App.Sip_Queue.GetQueueList"), "token": (None, token)}
        ).json()["data"]["result"]
    host = sim.url.split("//", 1)[1]
    requests = _requests(host, token, floor_exts, queues[0]["queuename"])
    code = (
        "import json, sys; from benchmarks.bench_sim import _hammer_in_child; "
        "a = json.loads(sys.argv[1]); "
        "_hammer_in_child(a['url'], [r.encode('latin-1') for r in a['requests']], "
        "a['seconds'], a['core'])"
    )
    payload = json.dumps(
        {
            "url": sim.url,
            "requests": [r.decode("latin-1") for r in requests],
            "seconds": seconds,
            "core": core,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code, payload],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    rate = counts["done"] / seconds
    note = f"6 kinds of read, 8 keep-alive connections, {seconds:g} s, {counts['bad']} bad"
    if core is None:
        note += "; load shares the server's core (one CPU)"
    return Figure("mixed small reads, one core", round(rate), "req/s", "> 1,500", rate > 1500, note)


# -- the floor at full speed ---------------------------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1048576


def floor_run(hours: float) -> list[Figure]:
    floor = build_floor(seed=7, agents=500, queues=10, campaigns=5)
    gc.collect()
    rss_before = _rss_mb()
    began = time.perf_counter()
    step = 600.0
    while floor.now < floor.start + hours * 3600:
        floor.advance(step)
    wall = time.perf_counter() - began
    gc.collect()
    growth = _rss_mb() - rss_before
    per_minute = hours / (wall / 60)
    bills = len(floor.bills)
    return [
        Figure(
            "500-agent floor, simulated hours per wall minute",
            round(per_minute, 1),
            "h/min",
            "> 60",
            per_minute > 60,
            f"{hours:g} h in {wall:.1f} s, {bills:,} bills, {floor.stats.events:,} events",
        ),
        Figure(
            f"memory growth over {hours:g} simulated hours",
            round(growth, 1),
            "MB",
            "< 50 MB",
            growth < 50,
            f"RSS {rss_before:.0f} -> {rss_before + growth:.0f} MB",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_core = cores[0] if cores else None
    load_core = cores[1] if len(cores) > 1 else None

    figures: list[Figure] = []
    sim = SimProcess("--agents", "2000", "--queues", "50", "--campaigns", "10", core=server_core)
    try:
        figure, _, _ = full_queue_status(sim, rounds=10 if args.quick else 50)
        figures.append(figure)
        figures.append(mixed_reads(sim, 3.0 if args.quick else 10.0, load_core))
    finally:
        sim.stop()
    figures.extend(floor_run(1.0 if args.quick else 8.0))

    print("| figure | result | goal | met | notes |")
    print("|---|---|---|---|---|")
    for f in figures:
        value = f"{f.value:,g} {f.unit}"
        print(f"| {f.name} | {value} | {f.goal} | {'yes' if f.met else 'NO'} | {f.note} |")
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": len(cores) or os.cpu_count(),
        "figures": [f.__dict__ for f in figures],
    }
    text = json.dumps(report, indent=2)
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sim.json").write_text(text + "\n", encoding="utf-8")
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
