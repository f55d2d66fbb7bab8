"""The two orders agent states are put in: the order they are read in, and how pressing.

Every count of agents by state (the status document, queue headings, the state filter)
lists the states in the same reading order, STATE_ORDER. An agent checked into several
queues is one person on the floor, seen in their most pressing state (`TOTALS_PRIORITY`:
a call on the line first, offline last), so that the header, the agent list and the alerts
count the same people the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wallboard.live.snapshot import AgentState, AgentView, QueueView
from wallboard.live.states import TOTALS_PRIORITY

#: The states in the order a supervisor reads the counts: who can take a call, who is on
#: one, who is finishing one, who is away, who is not there.
STATE_ORDER: tuple[AgentState, ...] = (
    AgentState.IDLE,
    AgentState.RINGING,
    AgentState.TALKING,
    AgentState.WRAPUP,
    AgentState.PAUSED,
    AgentState.MISSED,
    AgentState.OFFLINE,
    AgentState.DISABLED,
)

#: Each state's place in `TOTALS_PRIORITY`: lower is more pressing.
PRESSING_RANK: dict[AgentState, int] = {state: rank for rank, state in enumerate(TOTALS_PRIORITY)}


def most_pressing(views: Sequence[AgentView]) -> AgentView:
    """The queue entry (of one person's, at least one) in the most pressing state; the
    first on a tie."""
    chosen = views[0]
    for view in views[1:]:
        if PRESSING_RANK[view.state] < PRESSING_RANK[chosen.state]:
            chosen = view
    return chosen


def people(queues: Iterable[QueueView]) -> list[tuple[AgentView, tuple[str, ...]]]:
    """Each person (extension) once, as the view of their most pressing state (first queue
    on a tie), with all their queues, in the order first met."""
    chosen: dict[str, AgentView] = {}
    queue_names: dict[str, list[str]] = {}
    for queue in queues:
        for agent in queue.agents:
            seen = chosen.get(agent.extnumber)
            if seen is None or PRESSING_RANK[agent.state] < PRESSING_RANK[seen.state]:
                chosen[agent.extnumber] = agent
            queue_names.setdefault(agent.extnumber, []).append(queue.name)
    return [(view, tuple(queue_names[ext])) for ext, view in chosen.items()]


__all__ = ["PRESSING_RANK", "STATE_ORDER", "most_pressing", "people"]
