"""Immutable pictures of the floor: what the live model hands to the widgets.

The live model builds a new `FloorSnapshot` every poll cycle; widgets only read them. Every
figure a widget shows is derived here (or in the model), never in a widget, so that the
numbers are tested without a screen.

Every time in a snapshot is on the SERVER's clock (unix seconds; API-NOTES decision 10): the
live model learns the server's time from the `reqtime`/`rsptime` of its answers and keeps it
as an offset from its own clock (`FloorSnapshot.clock_offset`). A widget shows "time in
state" as `snapshot.server_now(now) - agent.since` (both server time), so that times move
on between polls and a fixed clock draws a snapshot the same every time (stable
screenshots), and the data's age as `snapshot.age(now)`; `now` is this machine's clock in
both, the offset is added there.
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

    # Equal only to itself, so hashed by identity, in C: Enum's own hash is a call into
    # Python, and the counts by state look states up thousands of times a poll.
    __hash__ = object.__hash__


class CampaignStatus(enum.Enum):
    """A predictive task's state as far as this dashboard knows (codes 1024-1028).

    The value is the word shown on screen and in `wallboard status`: a task the server
    calls "over" (1028) reads "ended", the supervisor's word. The member keeps the server's
    name, which is also how the campaign registry's file stores it."""

    NOT_STARTED = "not started"  # 1025
    RUNNING = "running"  # 1026
    PAUSED = "paused"  # 1027
    OVER = "ended"  # 1028 "task over"
    MISSING = "missing"  # 1024: the server does not know the task
    UNKNOWN = "unknown"  # nothing learnt yet


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent in one queue (an extension checked into two queues appears twice)."""

    extnumber: str
    queue: str
    name: str  # the agents file's name for the extension, else the queue's seatsname
    state: AgentState
    since: float  # server unix seconds when the agent entered `state` (see `at_least`)
    number: str | None = None  # the customer's number while ringing or talking
    answered: int = 0  # callsanswered in this queue
    missed: int = 0  # noanswercount in this queue
    crmid: str = ""  # the agent id used to check in, when known
    queue_code: int | None = None  # raw agent state from GetQueueSipStatus (1212-1218)
    call_code: int | None = None  # raw extension state from GetSipCallStatus
    # True where the server gives no start for the state (ringing, missed, offline,
    # disabled, a pause without a seatschangetime): `since` is when this dashboard first saw
    # it, so the time in state is a lower bound, shown as "≥0:54". False: `since` is the
    # state's real start (seatschangetime, callduration, idleduration), kept across restarts.
    at_least: bool = False


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
class TrendBucket:
    """A quarter of an hour of the server's day: its finished predictive calls dialled then
    (by the bills' `starttime`), answered and dropped."""

    start: float  # server unix seconds of the slot's first second
    answered: int = 0
    dropped: int = 0

    @property
    def abandon_rate(self) -> float | None:
        """dropped / answered; None when nothing was answered: no data, which is not 0%."""
        return None if self.answered <= 0 else self.dropped / self.answered


@dataclass(frozen=True, slots=True)
class Trend:
    """The server's day so far in 15-minute buckets, from midnight through the bucket of the
    snapshot's time (at most 96): the floor's, or one campaign's calls of the day."""

    buckets: tuple[TrendBucket, ...] = ()

    @property
    def answered(self) -> int:
        return sum(bucket.answered for bucket in self.buckets)

    @property
    def dropped(self) -> int:
        return sum(bucket.dropped for bucket in self.buckets)

    @property
    def abandon_rate(self) -> float | None:
        """The day's rate over these buckets; None when nothing was answered."""
        answered = self.answered
        return None if answered <= 0 else self.dropped / answered


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A tracked predictive task with its figures: its finished calls (the bills of its
    numbers) and its calls in progress (agents ringing or talking to one of its numbers).

    Each figure is defined once:
    - `dialled`: its numbers called, finished or in progress, each number once
      (`finished_dialled` + `live_first` + `unbilled_first`);
    - `answered`: calls the customer answered, finished or talking now
      (`finished_answered` + `talking` + `unbilled_answered`);
    - a call that ended is counted on until the bills show it (`unbilled_*`), so that
      neither figure goes back between two bill reads;
    - `dropped`: finished calls the customer answered and no agent took (abandoned): a drop
      is only known once its call ended, so it has no live part;
    - `abandon_rate` and `drop_budget`: over FINISHED calls only (`dropped` /
      `finished_answered`), as the 3% rule counts them; label it so ("of finished calls").
    """

    taskid: str
    name: str
    status: CampaignStatus
    total: int  # numbers in the task as far as this dashboard knows
    dialled: int  # numbers called, finished or in progress (each once)
    answered: int  # customer answered, finished calls plus those talking now
    dropped: int  # customer answered, no agent in time (abandoned); finished calls
    remaining: int  # numbers not called yet (total - dialled)
    abandon_rate: float  # dropped / finished_answered, 0.0 when no finished call answered
    drop_budget: int  # more drops that fit under 3% of the finished calls answered so far
    assigned_to: str = ""  # the queue, extension or group it dials for
    live: int = 0  # its calls in progress now: customers ringing or talking to an agent
    talking: int = 0  # of those, answered: an agent is talking to the customer
    live_first: int = 0  # of those, to numbers with no finished call yet (new in `dialled`)
    # Calls that ended since the bills were read, not in them yet: to numbers with no
    # finished call in the bills (in `dialled`), and answered ones (in `answered`).
    unbilled_first: int = 0
    unbilled_answered: int = 0
    # Its finished calls of the server's day (today only, not the whole campaign) per 15
    # minutes: answered, dropped and the abandon rate of each quarter of an hour.
    trend: Trend = field(default_factory=Trend)
    # The rules' windows from the history store (None: no store, or nothing held yet):
    # abandon rate (dropped / answered, finished calls) over the last 24 hours (the UK's
    # rule) and the last 30 days (the US's), the drops that still fit under 3% of each, and
    # the seconds of each window the store holds (less than 86,400 / 2,592,000 when it
    # began later: show "counted over N h/d"). `strict_*`: the rate with the 2-second test
    # (an agent joining more than 2 s after the answer counts as a drop), None unless every
    # call of the window was timed; `answered_*` / `dropped_*`: what the rates are of.
    abandon_24h: float | None = None
    abandon_30d: float | None = None
    budget_24h: int | None = None
    budget_30d: int | None = None
    counted_over_24h: int | None = None
    counted_over_30d: int | None = None
    strict_24h: float | None = None
    strict_30d: float | None = None
    answered_24h: int | None = None
    dropped_24h: int | None = None
    answered_30d: int | None = None
    dropped_30d: int | None = None

    @property
    def finished_dialled(self) -> int:
        """Numbers with a finished call (the bills)."""
        return self.dialled - self.live_first - self.unbilled_first

    @property
    def finished_answered(self) -> int:
        """Finished calls the customer answered (the bills): what the abandon rate is over."""
        return self.answered - self.talking - self.unbilled_answered

    @property
    def progress(self) -> float:
        """Share of the task's numbers that are done, 0.0 to 1.0."""
        return 0.0 if self.total <= 0 else min(1.0, self.dialled / self.total)


@dataclass(frozen=True, slots=True)
class FloorTotals:
    """The header's figures: people by state (every state has a count, and they add up to
    the people on the floor: an agent in two queues counts once, in its most pressing
    state), calls in progress, and the day's FINISHED predictive calls from the bills.

    With a queue scope (`--queues`, `scoped` True) the people and the calls in progress are
    those of the scoped queues; the finished-call figures (answered, dropped, abandon rate,
    drops in the last 15/60 minutes) are always the whole account's: a bill names no queue,
    and a dropped call no agent. The screen says so ("all queues") when `scoped`.
    """

    idle: int = 0
    ringing: int = 0
    talking: int = 0
    wrapup: int = 0
    paused: int = 0
    offline: int = 0
    disabled: int = 0
    missed: int = 0
    calls_in_progress: int = 0  # calls, not agents: ringing and talking, one per customer
    answered_today: int = 0  # customer-answered predictive calls today, finished (bills)
    dropped_today: int = 0  # abandoned calls today, finished (bills)
    dropped_15m: int = 0  # abandoned calls whose bill ended in the last 15 server minutes
    dropped_60m: int = 0  # ... in the last 60 server minutes (both to the minute)
    scoped: bool = False  # people and calls in progress are the --queues' only
    # The day's finished calls per 15 minutes (the whole account's, like answered_today):
    # its buckets add up to answered_today and dropped_today.
    trend: Trend = field(default_factory=Trend)

    @property
    def people(self) -> int:
        """Agents on the floor (the scoped queues'), each once: the states' counts summed."""
        return (
            self.idle
            + self.ringing
            + self.talking
            + self.wrapup
            + self.paused
            + self.offline
            + self.disabled
            + self.missed
        )

    @property
    def abandon_rate(self) -> float:
        """Abandoned / customer-answered over today's FINISHED calls, the figure outbound
        rules cap at 3%."""
        return 0.0 if self.answered_today <= 0 else self.dropped_today / self.answered_today


@dataclass(frozen=True, slots=True)
class FloorSnapshot:
    """Everything the screen shows at one moment."""

    taken_at: float  # server unix seconds of the data (the last successful fast poll)
    queues: tuple[QueueView, ...] = ()
    campaigns: tuple[CampaignView, ...] = ()
    totals: FloorTotals = field(default_factory=FloorTotals)
    stale: bool = False  # a whole fast cycle failed: this is the last good data
    error: str | None = None  # why the last poll failed, in words for a supervisor
    read_only: bool = False
    # Server time minus this machine's clock (the live model's `clock`), in seconds: added
    # to a local "now" to compare it with the snapshot's times. 0.0 before the server told.
    clock_offset: float = 0.0
    # The server's time at the poll (= taken_at) when its answers gave it (`reqtime` /
    # `rsptime`); None when they did not, and `taken_at` is this machine's clock.
    server_time: float | None = None
    # Every bill of the day (and of the tracked campaigns) is counted: False while the
    # figures catch up (after a start, a new day, a campaign tracked): show "counting…".
    bills_read: bool = True
    # The data looks stale after this many seconds without a new snapshot: two refresh
    # periods (interval plus how long the last fast poll took). 0: never by age alone.
    stale_after: float = 0.0
    scope: tuple[str, ...] | None = None  # the --queues shown, None for all

    def server_now(self, now: float) -> float:
        """This machine's `now` on the server's clock (what `taken_at` and `since` are on)."""
        return now + self.clock_offset

    def age(self, now: float) -> float:
        """Seconds since the data was fresh, for the "updated N s ago" line; `now` is this
        machine's clock (the live model's), the offset to the server's is added here."""
        return max(0.0, now + self.clock_offset - self.taken_at)

    def looks_stale(self, now: float) -> bool:
        """STALE on screen: a whole fast cycle failed, or no new data came for two refresh
        periods (a poll that hangs). Never for one slow answer."""
        return self.stale or (0.0 < self.stale_after < self.age(now))
