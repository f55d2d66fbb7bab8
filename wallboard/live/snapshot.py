"""Immutable pictures of the floor: what the live model hands to the widgets.

The live model builds a new `FloorSnapshot` every poll cycle; widgets only read them. Every
figure a widget shows is derived here (or in the model), never in a widget, so that the
numbers are tested without a screen. All times are wall-clock unix seconds; a widget shows
"time in state" as `snapshot.taken_at - agent.since`, so that a snapshot renders the same
whenever it is drawn (stable screenshots).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AgentState(enum.Enum):
    """What a supervisor needs to know about one agent, derived by `live.states.agent_state`."""

    OFFLINE = "offline"  # extension not registered (1014) or missing (1012)
    DISABLED = "disabled"  # extension disabled (1013)
    IDLE = "idle"  # waiting for a call (1213 / 1201)
    RINGING = "ringing"  # a queue call is ringing the agent (1214 / 1202)
    TALKING = "talking"  # answered, in a call (1215 / 1204 / 1203)
    WRAPUP = "wrap-up"  # idle, but still inside the queue's wrap-up time after a call
    PAUSED = "paused"  # shows busy (1217)
    MISSED = "missed"  # was offered a call and did not answer or rejected it (1212 / 1216 / 1205)


class CampaignStatus(enum.Enum):
    """A predictive task's state as far as this dashboard knows (codes 1024-1028)."""

    NOT_STARTED = "not started"  # 1025
    RUNNING = "running"  # 1026
    PAUSED = "paused"  # 1027
    OVER = "over"  # 1028
    MISSING = "missing"  # 1024: the server does not know the task
    UNKNOWN = "unknown"  # nothing learnt yet


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent in one queue (an extension checked into two queues appears twice)."""

    extnumber: str
    queue: str
    name: str  # the queue's seatsname for this agent
    state: AgentState
    since: float  # unix seconds when the agent entered `state`
    number: str | None = None  # the customer's number while ringing or talking
    answered: int = 0  # callsanswered in this queue
    missed: int = 0  # noanswercount in this queue
    crmid: str = ""  # the agent id used to check in, when known
    queue_code: int | None = None  # raw agent state from GetQueueSipStatus (1212-1218)
    call_code: int | None = None  # raw extension state from GetSipCallStatus


@dataclass(frozen=True, slots=True)
class QueueView:
    """A queue (task group) with its agents, in a stable order (by extension)."""

    name: str
    remark: str = ""
    strategy: int | None = None
    autocall: str = ""  # busy / idle / unavailable
    wrapuptime: int = 0
    agents: tuple[AgentView, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A tracked predictive task with its figures, from the bills of its numbers."""

    taskid: str
    name: str
    status: CampaignStatus
    total: int  # numbers in the task as far as this dashboard knows
    dialled: int
    answered: int  # customer answered (agent or not)
    dropped: int  # customer answered, no agent in time (abandoned)
    remaining: int
    abandon_rate: float  # dropped / answered, 0.0 when nothing answered
    drop_budget: int  # more drops that fit under 3% of the calls answered so far
    assigned_to: str = ""  # the queue, extension or group it dials for

    @property
    def progress(self) -> float:
        """Share of the task's numbers that are done, 0.0 to 1.0."""
        return 0.0 if self.total <= 0 else min(1.0, self.dialled / self.total)


@dataclass(frozen=True, slots=True)
class FloorTotals:
    """The header's live figures."""

    idle: int = 0
    ringing: int = 0
    talking: int = 0
    wrapup: int = 0
    paused: int = 0
    offline: int = 0
    disabled: int = 0
    missed: int = 0
    calls_in_progress: int = 0
    answered_today: int = 0  # customer-answered outbound calls today (bills)
    dropped_today: int = 0  # abandoned calls today (bills)

    @property
    def abandon_rate(self) -> float:
        """Abandoned / customer-answered, the figure outbound rules cap at 3%."""
        return 0.0 if self.answered_today <= 0 else self.dropped_today / self.answered_today


@dataclass(frozen=True, slots=True)
class FloorSnapshot:
    """Everything the screen shows at one moment."""

    taken_at: float  # unix seconds of the data (the last successful fast poll)
    queues: tuple[QueueView, ...] = ()
    campaigns: tuple[CampaignView, ...] = ()
    totals: FloorTotals = field(default_factory=FloorTotals)
    stale: bool = False  # the last poll failed: this is the last good data
    error: str | None = None  # why the last poll failed, in words for a supervisor
    read_only: bool = False

    def age(self, now: float) -> float:
        """Seconds since the data was fresh, for the "updated N s ago" line."""
        return max(0.0, now - self.taken_at)
