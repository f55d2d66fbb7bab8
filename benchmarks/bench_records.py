"""Peak memory of a large call records export: `python -m benchmarks.bench_records`.

A simulated 500-agent floor runs in a process of its own (clock stopped) until its day holds
at least 100,000 call records (`--records`); then `wallboard records --csv FILE` exports the
day in another process, as a user runs it. Measured from outside that process: its peak
resident memory (ru_maxrss, from wait4: the whole process, interpreter and libraries
included; goal under 100 MB), its wall time, and whether the file has one row per record of
GetBill's `totalitems` for the same range, plus a header.

It prints a markdown table; `--json FILE` also writes the rows as {name, value, unit, goal,
note} (what `benchmarks.run` reads). `--quick`: 30,000 records.

    python -m benchmarks.bench_records [--records N] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIDNIGHT = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC).timestamp()
DAY = "2026-01-05"
GOAL_MB = 100.0


# ---------------------------------------------------------------------- the floor (a child)


def serve(records: int) -> int:
    """Run the floor until its day holds `records` bills, serve it, print how to reach it
    (one JSON line), and serve until stdin closes."""
    from wallboard.sim.server import Simulator, serve_in_thread

    sim = Simulator.from_scenario(
        agents=500, queues=10, campaigns=10, manual_clock=True, start=MIDNIGHT
    )
    while len(sim.floor.bills) < records and sim.now() < MIDNIGHT + 86_000:
        sim.advance(900)
    with serve_in_thread(sim) as url:
        info = {"url": url, "appid": sim.appid, "accesskey": sim.accesskey}
        print(json.dumps({**info, "bills": len(sim.floor.bills)}), flush=True)
        sys.stdin.read()
    return 0


# ---------------------------------------------------------------------- the measurement


def _server_total(info: dict[str, Any]) -> int:
    from wallboard.api.client import WallboardClient

    async def ask() -> int:
        async with WallboardClient(info["url"], info["appid"], info["accesskey"]) as client:
            page = await client.bills(f"{DAY} 00:00:00", f"{DAY} 23:59:59", itemsperpage=1)
        return page.totalitems

    return asyncio.run(ask())


def _command() -> list[str]:
    """`wallboard` itself; or, where `records` is not yet one of its commands, the command's
    module through a parser of its own (`export`)."""
    import contextlib
    import io

    from wallboard.commands import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["records"])
    except SystemExit:
        return ["benchmarks.bench_records", "export"]
    return ["wallboard.cli"]


def export(argv: list[str]) -> int:
    """`wallboard records ARGS` through the command module's own parser."""
    from wallboard.commands import records

    parser = argparse.ArgumentParser(prog="wallboard")
    records.add_parser(parser.add_subparsers(dest="command"))
    return records.run(parser.parse_args(argv))


def _rows(path: Path) -> int:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle))


def measure(records: int) -> list[dict[str, Any]]:
    floor = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_records", "serve", "--records", str(records)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert floor.stdout is not None
        line = floor.stdout.readline()
        if not line:
            raise RuntimeError("the simulated floor did not start")
        info = json.loads(line)
        total = _server_total(info)
        with tempfile.TemporaryDirectory(prefix="wallboard-bench-records-") as scratch:
            out = Path(scratch) / "day.csv"
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "WALLBOARD_URL": info["url"],
                "WALLBOARD_APPID": info["appid"],
                "WALLBOARD_ACCESSKEY": info["accesskey"],
                "WALLBOARD_TZ": "UTC",
                "WALLBOARD_CONFIG_DIR": str(Path(scratch) / "config"),
                "WALLBOARD_DATA_DIR": str(Path(scratch) / "data"),
            }
            argv = ["records", "--from", DAY, "--to", DAY, "--csv", str(out)]
            began = time.monotonic()
            export = subprocess.Popen(
                [sys.executable, "-m", *_command(), *argv],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, status, usage = os.wait4(export.pid, 0)
            seconds = time.monotonic() - began
            export.returncode = os.waitstatus_to_exitcode(status)
            stderr = export.stderr.read().decode() if export.stderr else ""
            if export.returncode != 0:
                raise RuntimeError(f"wallboard records failed: {stderr.strip()[-300:]}")
            rows = _rows(out)
            size = out.stat().st_size
    finally:
        if floor.stdin is not None:
            floor.stdin.close()
        try:
            floor.wait(timeout=30)
        except subprocess.TimeoutExpired:
            floor.kill()
            floor.wait()
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    note = f"{total:,} records, {size / 2**20:.1f} MiB of CSV, 500-agent simulated day"
    return [
        {
            "name": f"records --csv, {total:,} records: peak memory (RSS)",
            "value": round(peak_mb, 1),
            "unit": "MB",
            "goal": f"< {GOAL_MB:g} MB",
            "note": note,
        },
        {
            "name": f"records --csv, {total:,} records: wall time",
            "value": round(seconds, 1),
            "unit": "s",
            "goal": "",
            "note": f"{total / seconds:,.0f} records/s, simulator in its own process",
        },
        {
            "name": "records --csv: rows = GetBill totalitems + header",
            "value": 1 if rows == total + 1 else 0,
            "unit": "yes=1",
            "goal": "> 0.5",
            "note": f"{rows - 1:,} rows for totalitems {total:,}",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    serving = sub.add_parser("serve", help="(internal) the simulated floor")
    serving.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="30,000 records (a smoke run)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["export"]:
        return export(arguments[1:])
    args = parser.parse_args(arguments)
    if args.command == "serve":
        return serve(args.records)
    figures = measure(30_000 if args.quick else args.records)
    print("| figure | result | goal | notes |")
    print("|---|---|---|---|")
    for f in figures:
        print(f"| {f['name']} | {f['value']:,g} {f['unit']} | {f['goal']} | {f['note']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    peak, _, same = figures
    return 0 if peak["value"] < GOAL_MB and same["value"] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
