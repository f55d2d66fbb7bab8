"""The predictive dialler's physics, measured: taskscale vs abandon rate vs agent occupancy
(`python -m benchmarks.bench_dialer`).

Each row runs the default demo floor (40 agents, 3 queues, 2 campaigns) for one simulated
hour from its start, with every campaign paced at the row's taskscale ("default" keeps the
scenario's own 1:2 and 2:3), for each seed. Abandon % is abandoned / customer-answered
predictive calls (API-NOTES decision 9: dropped by the queue or hung up while waiting);
occupancy is the share of on-duty agent time spent talking, sampled every 5 simulated
seconds. A second table runs each named scenario and shows its worst campaign.

Goals (issue 9): the default scenario's abandon rate between 1% and 5% for every seed, and
rising with taskscale; the surge scenario puts a campaign over 3%. Prints markdown tables,
the same figures as JSON (also written to benchmarks/results/dialer.json), and exits 1 when
a goal is missed. Runs in a few seconds: time is simulated.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from wallboard.sim.entities import STAGE_TALKING
from wallboard.sim.floor import Floor
from wallboard.sim.scenario import SCENARIOS, ScenarioSpec, build_floor

RESULTS = Path(__file__).parent / "results"
SCALES: tuple[tuple[int, int] | None, ...] = ((1, 1), (2, 3), None, (1, 2), (1, 3))
SAMPLE_EVERY = 5.0


@dataclass
class Run:
    answered: int
    abandoned: int
    connected: int
    occupancy: float
    worst_campaign: float  # abandon % of the campaign that dropped the most

    @property
    def abandon(self) -> float:
        return 100.0 * self.abandoned / max(1, self.answered)


def on_duty_and_talking(floor: Floor) -> tuple[int, int]:
    """(agents on duty: enabled, registered, in a queue and not paused in all of them;
    of those, the ones talking)."""
    duty = talking = 0
    for ext in floor.extensions.values():
        if not (ext.enabled and ext.registered):
            continue
        if not any(m.pool.queue and not m.paused for m in ext.members):
            continue
        duty += 1
        call = ext.call
        if call is not None and call.stage == STAGE_TALKING and call.ext is ext:
            talking += 1
    return duty, talking


def run(spec: ScenarioSpec, seed: int, hours: float) -> Run:
    floor = build_floor(seed=seed, scenario=spec)
    end = floor.now + hours * 3600
    duty = talking = 0
    while floor.now < end:
        floor.advance(SAMPLE_EVERY)
        d, t = on_duty_and_talking(floor)
        duty += d
        talking += t
    stats = floor.stats
    per_task: dict[str, list[int]] = {}
    for bill in floor.bills:
        if bill.callmethod == 5 and bill.answer_after is not None:
            counts = per_task.setdefault(bill.taskid, [0, 0])
            counts[0] += 1
            counts[1] += bill.abandoned
    worst = max((100.0 * a / max(1, n) for n, a in per_task.values()), default=0.0)
    return Run(
        stats.answered, stats.abandoned, stats.connected, 100.0 * talking / max(1, duty), worst
    )


def scale_text(scale: tuple[int, int] | None) -> str:
    return "default (1:2, 2:3)" if scale is None else f"{scale[0]}:{scale[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,8,9", help="comma-separated seeds (7,8,9)")
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours per run")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    default = SCENARIOS["default"]

    rows = []
    default_abandons: list[float] = []
    print(f"Default floor, {args.hours:g} simulated hour(s), seeds {', '.join(map(str, seeds))}\n")
    print("| taskscale | abandon % per seed | abandon % mean | occupancy % mean | connected/h |")
    print("|---|---|---|---|---|")
    for scale in SCALES:
        spec = default if scale is None else dataclasses.replace(default, scales=(scale,))
        runs = [run(spec, seed, args.hours) for seed in seeds]
        if scale is None:
            default_abandons = [r.abandon for r in runs]
        row = {
            "taskscale": scale_text(scale),
            "abandon": [round(r.abandon, 2) for r in runs],
            "abandon_mean": round(statistics.fmean(r.abandon for r in runs), 2),
            "occupancy_mean": round(statistics.fmean(r.occupancy for r in runs), 1),
            "connected_per_hour": round(statistics.fmean(r.connected for r in runs) / args.hours),
        }
        rows.append(row)
        per_seed = ", ".join(f"{r.abandon:.1f}" for r in runs)
        print(
            f"| {row['taskscale']} | {per_seed} | {row['abandon_mean']:.1f} | "
            f"{row['occupancy_mean']:.1f} | {row['connected_per_hour']} |"
        )

    scenarios = []
    print("\n| scenario | abandon % mean | worst campaign's abandon % mean | occupancy % mean |")
    print("|---|---|---|---|")
    for name, spec in SCENARIOS.items():
        runs = [run(spec, seed, args.hours) for seed in seeds]
        entry = {
            "scenario": name,
            "abandon_mean": round(statistics.fmean(r.abandon for r in runs), 2),
            "worst_campaign_mean": round(statistics.fmean(r.worst_campaign for r in runs), 2),
            "worst_campaign_min": round(min(r.worst_campaign for r in runs), 2),
            "occupancy_mean": round(statistics.fmean(r.occupancy for r in runs), 1),
        }
        scenarios.append(entry)
        print(
            f"| {name} | {entry['abandon_mean']:.1f} | {entry['worst_campaign_mean']:.1f} | "
            f"{entry['occupancy_mean']:.1f} |"
        )

    by_scale = {row["taskscale"]: row for row in rows}
    in_band = all(1.0 <= a <= 5.0 for a in default_abandons)
    means = [float(by_scale[scale_text(s)]["abandon_mean"]) for s in SCALES if s is not None]
    rising = all(a < b for a, b in itertools.pairwise(means))
    surge = next(e for e in scenarios if e["scenario"] == "surge")
    surge_over = float(surge["worst_campaign_min"]) > 3.0
    goals = {
        "default abandon within 1-5% for every seed": in_band,
        "abandon rises with taskscale": rising,
        "surge puts a campaign over 3% for every seed": surge_over,
    }
    print()
    for goal, met in goals.items():
        print(f"- {goal}: {'met' if met else 'MISSED'}")
    figures = {"seeds": seeds, "hours": args.hours, "scales": rows, "scenarios": scenarios}
    print("\n" + json.dumps(figures | {"goals": goals}))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dialer.json").write_text(json.dumps(figures | {"goals": goals}, indent=2) + "\n")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
