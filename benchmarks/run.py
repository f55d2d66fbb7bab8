"""Every benchmark, repeated, in one table: `python -m benchmarks.run` (what `make bench` runs).

Runs each benchmark script several times (3; `--quick`: once, shorter and smaller), each in
a fresh process, and writes `benchmarks/results/latest.md` and `latest.json`: for every
figure the median with the min and max over the runs, its goal and whether the median meets
it, and the command that produced it. The markdown is printed at the end. A benchmark that
fails or runs out of time is a row saying so; the others still run. The whole run is
bounded: about 13 minutes (`--quick`: about 3).

    python -m benchmarks.run [--quick] [--runs N] [--only poll,dashboard,sim,terminal,idle,cpu]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SIZES = (100, 500, 2000)


@dataclass
class Figure:
    """One measured number of one run."""

    name: str
    value: float | None
    unit: str
    goal: str = ""  # "< 30 ms": an operator and a number in the figure's own unit
    note: str = ""


Reader = Callable[[str, Path], list[Figure]]


@dataclass(frozen=True)
class Job:
    key: str
    module: str
    args: tuple[str, ...]
    read: Reader
    timeout: float
    json_file: bool = True  # pass `--json FILE`; otherwise the figures come on stdout

    def argv(self, json_path: Path) -> list[str]:
        extra = ["--json", str(json_path)] if self.json_file else []
        return [sys.executable, "-m", self.module, *self.args, *extra]

    @property
    def command(self) -> str:
        """The command as a person would type it (the JSON file left out)."""
        return shlex.join(["python", "-m", self.module, *self.args])


# ---------------------------------------------------------------------- reading the scripts


def read_poll(_stdout: str, path: Path) -> list[Figure]:
    figures = []
    for row in json.loads(path.read_text(encoding="utf-8")):
        agents = row["agents"]
        note = f"{row['queue_rows']:,} queue rows, {row['cycles']} steady fast cycles"
        figures.append(
            Figure(
                f"poll cycle: requests per fast cycle, {agents:,} agents",
                row["requests_max"],
                "requests",
                "same at every size",
                note,
            )
        )
        figures.append(
            Figure(f"poll cycle: time, {agents:,} agents", row["ms_median"], "ms", "", note)
        )
    return figures


def read_dashboard(stdout: str, _path: Path) -> list[Figure]:
    row = json.loads(_json_text(stdout))
    agents = row["agents"]
    note = f"synthetic floor, 10% of agents change each second, {row['size']}"
    figures = [
        Figure(
            f"snapshot to frame, {agents:,} agents",
            row["snapshot_to_frame_ms"],
            "ms",
            "< 16 ms",
            f"{note}, {row['frames']} frames",
        )
    ]
    if agents == max(SIZES):
        figures += [
            Figure(f"first paint, {agents:,} agents", row["first_paint_s"], "s", "< 0.3 s", note),
            Figure(
                f"dashboard CPU share, {agents:,} agents (synthetic)",
                round(100 * row["cpu_share"], 2),
                "%",
                "< 3 %",
                note,
            ),
            Figure(
                f"terminal bytes, {agents:,} agents, 10% changing per second (synthetic)",
                row["bytes_per_s"],
                "B/s",
                "< 2,048 B/s",
                note,
            ),
        ]
    return figures


def read_sim(stdout: str, _path: Path) -> list[Figure]:
    report = json.loads(_json_text(stdout))
    return [
        Figure(f"simulator: {f['name']}", f["value"], f["unit"], f["goal"], f.get("note", ""))
        for f in report["figures"]
    ]


def read_own(_stdout: str, path: Path) -> list[Figure]:
    """bench_terminal, bench_idle and bench_cpu write {name, value, unit, goal, note} rows."""
    return [
        Figure(row["name"], row["value"], row["unit"], row.get("goal", ""), row.get("note", ""))
        for row in json.loads(path.read_text(encoding="utf-8"))
    ]


def _json_text(stdout: str) -> str:
    """The JSON document a script prints after its human-readable lines."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(("{", "[")):
            return "\n".join(lines[index:])
    raise ValueError("no JSON in the output")


# ---------------------------------------------------------------------- the plan


def plan(quick: bool) -> list[Job]:
    cycles = "5" if quick else "20"
    screen = "5" if quick else "8"
    jobs = [
        Job(
            "poll",
            "benchmarks.bench_poll",
            ("--agents", ",".join(map(str, SIZES)), "--cycles", cycles),
            read_poll,
            timeout=300,
        )
    ]
    jobs += [
        Job(
            "dashboard",
            "benchmarks.bench_dashboard",
            ("--agents", str(agents), "--seconds", screen, "--json"),
            read_dashboard,
            timeout=180,
            json_file=False,
        )
        for agents in SIZES
    ]
    jobs += [
        Job(
            "sim",
            "benchmarks.bench_sim",
            ("--quick",) if quick else (),
            read_sim,
            timeout=300,
            json_file=False,
        ),
        Job(
            "terminal",
            "benchmarks.bench_terminal",
            ("--quick",) if quick else (),
            read_own,
            timeout=300,
        ),
        Job("idle", "benchmarks.bench_idle", ("--quick",) if quick else (), read_own, timeout=400),
        Job("cpu", "benchmarks.bench_cpu", ("--quick",) if quick else (), read_own, timeout=300),
    ]
    return jobs


# ---------------------------------------------------------------------- running


@dataclass
class Row:
    """One figure over all runs."""

    name: str
    unit: str
    goal: str
    command: str
    values: list[float] = field(default_factory=list)
    note: str = ""
    failure: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def met(self) -> bool | None:
        return meets(self.goal, self.median)


def meets(goal: str, value: float | None) -> bool | None:
    """Whether `value` meets a goal written "< N" or "> N" (None when there is no such goal)."""
    match = re.match(r"\s*([<>])\s*([0-9][0-9,]*(?:\.[0-9]+)?)", goal)
    if match is None or value is None:
        return None
    limit = float(match.group(2).replace(",", ""))
    return value < limit if match.group(1) == "<" else value > limit


def run_job(job: Job, scratch: Path) -> tuple[list[Figure], str, float]:
    """One run of one script: (figures, failure text or "", seconds taken)."""
    json_path = scratch / f"{job.key}.json"
    json_path.unlink(missing_ok=True)
    began = time.monotonic()
    try:
        done = subprocess.run(
            job.argv(json_path),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=job.timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired:
        return [], f"did not finish within {job.timeout:g} s", time.monotonic() - began
    took = time.monotonic() - began
    try:
        figures = job.read(done.stdout, json_path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return [], f"no figures ({type(exc).__name__}): {last[:200]}", took
    return figures, "", took


def collect(jobs: list[Job], runs: int) -> tuple[list[Row], float]:
    rows: dict[str, Row] = {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wallboard-bench-") as scratch:
        for number, job in enumerate(jobs, start=1):
            for run in range(1, runs + 1):
                print(
                    f"[{number}/{len(jobs)}] {job.command}  (run {run}/{runs})",
                    file=sys.stderr,
                    flush=True,
                )
                figures, failure, took = run_job(job, Path(scratch))
                print(f"        {took:.1f} s {failure}", file=sys.stderr, flush=True)
                if failure:
                    row = rows.setdefault(
                        f"{job.command} failed", Row(job.key, "", "", job.command)
                    )
                    row.failure = failure
                    continue
                for figure in figures:
                    row = rows.setdefault(
                        figure.name, Row(figure.name, figure.unit, figure.goal, job.command)
                    )
                    if figure.value is not None:
                        row.values.append(float(figure.value))
                    row.note = figure.note or row.note
    _same_requests(list(rows.values()))
    return list(rows.values()), time.monotonic() - began


def _same_requests(rows: list[Row]) -> None:
    """The poll goal is one for all sizes: the same request count at 100, 500 and 2,000."""
    counts = [r for r in rows if r.goal == "same at every size"]
    values = {v for r in counts for v in r.values}
    for row in counts:
        row.goal = "same at every size" + (" (yes)" if len(values) == 1 else " (NO)")


# ---------------------------------------------------------------------- writing


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def _met(row: Row) -> str:
    if row.failure:
        return "failed"
    if row.goal.startswith("same at every size"):
        return "yes" if row.goal.endswith("(yes)") else "NO"
    met = row.met
    return "" if met is None else ("yes" if met else "NO")


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    lines = [
        "# wallboard benchmarks",
        "",
        f"{meta['when']}; Python {meta['python']} on {meta['platform']}, {meta['cpus']} CPUs; "
        f"commit {meta['commit']}; {meta['mode']}, {meta['runs']} run(s) of each; "
        f"{meta['seconds']:.0f} s in all.",
        "",
        "| figure | median | min | max | unit | goal | met | command |",
        "|---|---:|---:|---:|---|---|---|---|",
    ]
    for row in rows:
        if row.failure:
            lines.append(
                f"| {row.name} | - | - | - | | | failed: {row.failure} | `{row.command}` |"
            )
            continue
        low = min(row.values) if row.values else None
        high = max(row.values) if row.values else None
        goal = row.goal.replace(" (yes)", "").replace(" (NO)", "")
        lines.append(
            f"| {row.name} | {_number(row.median)} | {_number(low)} | {_number(high)} | "
            f"{row.unit} | {goal} | {_met(row)} | `{row.command}` |"
        )
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "Conditions of each figure (last run):", "", *notes]
    return "\n".join(lines) + "\n"


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short run of each")
    parser.add_argument("--runs", type=int, default=None, help="runs of each (3; quick: 1)")
    parser.add_argument("--only", default="", metavar="KEYS", help="e.g. poll,terminal")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if not 1 <= runs <= 20:
        parser.error("--runs must be from 1 to 20")
    jobs = plan(args.quick)
    if args.only:
        wanted = {key.strip() for key in args.only.split(",") if key.strip()}
        unknown = wanted - {job.key for job in jobs}
        if unknown:
            parser.error(f"--only: no benchmark {', '.join(sorted(unknown))}")
        jobs = [job for job in jobs if job.key in wanted]
    rows, seconds = collect(jobs, runs)
    meta = {
        "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "commit": _commit(),
        "mode": "quick" if args.quick else "full",
        "runs": runs,
        "seconds": seconds,
    }
    text = markdown(rows, meta)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text, encoding="utf-8")
    document = {
        "meta": meta,
        "figures": [
            {
                "name": row.name,
                "unit": row.unit,
                "median": row.median,
                "min": min(row.values) if row.values else None,
                "max": max(row.values) if row.values else None,
                "runs": row.values,
                "goal": row.goal,
                "met": row.met if not row.goal.startswith("same") else _met(row) == "yes",
                "command": row.command,
                "note": row.note,
                "failure": row.failure or None,
            }
            for row in rows
        ],
    }
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 1 if any(row.failure for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
