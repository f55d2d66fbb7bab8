"""The things on a simulated call floor: extensions, agents in queues, groups, tasks, calls.

Plain slotted dataclasses with no behaviour beyond a few derived fields: the `Floor` owns every
change so that the bookkeeping (who is free, who is ringing) lives in one place. They are
compact because a long run keeps every number and call it ever dialled.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from wallboard.api import codes


def _documented(table: dict[int, codes.Code], number: int) -> int:
    """A code the floor names, checked against the one table of documented codes (so a
    mistyped number fails at import, not on the wire)."""
    if number not in table:
        raise RuntimeError(f"code {number} is not in wallboard.api.codes")
    return table[number].code


_B = codes.BUSINESS
# Agent state in a queue, as GetQueueSipStatus reports it.
MISSED = _documented(_B, 1212)  # assigned a call and did not answer (shown for a few seconds)
WAITING = _documented(_B, 1213)  # idle, waiting for a call (also during wrap-up)
RECEIVING = _documented(_B, 1214)  # the agent's phone is ringing with a queue call
ANSWERED = _documented(_B, 1215)  # talking
REJECTED = _documented(_B, 1216)  # rejected a queue call (shown for a few seconds)
PAUSED = _documented(_B, 1217)  # shows busy

# Extension call state, as GetSipCallStatus reports it.
EXT_MISSING = _documented(_B, 1012)
EXT_DISABLED = _documented(_B, 1013)
EXT_UNREGISTERED = _documented(_B, 1014)
EXT_NOT_IN_CALL = _documented(_B, 1015)  # the moment a call is torn down
EXT_ENABLED = _documented(_B, 1016)
EXT_REGISTERED = _documented(_B, 1017)
EXT_IDLE = _documented(_B, 1201)
EXT_RINGING = _documented(_B, 1202)
EXT_OFF_HOOK = _documented(_B, 1203)
EXT_IN_CALL = _documented(_B, 1204)
EXT_REJECTED = _documented(_B, 1205)  # the extension rejected the call that rang it

# Task status.
TASK_MISSING = _documented(_B, 1024)
TASK_NOT_STARTED = _documented(_B, 1025)
TASK_RUNNING = _documented(_B, 1026)
TASK_PAUSED = _documented(_B, 1027)
TASK_OVER = _documented(_B, 1028)

# Call methods (a bill's callmethod, a callback's method; API-NOTES decision 14).
METHOD_EXTENSION = 1  # extension to extension
METHOD_MANUAL = 2  # the agent dials by hand
METHOD_API = 3  # the CRM asks the platform to call: the agent's phone rings, then the customer
METHOD_API_DOUBLE = 4  # the same, both legs called by the platform ("double call")
METHOD_PREDICTIVE = 5
METHOD_IVR = 6  # IVR / group calls: inbound calls through the IVR, IVR notification calls

# A call's direction: GetBill's filter values and the words bills and callbacks show.
DIRECTION_IN = 1
DIRECTION_OUT = 2
DIRECTION_WORDS = {DIRECTION_IN: "callin", DIRECTION_OUT: "callout"}

# How a call ended: a bill's hangupcause and hangupdirection.
_E = codes.CALL_END
CAUSE_NORMAL = _documented(_E, 10001)
CAUSE_CANCELLED = _documented(_E, 10002)
CAUSE_REFUSED = _documented(_E, 10003)
CAUSE_LINE_FAILURE = _documented(_E, 10004)
CAUSE_TIMEOUT = _documented(_E, 10005)
CAUSE_BUSY = _documented(_E, 10006)
HANGUP_CALLER = _documented(_E, 10040)  # our side: the dialler or the agent
HANGUP_CALLEE = _documented(_E, 10041)  # the customer

# Assign types of a predictive task.
ASSIGN_EXTENSION = 1
ASSIGN_QUEUE = 2
ASSIGN_GROUP = 3


class FloorError(Exception):
    """A business failure with the documented code the server puts in `data.errors.code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(slots=True, eq=False)
class Extension:
    """A SIP extension the company owns; `call` is the one call (or offer) it is part of."""

    extnumber: str
    password: str = field(repr=False)
    enabled: bool = True
    registered: bool = True
    clientip: str | None = None
    serverip: str | None = None
    call: Call | None = None
    last_call_end: float | None = None
    idle_since: float = 0.0  # start of the current idle spell: the last call's end, or login
    ready_at: float = 0.0  # wrap-up: not offered a queue call before this time
    talk_seconds: float = 0.0  # total talk time, for "shortest call time" ringing
    rejected_until: float = 0.0  # GetSipCallStatus shows 1205 until then
    manual_calls: int = 0  # GetQueueSipStatus's externalcallscount
    members: list[Member] = field(default_factory=list)  # every queue/group/task pool it is in


@dataclass(slots=True, eq=False)
class Member:
    """An extension in one pool of agents: a queue (checked in with a crmid), a group, or the
    single extension a task dials for. Only queue members are reported by GetQueueSipStatus."""

    extnumber: str
    crmid: str
    seatsname: str
    pool: Pool = field(repr=False)
    ext: Extension = field(repr=False)
    paused: bool = False
    paused_by: str = ""  # "supervisor" (API) or "break" (the simulated agent)
    state: int = WAITING
    noanswercount: int = 0
    callsanswered: int = 0
    lastanswertime: float | None = None
    lastassigntime: float | None = None
    seatschangetime: float | None = None
    missed_until: float = 0.0
    missed_code: int = MISSED  # 1212 let it ring out, 1216 rejected: shown until missed_until
    priority: int = 0  # ringing strategy 8: lower rings first
    joined: int = 0  # order of joining, for sequential and round-robin ringing


@dataclass(slots=True, eq=False)
class Pool:
    """The agents one kind of call can reach, and the calls waiting for one of them.

    `idle` holds exactly the members free to take a call now (insertion ordered, so runs are
    deterministic); the dialler paces against its size and never scans the whole floor.
    """

    key: str  # "queue:<name>", "group:<name>" or "ext:<extnumber>"
    queue: str = ""  # the queue's name when the pool is a queue
    strategy: int = 1
    ringdelay: int = 30
    discardtime: int = 90
    wrapuptime: int = 0
    maxwaittime: int = 0  # 0: no limit besides discardtime
    withnoagenttime: int = 0  # 0: no limit when nobody can take calls at all
    members: dict[str, Member] = field(default_factory=dict)
    idle: dict[str, Member] = field(default_factory=dict)
    waiting: deque[Call] = field(default_factory=deque)
    tasks: list[Task] = field(default_factory=list)  # running tasks dialling for this pool
    in_flight: int = 0  # calls of this pool not yet over (dialling, waiting or talking)
    in_dial: int = 0  # calls of this pool not yet with an agent (ringing or waiting)
    next_join: int = 0
    rr_last: int = -1  # round robin: `joined` of the member rung last
    rr_task: int = 0
    # What the dialler looks ahead at: members talking on this pool's calls (extnumber ->
    # (member, connected at)) and members in wrap-up after one (extnumber -> (member, ready at)).
    talking: dict[str, tuple[Member, float]] = field(default_factory=dict)
    wrapping: dict[str, tuple[Member, float]] = field(default_factory=dict)
    pacing: bool = False  # a pacing tick is scheduled
    # the talkers' share of agents freeing soon, as worked out at (second, talkers)
    freeing_key: tuple[int, int] = (-1, -1)
    freeing_talk: float = 0.0


#: EditQueue's settings and the values each may take, inclusive (AddQueue's strategy too):
#: the one table both the wire (ret 400 naming the field) and the floor (1002) check.
QUEUE_SETTINGS: dict[str, tuple[int, int]] = {
    "strategy": (1, 8),
    "announcefreq": (0, 86_400),
    "ringdelay": (1, 600),
    "maxwaittime": (0, 86_400),
    "withnoagenttime": (0, 86_400),
    "noagentrejoiningtime": (0, 86_400),
    "discardtime": (1, 86_400),
    "wrapuptime": (0, 3_600),  # not in EditQueue's table, but GetQueueSipStatus shows it
}


@dataclass(slots=True, eq=False)
class Queue:
    """A queue (the documents' "task group") with its documented settings."""

    name: str
    remark: str
    autocall: bool
    pool: Pool = field(repr=False)
    announce: str = "announce.wav"
    announcefreq: int = 30
    noagentrejoiningtime: int = 5

    @property
    def strategy(self) -> int:
        return self.pool.strategy

    @property
    def ringdelay(self) -> int:
        return self.pool.ringdelay

    @property
    def discardtime(self) -> int:
        return self.pool.discardtime

    @property
    def wrapuptime(self) -> int:
        return self.pool.wrapuptime

    @property
    def maxwaittime(self) -> int:
        return self.pool.maxwaittime

    @property
    def withnoagenttime(self) -> int:
        return self.pool.withnoagenttime

    @property
    def members(self) -> dict[str, Member]:
        return self.pool.members

    @property
    def autocall_state(self) -> str:
        """GetQueueList's `autocall`: unavailable unless autocall, busy while a task dials."""
        if not self.autocall:
            return "unavailable"
        return "busy" if self.pool.tasks else "idle"


@dataclass(slots=True, eq=False)
class Group:
    """An extension group a task can dial for; a member's state is idle or busy."""

    id: int
    name: str
    status: int  # 1 enabled, 0 disabled
    pool: Pool = field(repr=False)

    @property
    def members(self) -> dict[str, Member]:
        return self.pool.members


# TaskNumber.state
NUMBER_PENDING = 0
NUMBER_DIALLING = 1
NUMBER_DONE = 2
NUMBER_REMOVED = 3


@dataclass(slots=True, eq=False)
class TaskNumber:
    """One customer number of a task, with the custom fields its bill carries."""

    phone: str
    time: float  # earliest dial time
    userid: str = "0"
    memberid: str = "0"
    chengshudu: str = "0"
    customuuid: str = "0"
    state: int = NUMBER_PENDING


#: A typical consumer outbound list: roughly a third of dials reach a person.
DEFAULT_ANSWER_SHARE = 0.38


@dataclass(slots=True, eq=False)
class Task:
    """A predictive task: numbers, pacing `scale` (a idle agents : b calls) and a status."""

    taskid: str
    name: str
    assigntype: int
    assignagent: str
    scale: tuple[int, int]
    disnumbers: list[str]
    status: int = TASK_NOT_STARTED
    answer_share: float = DEFAULT_ANSWER_SHARE  # how often its customers answer
    pool: Pool | None = field(default=None, repr=False)
    # phone -> number, for the numbers not yet done (a done one lives on in its bill)
    numbers: dict[str, TaskNumber] = field(default_factory=dict, repr=False)
    ready: deque[TaskNumber] = field(default_factory=deque, repr=False)
    scheduled: list[tuple[float, int, TaskNumber]] = field(default_factory=list, repr=False)
    in_dial: int = 0  # calls not yet with an agent (customer ringing or waiting)
    active: int = 0  # calls not yet over
    dialled: int = 0
    pending: int = 0  # numbers not yet dialled (ready or scheduled, not removed)
    wake_at: float | None = None
    created: float = 0.0
    finished: float | None = None
    over_sent: bool = False


# Call.stage
STAGE_DIALLING = 0  # customer's phone ringing (or the manual caller dialling)
STAGE_WAITING = 1  # customer answered, waiting for / being offered to an agent
STAGE_TALKING = 2
STAGE_OVER = 3


@dataclass(slots=True, eq=False)
class Call:
    """One call in progress: predictive (task, pool) or manual (placed by an extension)."""

    seq: int
    method: int
    destnumber: str
    disnumber: str
    start: float
    task: Task | None = None
    number: TaskNumber | None = None
    pool: Pool | None = None
    stage: int = STAGE_DIALLING
    answer_at: float | None = None  # the customer answered
    connected_at: float | None = None  # an agent (or the manual caller) is talking
    agent: Member | None = None
    ext: Extension | None = None  # the talking extension (agent's or manual caller's)
    offers: list[Member] = field(default_factory=list)
    offered_at: float = 0.0
    deadline: float = 0.0  # answered + discardtime: dropped after it unless an agent rings
    direction: int = DIRECTION_OUT
    ext_ringing: bool = False  # `ext`'s phone rings (an API call's first leg)
    peer: Extension | None = None  # the called extension of an extension-to-extension call
