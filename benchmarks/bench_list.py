"""The agent list with 2,000 agents: cost of a snapshot (10% of agents changed) from `show()`
to its frame drawn, headless, 200x60; and of a full sort by state and time in state.

    python -m benchmarks.bench_list [--agents 2000] [--snapshots 60] [--size 200x60] [--grid]

`--grid` measures the agent grid the same way, for comparison on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import replace

from textual.app import App, ComposeResult

from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView
from wallboard.ui.agent_grid import AgentGrid
from wallboard.ui.agent_list import AgentList, SortOrder, agent_rows, sort_key
from wallboard.ui.themes import variable_defaults

STATES = (
    AgentState.IDLE,
    AgentState.TALKING,
    AgentState.PAUSED,
    AgentState.WRAPUP,
    AgentState.RINGING,
    AgentState.MISSED,
    AgentState.OFFLINE,
)
T0 = 1_767_600_000.0


class Host(App[None]):
    """A bare app holding the one widget measured."""

    def __init__(self, widget: type[AgentList] | type[AgentGrid]) -> None:
        super().__init__()
        self.widget = widget

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield self.widget()


def floor(agents: int, rng: random.Random) -> list[list[AgentView]]:
    queues: list[list[AgentView]] = [[] for _ in range(max(1, agents // 200))]
    for n in range(agents):
        queues[n % len(queues)].append(
            AgentView(
                extnumber=str(10000 + n),
                queue=f"q{n % len(queues)}",
                name=f"Agent {n}",
                state=rng.choice(STATES),
                since=T0 - rng.uniform(0, 3000),
            )
        )
    return queues


def snap(queues: list[list[AgentView]], at: float) -> FloorSnapshot:
    return FloorSnapshot(
        taken_at=at,
        queues=tuple(QueueView(name=agents[0].queue, agents=tuple(agents)) for agents in queues),
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=60)
    parser.add_argument("--size", default="200x60")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    kind: type[AgentList] | type[AgentGrid] = AgentGrid if args.grid else AgentList
    width, height = map(int, args.size.split("x"))
    rng = random.Random(7)
    queues = floor(args.agents, rng)
    rows = agent_rows(snap(queues, T0).queues)
    started = time.perf_counter()
    for _ in range(20):
        sorted(rows, key=sort_key(SortOrder.STATE))
    sort_ms = (time.perf_counter() - started) / 20 * 1000
    app = Host(kind)
    show_ms: list[float] = []
    frame_ms: list[float] = []
    async with app.run_test(size=(width, height)) as pilot:
        widget = app.query_one(kind)
        at = T0
        started = time.perf_counter()
        widget.show(snap(queues, at))
        await pilot.pause()
        first_ms = (time.perf_counter() - started) * 1000
        for _ in range(args.snapshots):
            at += 1.0
            for agents in queues:
                for i, view in enumerate(agents):
                    if rng.random() < 0.1:
                        agents[i] = replace(view, state=rng.choice(STATES), since=at)
            snapshot = snap(queues, at)
            drawn = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            widget.show(snapshot)
            show_ms.append((time.perf_counter() - started) * 1000)
            app.call_after_refresh(lambda f=drawn: f.done() or f.set_result(time.perf_counter()))
            frame_ms.append((await drawn - started) * 1000)
    print(
        f"{kind.__name__}: agents {args.agents}, {args.size}, {args.snapshots} snapshots,"
        " 10% changing each"
    )
    print(f"sort by state and time in state: {sort_ms:.2f} ms")
    print(f"first paint (show to frame): {first_ms:.1f} ms")
    print(
        f"show(), median / p95: {statistics.median(show_ms):.2f} / "
        f"{sorted(show_ms)[int(len(show_ms) * 0.95)]:.2f} ms"
    )
    print(
        f"snapshot to drawn frame, median / p95: {statistics.median(frame_ms):.2f} / "
        f"{sorted(frame_ms)[int(len(frame_ms) * 0.95)]:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
